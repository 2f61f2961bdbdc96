// The single-node orderer: every block_interval_ms (sooner when block_ops_max operations are
// waiting) it takes what the mempool holds and delivers it as the next block.
#pragma once

#include <atomic>
#include <thread>

#include "node/config.h"
#include "node/orderer.h"

namespace corridor::node {

class Sequencer final : public Orderer {
 public:
  Sequencer(const NodeConfig& config, Mempool& mempool) : config_(config), mempool_(mempool) {}
  ~Sequencer() override { stop(); }

  void start(OrderedBatchSink sink) override;
  void stop() override;

 private:
  void run();

  NodeConfig config_;
  Mempool& mempool_;
  OrderedBatchSink sink_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  uint64_t last_time_ms_ = 0;
};

}  // namespace corridor::node
