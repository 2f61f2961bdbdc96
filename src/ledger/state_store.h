// How the ledger's state is laid out in a key-value store, shared by every host that persists
// a ledger (the node's chain store and the simulator). The ledger does not depend on the
// storage layer: the functions are templates over any batch with put/erase and any store with
// scan_prefix, which the hosts supply.
//
//   'S' entry_key                  ledger entry value
//   'R' be64(valid_until) tx_id    live replay id (empty value)
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>
#include <absl/hash/hash.h>

#include "base/encoding.h"
#include "base/status.h"
#include "ledger/ledger.h"
#include "ledger/store_overlay.h"

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

// An entry key held in place, without an allocation: entry keys are short and bounded
// (entry_key_size_max, a holding's), so a table of them keeps each key in its own slot.
class InlineEntryKey {
 public:
  explicit InlineEntryKey(ByteView key) : size_(static_cast<uint8_t>(key.size())) {
    CORRIDOR_ASSERT_MSG(key.size() <= entry_key_size_max, "entry key longer than any encoding");
    std::memcpy(bytes_.data(), key.data(), key.size());
  }
  ByteView view() const { return {bytes_.data(), size_}; }

 private:
  uint8_t size_;
  std::array<uint8_t, entry_key_size_max> bytes_;
};

// The state changes of consecutive blocks, merged by key (a later write of a key replaces an
// earlier one). A host that persists the state every few blocks instead of every block keeps
// them here, and then writes each changed key once however often the blocks changed it: with
// thousands of holdings changed per block, the per-key cost of the store's write path is what
// a node's commit spends most on (docs/benchmarks.md, "Network benchmark").
class StateDeltaAccumulator {
 public:
  void add(const StateDelta& delta) {
    // Most keys repeat from block to block (the same holdings change again), so the key is
    // looked up as a view, and the value reuses the room of the one it replaces.
    for (const auto& change : delta.changes) {
      const ByteView key(change.key);
      auto it = changes_.find(key);
      if (it == changes_.end()) it = changes_.try_emplace(InlineEntryKey(key)).first;
      it->second.assign(change.value.begin(), change.value.end());
    }
    for (const auto& r : delta.ids_added) replay_[r] = true;
    for (const auto& r : delta.ids_expired) replay_[r] = false;
  }

  // Merges the changes of blocks that came after this accumulator's: a key or replay id that
  // `later` holds takes its value there, as if its blocks had been added here one by one.
  void add(const StateDeltaAccumulator& later) {
    for (const auto& [key, value] : later.changes_) {
      auto it = changes_.find(key.view());
      if (it == changes_.end()) it = changes_.try_emplace(key).first;
      it->second = value;
    }
    for (const auto& [id, present] : later.replay_) replay_[id] = present;
  }

  // Room for `changes` changed keys without growing the table: a node starts a new
  // accumulator where the last one left off (Node's layers), and its blocks change about as
  // many keys again.
  void reserve(size_t changes) { changes_.reserve(changes); }

  // Adds every merged change to `batch` in key order (as put_state_delta does, for the same
  // reason): present entries put, deleted ones erased.
  template <typename Batch>
  void put(Batch& batch) const {
    // In ascending key order, replay ids ('R') before entries ('S'): a store inserts a sorted
    // batch faster (storage/rocksdb_kv_store.cc, BM_StoreCheckpointBatch).
    for (const auto* r : sorted_replay()) {
      const Bytes rk = replay_id_key(r->first);
      if (r->second)
        batch.put(rk, {});
      else
        batch.erase(rk);
    }
    for (const auto* e : sorted_changes()) {
      const Bytes key = prefixed(store_prefix_state, e->first.view());
      if (e->second.empty())
        batch.erase(key);
      else
        batch.put(key, Bytes(e->second.begin(), e->second.end()));
    }
  }

  // Every held change as a store key with its value (nullopt: erased), in key order: for a
  // reader that overlays them on the store's state, which is the checkpoint's.
  StoreOverlay store_overlay() const {
    // Replay ids ('R') sort below ledger entries ('S'), so the two sorted runs follow each
    // other.
    static_assert(store_prefix_replay < store_prefix_state);
    const auto replay = sorted_replay();
    size_t bytes = replay.size() * replay_store_key_size;
    const auto entries = sorted_changes();
    for (const auto* e : entries) bytes += 1 + e->first.view().size() + e->second.size();
    StoreOverlay::Builder out;
    out.reserve(replay.size() + entries.size(), bytes);
    for (const auto* r : replay)
      out.add(replay_id_key(r->first),
              r->second ? std::optional<ByteView>(ByteView{}) : std::nullopt);
    for (const auto* e : entries)
      out.add(store_prefix_state, e->first.view(),
              e->second.empty()
                  ? std::nullopt
                  : std::optional<ByteView>(ByteView(e->second.data(), e->second.size())));
    return std::move(out).finish();
  }

  // Changed keys held (entries and replay ids).
  size_t size() const { return changes_.size() + replay_.size(); }
  bool empty() const { return changes_.empty() && replay_.empty(); }
  void clear() {
    changes_.clear();
    replay_.clear();
  }

 private:
  // A value up to this size is held in its slot: holdings (17 bytes), assets and counters.
  // Larger ones (accounts, offers, queued payments) are rarer and go to the heap.
  static constexpr size_t inline_value_size_max = 24;
  using Value = absl::InlinedVector<uint8_t, inline_value_size_max>;
  // Hash and equality over a key held or a key looked up as a view, so a lookup copies nothing.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(ByteView k) const {
      return absl::Hash<absl::string_view>{}(
          absl::string_view(reinterpret_cast<const char*>(k.data()), k.size()));
    }
    size_t operator()(const InlineEntryKey& k) const { return (*this)(k.view()); }
  };
  struct KeyEq {
    using is_transparent = void;
    static ByteView view(ByteView k) { return k; }
    static ByteView view(const InlineEntryKey& k) { return k.view(); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      const ByteView x = view(a), y = view(b);
      return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size()) == 0;
    }
  };
  using Changes = absl::flat_hash_map<InlineEntryKey, Value, KeyHash, KeyEq>;

  // Replay id -> present (false: expired since the checkpoint, to be erased from the store).
  struct ReplayHash {
    size_t operator()(const ReplayId& r) const {
      // The id is a SHA-256 already: its first bytes are as good a hash as any.
      uint64_t head;
      std::memcpy(&head, r.id.data(), sizeof head);
      return absl::HashOf(head, r.valid_until_height);
    }
  };
  struct ReplayEq {
    bool operator()(const ReplayId& a, const ReplayId& b) const {
      return a.valid_until_height == b.valid_until_height && a.id == b.id;
    }
  };
  using Replay = absl::flat_hash_map<ReplayId, bool, ReplayHash, ReplayEq>;
  static constexpr size_t replay_store_key_size = 1 + 8 + Hash256::size();

  // The replay ids in their store keys' order: 'R', the expiry height in big-endian, the id.
  std::vector<const Replay::value_type*> sorted_replay() const {
    std::vector<const Replay::value_type*> replay;
    replay.reserve(replay_.size());
    for (const auto& r : replay_) replay.push_back(&r);
    std::sort(replay.begin(), replay.end(), [](const auto* a, const auto* b) {
      if (a->first.valid_until_height != b->first.valid_until_height)
        return a->first.valid_until_height < b->first.valid_until_height;
      return a->first.id < b->first.id;
    });
    return replay;
  }

  std::vector<const Changes::value_type*> sorted_changes() const {
    // Sorted by the key's first eight bytes, read as a big-endian number and held next to the
    // pointer, before the rest of the key: most comparisons are decided without reading the
    // table's slots, which are scattered in memory (BM_StateDeltaAccumulatorOverlay).
    struct Sortable {
      uint64_t head;
      const Changes::value_type* entry;
    };
    std::vector<Sortable> sortable;
    sortable.reserve(changes_.size());
    for (const auto& e : changes_) {
      const ByteView k = e.first.view();
      uint8_t head[8] = {};
      std::memcpy(head, k.data(), std::min(k.size(), sizeof head));
      sortable.push_back({get_be64(ByteView(head, sizeof head)), &e});
    }
    std::sort(sortable.begin(), sortable.end(), [](const Sortable& a, const Sortable& b) {
      if (a.head != b.head) return a.head < b.head;
      const ByteView x = a.entry->first.view(), y = b.entry->first.view();
      return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
    });
    std::vector<const Changes::value_type*> entries;
    entries.reserve(sortable.size());
    for (const Sortable& s : sortable) entries.push_back(s.entry);
    return entries;
  }

  // Entry key -> value; an empty value is a deletion. Open addressing with the key, and a
  // small value, in the slot: a node merges every changed entry of every block here, on a
  // table the rest of the block has evicted from cache, and a lookup that finds its key then
  // touches the slot and nothing else. With the keys and values as std::string, each hit also
  // read the key's heap copy and wrote the value's (docs/benchmarks.md).
  Changes changes_;
  Replay replay_;
};

// The changes of consecutive accumulators (oldest first) merged into one, the later ones
// winning: a node keeps the changes since its last checkpoint as such layers, shared with the
// state sync snapshots and the checkpoint writer that read them (node/checkpoint_writer.h).
template <typename Layers>
StateDeltaAccumulator merge_state_layers(const Layers& layers) {
  StateDeltaAccumulator merged;
  size_t largest = 0;
  for (const auto& layer : layers) largest = std::max(largest, layer->size());
  merged.reserve(largest);
  for (const auto& layer : layers) merged.add(*layer);
  return merged;
}

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
  if (!ledger.is_root_height(height))
    return corruption("the stored state is at height " + std::to_string(height) +
                      ", which is not a multiple of the state root interval " +
                      std::to_string(ledger.state_root_interval()));
  ledger.finish_load(height);
  if (ledger.state_root() != expected_root)
    return corruption("loaded state root " + ledger.state_root().hex() +
                      " differs from the head's " + expected_root.hex() + " at height " +
                      std::to_string(height));
  return Status();
}

}  // namespace corridor::ledger
