#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "base/hash.h"
#include "ledger/state_tree.h"

namespace corridor::ledger {
namespace {

Hash256 h(std::string_view s) {
  return sha256(as_bytes(s));
}

Hash256 key_with_first_byte(uint8_t first, uint8_t last = 0) {
  Hash256 k;
  k.bytes[0] = first;
  k.bytes[31] = last;
  return k;
}

int bit_of(const Hash256& key, uint32_t depth) {
  return (key.bytes[depth >> 3] >> (7 - (depth & 7))) & 1;
}

// An independent, obviously correct statement of the tree's definition (state_tree.h): the root
// of a set of leaves at a depth is zero when empty, the leaf hash for a single leaf, and
// otherwise the node hash of the subsets split on the depth's bit.
Hash256 reference_root(const std::vector<std::pair<Hash256, Hash256>>& leaves, uint32_t depth = 0) {
  if (leaves.empty()) return Hash256{};
  if (leaves.size() == 1) return state_leaf_hash(leaves[0].first, leaves[0].second);
  std::vector<std::pair<Hash256, Hash256>> side[2];
  for (const auto& leaf : leaves) side[bit_of(leaf.first, depth)].push_back(leaf);
  return sha256_node(0x01, reference_root(side[0], depth + 1), reference_root(side[1], depth + 1));
}

Hash256 reference_root_of(const std::map<Hash256, Hash256>& entries) {
  return reference_root(std::vector<std::pair<Hash256, Hash256>>(entries.begin(), entries.end()));
}

std::vector<Hash256> random_keys(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Hash256> keys(n);
  for (auto& k : keys)
    for (auto& b : k.bytes) b = static_cast<uint8_t>(rng());
  return keys;
}

TEST(StateTree, EmptyRootIsZero) {
  StateTree t;
  EXPECT_TRUE(t.root().is_zero());
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.prove(h("a")).has_value());
  t.erase(h("a"));
  EXPECT_TRUE(t.root().is_zero());
}

TEST(StateTree, SingleLeafRootIsTheLeafHash) {
  StateTree t;
  t.put(h("k"), h("v"));
  EXPECT_EQ(t.root(), state_leaf_hash(h("k"), h("v")));
  Hash256 k = h("k"), v = h("v");
  Bytes buf = {0x00};
  buf.insert(buf.end(), k.bytes.begin(), k.bytes.end());
  buf.insert(buf.end(), v.bytes.begin(), v.bytes.end());
  EXPECT_EQ(state_leaf_hash(h("k"), h("v")), sha256(buf));
  auto proof = t.prove(h("k"));
  ASSERT_TRUE(proof.has_value());
  EXPECT_TRUE(proof->siblings.empty());
}

TEST(StateTree, ShapeFollowsTheFirstDifferingBit) {
  // 0x00.. and 0x80.. split at the root.
  Hash256 a = key_with_first_byte(0x00), b = key_with_first_byte(0x80);
  StateTree t;
  t.put(b, h("vb"));
  t.put(a, h("va"));
  EXPECT_EQ(t.root(), sha256_node(0x01, state_leaf_hash(a, h("va")), state_leaf_hash(b, h("vb"))));
  // 0x00.. and 0x40.. share bit 0 and split at bit 1, so the root's right child is empty.
  Hash256 c = key_with_first_byte(0x40);
  StateTree u;
  u.put(a, h("va"));
  u.put(c, h("vc"));
  Hash256 inner = sha256_node(0x01, state_leaf_hash(a, h("va")), state_leaf_hash(c, h("vc")));
  EXPECT_EQ(u.root(), sha256_node(0x01, inner, Hash256{}));
  // Keys that differ only in the last bit sit at depth 256 below a chain of 255 nodes.
  Hash256 d = key_with_first_byte(0x00, 0x01);
  StateTree w;
  w.put(a, h("va"));
  w.put(d, h("vd"));
  EXPECT_EQ(w.root(), reference_root({{a, h("va")}, {d, h("vd")}}));
  auto proof = w.prove(d);
  ASSERT_TRUE(proof.has_value());
  EXPECT_EQ(proof->siblings.size(), 256u);
  EXPECT_TRUE(verify_merkle_proof(w.root(), d, h("vd"), *proof));
}

TEST(StateTree, RootMatchesTheReferenceAfterEveryInsert) {
  auto keys = random_keys(300, 1);
  StateTree t;
  std::map<Hash256, Hash256> model;
  for (size_t i = 0; i < keys.size(); ++i) {
    Hash256 v = h("value" + std::to_string(i));
    t.put(keys[i], v);
    model[keys[i]] = v;
    ASSERT_EQ(t.root(), reference_root_of(model)) << "after insert " << i;
    ASSERT_EQ(t.size(), model.size());
  }
}

TEST(StateTree, RootIsIndependentOfInsertionOrder) {
  auto keys = random_keys(500, 2);
  std::map<Hash256, Hash256> model;
  for (size_t i = 0; i < keys.size(); ++i) model[keys[i]] = h(keys[i].hex());
  Hash256 expected = reference_root_of(model);
  std::mt19937_64 rng(3);
  for (int round = 0; round < 8; ++round) {
    std::shuffle(keys.begin(), keys.end(), rng);
    StateTree t;
    // Computing the root part way through leaves clean nodes behind that later puts must
    // mark dirty again.
    for (size_t i = 0; i < keys.size(); ++i) {
      t.put(keys[i], h(keys[i].hex()));
      if (i % 97 == 0) t.root();
    }
    EXPECT_EQ(t.root(), expected) << "permutation " << round;
    EXPECT_EQ(t.size(), keys.size());
  }
}

TEST(StateTree, UpdatesAndRestoresChangeTheRootReversibly) {
  auto keys = random_keys(64, 4);
  StateTree t;
  for (const auto& k : keys) t.put(k, h(k.hex()));
  Hash256 original = t.root();
  for (const auto& k : keys) {
    t.put(k, h("changed"));
    Hash256 changed = t.root();
    EXPECT_NE(changed, original);
    t.put(k, h(k.hex()));
    EXPECT_EQ(t.root(), original);
  }
  // Putting an identical value is not a change.
  t.put(keys[0], h(keys[0].hex()));
  EXPECT_EQ(t.root(), original);
  EXPECT_EQ(t.size(), keys.size());
}

TEST(StateTree, EraseRestoresEarlierRootsAndEndsEmpty) {
  auto keys = random_keys(200, 5);
  StateTree t;
  std::vector<Hash256> roots = {t.root()};
  for (const auto& k : keys) {
    t.put(k, h(k.hex()));
    roots.push_back(t.root());
  }
  for (size_t i = keys.size(); i-- > 0;) {
    t.erase(keys[i]);
    ASSERT_EQ(t.root(), roots[i]) << "after erasing key " << i;
    ASSERT_EQ(t.size(), i);
  }
  EXPECT_TRUE(t.root().is_zero());
}

TEST(StateTree, EraseInRandomOrderMatchesTheReference) {
  auto keys = random_keys(200, 6);
  StateTree t;
  std::map<Hash256, Hash256> model;
  for (const auto& k : keys) {
    t.put(k, h(k.hex()));
    model[k] = h(k.hex());
  }
  std::mt19937_64 rng(7);
  std::shuffle(keys.begin(), keys.end(), rng);
  for (size_t i = 0; i < keys.size(); ++i) {
    t.erase(keys[i]);
    model.erase(keys[i]);
    if (i % 3 == 0) {
      ASSERT_EQ(t.root(), reference_root_of(model)) << "after erase " << i;
    }
  }
  EXPECT_TRUE(t.root().is_zero());
  EXPECT_EQ(t.size(), 0u);
  // The freed nodes are reused by later inserts.
  for (const auto& k : keys) t.put(k, h(k.hex()));
  for (const auto& k : keys) model[k] = h(k.hex());
  EXPECT_EQ(t.root(), reference_root_of(model));
}

TEST(StateTree, EraseOfAnAbsentKeyChangesNothing) {
  auto keys = random_keys(20, 8);
  StateTree t;
  for (const auto& k : keys) t.put(k, h(k.hex()));
  Hash256 before = t.root();
  t.erase(h("not there"));
  // An absent key that shares a long prefix with a present one reaches that leaf and stops.
  Hash256 near = keys[0];
  near.bytes[31] ^= 1;
  t.erase(near);
  EXPECT_EQ(t.root(), before);
  EXPECT_EQ(t.size(), keys.size());
}

TEST(StateTree, RandomPutsAndErasesMatchTheReference) {
  std::mt19937_64 rng(9);
  auto pool = random_keys(120, 10);
  // Keys with long shared prefixes make deep chains of internal nodes.
  for (int i = 0; i < 40; ++i) {
    Hash256 k = pool[0];
    k.bytes[31 - (i % 4)] ^= static_cast<uint8_t>(1 + i);
    pool.push_back(k);
  }
  StateTree t;
  std::map<Hash256, Hash256> model;
  for (int step = 0; step < 3000; ++step) {
    const Hash256& k = pool[rng() % pool.size()];
    if (rng() % 3 == 0) {
      t.erase(k);
      model.erase(k);
    } else {
      Hash256 v = h(std::to_string(rng() % 5));
      t.put(k, v);
      model[k] = v;
    }
    if (step % 7 == 0) {
      ASSERT_EQ(t.root(), reference_root_of(model)) << "step " << step;
    }
  }
  EXPECT_EQ(t.root(), reference_root_of(model));
  EXPECT_EQ(t.size(), model.size());
}

// put_sorted must build exactly the tree single puts build, from any starting tree: splits of
// leaves the batch lands on, deep shared prefixes, replaced values, and paths left dirty by
// erases between batches. Small batches against a few hundred keys reach every case often;
// thousands of batches also cross the compaction threshold several times.
TEST(StateTree, SortedBatchesMatchTheReference) {
  std::mt19937_64 rng(21);
  auto pool = random_keys(300, 22);
  for (int i = 0; i < 60; ++i) {
    Hash256 k = pool[i % 3];
    k.bytes[31 - (i % 5)] ^= static_cast<uint8_t>(1 + i);
    pool.push_back(k);
  }
  StateTree t;
  std::map<Hash256, Hash256> model;
  for (int step = 0; step < 2000; ++step) {
    for (int e = static_cast<int>(rng() % 4); e > 0; --e) {
      const Hash256& k = pool[rng() % pool.size()];
      t.erase(k);
      model.erase(k);
    }
    std::map<Hash256, Hash256> batch;
    for (int n = static_cast<int>(1 + rng() % 40); n > 0; --n)
      batch[pool[rng() % pool.size()]] = h(std::to_string(rng() % 7));
    const std::vector<std::pair<Hash256, Hash256>> sorted(batch.begin(), batch.end());
    t.put_sorted(sorted);
    for (const auto& [k, v] : sorted) model[k] = v;
    ASSERT_EQ(t.root(), reference_root_of(model)) << "step " << step;
    ASSERT_EQ(t.size(), model.size());
  }
  for (const auto& [k, v] : model) {
    const auto proof = t.prove(k);
    ASSERT_TRUE(proof.has_value());
    EXPECT_TRUE(verify_merkle_proof(t.root(), k, v, *proof));
  }
}

TEST(StateTree, SortedBatchOnAnEmptyTreeAndAnEmptyBatch) {
  StateTree t;
  t.put_sorted({});
  EXPECT_EQ(t.root(), Hash256{});
  const std::vector<std::pair<Hash256, Hash256>> one{{key_with_first_byte(0x80), h("v")}};
  t.put_sorted(one);
  EXPECT_EQ(t.root(), state_leaf_hash(one[0].first, one[0].second));
  t.put_sorted({});
  EXPECT_EQ(t.root(), state_leaf_hash(one[0].first, one[0].second));
  EXPECT_EQ(t.size(), 1u);
}

TEST(StateTree, CompactKeepsTheRootProofsAndLaterUpdates) {
  StateTree t;
  std::map<Hash256, Hash256> model;
  const auto keys = random_keys(500, 31);
  for (size_t i = 0; i < keys.size(); ++i) {
    t.put(keys[i], h(std::to_string(i)));
    model[keys[i]] = h(std::to_string(i));
  }
  for (size_t i = 0; i < keys.size(); i += 3) {
    t.erase(keys[i]);
    model.erase(keys[i]);
  }
  // Compacted with dirty paths pending: the hashes still owed must survive the copy.
  t.put(keys[1], h("changed"));
  model[keys[1]] = h("changed");
  t.compact();
  EXPECT_EQ(t.root(), reference_root_of(model));
  EXPECT_EQ(t.size(), model.size());
  for (const auto& [k, v] : model) {
    const auto proof = t.prove(k);
    ASSERT_TRUE(proof.has_value());
    EXPECT_TRUE(verify_merkle_proof(t.root(), k, v, *proof));
  }
  for (size_t i = 0; i < keys.size(); i += 3) {
    t.put(keys[i], h("back"));
    model[keys[i]] = h("back");
  }
  t.erase(keys[2]);
  model.erase(keys[2]);
  EXPECT_EQ(t.root(), reference_root_of(model));
}

TEST(StateTreeDeathTest, SortedBatchRefusesKeysOutOfOrder) {
  StateTree t;
  const std::vector<std::pair<Hash256, Hash256>> unsorted{{key_with_first_byte(2), h("a")},
                                                          {key_with_first_byte(1), h("b")}};
  EXPECT_DEATH(t.put_sorted(unsorted), "ascending");
}

TEST(StateTree, ProofsVerifyForEveryKeyAndFailWhenTampered) {
  auto keys = random_keys(150, 11);
  StateTree t;
  for (const auto& k : keys) t.put(k, h(k.hex()));
  Hash256 root = t.root();
  for (const auto& k : keys) {
    auto proof = t.prove(k);
    ASSERT_TRUE(proof.has_value());
    EXPECT_TRUE(verify_merkle_proof(root, k, h(k.hex()), *proof));
    // Another value, another key, another root.
    EXPECT_FALSE(verify_merkle_proof(root, k, h("forged"), *proof));
    Hash256 other_key = k;
    other_key.bytes[0] ^= 0x80;
    EXPECT_FALSE(verify_merkle_proof(root, other_key, h(k.hex()), *proof));
    Hash256 other_root = root;
    other_root.bytes[5] ^= 1;
    EXPECT_FALSE(verify_merkle_proof(other_root, k, h(k.hex()), *proof));
    // Every sibling matters.
    for (size_t d = 0; d < proof->siblings.size(); ++d) {
      MerkleProof bad = *proof;
      bad.siblings[d].bytes[d % 32] ^= 0x01;
      EXPECT_FALSE(verify_merkle_proof(root, k, h(k.hex()), bad)) << "sibling " << d;
    }
    // A proof with a sibling removed or added puts the leaf at another depth.
    if (!proof->siblings.empty()) {
      MerkleProof shorter = *proof;
      shorter.siblings.pop_back();
      EXPECT_FALSE(verify_merkle_proof(root, k, h(k.hex()), shorter));
    }
    MerkleProof longer = *proof;
    longer.siblings.push_back(Hash256{});
    EXPECT_FALSE(verify_merkle_proof(root, k, h(k.hex()), longer));
  }
  EXPECT_FALSE(t.prove(h("absent")).has_value());
}

TEST(StateTree, ProofsFollowUpdates) {
  auto keys = random_keys(30, 12);
  StateTree t;
  for (const auto& k : keys) t.put(k, h(k.hex()));
  Hash256 old_root = t.root();
  auto old_proof = t.prove(keys[3]);
  ASSERT_TRUE(old_proof.has_value());
  t.put(keys[3], h("new"));
  // prove() rehashes first, so the new proof matches the new root and value.
  auto proof = t.prove(keys[3]);
  ASSERT_TRUE(proof.has_value());
  EXPECT_TRUE(verify_merkle_proof(t.root(), keys[3], h("new"), *proof));
  EXPECT_FALSE(verify_merkle_proof(t.root(), keys[3], h(keys[3].hex()), *old_proof));
  EXPECT_TRUE(verify_merkle_proof(old_root, keys[3], h(keys[3].hex()), *old_proof));
  t.erase(keys[3]);
  EXPECT_FALSE(t.prove(keys[3]).has_value());
}

TEST(StateTree, VerifyRejectsProofsDeeperThanTheKey) {
  MerkleProof proof;
  proof.siblings.resize(257);
  EXPECT_FALSE(verify_merkle_proof(Hash256{}, Hash256{}, Hash256{}, proof));
}

}  // namespace
}  // namespace corridor::ledger
