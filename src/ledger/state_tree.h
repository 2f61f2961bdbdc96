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

#include <cstdint>
#include <optional>
#include <vector>

#include "base/hash.h"

namespace corridor::ledger {

struct MerkleProof {
  // Sibling hashes from the root down to the leaf: siblings[d] is the hash of the other
  // child of the internal node at depth d on the leaf's path.
  std::vector<Hash256> siblings;
};

Hash256 state_leaf_hash(const Hash256& key, const Hash256& value_hash);

// Verifies that (key, value_hash) is in the tree with the given root. Standalone: needs no tree.
bool verify_merkle_proof(const Hash256& root, const Hash256& key, const Hash256& value_hash,
                         const MerkleProof& proof);

class StateTree {
 public:
  StateTree();

  // Inserts the key or replaces its value hash.
  void put(const Hash256& key, const Hash256& value_hash);
  // Removes the key; a no-op when absent.
  void erase(const Hash256& key);

  Hash256 root();
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

  Ref new_leaf(const Hash256& key, const Hash256& value_hash);
  Ref new_internal();
  void free_leaf(Ref r);
  void free_internal(Ref r);
  const Hash256& hash_of(Ref r);

  Ref root_ = 0;
  size_t leaf_count_ = 0;
  std::vector<Internal> internals_;
  std::vector<Leaf> leaves_;
  std::vector<uint32_t> free_internals_;
  std::vector<uint32_t> free_leaves_;
};

}  // namespace corridor::ledger
