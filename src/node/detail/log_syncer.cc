#include "node/detail/log_syncer.h"

#include "base/assert.h"
#include "base/thread_name.h"

namespace corridor::node::detail {

LogSyncer::LogSyncer(storage::KvStore& kv)
    : LogSyncer(
          // An empty synced write syncs every write made before it (storage/kv_store.h).
          [&kv] { return kv.write(storage::WriteBatch{}, /*sync=*/true); }, "log-sync") {}

LogSyncer::LogSyncer(std::function<Status()> sync, std::string thread_name)
    : sync_(std::move(sync)), thread_name_(std::move(thread_name)), thread_([this] { run(); }) {}

LogSyncer::~LogSyncer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t LogSyncer::request() {
  uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    ticket = ++requested_;
  }
  cv_.notify_all();
  return ticket;
}

Status LogSyncer::wait(uint64_t ticket) {
  std::unique_lock lock(mu_);
  // A ticket never handed out would wait forever.
  CORRIDOR_ASSERT_MSG(ticket <= requested_, "LogSyncer::wait on a ticket not handed out");
  cv_.wait(lock, [&] { return synced_ >= ticket || !failed_.ok(); });
  return failed_;
}

void LogSyncer::run() {
  set_current_thread_name(thread_name_);
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || requested_ > synced_; });
    // Requests still pending at a stop are synced first: their callers may be waiting.
    if (requested_ == synced_) return;
    // One sync covers every request made before it starts, however many there are.
    const uint64_t target = requested_;
    lock.unlock();
    Status st = sync_();
    lock.lock();
    if (!st.ok() && failed_.ok()) failed_ = st;
    synced_ = target;
    cv_.notify_all();
  }
}

}  // namespace corridor::node::detail
