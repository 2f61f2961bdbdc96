// Transactions whose signatures this node may take as verified when a block carries them, so
// that executing a block another validator proposed does not verify them again:
//  - those it verified itself at admission;
//  - those that f + 1 validators of the current epoch vouched for (docs/consensus.md,
//    "Signatures checked by f + 1 validators"): at most f are faulty, so at least one voucher
//    is correct and verified them.
// An entry names the exact signatures (by their digest): a block carrying the same transaction
// (same id, so the same body) with other signatures does not match and is verified in full.
//
// Entries leave when their transaction is executed or its validity window has passed; the
// table is bounded, and a transaction that finds it full is simply verified again later.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>

#include "base/hash.h"
#include "ledger/limits.h"
#include "ledger/transaction.h"

namespace corridor::node {

class VerifiedSignatures {
 public:
  static constexpr size_t entries_max = 200'000;

  // SHA-256 of a domain tag, the id and every (key, signature) pair in order: what a voucher
  // names, so that a vouch covers exactly the signatures it was given.
  static Hash256 signatures_digest(const ledger::Transaction& tx);

  // Records that `tx`'s signatures verified here.
  void add(const ledger::Transaction& tx);
  // Records that validator `voter` (its index in the validator set of `epoch`) vouches for the
  // signatures of transaction `id` whose digest is `digest`. A vouch for other signatures than
  // the entry holds is ignored; vouches of an earlier epoch no longer count.
  void vouch(const Hash256& id, const Hash256& digest, uint64_t valid_until_height, uint64_t epoch,
             uint32_t voter);
  // True (and forgets the entry) when `tx` is recorded with exactly these signatures, verified
  // here or vouched for by at least `vouchers_needed` validators of `epoch`.
  bool take(const ledger::Transaction& tx, uint64_t epoch, size_t vouchers_needed);
  // Forgets transactions that can no longer be applied at `height`.
  void expire(uint64_t height);
  size_t size() const;

 private:
  // valid_until_height -> id, to expire without a scan.
  using ExpiryIndex = std::multimap<uint64_t, Hash256>;
  struct Entry {
    Hash256 digest;
    bool verified = false;
    uint64_t epoch = 0;
    std::bitset<ledger::validators_max> vouchers;
    ExpiryIndex::iterator expiry;
  };
  // The entry for `id`, created with `digest` when there is none and the table has room.
  Entry* find_or_add(const Hash256& id, const Hash256& digest, uint64_t valid_until_height);

  mutable std::mutex mu_;
  std::unordered_map<Hash256, Entry, FixedBytesHasher> entries_;
  ExpiryIndex by_expiry_;
};

}  // namespace corridor::node
