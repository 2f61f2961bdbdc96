#include "node/tx_relay.h"

#include <chrono>
#include <utility>

#include "base/assert.h"
#include "ledger/limits.h"
#include "ledger/payload.h"

namespace corridor::node {

TxRelay::TxRelay(SendFn send, AdmitFn admit) : send_(std::move(send)), admit_(std::move(admit)) {}

TxRelay::~TxRelay() {
  stop();
}

void TxRelay::start() {
  std::lock_guard lock(mu_);
  CORRIDOR_ASSERT_MSG(!sender_.joinable(), "the relay starts once");
  stopping_ = false;
  sender_ = std::thread([this] { run_sender(); });
}

void TxRelay::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  out_cv_.notify_all();
  if (sender_.joinable()) sender_.join();
}

void TxRelay::set_peers(std::vector<PublicKey> peers) {
  std::lock_guard lock(mu_);
  peers_ = std::move(peers);
}

void TxRelay::forward(Bytes envelope) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || outgoing_bytes_ + envelope.size() > relay_outgoing_bytes_max) {
      ++counters_.forwards_dropped;
      return;
    }
    // The sender needs waking for the first forward of a batch and when a frame is full; the
    // others wait for the linger to end.
    const size_t before = outgoing_bytes_;
    wake = outgoing_.empty() ||
           (before < relay_frame_bytes_max && before + envelope.size() >= relay_frame_bytes_max);
    outgoing_bytes_ += envelope.size();
    outgoing_.push_back(std::move(envelope));
  }
  if (wake) out_cv_.notify_one();
}

TxRelayCounters TxRelay::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void TxRelay::run_sender() {
  while (true) {
    std::vector<Bytes> batch;
    std::vector<PublicKey> peers;
    {
      std::unique_lock lock(mu_);
      out_cv_.wait(lock, [&] { return stopping_ || !outgoing_.empty(); });
      out_cv_.wait_for(lock, std::chrono::microseconds(relay_linger_us),
                       [&] { return stopping_ || outgoing_bytes_ >= relay_frame_bytes_max; });
      if (stopping_) return;
      batch.swap(outgoing_);
      outgoing_bytes_ = 0;
      peers = peers_;
    }
    // Everything queued while the last batch went out leaves together, in frames of at most
    // relay_frame_bytes_max envelope bytes (and a count the receiver's decoder accepts).
    uint64_t frames = 0;
    size_t begin = 0;
    while (begin < batch.size()) {
      size_t end = begin;
      size_t bytes = 0;
      while (end < batch.size() && end - begin < ledger::block_txs_max &&
             (end == begin || bytes + batch[end].size() <= relay_frame_bytes_max)) {
        bytes += batch[end].size();
        ++end;
      }
      std::vector<Bytes> chunk(std::make_move_iterator(batch.begin() + begin),
                               std::make_move_iterator(batch.begin() + end));
      const Bytes body = ledger::encode_payload(chunk);
      for (const PublicKey& peer : peers) send_(peer, body);
      frames += peers.size();
      begin = end;
    }
    std::lock_guard lock(mu_);
    counters_.txs_forwarded += batch.size();
    counters_.frames_sent += frames;
  }
}

void TxRelay::admit(ByteView body) {
  // The node checks signatures and replay like any submission; duplicates of what it holds
  // already are answered without effect.
  auto txs = ledger::decode_payload_txs(body);
  if (txs)
    for (auto& p : *txs) admit_(std::move(p.tx), std::move(p.envelope));
  std::lock_guard lock(mu_);
  if (txs)
    ++counters_.frames_admitted;
  else
    ++counters_.frames_undecodable;
}

}  // namespace corridor::node
