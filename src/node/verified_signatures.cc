#include "node/verified_signatures.h"

namespace corridor::node {

void VerifiedSignatures::add(const ledger::Transaction& tx) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(tx.id); it != entries_.end()) {
    // The same body under other signatures: keep the latest verified set.
    it->second.signatures = tx.signatures;
    return;
  }
  if (entries_.size() >= entries_max) return;
  auto expiry = by_expiry_.emplace(tx.valid_until_height, tx.id);
  entries_.emplace(tx.id, Entry{tx.signatures, expiry});
}

bool VerifiedSignatures::take(const ledger::Transaction& tx) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(tx.id);
  if (it == entries_.end() || it->second.signatures != tx.signatures) return false;
  by_expiry_.erase(it->second.expiry);
  entries_.erase(it);
  return true;
}

void VerifiedSignatures::expire(uint64_t height) {
  std::lock_guard lock(mu_);
  while (!by_expiry_.empty() && by_expiry_.begin()->first < height) {
    entries_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
}

size_t VerifiedSignatures::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace corridor::node
