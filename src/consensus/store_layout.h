// How a consensus host keeps its durable state in a key-value store: one layout shared by the
// node (BftOrderer) and the simulator's nodes, so that both restart from the same records and
// a fix to one is a fix to both. Keys are one prefix byte, then the rest:
//   'F'                 safety data (encode_safety_data), in the simulator and in nodes over a
//                       store passed in; a node over RocksDB keeps it in a file cell of its
//                       own instead (node.h, safety_cell), and moves an old 'F' there
//   'Q'                 the QC certifying the head block (or the epoch's genesis QC)
//   'C' be64(height)    committed block, as encode_message(BlockResponse{{block}})
//   'D' be64(height)    or, instead of 'C', the committed block without its payload: the block
//                       id, then encode_message(BlockResponse{{block}}) with an empty payload;
//                       for hosts that keep the payload's bytes in a record of their own (the
//                       node's ledger block) and rebuild it, checked against the id, on reading
//   'I' block id        be64(height) of that committed block
//   'E'                 the current epoch's first block: u64 height, block id
//   'P' be64(epoch)     how that epoch ended, as encode_message(EpochProof)
// Hosts may add their own prefixes; these seven are taken. The consensus layer does no I/O: the
// functions below build keys and values, and put_committed_block is a template over any batch
// with put().
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>

#include "base/bytes.h"
#include "base/encoding.h"
#include "base/hash.h"
#include "base/status.h"
#include "consensus/core.h"
#include "consensus/types.h"

namespace corridor::consensus {

inline constexpr uint8_t store_key_safety = 'F';
inline constexpr uint8_t store_key_head_qc = 'Q';
inline constexpr uint8_t store_key_block = 'C';
inline constexpr uint8_t store_key_block_elided = 'D';
inline constexpr uint8_t store_key_block_id = 'I';
inline constexpr uint8_t store_key_epoch_start = 'E';
inline constexpr uint8_t store_key_epoch_proof = 'P';

Bytes block_height_key(uint64_t height);
Bytes elided_block_height_key(uint64_t height);
Bytes block_id_key(const Hash256& id);
Bytes epoch_proof_key(Epoch epoch);
Bytes epoch_start_value(uint64_t height, const Hash256& id);
// The (height, id) of an epoch start record.
Result<std::pair<uint64_t, Hash256>> decode_epoch_start(ByteView value);

// Records a committed block under its height and its id.
template <typename Batch>
void put_committed_block(Batch& batch, const Block& block, const Hash256& id) {
  batch.put(block_height_key(block.height), encode_message(BlockResponse{{block}}));
  Bytes height;
  put_be64(height, block.height);
  batch.put(block_id_key(id), height);
}

// Records a committed block under its height and its id, leaving its payload out: the host
// keeps the payload's bytes elsewhere and gives them back to read_elided_block.
template <typename Batch>
void put_committed_block_elided(Batch& batch, const Block& block, const Hash256& id) {
  Block header_only = block;
  header_only.payload.clear();
  const Bytes message = encode_message(BlockResponse{{header_only}});
  // Sized, then filled (GCC bug 107852, see base::prefixed).
  Bytes value(Hash256::size() + message.size());
  std::copy(id.view().begin(), id.view().end(), value.begin());
  std::copy(message.begin(), message.end(), value.begin() + Hash256::size());
  batch.put(elided_block_height_key(block.height), value);
  Bytes height;
  put_be64(height, block.height);
  batch.put(block_id_key(id), height);
}

// The block of a 'D' record with `payload` put back; corruption unless the result has the
// recorded id (the payload is not the one the block was committed with, or the record is
// damaged).
[[nodiscard]] Result<Block> read_elided_block(ByteView value, Bytes payload);

// The shortest proof, within one commit, that block `end` of it (the epoch's last) is
// committed: walk up from it to the first block whose child has the very next round, and take
// that child with its certificate. The commit's own evidence (its last block's certified child)
// always qualifies, so a proof exists.
EpochProof make_epoch_proof(const CommitAction& commit, size_t end);

}  // namespace corridor::consensus
