#include "ledger/state_tree.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"

namespace corridor::ledger {

namespace {
const Hash256 zero_hash{};
}  // namespace

Hash256 state_leaf_hash(const Hash256& key, const Hash256& value_hash) {
  return sha256_node(0x00, key, value_hash);
}

bool verify_merkle_proof(const Hash256& root, const Hash256& key, const Hash256& value_hash,
                         const MerkleProof& proof) {
  if (proof.siblings.size() > 256) return false;
  Hash256 cur = state_leaf_hash(key, value_hash);
  for (size_t d = proof.siblings.size(); d-- > 0;) {
    int b = (key.bytes[d >> 3] >> (7 - (d & 7))) & 1;
    cur = b == 0 ? sha256_node(0x01, cur, proof.siblings[d])
                 : sha256_node(0x01, proof.siblings[d], cur);
  }
  return cur == root;
}

StateTree::StateTree() = default;

StateTree::Ref StateTree::new_leaf(const Hash256& key, const Hash256& value_hash) {
  uint32_t i;
  if (!free_leaves_.empty()) {
    i = free_leaves_.back();
    free_leaves_.pop_back();
  } else {
    i = static_cast<uint32_t>(leaves_.size());
    leaves_.emplace_back();
  }
  ++node_changes_;
  Leaf& l = leaves_[i];
  l.key = key;
  l.value_hash = value_hash;
  l.dirty = true;
  return leaf_ref(i);
}

StateTree::Ref StateTree::new_internal() {
  uint32_t i;
  if (!free_internals_.empty()) {
    i = free_internals_.back();
    free_internals_.pop_back();
  } else {
    i = static_cast<uint32_t>(internals_.size());
    internals_.emplace_back();
  }
  ++node_changes_;
  internals_[i] = Internal{};
  return internal_ref(i);
}

void StateTree::free_leaf(Ref r) {
  ++node_changes_;
  free_leaves_.push_back(leaf_index(r));
}
void StateTree::free_internal(Ref r) {
  ++node_changes_;
  free_internals_.push_back(internal_index(r));
}

void StateTree::put(const Hash256& key, const Hash256& value_hash) {
  Ref* slot = &root_;
  // The slot is also named by its parent's index and side, because new_internal() may
  // reallocate internals_ and leave a pointer into it dangling.
  uint32_t parent = 0;
  bool has_parent = false;
  int side = 0;
  uint32_t depth = 0;
  // Walk down, marking every internal node on the path dirty.
  while (*slot != 0 && !is_leaf(*slot)) {
    parent = internal_index(*slot);
    has_parent = true;
    Internal& n = internals_[parent];
    n.dirty = true;
    side = bit(key, depth);
    slot = &n.child[side];
    ++depth;
  }
  if (*slot == 0) {
    *slot = new_leaf(key, value_hash);
    ++leaf_count_;
    return;
  }
  Leaf& existing = leaves_[leaf_index(*slot)];
  if (existing.key == key) {
    if (existing.value_hash != value_hash) {
      existing.value_hash = value_hash;
      existing.dirty = true;
    }
    return;
  }
  // Split: add internal nodes for each bit the two keys share from here, then place both
  // leaves under the node at the first differing bit.
  Ref old_leaf = *slot;
  Hash256 old_key = existing.key;
  Ref leaf = new_leaf(key, value_hash);
  ++leaf_count_;
  while (true) {
    CORRIDOR_ASSERT_MSG(depth < 256, "two distinct keys cannot share all 256 bits");
    Ref node = new_internal();
    (has_parent ? internals_[parent].child[side] : root_) = node;
    Internal& n = internals_[internal_index(node)];
    int b_new = bit(key, depth);
    int b_old = bit(old_key, depth);
    if (b_new != b_old) {
      n.child[b_new] = leaf;
      n.child[b_old] = old_leaf;
      return;
    }
    parent = internal_index(node);
    has_parent = true;
    side = b_new;
    ++depth;
  }
}

void StateTree::put_sorted(LeafSpan leaves) {
  if (leaves.empty()) return;
  for (size_t i = 1; i < leaves.size(); ++i)
    CORRIDOR_ASSERT_MSG(tree_key_less(leaves[i - 1].first, leaves[i].first),
                        "put_sorted takes keys in strictly ascending order");
  root_ = put_range(root_, 0, leaves);
  // Nodes are appended or reused from the free lists in the order keys arrive, so after many
  // inserts and erases a pass over the tree jumps about memory. Laid out depth-first again, the
  // next blocks' passes read it in order: BM_StateTreeDenseUpdate, 8,000 of 20,000 leaves per
  // block, is 10% faster (docs/benchmarks.md). A copy costs about one pass over the whole tree,
  // and comes after at least half the leaves' worth of changed nodes.
  if (node_changes_ >= std::max<uint64_t>(leaf_count_ / 2, compact_node_changes_min)) compact();
}

StateTree::Ref StateTree::put_range(Ref node, uint32_t depth, LeafSpan leaves) {
  // Every key of `leaves` shares the path to this subtree, so its first `depth` bits agree.
  if (node == 0 && leaves.size() == 1) {
    ++leaf_count_;
    node = new_leaf(leaves[0].first, leaves[0].second);
    hash_of(node);
    return node;
  }
  if (node != 0 && is_leaf(node)) {
    Leaf& existing = leaves_[leaf_index(node)];
    if (leaves.size() == 1 && existing.key == leaves[0].first) {
      if (existing.value_hash != leaves[0].second) {
        existing.value_hash = leaves[0].second;
        existing.dirty = true;
      }
      hash_of(node);
      return node;
    }
    // The subtree now holds more than one key (the leaf's and at least one other), so it
    // becomes an internal node with the leaf on its side; the batch then descends into it like
    // any other internal node, replacing the leaf if the batch holds its key.
    const int side = bit(existing.key, depth);
    CORRIDOR_ASSERT_MSG(depth < 256, "two distinct keys cannot share all 256 bits");
    const Ref split = new_internal();
    internals_[internal_index(split)].child[side] = node;
    node = split;
  } else if (node == 0) {
    CORRIDOR_ASSERT_MSG(depth < 256, "two distinct keys cannot share all 256 bits");
    node = new_internal();
  }
  // An internal node: the keys with bit `depth` clear go left, the rest right. Indices, not
  // references, across the recursion, because new_internal() may reallocate internals_.
  const uint32_t i = internal_index(node);
  const auto right_begin = std::partition_point(
      leaves.begin(), leaves.end(), [&](const auto& leaf) { return bit(leaf.first, depth) == 0; });
  const auto left_count = static_cast<size_t>(right_begin - leaves.begin());
  if (left_count > 0) {
    const Ref child = put_range(internals_[i].child[0], depth + 1, leaves.first(left_count));
    internals_[i].child[0] = child;
  }
  if (left_count < leaves.size()) {
    const Ref child = put_range(internals_[i].child[1], depth + 1, leaves.subspan(left_count));
    internals_[i].child[1] = child;
  }
  internals_[i].dirty = true;
  hash_of(node);
  return node;
}

void StateTree::erase(const Hash256& key) {
  // Record the path so the tree can be collapsed bottom-up after the leaf is removed.
  Ref* path[257];
  uint32_t depth = 0;
  Ref* slot = &root_;
  while (*slot != 0 && !is_leaf(*slot)) {
    path[depth] = slot;
    slot = &internals_[internal_index(*slot)].child[bit(key, depth)];
    ++depth;
  }
  if (*slot == 0 || leaves_[leaf_index(*slot)].key != key) return;
  free_leaf(*slot);
  *slot = 0;
  --leaf_count_;
  // Walk up: an internal node left with one empty child and one leaf child is replaced by
  // that leaf, keeping the single-leaf-subtree rule; otherwise it just becomes dirty.
  while (depth > 0) {
    --depth;
    Ref* node_slot = path[depth];
    Internal& n = internals_[internal_index(*node_slot)];
    n.dirty = true;
    Ref a = n.child[0], b = n.child[1];
    Ref only = a == 0 ? b : (b == 0 ? a : 0);
    if (only != 0 && is_leaf(only)) {
      free_internal(*node_slot);
      *node_slot = only;
      continue;
    }
    if (a == 0 && b == 0) {
      free_internal(*node_slot);
      *node_slot = 0;
      continue;
    }
    // This node keeps two subtrees or one internal child: mark the rest of the path dirty.
    for (uint32_t d = 0; d < depth; ++d) internals_[internal_index(*path[d])].dirty = true;
    break;
  }
}

const Hash256& StateTree::hash_of(Ref r) {
  if (r == 0) return zero_hash;
  if (is_leaf(r)) {
    Leaf& l = leaves_[leaf_index(r)];
    if (l.dirty) {
      l.hash = state_leaf_hash(l.key, l.value_hash);
      l.dirty = false;
    }
    return l.hash;
  }
  uint32_t i = internal_index(r);
  if (internals_[i].dirty) {
    // Children are hashed first; the vector is not resized during hashing, so the reference
    // to this node stays valid.
    const Hash256& left = hash_of(internals_[i].child[0]);
    const Hash256& right = hash_of(internals_[i].child[1]);
    internals_[i].hash = sha256_node(0x01, left, right);
    internals_[i].dirty = false;
  }
  return internals_[i].hash;
}

void StateTree::compact() {
  std::vector<Internal> internals;
  std::vector<Leaf> leaves;
  internals.reserve(internals_.size() - free_internals_.size());
  leaves.reserve(leaves_.size() - free_leaves_.size());
  root_ = copy_subtree(root_, internals, leaves);
  internals_ = std::move(internals);
  leaves_ = std::move(leaves);
  free_internals_.clear();
  free_leaves_.clear();
  node_changes_ = 0;
}

StateTree::Ref StateTree::copy_subtree(Ref r, std::vector<Internal>& internals,
                                       std::vector<Leaf>& leaves) const {
  if (r == 0) return 0;
  if (is_leaf(r)) {
    leaves.push_back(leaves_[leaf_index(r)]);
    return leaf_ref(static_cast<uint32_t>(leaves.size() - 1));
  }
  const uint32_t i = static_cast<uint32_t>(internals.size());
  internals.push_back(internals_[internal_index(r)]);
  const Ref left = copy_subtree(internals_[internal_index(r)].child[0], internals, leaves);
  const Ref right = copy_subtree(internals_[internal_index(r)].child[1], internals, leaves);
  internals[i].child[0] = left;
  internals[i].child[1] = right;
  return internal_ref(i);
}

Hash256 StateTree::root() {
  return hash_of(root_);
}

std::optional<MerkleProof> StateTree::prove(const Hash256& key) {
  root();
  MerkleProof proof;
  Ref r = root_;
  uint32_t depth = 0;
  while (r != 0 && !is_leaf(r)) {
    const Internal& n = internals_[internal_index(r)];
    int b = bit(key, depth);
    proof.siblings.push_back(hash_of(n.child[1 - b]));
    r = n.child[b];
    ++depth;
  }
  if (r == 0 || leaves_[leaf_index(r)].key != key) return std::nullopt;
  return proof;
}

}  // namespace corridor::ledger
