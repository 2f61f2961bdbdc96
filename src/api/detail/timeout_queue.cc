#include "api/detail/timeout_queue.h"

#include "base/thread_name.h"

namespace corridor::api::detail {

TimeoutQueue::TimeoutQueue() : thread_([this] { run(); }) {}

TimeoutQueue::~TimeoutQueue() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  // Pending callbacks still run, so that every waiting request is answered.
  for (auto& [id, fn] : callbacks_) fn();
}

uint64_t TimeoutQueue::schedule(std::chrono::milliseconds delay, std::function<void()> fn) {
  uint64_t id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    callbacks_.emplace(id, std::move(fn));
    deadlines_.emplace(std::chrono::steady_clock::now() + delay, id);
  }
  cv_.notify_all();
  return id;
}

void TimeoutQueue::cancel(uint64_t id) {
  std::function<void()> dropped;
  std::lock_guard lock(mu_);
  auto it = callbacks_.find(id);
  if (it == callbacks_.end()) return;
  // The deadline entry stays and is skipped when it comes due; erasing it would need a search.
  dropped = std::move(it->second);
  callbacks_.erase(it);
}

size_t TimeoutQueue::size() {
  std::lock_guard lock(mu_);
  return callbacks_.size();
}

void TimeoutQueue::run() {
  set_current_thread_name("http-timeouts");
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (deadlines_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = deadlines_.begin();
    if (std::chrono::steady_clock::now() < first->first) {
      cv_.wait_until(lock, first->first);
      continue;
    }
    uint64_t id = first->second;
    deadlines_.erase(first);
    auto it = callbacks_.find(id);
    if (it == callbacks_.end()) continue;
    auto fn = std::move(it->second);
    callbacks_.erase(it);
    lock.unlock();
    fn();
    lock.lock();
  }
}

}  // namespace corridor::api::detail
