// TxRelay: this node's admissions go to every peer at once, coalescing while the sender is
// busy, within a bounded queue; peers' forwards are admitted in order on the caller's thread.
#include "node/tx_relay.h"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ledger/limits.h"
#include "ledger/payload.h"
#include "ledger/transaction.h"
#include "support/test_support.h"

namespace corridor::node {
namespace {

using namespace std::chrono_literals;
using test::signed_registration;
using test::test_key;

constexpr auto wait_max = 10s;

// What the relay sent and admitted, with a gate that holds the sender while a test queues more
// behind it.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  bool gate_open = true;
  size_t sends_entered = 0;
  std::map<std::string, std::vector<std::vector<Bytes>>> frames;  // per peer, in order
  std::vector<Hash256> admitted;

  void hold() {
    std::lock_guard lock(mu);
    gate_open = false;
  }
  void release() {
    {
      std::lock_guard lock(mu);
      gate_open = true;
    }
    cv.notify_all();
  }
  void on_send(const PublicKey& peer, const Bytes& body) {
    auto list = ledger::split_payload(body);
    ASSERT_TRUE(list.has_value());
    std::vector<Bytes> envelopes;
    for (ByteView e : *list) envelopes.emplace_back(e.begin(), e.end());
    std::unique_lock lock(mu);
    ++sends_entered;
    cv.notify_all();
    cv.wait(lock, [&] { return gate_open; });
    frames[peer.hex()].push_back(std::move(envelopes));
    cv.notify_all();
  }
  void on_admit(const ledger::Transaction& tx) {
    std::lock_guard lock(mu);
    admitted.push_back(tx.id);
  }
  template <typename Pred>
  bool wait_for(Pred pred) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, wait_max, [&] { return pred(); });
  }
};

// For conditions on the relay's counters, which change without telling the recorder.
template <typename Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + wait_max;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

class TxRelayTest : public ::testing::Test {
 protected:
  TxRelayTest()
      : relay_([this](const PublicKey& peer, const Bytes& body) { rec_.on_send(peer, body); },
               [this](ledger::Transaction tx, Bytes) { rec_.on_admit(tx); }) {
    peers_ = {test_key("peer-a").public_key(), test_key("peer-b").public_key()};
    relay_.set_peers(peers_);
    relay_.start();
  }
  ~TxRelayTest() override {
    rec_.release();
    relay_.stop();
  }

  static Bytes envelope(std::string_view who, uint64_t nonce) {
    return ledger::encode_transaction(signed_registration(who, nonce));
  }
  size_t frames_to(size_t peer) {
    std::lock_guard lock(rec_.mu);
    return rec_.frames[peers_[peer].hex()].size();
  }

  Recorder rec_;
  std::vector<PublicKey> peers_;
  TxRelay relay_;
};

TEST_F(TxRelayTest, AnAdmissionGoesToEveryPeerAtOnce) {
  const Bytes e = envelope("alice", 1);
  relay_.forward(e);
  ASSERT_TRUE(rec_.wait_for([&] {
    return rec_.frames[peers_[0].hex()].size() == 1 && rec_.frames[peers_[1].hex()].size() == 1;
  }));
  for (const PublicKey& p : peers_) EXPECT_EQ(rec_.frames[p.hex()][0], std::vector<Bytes>{e});
  EXPECT_EQ(relay_.counters().txs_forwarded, 1u);
  EXPECT_EQ(relay_.counters().frames_sent, 2u);
}

TEST_F(TxRelayTest, AdmissionsQueuedWhileTheSenderIsBusyLeaveInOneFrame) {
  rec_.hold();
  const Bytes first = envelope("alice", 1);
  relay_.forward(first);
  // The sender is inside its first send now, held at the gate.
  ASSERT_TRUE(rec_.wait_for([&] { return rec_.sends_entered == 1; }));
  std::vector<Bytes> later;
  for (uint64_t n = 2; n <= 5; ++n) {
    later.push_back(envelope("alice", n));
    relay_.forward(later.back());
  }
  rec_.release();
  ASSERT_TRUE(rec_.wait_for([&] {
    return rec_.frames[peers_[0].hex()].size() == 2 && rec_.frames[peers_[1].hex()].size() == 2;
  }));
  for (const PublicKey& p : peers_) {
    EXPECT_EQ(rec_.frames[p.hex()][0], std::vector<Bytes>{first});
    EXPECT_EQ(rec_.frames[p.hex()][1], later);
  }
  EXPECT_EQ(relay_.counters().txs_forwarded, 5u);
  EXPECT_EQ(relay_.counters().frames_sent, 4u);
}

TEST_F(TxRelayTest, ALargeBatchIsSplitAtTheFrameBound) {
  rec_.hold();
  relay_.forward(envelope("alice", 1));
  ASSERT_TRUE(rec_.wait_for([&] { return rec_.sends_entered == 1; }));
  // Envelopes of the largest size a transaction may have: a frame holds as many as fit in the
  // bound, and the rest start the next frame.
  const size_t per_frame = relay_frame_bytes_max / ledger::tx_bytes_max;
  std::vector<Bytes> bigs;
  for (size_t i = 0; i < per_frame + 1; ++i) {
    bigs.emplace_back(ledger::tx_bytes_max, static_cast<uint8_t>(i));
    relay_.forward(bigs.back());
  }
  rec_.release();
  ASSERT_TRUE(rec_.wait_for([&] { return rec_.frames[peers_[1].hex()].size() == 3; }));
  const auto& f = rec_.frames[peers_[0].hex()];
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[1], std::vector<Bytes>(bigs.begin(), bigs.begin() + per_frame));
  EXPECT_EQ(f[2], std::vector<Bytes>{bigs.back()});
}

TEST_F(TxRelayTest, ForwardedFramesAreDecodedAndAdmittedInOrderOnTheCallingThread) {
  const auto a = test::signed_registration("alice", 1);
  const auto b = test::signed_registration("bob", 1);
  relay_.admit(ledger::encode_payload(
      std::vector<Bytes>{ledger::encode_transaction(a), ledger::encode_transaction(b)}));
  // Admitted before admit() returns: the caller's next frame comes after these.
  {
    std::lock_guard lock(rec_.mu);
    EXPECT_EQ(rec_.admitted, (std::vector<Hash256>{a.id, b.id}));
  }
  relay_.admit(Bytes{0xff, 0xff, 0xff, 0xff, 0x01});  // not a transaction list
  EXPECT_EQ(relay_.counters().frames_undecodable, 1u);
  EXPECT_EQ(relay_.counters().frames_admitted, 1u);
}

TEST_F(TxRelayTest, NothingIsSentAfterStop) {
  relay_.stop();
  relay_.forward(envelope("alice", 1));
  EXPECT_EQ(relay_.counters().forwards_dropped, 1u);
  std::lock_guard lock(rec_.mu);
  EXPECT_TRUE(rec_.frames.empty());
}

TEST_F(TxRelayTest, TheOutgoingQueueIsBoundedAndCounted) {
  rec_.hold();
  relay_.forward(envelope("alice", 1));
  // The sender is held inside its first send; what is admitted now waits in the queue.
  ASSERT_TRUE(rec_.wait_for([&] { return rec_.sends_entered == 1; }));
  const size_t fit = relay_outgoing_bytes_max / ledger::tx_bytes_max;
  for (size_t i = 0; i < fit + 2; ++i) relay_.forward(Bytes(ledger::tx_bytes_max, 7));
  EXPECT_EQ(relay_.counters().forwards_dropped, 2u);
  rec_.release();
  ASSERT_TRUE(eventually([&] { return relay_.counters().txs_forwarded == fit + 1; }));
}

}  // namespace
}  // namespace corridor::node
