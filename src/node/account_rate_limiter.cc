#include "node/account_rate_limiter.h"

#include <algorithm>
#include <vector>

namespace corridor::node {

namespace {
constexpr uint64_t milli = 1'000;
}  // namespace

void AccountRateLimiter::refill(Bucket& b, uint64_t now_ms) const {
  if (now_ms <= b.updated_ms) return;
  const uint64_t capacity = limit_.burst_ops * milli;
  // ops_per_s tokens per second is ops_per_s milli-tokens per millisecond.
  const uint64_t elapsed = now_ms - b.updated_ms;
  const uint64_t room = capacity - b.milli_tokens;
  // Capped before multiplying, so a long idle time cannot overflow.
  const uint64_t added = elapsed >= room / std::max<uint64_t>(1, limit_.ops_per_s) + 1
                             ? room
                             : std::min(room, elapsed * limit_.ops_per_s);
  b.milli_tokens += added;
  b.updated_ms = now_ms;
}

void AccountRateLimiter::evict(uint64_t now_ms) {
  // First the buckets that are full again: forgetting them changes nothing.
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now_ms);
    if (it->second.milli_tokens == limit_.burst_ops * milli)
      it = buckets_.erase(it);
    else
      ++it;
  }
  if (buckets_.size() < accounts_tracked_max) return;
  // Every tracked account is active: drop the least recently used half.
  std::vector<uint64_t> times;
  times.reserve(buckets_.size());
  for (const auto& [id, b] : buckets_) times.push_back(b.updated_ms);
  auto mid = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), mid, times.end());
  const uint64_t cutoff = *mid;
  std::erase_if(buckets_, [&](const auto& entry) { return entry.second.updated_ms <= cutoff; });
}

uint64_t AccountRateLimiter::acquire(const AccountId& account, uint64_t ops, uint64_t now_ms) {
  if (!enabled()) return 0;
  std::lock_guard lock(mu_);
  auto it = buckets_.find(account);
  if (it == buckets_.end()) {
    if (buckets_.size() >= accounts_tracked_max) evict(now_ms);
    it = buckets_.emplace(account, Bucket{limit_.burst_ops * milli, now_ms}).first;
  }
  Bucket& b = it->second;
  refill(b, now_ms);
  const uint64_t need = std::min(ops, limit_.burst_ops) * milli;
  if (b.milli_tokens >= need) {
    b.milli_tokens -= need;
    return 0;
  }
  // Round up, so that retrying after the answer is always admitted (absent other traffic).
  const uint64_t missing = need - b.milli_tokens;
  return (missing + limit_.ops_per_s - 1) / limit_.ops_per_s;
}

void AccountRateLimiter::refund(const AccountId& account, uint64_t ops) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  auto it = buckets_.find(account);
  if (it == buckets_.end()) return;
  it->second.milli_tokens = std::min(
      limit_.burst_ops * milli, it->second.milli_tokens + std::min(ops, limit_.burst_ops) * milli);
}

size_t AccountRateLimiter::tracked() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

}  // namespace corridor::node
