// Node configuration, read from a TOML file; every field has an embedded default so that
// `corridor node` runs with no file at all.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace corridor::node {

enum class StorageEngine { rocksdb, memory };

struct NodeConfig {
  std::string data_dir = "data/node";
  // The network's name; its hash is the network id that every transaction signs over.
  std::string network_name = "corridor-local";
  StorageEngine storage = StorageEngine::rocksdb;
  // The ledger state is written to the store every this many blocks (a checkpoint); blocks
  // are durable with every commit, and a restart re-executes those above the checkpoint.
  // 1 writes the state with every block. A checkpoint writes every key changed since the last
  // one in the block's synced batch, so that block waits for it: at 70,000 transfers/s over
  // 10,000 accounts on a 2-core machine, each checkpoint held the executor 44-164 ms (median
  // 116), about once a second at 64 blocks. At 512 such pauses are eight times rarer, and a
  // restart re-executes at most 512 blocks (docs/benchmarks.md, "Checkpoints every 512
  // blocks").
  uint32_t checkpoint_blocks = 512;
  // Checkpoints fall on the heights this many blocks past the multiples of checkpoint_blocks
  // (below it). A checkpoint writes every key changed since the last one, some 20,000 under
  // load; validators checkpointing at the same heights all paused at once there, 62-90 ms on a
  // 2-core machine shared by four, and consensus, which needs n - f of them, with them. Spread
  // apart, one validator pauses at a time. `corridor network init` gives validator i of n the
  // offset i * checkpoint_blocks / n, rounded down to a root height (docs/operations.md).
  uint32_t checkpoint_offset_blocks = 0;
  // RocksDB's flushes and compactions write at most this many MiB per second (0: unlimited).
  // Unlimited, a memtable flush (64 MiB, every few seconds under load, on all validators at
  // once since they write the same blocks) put the synced writes of consensus and commits
  // behind a burst at the device: at 210,000 transfers/s on a 2-core machine, finality p99
  // went from 155-198 ms to 74-108 ms with the limit, the background threads at nice 19 and
  // 4 memtables (docs/benchmarks.md, "Background writes paced"). The limit must stay above
  // the sustained rate, or flushes fall behind and RocksDB stalls every write.
  uint32_t background_write_mb_per_s = 50;

  // Block production by the single-node sequencer.
  uint32_t block_interval_ms = 20;
  uint32_t block_txs_max = 10'000;
  uint32_t block_ops_max = 500'000;

  // Mempool limits: beyond them submissions are refused explicitly, never dropped silently.
  uint32_t mempool_txs_max = 100'000;
  uint32_t mempool_ops_max = 4'000'000;
  // Per-account admission limit (node/account_rate_limiter.h): operations per second one
  // source account may submit through this node's API, with a burst allowance; 0 turns it off.
  // The burst must be at least ledger::tx_ops_max, so any valid transaction can be admitted.
  uint32_t mempool_account_ops_per_s = 100'000;
  uint32_t mempool_account_burst_ops = 200'000;

  // Threads that verify signatures while a block executes.
  uint32_t verify_threads = 2;
  // Runs the full invariant check after every block (linear in the state; for tests).
  bool check_invariants = false;

  std::string api_address = "127.0.0.1";
  uint16_t api_port = 8080;
  uint32_t api_threads = 2;

  std::string log_level = "info";

  // Block production: "solo" runs the single-node sequencer; "bft" joins the network that
  // genesis_file describes, as a validator or observer depending on key_file's key.
  enum class Mode { solo, bft };
  Mode mode = Mode::solo;
  std::string key_file;
  std::string genesis_file;
  std::string peer_address = "127.0.0.1";
  uint16_t peer_port = 0;
  // A leader with nothing to propose holds its empty block this long (see BftOptions).
  uint32_t empty_block_delay_ms = 100;
  // Its hold while a state root is due (see BftOptions).
  uint32_t root_block_delay_ms = 25;
  // The pacemaker's base round timeout; it doubles while rounds fail.
  uint32_t round_timeout_ms = 1'000;
  // State sync (node/state_sync.h): a checkpoint more than this many blocks above the head is
  // installed instead of replaying the blocks (0 turns state sync off); snapshots to serve are
  // taken every this many blocks (0: this node serves none).
  uint64_t state_sync_lag_blocks = 128;
  uint64_t state_sync_snapshot_interval_blocks = 64;
  // The network's state root interval (ledger.h). Not read from the node's file: a BFT node
  // takes it from the genesis file, which every node of the network shares; a solo node uses 1.
  // It must divide state_sync_snapshot_interval_blocks (snapshots fall on root heights).
  uint64_t state_root_interval_blocks = 1;
};

// Parses TOML text; unknown keys and wrong types are errors, so a typo is not silently ignored.
Result<NodeConfig> parse_node_config(const std::string& toml_text);
Result<NodeConfig> load_node_config(const std::string& path);
// The configuration as TOML, with every field (used by `corridor node --print-config`).
std::string node_config_to_toml(const NodeConfig& c);

}  // namespace corridor::node
