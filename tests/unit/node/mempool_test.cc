// The mempool's bounds: admission limits answer "full" explicitly, and take() never returns a
// batch whose block would exceed the byte, operation or transaction limits.
#include "node/mempool.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace corridor::node {
namespace {

PendingTx tx_with(uint64_t nonce, size_t ops, size_t envelope_bytes) {
  PendingTx p;
  p.tx.nonce = nonce;
  p.tx.ops.resize(ops);
  p.tx.compute_id();
  p.envelope.assign(envelope_bytes, 0xab);
  return p;
}

constexpr std::chrono::milliseconds no_wait{0};

TEST(Mempool, TakeStopsBeforeTheByteBudget) {
  Mempool m(100, 1'000'000);
  for (uint64_t i = 0; i < 10; ++i)
    ASSERT_EQ(m.add(tx_with(i, 1, 1'000)), Mempool::AddResult::added);
  // 1,004 bytes each with the length prefix: three fit in 3,500 bytes, four do not.
  auto batch = m.take(100, 1'000'000, 3'500, no_wait, no_wait);
  EXPECT_EQ(batch.size(), 3u);
  EXPECT_EQ(m.size(), 7u);
  // A single transaction larger than the budget still leaves, alone, so nothing is stuck.
  auto one = m.take(100, 1'000'000, 10, no_wait, no_wait);
  EXPECT_EQ(one.size(), 1u);
}

TEST(Mempool, TakeRespectsOperationAndCountLimitsInOrder) {
  Mempool m(100, 1'000'000);
  for (uint64_t i = 0; i < 6; ++i) ASSERT_EQ(m.add(tx_with(i, 10, 10)), Mempool::AddResult::added);
  auto a = m.take(100, 25, SIZE_MAX, no_wait, no_wait);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].tx.nonce, 0u);
  EXPECT_EQ(a[1].tx.nonce, 1u);
  auto b = m.take(3, 1'000, SIZE_MAX, no_wait, no_wait);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].tx.nonce, 2u);
  EXPECT_EQ(m.ops(), 10u);
}

TEST(Mempool, FullAndDuplicateAreExplicit) {
  Mempool m(2, 1'000);
  EXPECT_EQ(m.add(tx_with(1, 1, 1)), Mempool::AddResult::added);
  EXPECT_EQ(m.add(tx_with(1, 1, 1)), Mempool::AddResult::already_pending);
  EXPECT_EQ(m.add(tx_with(2, 1, 1)), Mempool::AddResult::added);
  EXPECT_EQ(m.add(tx_with(3, 1, 1)), Mempool::AddResult::full);
  Mempool by_ops(100, 15);
  EXPECT_EQ(by_ops.add(tx_with(1, 10, 1)), Mempool::AddResult::added);
  EXPECT_EQ(by_ops.add(tx_with(2, 10, 1)), Mempool::AddResult::full);
}

// The BFT orderer wakes on this listener instead of waiting for its tick: one call each time the
// mempool goes from empty to non-empty, none for refused or duplicate admissions, and none once
// the listener is removed.
TEST(Mempool, ListenerHearsEachEmptyingOnce) {
  Mempool m(3, 1'000);
  int calls = 0;
  m.set_on_first_added([&] { ++calls; });
  EXPECT_EQ(m.add(tx_with(1, 1, 1)), Mempool::AddResult::added);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(m.add(tx_with(2, 1, 1)), Mempool::AddResult::added);
  EXPECT_EQ(m.add(tx_with(2, 1, 1)), Mempool::AddResult::already_pending);
  EXPECT_EQ(m.add(tx_with(3, 1, 1)), Mempool::AddResult::added);
  EXPECT_EQ(m.add(tx_with(4, 1, 1)), Mempool::AddResult::full);
  EXPECT_EQ(calls, 1);
  // Partly drained: still not empty, so a new admission is no news.
  ASSERT_EQ(m.take(1, 1'000, SIZE_MAX, no_wait, no_wait).size(), 1u);
  EXPECT_EQ(m.add(tx_with(4, 1, 1)), Mempool::AddResult::added);
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(m.take(10, 1'000, SIZE_MAX, no_wait, no_wait).size(), 3u);
  EXPECT_EQ(m.add(tx_with(6, 1, 1)), Mempool::AddResult::added);
  EXPECT_EQ(calls, 2);
  ASSERT_EQ(m.take(10, 1'000, SIZE_MAX, no_wait, no_wait).size(), 1u);
  m.set_on_first_added({});
  EXPECT_EQ(m.add(tx_with(5, 1, 1)), Mempool::AddResult::added);
  EXPECT_EQ(calls, 2);
}

// The consensus loop drains the mempool with a zero timeout many times a second, mostly while it
// is empty: such a take returns at once without sleeping. A wait on the condition variable with
// a deadline already past would still enter the kernel, which counts it as a voluntary context
// switch of the thread (getrusage's ru_nvcsw), as the loop's profile showed.
TEST(Mempool, TakeWithoutTimeoutNeverSleeps) {
  Mempool m(100, 1'000'000);
  constexpr int takes = 1'000;
  rusage before{};
  ASSERT_EQ(getrusage(RUSAGE_THREAD, &before), 0);
  for (int i = 0; i < takes; ++i)
    ASSERT_TRUE(m.take(10, 1'000, 1'000'000, no_wait, no_wait).empty());
  rusage after{};
  ASSERT_EQ(getrusage(RUSAGE_THREAD, &after), 0);
  // A few for whatever else the thread may block on (page faults reading files, say); the
  // waits this test is about would be a thousand.
  EXPECT_LT(after.ru_nvcsw - before.ru_nvcsw, 20) << "take() slept";
  // And one pending is taken at once, however long its linger, when there is no time to wait.
  ASSERT_EQ(m.add(tx_with(1, 1, 1)), Mempool::AddResult::added);
  EXPECT_EQ(m.take(10, 1'000, 1'000'000, std::chrono::hours(1), no_wait).size(), 1u);
}

}  // namespace
}  // namespace corridor::node
