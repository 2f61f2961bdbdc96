#include "consensus/store_layout.h"

#include <algorithm>

namespace corridor::consensus {

// Keys and values are built into vectors sized up front: GCC 12 at -O2 reports (falsely, GCC
// bug 107852) that appending to a small fresh vector overflows it.
namespace {

Bytes prefixed_be64(uint8_t prefix, uint64_t v) {
  Bytes k(1 + sizeof(uint64_t));
  k[0] = prefix;
  for (size_t i = 0; i < sizeof(uint64_t); ++i)
    k[1 + i] = static_cast<uint8_t>(v >> (8 * (sizeof(uint64_t) - 1 - i)));
  return k;
}

}  // namespace

Bytes block_height_key(uint64_t height) {
  return prefixed_be64(store_key_block, height);
}

Bytes elided_block_height_key(uint64_t height) {
  return prefixed_be64(store_key_block_elided, height);
}

Result<Block> read_elided_block(ByteView value, Bytes payload) {
  if (value.size() < Hash256::size()) return corruption("a payload-less block record is truncated");
  const Hash256 id = Hash256::from_view(value.first(Hash256::size()));
  CORRIDOR_ASSIGN_OR_RETURN(Message m, decode_message(value.subspan(Hash256::size())));
  auto* response = std::get_if<BlockResponse>(&m);
  if (!response || response->blocks.size() != 1 || !response->blocks.front().payload.empty())
    return corruption("a payload-less block record is malformed");
  Block block = std::move(response->blocks.front());
  block.payload = std::move(payload);
  if (block.compute_id() != id)
    return corruption("the payload rebuilt for the committed block at height " +
                      std::to_string(block.height) + " does not give its id");
  return block;
}

Bytes block_id_key(const Hash256& id) {
  return prefixed(store_key_block_id, id.view());
}

Bytes epoch_proof_key(Epoch epoch) {
  return prefixed_be64(store_key_epoch_proof, epoch);
}

Bytes epoch_start_value(uint64_t height, const Hash256& id) {
  // u64 little-endian height, then the id (as Writer would write them).
  Bytes v(sizeof(uint64_t) + Hash256::size());
  for (size_t i = 0; i < sizeof(uint64_t); ++i) v[i] = static_cast<uint8_t>(height >> (8 * i));
  std::copy(id.bytes.begin(), id.bytes.end(), v.begin() + sizeof(uint64_t));
  return v;
}

Result<std::pair<uint64_t, Hash256>> decode_epoch_start(ByteView value) {
  Reader r(value);
  std::pair<uint64_t, Hash256> out;
  r.u64(out.first) && r.fixed(out.second);
  CORRIDOR_RETURN_IF_ERROR(r.finish("epoch start"));
  return out;
}

EpochProof make_epoch_proof(const CommitAction& commit, size_t end) {
  CORRIDOR_ASSERT(end < commit.blocks.size());
  std::vector<const Block*> chain;
  for (size_t i = end; i < commit.blocks.size(); ++i) chain.push_back(&commit.blocks[i]);
  chain.push_back(&commit.certified_child);
  size_t j = 1;
  while (chain[j]->round != chain[j - 1]->round + 1) ++j;
  EpochProof proof;
  proof.qc = j + 1 < chain.size() ? chain[j + 1]->qc : commit.child_qc;
  for (size_t k = j + 1; k-- > 0;) proof.blocks.push_back(*chain[k]);
  return proof;
}

}  // namespace corridor::consensus
