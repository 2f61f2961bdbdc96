#include "node/verified_signatures.h"

namespace corridor::node {

Hash256 VerifiedSignatures::signatures_digest(const ledger::Transaction& tx) {
  Sha256 h;
  h.update(std::string_view("corridor.tx.signatures.v1"));
  h.update(tx.id.view());
  for (const ledger::TxSignature& s : tx.signatures) {
    h.update(s.key.view());
    h.update(s.signature.view());
  }
  return h.finish();
}

VerifiedSignatures::Entry* VerifiedSignatures::find_or_add(const Hash256& id, const Hash256& digest,
                                                           uint64_t valid_until_height) {
  if (auto it = entries_.find(id); it != entries_.end()) return &it->second;
  if (entries_.size() >= entries_max) return nullptr;
  auto expiry = by_expiry_.emplace(valid_until_height, id);
  Entry& e = entries_[id];
  e.digest = digest;
  e.expiry = expiry;
  return &e;
}

void VerifiedSignatures::add(const ledger::Transaction& tx) {
  const Hash256 digest = signatures_digest(tx);
  std::lock_guard lock(mu_);
  Entry* e = find_or_add(tx.id, digest, tx.valid_until_height);
  if (!e) return;
  if (e->digest != digest) {
    // The same body under other signatures: keep the latest verified set.
    e->digest = digest;
    e->vouchers.reset();
  }
  e->verified = true;
}

void VerifiedSignatures::vouch(const Hash256& id, const Hash256& digest,
                               uint64_t valid_until_height, uint64_t epoch, uint32_t voter) {
  if (voter >= ledger::validators_max) return;
  std::lock_guard lock(mu_);
  Entry* e = find_or_add(id, digest, valid_until_height);
  // Other signatures than those held: a faulty voucher's, or a resubmission's. Either way the
  // entry keeps what it has, and a block carrying the others verifies them.
  if (!e || e->digest != digest) return;
  if (e->epoch != epoch) {
    e->vouchers.reset();
    e->epoch = epoch;
  }
  e->vouchers.set(voter);
}

bool VerifiedSignatures::take(const ledger::Transaction& tx, uint64_t epoch,
                              size_t vouchers_needed) {
  const Hash256 digest = signatures_digest(tx);
  std::lock_guard lock(mu_);
  auto it = entries_.find(tx.id);
  if (it == entries_.end()) return false;
  const Entry& e = it->second;
  const bool vouched =
      vouchers_needed > 0 && e.epoch == epoch && e.vouchers.count() >= vouchers_needed;
  if (e.digest != digest || !(e.verified || vouched)) return false;
  by_expiry_.erase(e.expiry);
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
