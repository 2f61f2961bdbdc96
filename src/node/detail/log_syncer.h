// LogSyncer: syncs a log on a thread of its own (a store's, or a record journal's), so that a
// caller can start the sync of what it just wrote, do other durable work meanwhile, and wait
// for both.
//
// The consensus loop writes a proposal's record without sync and must not vote before it is
// durable; the vote also waits for the safety data's synced write, to a file of its own. Run
// one after the other, the two syncs add up on every round; here they overlap.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "storage/kv_store.h"

namespace corridor::node::detail {

class LogSyncer {
 public:
  // Syncs the store's log (an empty synced write), on a thread named "log-sync".
  explicit LogSyncer(storage::KvStore& kv);
  // Syncs with `sync`, which must make every write made before the call durable, on a thread
  // named `thread_name`.
  LogSyncer(std::function<Status()> sync, std::string thread_name);
  ~LogSyncer();
  LogSyncer(const LogSyncer&) = delete;
  LogSyncer& operator=(const LogSyncer&) = delete;

  // Asks for a sync of every write made to the store before this call; returns its ticket.
  uint64_t request();

  // Waits until the sync of `ticket` (and of every earlier one) is done, and returns how the
  // first one that covered it went. A ticket of 0 asks for nothing and returns OK. Called by
  // the owner only, before destruction (which syncs what was requested, then stops).
  [[nodiscard]] Status wait(uint64_t ticket);

 private:
  void run();

  const std::function<Status()> sync_;
  const std::string thread_name_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t requested_ = 0;  // The latest ticket handed out.
  uint64_t synced_ = 0;     // Every ticket up to this one is synced (or failed: failed_).
  // The first failure, which every later wait reports: a store whose log could not be synced
  // gives no durability to anything after it.
  Status failed_ = Status::ok_status();
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace corridor::node::detail
