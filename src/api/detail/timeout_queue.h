// A thread that runs callbacks at deadlines: used to answer a "wait for finality" request
// that is not final in time. Callbacks run on the queue's thread and must be quick.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace corridor::api::detail {

class TimeoutQueue {
 public:
  TimeoutQueue();
  ~TimeoutQueue();
  TimeoutQueue(const TimeoutQueue&) = delete;
  TimeoutQueue& operator=(const TimeoutQueue&) = delete;

  // Runs fn after delay unless cancelled first; returns the id to cancel it with.
  uint64_t schedule(std::chrono::milliseconds delay, std::function<void()> fn);
  // Drops a scheduled callback (and what it holds) if it has not run yet.
  void cancel(uint64_t id);
  size_t size();

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::function<void()>> callbacks_;
  std::multimap<std::chrono::steady_clock::time_point, uint64_t> deadlines_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace corridor::api::detail
