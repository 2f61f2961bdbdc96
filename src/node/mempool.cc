#include "node/mempool.h"

namespace corridor::node {

Mempool::AddResult Mempool::add(PendingTx tx) {
  {
    std::lock_guard lock(mu_);
    if (ids_.contains(tx.tx.id)) return AddResult::already_pending;
    if (queue_.size() >= txs_max_ || ops_ + tx.tx.ops.size() > ops_max_) return AddResult::full;
    const bool was_empty = queue_.empty();
    if (was_empty) oldest_arrival_ = std::chrono::steady_clock::now();
    ids_.insert(tx.tx.id);
    ops_ += tx.tx.ops.size();
    queue_.push_back(std::move(tx));
    // Called under the lock, so that once set_on_first_added has replaced the listener no call
    // to the old one is still running (its owner may be going away).
    if (was_empty && on_first_added_) on_first_added_();
  }
  cv_.notify_one();
  return AddResult::added;
}

void Mempool::set_on_first_added(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  on_first_added_ = std::move(fn);
}

bool Mempool::has_room(size_t ops) const {
  std::lock_guard lock(mu_);
  return queue_.size() < txs_max_ && ops_ + ops <= ops_max_;
}

std::vector<PendingTx> Mempool::take(uint32_t txs_max, uint32_t ops_max, size_t bytes_max,
                                     std::chrono::milliseconds linger,
                                     std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // The deadline is checked before waiting, not only after: a caller that must not block
  // (timeout 0: the consensus loop drains the mempool many times a second, mostly empty) takes
  // what there is without a futex wait that can only time out, which the kernel counts as a
  // sleep and a wake of the thread.
  while (!closed_) {
    const auto now = std::chrono::steady_clock::now();
    if (!queue_.empty()) {
      auto ready_at = oldest_arrival_ + linger;
      if (ops_ >= ops_max || now >= ready_at || now >= deadline) break;
      cv_.wait_until(lock, std::min(ready_at, deadline));
    } else {
      if (now >= deadline) break;
      cv_.wait_until(lock, deadline);
    }
  }
  std::vector<PendingTx> out;
  size_t ops = 0;
  size_t bytes = 0;
  while (!queue_.empty() && out.size() < txs_max) {
    size_t n = queue_.front().tx.ops.size();
    // Each envelope is stored with a four-byte length in front of it.
    size_t b = queue_.front().envelope.size() + 4;
    if (!out.empty() && (ops + n > ops_max || bytes + b > bytes_max)) break;
    ops += n;
    bytes += b;
    ids_.erase(queue_.front().tx.id);
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  ops_ -= ops;
  if (!queue_.empty()) oldest_arrival_ = std::chrono::steady_clock::now();
  return out;
}

bool Mempool::is_pending(const Hash256& id) const {
  std::lock_guard lock(mu_);
  return ids_.contains(id);
}

void Mempool::close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

size_t Mempool::size() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

size_t Mempool::ops() const {
  std::lock_guard lock(mu_);
  return ops_;
}

}  // namespace corridor::node
