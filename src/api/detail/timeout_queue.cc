#include "api/detail/timeout_queue.h"

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
  for (auto& [t, fn] : queue_) fn();
}

void TimeoutQueue::schedule(std::chrono::milliseconds delay, std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    queue_.emplace(std::chrono::steady_clock::now() + delay, std::move(fn));
  }
  cv_.notify_all();
}

void TimeoutQueue::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = queue_.begin();
    if (std::chrono::steady_clock::now() < first->first) {
      cv_.wait_until(lock, first->first);
      continue;
    }
    auto fn = std::move(first->second);
    queue_.erase(first);
    lock.unlock();
    fn();
    lock.lock();
  }
}

}  // namespace corridor::api::detail
