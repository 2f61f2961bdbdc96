// Writes a node's state checkpoints on a thread of their own, so that the executor does not
// stop for them.
//
// A checkpoint writes every key changed since the previous one (about ten thousand at 10,000
// accounts under load) in one synced batch. Written with the block that became the checkpoint,
// it held the executor, and with it every block behind it on every validator (they checkpoint
// at the same heights), for 45-140 ms every few seconds on a 2-core machine, a pause that grows
// with the keys changed between checkpoints (docs/benchmarks.md, "Checkpoints and snapshots
// off the executor"; the store's other writers still queue behind the batch). The changes are
// handed over as immutable layers (ledger/state_store.h), which the node keeps until the write is
// done, so the state a snapshot or a restart sees is whole whichever side of the write it falls on:
// the store holds the previous checkpoint until the batch lands, and the layers hold every change
// since.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "node/chain_store.h"

namespace corridor::node {

class CheckpointWriter {
 public:
  using Layer = std::shared_ptr<const ledger::StateDeltaAccumulator>;

  // What a finished write took: the checkpoint's head and the number of layers, the oldest
  // ones the node holds.
  struct Written {
    ChainHead at;
    size_t layers = 0;
  };

  explicit CheckpointWriter(ChainStore& chain);
  // Finishes a write in flight, then ends the thread.
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  // Starts writing the merge of `layers` (oldest first: the changes from the store's
  // checkpoint to `at`) as the checkpoint at `at`. The block at `at` must be durable already,
  // so that the store's checkpoint is never above its head, and no write may be in flight.
  void start(const ChainHead& at, std::vector<Layer> layers);
  // True from start() until the write is done.
  [[nodiscard]] bool busy() const;
  // Returns once no write is in flight.
  void wait_idle();
  // Writes the merge of `layers` as the checkpoint at `at` on the calling thread, in one synced
  // batch (one layer as it is, several merged first, so that each key is written once).
  [[nodiscard]] static Status write_now(ChainStore& chain, const ChainHead& at,
                                        const std::vector<Layer>& layers);
  // The write finished since the last call, once; nullopt when there is none.
  [[nodiscard]] std::optional<Written> take_written();

 private:
  void run();

  ChainStore& chain_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // The job waiting for the thread or being written (guarded by mu_).
  std::optional<ChainHead> job_at_;
  std::vector<Layer> job_layers_;
  bool busy_ = false;
  std::optional<Written> written_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace corridor::node
