// `corridor bench apply`: batch-signed transfers through the ledger and storage of one node,
// in memory or with RocksDB synced per block. The timed region is what a node does with the
// bytes of a block's envelopes: decode, stateless checks with signature verification, then
// execution, state root and the one storage write of the block.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace corridor::cli {

struct BenchApplyOptions {
  bool durable = false;          // RocksDB synced per block, else the in-memory store.
  std::string data_dir;          // For --durable; empty: a fresh temporary dir, removed afterwards.
  uint32_t accounts = 10'000;    // Funded holders of one asset.
  uint32_t blocks = 20;          // Timed blocks.
  uint32_t txs_per_block = 10;   // Envelopes per block.
  uint32_t ops_per_tx = 10'000;  // Transfers per envelope, one signature each.
  uint64_t seed = 1;
  bool json = false;  // Machine-readable output.
};

// Runs the benchmark, printing progress and results to `out`; returns a process exit code
// (0 success, 1 the run failed, 2 invalid options). The last line printed is always
// `transfers_per_s: N` on success.
int run_bench_apply(const BenchApplyOptions& options, std::ostream& out);

}  // namespace corridor::cli
