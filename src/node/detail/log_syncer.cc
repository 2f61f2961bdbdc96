#include "node/detail/log_syncer.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "base/thread_name.h"

namespace corridor::node::detail {

LogSyncer::LogSyncer(storage::KvStore& kv) : kv_(kv), thread_([this] { run(); }) {}

LogSyncer::~LogSyncer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t LogSyncer::write(storage::WriteBatch batch) {
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    queued_.push_back(std::move(batch));
    ticket = ++handed_;
  }
  cv_.notify_all();
  return ticket;
}

Status LogSyncer::wait(uint64_t ticket) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return synced_ >= ticket || !failed_.ok(); });
  return failed_;
}

void LogSyncer::run() {
  set_current_thread_name("log-sync");
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queued_.empty(); });
    // What is still queued at a stop is written first: its callers may be waiting.
    if (queued_.empty()) return;
    // One sync covers every batch handed over before it starts, however many there are.
    std::vector<storage::WriteBatch> batches(std::make_move_iterator(queued_.begin()),
                                             std::make_move_iterator(queued_.end()));
    queued_.clear();
    const uint64_t target = handed_;
    lock.unlock();
    Status st = Status::ok_status();
    for (size_t i = 0; i < batches.size() && st.ok(); ++i) {
      // Only the last is synced: a synced write makes every earlier one durable too
      // (storage/kv_store.h), and an empty one syncs the log alone.
      const bool last = i + 1 == batches.size();
      if (batches[i].empty() && !last) continue;
      st = kv_.write(batches[i], /*sync=*/last);
    }
    if (!st.ok()) spdlog::error("cannot write or sync a consensus record: {}", st.to_string());
    lock.lock();
    if (!st.ok() && failed_.ok()) failed_ = st;
    synced_ = target;
    cv_.notify_all();
  }
}

}  // namespace corridor::node::detail
