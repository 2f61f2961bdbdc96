// The block-production seam. An Orderer decides which admitted transactions form the next
// block and in what order, and hands each ordered batch to the node, which executes,
// persists and reports it. The single-node Sequencer orders by itself; the BFT engine
// replaces it with an orderer that delivers blocks once a quorum has committed them, without
// changes to execution, storage or the API.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "node/mempool.h"

namespace corridor::node {

struct OrderedBatch {
  std::vector<PendingTx> txs;
  // Block time chosen by whoever ordered the batch; the ledger never reads a clock.
  uint64_t time_ms = 0;
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
