#include "consensus/store_layout.h"

namespace corridor::consensus {

Bytes block_height_key(uint64_t height) {
  Bytes k{store_key_block};
  put_be64(k, height);
  return k;
}

Bytes block_id_key(const Hash256& id) {
  Bytes k{store_key_block_id};
  k.insert(k.end(), id.bytes.begin(), id.bytes.end());
  return k;
}

Bytes epoch_proof_key(Epoch epoch) {
  Bytes k{store_key_epoch_proof};
  put_be64(k, epoch);
  return k;
}

Bytes epoch_start_value(uint64_t height, const Hash256& id) {
  Bytes v;
  Writer w(v);
  w.u64(height);
  w.fixed(id);
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
