// The state commitment: a sparse Merkle tree over 256-bit keys (SHA-256 of each ledger entry's
// key) in which a subtree holding a single leaf is represented by that leaf, as in Diem's
// Jellyfish tree. Its root hash is identical on every machine for the same set of entries,
// whatever the order of updates. Updates mark paths dirty; root() rehashes only those.
//
//   leaf hash     = SHA-256(0x00 || key || value_hash)
//   internal hash = SHA-256(0x01 || left || right), an empty child hashing to 32 zero bytes
//   empty tree    = 32 zero bytes
//
// An internal node at depth d splits its keys on bit d (most significant bit of byte 0 first).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "base/hash.h"

namespace corridor::ledger {

struct MerkleProof {
  // Sibling hashes from the root down to the leaf: siblings[d] is the hash of the other
  // child of the internal node at depth d on the leaf's path.
  std::vector<Hash256> siblings;
};

Hash256 state_leaf_hash(const Hash256& key, const Hash256& value_hash);

// The order of tree keys (bytewise, as Hash256's operator<), deciding on the first eight bytes
// read as one big-endian integer, where two hashes nearly always differ, before the rest: a
// block's changed leaves are sorted by it, without a library call per comparison.
inline bool tree_key_less(const Hash256& a, const Hash256& b) {
  static_assert(std::endian::native == std::endian::little);
  uint64_t x, y;
  std::memcpy(&x, a.data(), sizeof x);
  std::memcpy(&y, b.data(), sizeof y);
  if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y);
  return std::memcmp(a.data() + sizeof x, b.data() + sizeof y, Hash256::size() - sizeof x) < 0;
}

// Verifies that (key, value_hash) is in the tree with the given root. Standalone: needs no tree.
bool verify_merkle_proof(const Hash256& root, const Hash256& key, const Hash256& value_hash,
                         const MerkleProof& proof);

class StateTree {
 public:
  // Nodes allocated or freed before put_sorted() lays the tree out again, at the least. Below
  // half the leaf count the copy would cost more than the scattered nodes do; the floor keeps a
  // small tree from being copied every block.
  static constexpr uint64_t compact_node_changes_min = 1024;

  StateTree();

  // Inserts the key or replaces its value hash.
  void put(const Hash256& key, const Hash256& value_hash);
  // Inserts or replaces every (key, value hash) of `leaves`, which must be in strictly
  // ascending key order, and rehashes the paths it changed. The same tree as put() one by one,
  // in one pass: each node the batch reaches is visited and rehashed once, where single puts
  // walk from the root for every key and the root then walks the dirty paths again. A block
  // that changes thousands of entries spends most of its state commitment here.
  void put_sorted(std::span<const std::pair<Hash256, Hash256>> leaves);
  // Removes the key; a no-op when absent.
  void erase(const Hash256& key);

  Hash256 root();
  // Lays the nodes out again in depth-first order, so that a pass over the tree reads memory
  // in the order it is laid out. Changes no hash. put_sorted() calls it once enough nodes have
  // come and gone since the last time (compact_node_changes_min, or half the leaves).
  void compact();
  size_t size() const { return leaf_count_; }
  // An inclusion proof for key, or nullopt when the key is absent. Rehashes dirty nodes first.
  std::optional<MerkleProof> prove(const Hash256& key);

 private:
  // A reference to a child: 0 is empty; odd values are leaves (index = ref >> 1);
  // even non-zero values are internal nodes (index = (ref >> 1) - 1).
  using Ref = uint32_t;
  struct Internal {
    Ref child[2] = {0, 0};
    Hash256 hash;
    bool dirty = true;
  };
  struct Leaf {
    Hash256 key;
    Hash256 value_hash;
    Hash256 hash;
    bool dirty = true;
  };

  static bool is_leaf(Ref r) { return (r & 1) != 0; }
  static uint32_t leaf_index(Ref r) { return r >> 1; }
  static uint32_t internal_index(Ref r) { return (r >> 1) - 1; }
  static Ref leaf_ref(uint32_t i) { return (i << 1) | 1; }
  static Ref internal_ref(uint32_t i) { return (i + 1) << 1; }
  static int bit(const Hash256& key, uint32_t depth) {
    return (key.bytes[depth >> 3] >> (7 - (depth & 7))) & 1;
  }

  using LeafSpan = std::span<const std::pair<Hash256, Hash256>>;
  // put_sorted below `node` (the subtree at `depth`); returns the subtree's new ref, hashed.
  Ref put_range(Ref node, uint32_t depth, LeafSpan leaves);
  Ref new_leaf(const Hash256& key, const Hash256& value_hash);
  Ref new_internal();
  void free_leaf(Ref r);
  void free_internal(Ref r);
  const Hash256& hash_of(Ref r);
  Ref copy_subtree(Ref r, std::vector<Internal>& internals, std::vector<Leaf>& leaves) const;

  Ref root_ = 0;
  size_t leaf_count_ = 0;
  // Nodes allocated or freed since the last compact(): a measure of how scattered the layout is.
  uint64_t node_changes_ = 0;
  std::vector<Internal> internals_;
  std::vector<Leaf> leaves_;
  std::vector<uint32_t> free_internals_;
  std::vector<uint32_t> free_leaves_;
};

}  // namespace corridor::ledger
