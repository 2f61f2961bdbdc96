// Transactions whose signatures this node verified at admission, so that executing a block
// another validator proposed does not verify them a second time. An entry holds the exact
// signatures that were verified: a block carrying the same transaction (same id, so the same
// body) with other signatures does not match and is verified in full.
//
// Entries leave when their transaction is executed or its validity window has passed; the
// table is bounded, and a transaction that finds it full is simply verified again later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/hash.h"
#include "ledger/transaction.h"

namespace corridor::node {

class VerifiedSignatures {
 public:
  static constexpr size_t entries_max = 200'000;

  // Records that `tx`'s signatures verified.
  void add(const ledger::Transaction& tx);
  // True (and forgets the entry) when `tx` is recorded with exactly these signatures.
  bool take(const ledger::Transaction& tx);
  // Forgets transactions that can no longer be applied at `height`.
  void expire(uint64_t height);
  size_t size() const;

 private:
  // valid_until_height -> id, to expire without a scan.
  using ExpiryIndex = std::multimap<uint64_t, Hash256>;
  struct Entry {
    std::vector<ledger::TxSignature> signatures;
    ExpiryIndex::iterator expiry;
  };
  mutable std::mutex mu_;
  std::unordered_map<Hash256, Entry, FixedBytesHasher> entries_;
  ExpiryIndex by_expiry_;
};

}  // namespace corridor::node
