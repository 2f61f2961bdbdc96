// LogSyncer: writes batches to a store and syncs its log on a thread of its own, so that a
// caller can hand over a write, do other durable work meanwhile, and then wait for both.
//
// The consensus loop stores each proposal it will vote for (megabytes in a busy block) and must
// not vote before the record is durable; the vote also waits for the safety data's synced write,
// to a file of its own. Done on the loop, one after the other, the record's write and the two
// syncs add up on every round; here the record's write and its sync run beside the cell's.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "base/status.h"
#include "storage/kv_store.h"

namespace corridor::node::detail {

class LogSyncer {
 public:
  explicit LogSyncer(storage::KvStore& kv);
  // Writes and syncs whatever was handed over before it returns.
  ~LogSyncer();
  LogSyncer(const LogSyncer&) = delete;
  LogSyncer& operator=(const LogSyncer&) = delete;

  // Hands over a batch to write (an empty one asks for the sync alone) and returns its ticket.
  // Batches are written in the order handed over; once the ticket's wait returns OK, the batch
  // and every write made to the store before this call are durable.
  uint64_t write(storage::WriteBatch batch);

  // Waits until the batch of `ticket` (and every earlier one) is written and synced, and
  // returns how that went. A ticket of 0 asks for nothing and returns OK.
  [[nodiscard]] Status wait(uint64_t ticket);

 private:
  void run();

  storage::KvStore& kv_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<storage::WriteBatch> queued_;
  uint64_t handed_ = 0;  // The latest ticket handed out.
  uint64_t synced_ = 0;  // Every ticket up to this one is written and synced (or failed_).
  // The first failure, which every later wait reports: after a write or sync that failed, the
  // store's log no longer promises that later writes follow earlier ones.
  Status failed_ = Status::ok_status();
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace corridor::node::detail
