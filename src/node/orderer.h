// The block-production seam. An Orderer decides which admitted transactions form the next
// block and in what order, and hands each ordered batch to the node, which executes,
// persists and reports it. The single-node Sequencer orders by itself; the BFT engine
// replaces it with an orderer that delivers blocks once a quorum has committed them, without
// changes to execution, storage or the API.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "base/hash.h"
#include "ledger/entries.h"
#include "node/mempool.h"
#include "storage/kv_store.h"

namespace corridor::node {

// What executing a batch produced, reported to the orderer before the block is written.
struct ExecutedBatch {
  uint64_t height = 0;
  Hash256 block_hash;
  Hash256 state_root;
  // The ledger's validator set after the block, and whether the block changed it (the end
  // of a consensus epoch).
  std::optional<ledger::ValidatorSetEntry> validators;
  bool validators_changed = false;
};

struct OrderedBatch {
  std::vector<PendingTx> txs;
  // Block time chosen by whoever ordered the batch; the ledger never reads a clock.
  uint64_t time_ms = 0;
  // The height the block must have; the node checks it when set (a consensus block's height is
  // its ledger height).
  std::optional<uint64_t> height = std::nullopt;
  // The single-node sequencer orders only transactions the node admitted, whose signatures it
  // verified already; a block ordered by others must have them verified while it executes.
  bool verify_signatures = false;
  // Called after execution, before the block is persisted: records the orderer adds here go
  // to disk in the same synced batch as the block, so the two never disagree after a crash.
  std::function<void(const ExecutedBatch&, storage::WriteBatch&)> add_records = nullptr;
};

using OrderedBatchSink = std::function<void(OrderedBatch&&)>;

class Orderer {
 public:
  virtual ~Orderer() = default;
  virtual void start(OrderedBatchSink sink) = 0;
  // Stops ordering; returns once no batch is being delivered.
  virtual void stop() = 0;
};

}  // namespace corridor::node
