#include "node/checkpoint_writer.h"

#include <cstdlib>
#include <utility>

#include <spdlog/spdlog.h>

#include "base/assert.h"
#include "base/thread_name.h"

namespace corridor::node {

CheckpointWriter::CheckpointWriter(ChainStore& chain) : chain_(chain) {
  thread_ = std::thread([this] { run(); });
}

CheckpointWriter::~CheckpointWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void CheckpointWriter::start(const ChainHead& at, std::vector<Layer> layers) {
  {
    std::lock_guard lock(mu_);
    CORRIDOR_ASSERT_MSG(!busy_, "a checkpoint write is already in flight");
    CORRIDOR_ASSERT_MSG(!written_, "the previous checkpoint write was not taken");
    job_at_ = at;
    job_layers_ = std::move(layers);
    busy_ = true;
  }
  cv_.notify_all();
}

bool CheckpointWriter::busy() const {
  std::lock_guard lock(mu_);
  return busy_;
}

void CheckpointWriter::wait_idle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !busy_; });
}

std::optional<CheckpointWriter::Written> CheckpointWriter::take_written() {
  std::lock_guard lock(mu_);
  return std::exchange(written_, std::nullopt);
}

Status CheckpointWriter::write_now(ChainStore& chain, const ChainHead& at,
                                   const std::vector<Layer>& layers) {
  if (layers.size() == 1) return chain.write_checkpoint(*layers.front(), at);
  return chain.write_checkpoint(ledger::merge_state_layers(layers), at);
}

void CheckpointWriter::run() {
  set_current_thread_name("checkpoint");
  std::unique_lock lock(mu_);
  while (true) {
    // A job already started is written even when stopping: the node waits for it.
    cv_.wait(lock, [&] { return job_at_.has_value() || stopping_; });
    if (!job_at_) return;
    const ChainHead at = *job_at_;
    const std::vector<Layer> layers = std::move(job_layers_);
    job_layers_.clear();
    lock.unlock();
    const Status st = write_now(chain_, at, layers);
    if (!st.ok()) {
      // The blocks are durable, so nothing acknowledged is lost; but a store that refuses a
      // write cannot be trusted with the next block either (Node::commit_batch stops the same
      // way), and the changes would pile up in memory. A restart replays from the last
      // checkpoint that was written.
      spdlog::critical("cannot write the state checkpoint at height {}: {}; stopping", at.height,
                       st.to_string());
      std::abort();
    }
    lock.lock();
    job_at_.reset();
    written_ = Written{at, layers.size()};
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace corridor::node
