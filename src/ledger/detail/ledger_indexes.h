// The ledger's two hottest lookups, private to the ledger's own source files. Every transfer
// finds its destination account by id and both holdings by (account, asset); in a validator
// under load these lookups were 16% of its CPU in node-based std::unordered_map (a bucket, then
// a chain of nodes, each a cache miss). Open addressing (absl::flat_hash_map, Swiss tables)
// keeps keys and values in one array, so a lookup is usually one miss.
//
// Iteration order of these tables is unspecified and may differ between processes: nothing
// that reaches the state root, a result or the store may depend on it (the holdings are
// written in the order of the block's dirty list, and listed per account by that account's
// own ordered list of assets).
#pragma once

#include <cstdint>

#include <absl/container/flat_hash_map.h>

#include "ledger/ledger.h"

namespace corridor::ledger {

// A holding as the ledger keeps it: the entry and, once computed, its key in the state tree
// (SHA-256 of its encoded entry key). Under load most holdings change in every block, and
// end_block would otherwise hash every changed holding's key again each time. The tree key
// depends only on the holder's and the asset's ids, which never change while the holding
// exists (a holding leaves the table only when the transaction that opened it is rolled back),
// so the cached value cannot go stale; a new slot starts without one. Not encoded.
struct HoldingSlot : HoldingEntry {
  Hash256 tree_key;
  bool tree_key_known = false;
  // The number of the fold (Ledger::folds_) that takes in the leaf end_block last recorded for
  // this holding; 0 if none was recorded since it was loaded. Above the folds done, the leaf is
  // waiting for the next root height, and the tree commits to an older value: a proof request
  // learns it here, instead of searching the changes waiting (a block's worth of changes for
  // each block since the last root height).
  uint64_t leaf_fold = 0;
  // Above Ledger::takes_ when the holding is listed among the changes the host has yet to take
  // (Ledger::hold_holding_changes): it is listed once whatever the blocks that changed it.
  uint64_t held_take = 0;
};

struct Ledger::Indexes {
  absl::flat_hash_map<AccountId, uint32_t, FixedBytesHasher> accounts;
  // A holding's address changes when the table grows (an account opens a holding): no pointer
  // to a holding is kept across an operation that may open one.
  absl::flat_hash_map<HoldingKey, HoldingSlot> holdings;
};

}  // namespace corridor::ledger
