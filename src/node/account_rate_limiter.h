// Per-account admission rate limit: a token bucket of operations per source account, so that
// one participant cannot fill the mempool and crowd out the others. Batch-signed transactions
// carry many operations, so the bucket counts operations, not transactions.
//
// Time is passed in (milliseconds on any monotonic clock), so the limiter has no clock of its
// own and tests drive it exactly.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "base/bytes.h"
#include "base/keys.h"

namespace corridor::node {

struct AccountRateLimit {
  // Sustained operations per second one account may submit; 0 turns the limit off.
  uint64_t ops_per_s = 0;
  // Operations an idle account may submit at once (the bucket's size). At least the largest
  // transaction (ledger::tx_ops_max), or such a transaction could never be admitted.
  uint64_t burst_ops = 0;
};

class AccountRateLimiter {
 public:
  // Buckets kept at most; idle accounts' buckets (full again) are dropped first, and when every
  // tracked account is active the oldest are dropped, which errs towards admitting.
  static constexpr size_t accounts_tracked_max = 100'000;

  explicit AccountRateLimiter(AccountRateLimit limit) : limit_(limit) {}

  // Takes `ops` tokens from the account's bucket at `now_ms`. When there are not enough, takes
  // nothing and returns the milliseconds after which the same request would be admitted;
  // returns 0 when admitted.
  uint64_t acquire(const AccountId& account, uint64_t ops, uint64_t now_ms);
  // Returns `ops` tokens taken by acquire() for a transaction that was not admitted after all
  // (a later check refused it), so refusals do not count against the account.
  void refund(const AccountId& account, uint64_t ops);

  bool enabled() const { return limit_.ops_per_s > 0; }
  size_t tracked() const;

 private:
  struct Bucket {
    // Tokens in thousandths of an operation, so that refill at low rates is exact.
    uint64_t milli_tokens = 0;
    uint64_t updated_ms = 0;
  };
  void refill(Bucket& b, uint64_t now_ms) const;
  void evict(uint64_t now_ms);

  const AccountRateLimit limit_;
  mutable std::mutex mu_;
  std::unordered_map<AccountId, Bucket, FixedBytesHasher> buckets_;
};

}  // namespace corridor::node
