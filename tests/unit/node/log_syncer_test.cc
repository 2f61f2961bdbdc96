// LogSyncer: a sync asked for covers every write made before the request, waits return once
// it is done, and a failed sync is reported to every later wait.
#include "node/detail/log_syncer.h"

#include <gtest/gtest.h>

#include "storage/mem_kv_store.h"

namespace corridor::node::detail {
namespace {

storage::WriteBatch one_put(uint8_t key) {
  storage::WriteBatch batch;
  batch.put(Bytes{key}, Bytes{1, 2, 3});
  return batch;
}

TEST(LogSyncer, AWaitReturnsOnceEveryEarlierWriteIsDurable) {
  storage::MemKvStore kv;
  LogSyncer syncer(kv);
  ASSERT_TRUE(kv.write(one_put('a'), false).ok());
  ASSERT_TRUE(kv.write(one_put('b'), false).ok());
  ASSERT_EQ(kv.unsynced_batches(), 2u);
  const uint64_t ticket = syncer.request();
  ASSERT_TRUE(syncer.wait(ticket).ok());
  EXPECT_EQ(kv.unsynced_batches(), 0u);
  // Power loss now keeps both.
  kv.crash_lose_all_unsynced();
  EXPECT_TRUE(kv.get(Bytes{'a'})->has_value());
  EXPECT_TRUE(kv.get(Bytes{'b'})->has_value());
}

TEST(LogSyncer, TicketZeroAsksForNothing) {
  storage::MemKvStore kv;
  LogSyncer syncer(kv);
  ASSERT_TRUE(kv.write(one_put('a'), false).ok());
  ASSERT_TRUE(syncer.wait(0).ok());
  EXPECT_EQ(kv.sync_count(), 0u);
  EXPECT_EQ(kv.unsynced_batches(), 1u);
}

TEST(LogSyncer, RequestsMadeDuringASyncShareTheNextOne) {
  storage::MemKvStore kv;
  LogSyncer syncer(kv);
  uint64_t last = 0;
  constexpr int kRequests = 200;
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_TRUE(kv.write(one_put(static_cast<uint8_t>(i)), false).ok());
    last = syncer.request();
  }
  ASSERT_TRUE(syncer.wait(last).ok());
  EXPECT_EQ(kv.unsynced_batches(), 0u);
  EXPECT_GE(kv.sync_count(), 1u);
  EXPECT_LE(kv.sync_count(), static_cast<uint64_t>(kRequests));
}

TEST(LogSyncer, ARequestPendingAtDestructionIsSynced) {
  storage::MemKvStore kv;
  {
    LogSyncer syncer(kv);
    ASSERT_TRUE(kv.write(one_put('a'), false).ok());
    syncer.request();
  }
  kv.crash_lose_all_unsynced();
  EXPECT_TRUE(kv.get(Bytes{'a'})->has_value());
}

TEST(LogSyncer, AFailedSyncIsReportedToEveryLaterWait) {
  storage::MemKvStore kv;
  LogSyncer syncer(kv);
  ASSERT_TRUE(kv.write(one_put('a'), false).ok());
  kv.fail_next_writes(1);
  const uint64_t first = syncer.request();
  const Status failed = syncer.wait(first);
  EXPECT_EQ(failed.code(), StatusCode::io_error) << failed.to_string();
  EXPECT_EQ(kv.unsynced_batches(), 1u);
  // The store may work again, but what was written before the failure was never made durable
  // through this syncer's promise: every later wait fails too.
  const uint64_t second = syncer.request();
  EXPECT_EQ(syncer.wait(second).code(), StatusCode::io_error);
}

}  // namespace
}  // namespace corridor::node::detail
