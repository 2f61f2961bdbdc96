#include "node/sequencer.h"

#include "base/thread_name.h"
#include "ledger/limits.h"

#include <algorithm>
#include <chrono>

namespace corridor::node {

namespace {
// Room for envelopes in a block of at most block_bytes_max, after its header.
constexpr size_t block_header_bytes_reserved = 1'024;
constexpr size_t block_envelope_bytes_max = ledger::block_bytes_max - block_header_bytes_reserved;
// How long the sequencer sleeps with an empty mempool before checking for stop again.
constexpr std::chrono::milliseconds idle_poll_ms{100};
}  // namespace

void Sequencer::start(OrderedBatchSink sink) {
  if (running_.exchange(true)) return;
  sink_ = std::move(sink);
  thread_ = std::thread([this] { run(); });
}

void Sequencer::stop() {
  if (!running_.exchange(false)) return;
  if (thread_.joinable()) thread_.join();
}

void Sequencer::run() {
  set_current_thread_name("sequencer");
  while (running_.load()) {
    auto txs = mempool_.take(config_.block_txs_max, config_.block_ops_max, block_envelope_bytes_max,
                             std::chrono::milliseconds(config_.block_interval_ms), idle_poll_ms);
    if (txs.empty()) continue;
    uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    // Block times never go backwards, even if the wall clock does.
    last_time_ms_ = std::max(last_time_ms_, now);
    OrderedBatch batch;
    batch.txs = std::move(txs);
    batch.time_ms = last_time_ms_;
    // Ordered and committed in one step here: the proposal-to-commit stage is nil.
    batch.ordered_ms = last_time_ms_;
    sink_(std::move(batch));
  }
}

}  // namespace corridor::node
