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

  void schedule(std::chrono::milliseconds delay, std::function<void()> fn);

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace corridor::api::detail
