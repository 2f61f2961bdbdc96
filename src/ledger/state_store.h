// How the ledger's state is laid out in a key-value store, shared by every host that persists
// a ledger (the node's chain store and the simulator). The ledger does not depend on the
// storage layer: the functions are templates over any batch with put/erase and any store with
// scan_prefix, which the hosts supply.
//
//   'S' entry_key                  ledger entry value
//   'R' be64(valid_until) tx_id    live replay id (empty value)
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "base/encoding.h"
#include "base/status.h"
#include "ledger/ledger.h"

namespace corridor::ledger {

inline constexpr uint8_t store_prefix_state = 'S';
// A replay id's store key is its state-tree key (ledger.h).
inline constexpr uint8_t store_prefix_replay = replay_key_prefix;

// Adds a block's state changes to `batch`. Entries go in key order: RocksDB's memtable then
// inserts each key next to the previous one (measured in docs/benchmarks.md).
template <typename Batch>
void put_state_delta(Batch& batch, const StateDelta& delta) {
  std::vector<const StateChange*> changes;
  changes.reserve(delta.changes.size());
  for (const auto& change : delta.changes) changes.push_back(&change);
  std::stable_sort(changes.begin(), changes.end(), [](const StateChange* a, const StateChange* b) {
    return std::lexicographical_compare(a->key.begin(), a->key.end(), b->key.begin(), b->key.end());
  });
  Bytes key;
  for (const StateChange* change : changes) {
    key.assign(1, store_prefix_state);
    key.insert(key.end(), change->key.begin(), change->key.end());
    if (change->value.empty())
      batch.erase(key);  // A deleted entry (an FX offer filled or cancelled).
    else
      batch.put(key, change->value);
  }
  for (const auto& r : delta.ids_added) batch.put(replay_id_key(r), {});
  for (const auto& r : delta.ids_expired) batch.erase(replay_id_key(r));
}

// The state changes of consecutive blocks, merged by key (a later write of a key replaces an
// earlier one). A host that persists the state every few blocks instead of every block keeps
// them here, and then writes each changed key once however often the blocks changed it: with
// thousands of holdings changed per block, the per-key cost of the store's write path is what
// a node's commit spends most on (docs/benchmarks.md, "Network benchmark").
class StateDeltaAccumulator {
 public:
  void add(const StateDelta& delta) {
    // Most keys repeat from block to block (the same holdings change again), so the key is
    // looked up as a view and copied only when it is new, and the value reuses the capacity of
    // the one it replaces.
    for (const auto& change : delta.changes) {
      // Debian's abseil has its own string_view, which is what its string hash takes.
      const absl::string_view key(reinterpret_cast<const char*>(change.key.data()),
                                  change.key.size());
      auto it = changes_.find(key);
      if (it == changes_.end()) it = changes_.emplace(std::string(key), std::string()).first;
      it->second.assign(change.value.begin(), change.value.end());
    }
    for (const auto& r : delta.ids_added) replay_[as_string(replay_id_key(r))] = true;
    for (const auto& r : delta.ids_expired) replay_[as_string(replay_id_key(r))] = false;
  }

  // Adds every merged change to `batch` in key order (as put_state_delta does, for the same
  // reason): present entries put, deleted ones erased.
  template <typename Batch>
  void put(Batch& batch) const {
    std::vector<const std::pair<const std::string, std::string>*> entries;
    entries.reserve(changes_.size());
    for (const auto& e : changes_) entries.push_back(&e);
    std::sort(entries.begin(), entries.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    for (const auto* e : entries) {
      const Bytes key = prefixed(store_prefix_state, as_bytes(e->first));
      if (e->second.empty())
        batch.erase(key);
      else
        batch.put(key, Bytes(e->second.begin(), e->second.end()));
    }
    for (const auto& [k, present] : replay_) {
      Bytes rk(k.begin(), k.end());
      if (present)
        batch.put(rk, {});
      else
        batch.erase(rk);
    }
  }

  // Every held change as a store key with its value (nullopt: erased), in key order: for a
  // reader that overlays them on the store's state, which is the checkpoint's.
  std::vector<std::pair<Bytes, std::optional<Bytes>>> store_changes() const {
    std::vector<std::pair<Bytes, std::optional<Bytes>>> out;
    out.reserve(size());
    for (const auto& [k, v] : changes_) {
      out.emplace_back(prefixed(store_prefix_state, as_bytes(k)),
                       v.empty() ? std::nullopt : std::optional<Bytes>(Bytes(v.begin(), v.end())));
    }
    for (const auto& [k, present] : replay_)
      out.emplace_back(Bytes(k.begin(), k.end()),
                       present ? std::optional<Bytes>(Bytes{}) : std::nullopt);
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
  }

  // Changed keys held (entries and replay ids).
  size_t size() const { return changes_.size() + replay_.size(); }
  bool empty() const { return changes_.empty() && replay_.empty(); }
  void clear() {
    changes_.clear();
    replay_.clear();
  }

 private:
  static std::string as_string(const Bytes& b) { return std::string(b.begin(), b.end()); }

  // Entry key -> value; an empty value is a deletion. Open addressing, because a node merges
  // every changed entry of every block here: in node-based std::unordered_map each lookup was a
  // bucket, a node and the key's bytes, three cache misses on a table the rest of the block has
  // evicted. The table looks a std::string key up by string_view without a copy.
  absl::flat_hash_map<std::string, std::string> changes_;
  std::unordered_map<std::string, bool> replay_;  // replay store key -> present
};

// Loads every entry and replay id from `store` into an empty ledger at `height`, and checks
// that the recomputed state root is `expected_root`: a damaged store is refused, never served.
template <typename Store>
[[nodiscard]] Status load_ledger_state(const Store& store, Ledger& ledger, uint64_t height,
                                       const Hash256& expected_root) {
  Status load_status;
  CORRIDOR_RETURN_IF_ERROR(
      store.scan_prefix(Bytes{store_prefix_state}, [&](ByteView k, ByteView v) {
        load_status = ledger.load_entry(k.subspan(1), v);
        return load_status.ok();
      }));
  CORRIDOR_RETURN_IF_ERROR(load_status);
  CORRIDOR_RETURN_IF_ERROR(store.scan_prefix(Bytes{store_prefix_replay}, [&](ByteView k, ByteView) {
    const auto id = decode_replay_id_key(k);
    if (!id) {
      load_status = corruption("malformed replay id key");
      return false;
    }
    ledger.load_replay_id(*id);
    return true;
  }));
  CORRIDOR_RETURN_IF_ERROR(load_status);
  ledger.finish_load(height);
  if (ledger.state_root() != expected_root)
    return corruption("loaded state root " + ledger.state_root().hex() +
                      " differs from the head's " + expected_root.hex() + " at height " +
                      std::to_string(height));
  return Status();
}

}  // namespace corridor::ledger
