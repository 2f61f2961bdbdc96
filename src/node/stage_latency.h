// Where the time to finality goes on one node, by stage, over its most recent samples:
//
//   admission_to_proposal  a transaction this node's API admitted, until the block carrying it
//                          was proposed (the block's time stamp)
//   proposal_to_commit     a block with transactions, from its proposal's time stamp until
//                          this node's consensus committed it
//   commit_to_durable      that block, from the commit until this node had executed it, written
//                          it (synced) and told its clients
//   admission_to_durable   a transaction this node's API admitted, until the block carrying it
//                          was durable here: the three stages above for one transaction
//
// Together the first three make up the finality a client of this node sees, less the network
// between the client and the node, and the fourth is that whole for each transaction (the sum
// of the first three's medians is not the median of their sums: the first is per transaction,
// the other two per block). Block time stamps are the proposer's clock: across machines, the
// first two stages include the skew between the proposer's clock and this node's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <utility>

namespace corridor::node {

// Milliseconds of the monotonic clock the node's latency windows (and its rate limit) use.
uint64_t steady_clock_ms();

// A stage's figures cover its samples of the last stage_latency_window_ms, at most the newest
// stage_latency_samples_max of them (a node admitting thousands of transactions a second keeps
// the latest few seconds).
inline constexpr uint64_t stage_latency_window_ms = 10'000;
inline constexpr size_t stage_latency_samples_max = 65'536;

struct LatencySummary {
  uint64_t samples = 0;  // In the window.
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

struct StageLatencies {
  LatencySummary admission_to_proposal;
  LatencySummary proposal_to_commit;
  LatencySummary commit_to_durable;
  LatencySummary admission_to_durable;
};

// One stage's window. Thread-safe. `now_ms` is any monotonic clock in milliseconds, the same
// for every call (the node passes steady time; tests pass their own).
class LatencyWindow {
 public:
  void add(std::span<const double> samples_ms, uint64_t now_ms);
  LatencySummary summary(uint64_t now_ms) const;

 private:
  void expire(uint64_t now_ms) const;

  mutable std::mutex mu_;
  // (when added, value), oldest first.
  mutable std::deque<std::pair<uint64_t, double>> samples_;
};

}  // namespace corridor::node
