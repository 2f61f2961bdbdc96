// `corridor bench network`: same-currency transfers through a BFT network of real processes,
// measured as a client sees them. It starts a temporary `corridor localnet` (or uses the nodes
// given), opens funded accounts, then drives load for a fixed time:
//
//   - closed loop: a fixed number of clients, each submitting its next transaction as soon as
//     the previous one is final, which finds the network's peak;
//   - open loop: transactions offered on a fixed schedule at a given rate, with each latency
//     measured from the moment the schedule meant to send it (so a backlog shows up as
//     latency instead of silently lowering the offered load);
//   - half-peak: a closed loop, then an open loop at half the throughput it found, on the same
//     network: finality at half the peak, where the targets of docs/benchmarks.md are set.
//
// Transactions are batch-signed (many transfers under one signature) or individually signed
// (one transfer, one signature). Every submission waits for finality; the throughput counts
// the transfers acknowledged final with result ok inside the measured window, and the chain's
// own count of committed operations is reported next to it.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "cli/cmd_network.h"

namespace corridor::cli {

struct BenchNetworkOptions {
  // API addresses of a running network's nodes ("http://127.0.0.1:26000"); empty: start a
  // temporary localnet of `validators` processes and stop it afterwards.
  std::vector<std::string> nodes;
  uint32_t validators = 4;
  std::string mode = "closed";    // closed | open | half-peak
  double rate_per_s = 0;          // Open loop: transfers offered per second.
  std::string signing = "batch";  // batch | individual
  uint32_t batch_ops = 1'000;     // Transfers per batch-signed transaction.
  uint32_t clients = 0;  // Closed loop (or half-peak's): concurrent clients; 0 picks a default.
  // Individually signed: transactions per request (POST /v1/transactions/batch when above 1);
  // 0 picks a default.
  uint32_t per_request = 0;
  // How envelopes travel: "binary" (application/octet-stream, the envelope bytes) or "json"
  // (hex inside a JSON body).
  std::string wire = "binary";
  uint32_t accounts = 1'000;  // Funded holders of the benchmark's currency.
  // The temporary localnet's state root interval (genesis; `corridor localnet`'s default).
  uint64_t state_root_interval_blocks = state_root_interval_default;
  uint32_t duration_s = 10;  // Measured window.
  uint32_t warmup_s = 2;     // Load before the window that is not measured.
  uint64_t seed = 1;
  bool keep = false;  // Keep the temporary localnet's directory (logs) afterwards.
  bool json = false;  // One JSON object on `out`; progress still goes to `progress`.
  // When set, every measured submission as a line "done_ms,latency_ms,transfers" (ms since the
  // window's start), to see when in the run a latency tail happened.
  std::string samples_csv;
};

// Runs the benchmark: results to `out`, the progress bar and setup messages to `progress`.
// Returns a process exit code (0 success, 1 the run failed, 2 invalid options).
int run_bench_network(const BenchNetworkOptions& options, std::ostream& out,
                      std::ostream& progress);

// Ed25519 verifications per second on this machine, with the library the nodes use: on one
// thread and on `threads` threads at once, each measured for about `window_ms`.
struct VerifyLimit {
  double one_thread_per_s = 0;
  double all_threads_per_s = 0;
  uint32_t threads = 0;
};
VerifyLimit measure_verify_limit(uint32_t threads, uint32_t window_ms);

}  // namespace corridor::cli
