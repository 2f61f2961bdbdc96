// The per-account admission limit: a token bucket of operations, driven with explicit times.
#include "node/account_rate_limiter.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace corridor::node {
namespace {

using test::test_id;

TEST(AccountRateLimiterTest, BurstThenSustainedRate) {
  AccountRateLimiter limiter({/*ops_per_s=*/100, /*burst_ops=*/300});
  const AccountId a = test_id("alice");
  EXPECT_EQ(limiter.acquire(a, 200, 0), 0u);
  EXPECT_EQ(limiter.acquire(a, 100, 0), 0u);
  // Empty: 50 operations at 100/s take 500 ms.
  EXPECT_EQ(limiter.acquire(a, 50, 0), 500u);
  EXPECT_EQ(limiter.acquire(a, 50, 499), 1u);
  EXPECT_EQ(limiter.acquire(a, 50, 500), 0u);
  // A refused request took nothing: after 10 ms there is exactly 1 operation.
  EXPECT_EQ(limiter.acquire(a, 2, 510), 10u);
  EXPECT_EQ(limiter.acquire(a, 1, 510), 0u);
}

TEST(AccountRateLimiterTest, AccountsAreIndependentAndIdleOnesRefillToTheBurstOnly) {
  AccountRateLimiter limiter({/*ops_per_s=*/10, /*burst_ops=*/20});
  const AccountId a = test_id("alice");
  const AccountId b = test_id("bob");
  EXPECT_EQ(limiter.acquire(a, 20, 0), 0u);
  EXPECT_GT(limiter.acquire(a, 1, 0), 0u);
  EXPECT_EQ(limiter.acquire(b, 20, 0), 0u);
  // A day of idleness refills to the burst, not beyond (and does not overflow).
  const uint64_t day_ms = 86'400'000;
  EXPECT_EQ(limiter.acquire(a, 20, day_ms), 0u);
  EXPECT_GT(limiter.acquire(a, 1, day_ms), 0u);
}

TEST(AccountRateLimiterTest, RefundReturnsTokensUpToTheBurst) {
  AccountRateLimiter limiter({/*ops_per_s=*/1, /*burst_ops=*/10});
  const AccountId a = test_id("alice");
  EXPECT_EQ(limiter.acquire(a, 10, 0), 0u);
  EXPECT_GT(limiter.acquire(a, 4, 0), 0u);
  limiter.refund(a, 4);
  EXPECT_EQ(limiter.acquire(a, 4, 0), 0u);
  limiter.refund(a, 1'000);
  EXPECT_EQ(limiter.acquire(a, 10, 0), 0u);
  EXPECT_GT(limiter.acquire(a, 1, 0), 0u);
}

TEST(AccountRateLimiterTest, DisabledAdmitsEverything) {
  AccountRateLimiter limiter({/*ops_per_s=*/0, /*burst_ops=*/0});
  EXPECT_FALSE(limiter.enabled());
  for (int i = 0; i < 1'000; ++i) EXPECT_EQ(limiter.acquire(test_id("alice"), 10'000, 0), 0u);
  EXPECT_EQ(limiter.tracked(), 0u);
}

TEST(AccountRateLimiterTest, TrackedAccountsStayBounded) {
  AccountRateLimiter limiter({/*ops_per_s=*/1, /*burst_ops=*/10});
  // Every account active at once: the table never grows past its bound.
  for (uint64_t i = 0; i < AccountRateLimiter::accounts_tracked_max + 1'000; ++i) {
    AccountId id;
    for (size_t k = 0; k < 8; ++k) id.bytes[k] = static_cast<uint8_t>(i >> (8 * k));
    EXPECT_EQ(limiter.acquire(id, 5, i), 0u);
  }
  EXPECT_LE(limiter.tracked(), AccountRateLimiter::accounts_tracked_max);
}

}  // namespace
}  // namespace corridor::node
