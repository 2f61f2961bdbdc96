// A sorted, immutable set of store changes held in one allocation: the keys a node changed
// since its last state checkpoint, with their values at one height (or none for a deleted
// key). A state sync snapshot lays it over the store's checkpoint (node/state_sync.h).
//
// A node takes one at every snapshot window, of up to about ten thousand keys at 10,000
// accounts, on the executor thread, and frees it on the consensus thread when a newer one
// replaces it. Held as a vector of (key, value) vectors, the copy and the free cost two heap
// blocks a key; here they cost two blocks in all (docs/benchmarks.md).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"

namespace corridor::ledger {

class StoreOverlay {
 private:
  // Entry i's key is key_size bytes at key_begin; its value follows the key and runs to
  // value_end, or the key was deleted when value_end is deleted_value. Offsets are 32-bit: an
  // overlay holds at most the changes a snapshot may (state_sync_entries_max keys), far below
  // 4 GiB, and the builder asserts it.
  struct Entry {
    uint32_t key_begin = 0;
    uint32_t key_size = 0;
    uint32_t value_end = 0;
  };
  static constexpr uint32_t deleted_value = UINT32_MAX;

 public:
  struct Change {
    ByteView key;
    std::optional<ByteView> value;  // nullopt: the key was deleted.
  };

  StoreOverlay() = default;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  Change at(size_t i) const;
  ByteView key(size_t i) const;
  // The index of the first change whose key is not below `key` (size() when none is).
  size_t lower_bound(ByteView key) const;

  // Builds an overlay from changes added in strictly ascending key order (asserted: an
  // out-of-order key is a bug of the caller, which sorts).
  class Builder {
   public:
    // Room for `changes` changes of `bytes` key and value bytes in all; an estimate is fine.
    void reserve(size_t changes, size_t bytes);
    // Adds the key `prefix || key` with its value (nullopt: deleted).
    void add(uint8_t prefix, ByteView key, std::optional<ByteView> value);
    void add(ByteView key, std::optional<ByteView> value);
    StoreOverlay finish() &&;

   private:
    void add_parts(ByteView head, ByteView key, std::optional<ByteView> value);
    Bytes bytes_;
    std::vector<Entry> entries_;
  };

 private:
  Bytes bytes_;
  std::vector<Entry> entries_;
};

}  // namespace corridor::ledger
