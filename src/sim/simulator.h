// The deterministic simulator: N validators running the real consensus::Core, the real ledger
// and MemKvStore disks in one process, on a virtual clock and a simulated network, all driven
// by one seeded PRNG, so that a seed replays exactly. No real clock, thread or socket is used.
//
// A run injects the scenario's faults (scenario.h) for its duration, heals everything, and
// then requires liveness. Invariants are checked after every commit:
//   agreement    no two honest validators commit different blocks at one height;
//   state roots  honest validators reach the same state root at every height;
//   conservation ledger::Ledger::check_invariants holds on every honest validator;
//   validity     every committed transaction is one the workload created, and every outcome
//                and balance matches the workload's model;
//   safety data  an honest validator's last voted round never goes back, and it never votes
//                for two blocks in one round, across crashes and restarts;
//   liveness     within liveness_window_ms of healing, every honest validator commits at
//                least liveness_blocks blocks beyond the highest height committed at healing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/hash.h"
#include "sim/scenario.h"

namespace corridor::sim {

inline constexpr uint64_t liveness_blocks = 5;
// The longest backed-off round timeout (1 s * 2^5 = 32 s), which a validator may be waiting
// out when the network heals, plus two cycles of round-robin leaders with f withholding ones
// next to each other: each such cycle fails four rounds in a row (1 + 2 + 4 + 8 s) before a
// QC resets the backoff, and commits two or three blocks (measured: seed 67 needs over 60 s).
inline constexpr uint64_t liveness_window_ms = 120'000;
// Lines of the trace kept for a failure report.
inline constexpr size_t trace_tail_lines_default = 50;

struct SimOptions {
  ScenarioOptions scenario;
  // Every trace line is passed here as it happens (for --trace); the tail is kept regardless.
  std::function<void(const std::string&)> trace_sink;
  size_t trace_tail_lines = trace_tail_lines_default;
};

struct SimResult {
  bool ok = true;
  std::string failure;  // The failing invariant, empty when ok.
  uint64_t seed = 0;
  Scenario scenario;
  uint64_t committed_height = 0;  // The highest height an honest validator committed.
  uint64_t epoch = 0;             // The validator-set epoch the committed chain reached.
  uint64_t txs_created = 0;
  uint64_t txs_applied = 0;
  uint64_t messages_sent = 0;
  uint64_t messages_delivered = 0;
  uint64_t messages_dropped = 0;      // Lost, partitioned, or addressed to a node that was down.
  uint64_t messages_undecodable = 0;  // Dropped by decode_message on delivery.
  uint64_t invalid_messages = 0;      // Refused by honest cores (CoreStats::invalid_messages).
  uint64_t virtual_ms = 0;
  uint64_t events = 0;
  // FNV-1a over every trace line, and the ids committed at heights 1.., to compare replays.
  uint64_t trace_hash = 0;
  std::vector<Hash256> committed_ids;
  std::vector<std::string> trace_tail;
};

SimResult run_simulation(uint64_t seed, const SimOptions& options);

// A failure report: the seed, the scenario, the failing invariant and the trace tail.
std::string format_failure(const SimResult& result);

struct MeasureOptions {
  uint32_t validators = 4;
  NetworkProfile profile = NetworkProfile::lan;
  uint64_t duration_ms = 0;  // 0: 5 s on LAN, 60 s on WAN.
  // Crash the leader of the current round a third of the way in and keep it down.
  bool crash_leader = false;
  uint64_t seed = 1;
};

struct MeasureResult {
  bool ok = true;
  std::string failure;
  uint64_t virtual_ms = 0;
  uint64_t blocks = 0;  // Committed by the measured (honest) validator during the run.
  uint64_t txs = 0;
  double blocks_per_s = 0;
  double txs_per_s = 0;
  // Proposal broadcast to commit, over every honest validator's commits, in virtual ms.
  double latency_p50_ms = 0;
  double latency_p99_ms = 0;
  // With crash_leader: the longest time without a commit at the measured validator, from the
  // crash to the end of the run.
  uint64_t crash_gap_ms = 0;
  uint64_t messages = 0;
};

MeasureResult run_measurement(const MeasureOptions& options);

}  // namespace corridor::sim
