// The node's durable record, on the KvStore seam: the genesis record, every block with its
// results, an index from transaction id to its place in a block, the ledger state and the live
// replay ids. One block is committed with one synced write batch, so after a crash the store
// holds exactly the blocks that were reported final, and a state that matches the last one.
//
// Key layout (docs/protocol.md, "Storage layout"):
//   'G'                          genesis: network name and id
//   'H'                          head: height, block hash, state root
//   'B' be64(height)             block bytes (header, then length-prefixed envelopes)
//   'O' be64(height)             block result (state root, outcomes)
//   'T' tx_id                    height u64, index u32, offset u32, length u32, block_time_ms u64
//   'S' entry_key                ledger entry value, as of the checkpoint
//   'R' be64(valid_until) tx_id  live replay id (empty value), as of the checkpoint
//   'K'                          checkpoint: the height, block hash and state root that 'S'
//                                and 'R' hold; blocks above it are replayed on open
//
// The state is written every few blocks (a checkpoint), not with every block: each block is
// durable with its results before clients hear of it, and a node that restarts loads the
// checkpoint and re-executes the blocks after it, checking each one's stored state root.
#pragma once

#include <atomic>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/hash.h"
#include "base/status.h"
#include "ledger/block.h"
#include "ledger/ledger.h"
#include "ledger/state_store.h"
#include "storage/kv_store.h"

namespace corridor::node {

struct ChainHead {
  uint64_t height = 0;
  Hash256 block_hash;
  Hash256 state_root;
};

struct TxLocation {
  uint64_t height = 0;
  uint32_t index = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
};

// What a client learns of a final transaction without its envelope: where it is and how it
// ended, read without the block that holds it (a block at the peak is tens of megabytes).
struct TxFinality {
  TxLocation location;
  ledger::TxOutcome outcome;
  uint64_t block_time_ms = 0;
};

// A transaction as recorded in a committed block.
struct TxRecord {
  TxLocation location;
  Bytes envelope;
  ledger::TxOutcome outcome;
  uint64_t block_time_ms = 0;
};

Hash256 network_id_for_name(const std::string& network_name);
// The network id of a network that recomputes its state root every `state_root_interval_blocks`
// blocks (ledger.h): the name's id for an interval of 1, and otherwise one that commits to the
// interval too, so that nodes disagreeing on it refuse each other's transactions and peers.
Hash256 network_id_for(const std::string& network_name, uint64_t state_root_interval_blocks);

class ChainStore {
 public:
  explicit ChainStore(storage::KvStore& kv) : kv_(kv) {}

  // Whether the records of the block at `height` may be read: false from the moment this
  // store starts writing it until the write returns, and for every height above. The store may
  // show part of a batch in flight (storage::KvStore::write), so the readers of blocks, results
  // and the transaction index on other threads (the API, the orderer's loop) see a block whole
  // or not at all, and never before it is durable. Blocks only ever commit in ascending order,
  // one writer at a time. Before this store's first write, every height is readable: nothing
  // of ours is in flight.
  [[nodiscard]] bool readable(uint64_t height) const {
    return height < unreadable_from_.load(std::memory_order_acquire);
  }

  // The first key bytes of the records written once per block in height order (blocks and
  // their results): a store may keep them apart from the rest (storage::RocksDbOptions).
  static std::vector<uint8_t> height_ordered_prefixes();

  // Writes the genesis record on first use; afterwards checks that the store belongs to
  // this network, so a node never mixes two networks' data.
  [[nodiscard]] Status init_genesis(const std::string& network_name);

  [[nodiscard]] Result<ChainHead> head() const;

  // Persists a block with its results in one synced batch. With `state` (the changes since the
  // last checkpoint, this block's included) the batch also writes them and makes this block the
  // checkpoint. `envelopes[i]` is the canonical encoding of block.txs[i].
  // `extra`, when set, adds the orderer's records to the same batch.
  [[nodiscard]] Status commit(const ledger::Block& block, const std::vector<Bytes>& envelopes,
                              const ledger::BlockResult& result,
                              const ledger::StateDeltaAccumulator* state,
                              const std::function<void(storage::WriteBatch&)>& extra = nullptr);
  // Writes `state` and makes `at` (the head) the checkpoint, synced: a clean stop leaves
  // nothing to replay.
  [[nodiscard]] Status write_checkpoint(const ledger::StateDeltaAccumulator& state,
                                        const ChainHead& at);
  // The checkpoint; a store written before checkpoints existed has the state at its head.
  [[nodiscard]] Result<ChainHead> checkpoint() const;
  [[nodiscard]] Result<bool> has_checkpoint() const;

  // State sync: replaces every ledger entry and replay id with `entries` (sorted store keys
  // with their values, as ledger/state_store.h lays them out), records the checkpoint's block
  // and result, and makes it the head and the state checkpoint ('K'), all in one synced batch
  // with `extra`.
  [[nodiscard]] Status install_state(const ChainHead& head, ByteView block_bytes,
                                     ByteView result_bytes,
                                     const std::vector<std::pair<Bytes, Bytes>>& entries,
                                     const std::function<void(storage::WriteBatch&)>& extra);

  // These answer nullopt for a block that is not readable() yet, as for one never written.
  [[nodiscard]] Result<std::optional<Bytes>> block_bytes(uint64_t height) const;
  [[nodiscard]] Result<std::optional<ledger::BlockResult>> block_result(uint64_t height) const;
  [[nodiscard]] Result<std::optional<TxLocation>> tx_location(const Hash256& id) const;
  [[nodiscard]] Result<std::optional<TxFinality>> tx_finality(const Hash256& id) const;
  [[nodiscard]] Result<std::optional<TxRecord>> tx_record(const Hash256& id) const;

  // Loads the ledger state and replay ids as of the checkpoint, checks the state root against
  // it, and returns the checkpoint (the caller replays the blocks above it).
  [[nodiscard]] Result<ChainHead> load_ledger(ledger::Ledger& ledger) const;

 private:
  // A transaction's index entry: its location, and its block's time when the entry records it
  // (entries written before it did hold only the location).
  struct TxEntry {
    TxLocation location;
    std::optional<uint64_t> block_time_ms;
  };
  [[nodiscard]] Result<std::optional<TxEntry>> tx_entry(const Hash256& id) const;
  // The time in the header of the block at `height`, read from the whole block.
  [[nodiscard]] Result<uint64_t> block_time_from_header(uint64_t height) const;

  // Writes a batch that records the block at `height`, keeping it unreadable until it returns.
  [[nodiscard]] Status write_block_batch(uint64_t height, const storage::WriteBatch& batch);

  storage::KvStore& kv_;
  // The lowest height not readable(); the maximum while no block write of this store has begun.
  std::atomic<uint64_t> unreadable_from_{std::numeric_limits<uint64_t>::max()};
};

}  // namespace corridor::node
