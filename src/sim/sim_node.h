// One simulated validator: the real consensus::Core, the real ledger, and a MemKvStore as its
// disk. The node is the Core's Adaptor (payloads from its mempool, committed blocks from its
// disk) and carries out what the simulator cannot see from outside: persisting safety data,
// executing and storing committed blocks, and rebuilding itself from disk after a crash.
//
// Disk layout: the consensus records of consensus/store_layout.h ('F', 'Q', 'C', 'I', 'E', 'P',
// shared with the node), and
//   'H'                head: height u64, block id, state root
//   'S' entry key      ledger entry value
//   'R' be64(valid_until) tx id    live replay id (empty value)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/hash.h"
#include "base/keys.h"
#include "base/status.h"
#include "consensus/core.h"
#include "consensus/types.h"
#include "ledger/block.h"
#include "ledger/ledger.h"
#include "ledger/payload.h"
#include "ledger/transaction.h"
#include "storage/mem_kv_store.h"

namespace corridor::sim {

// Transactions a proposer puts in one block.
inline constexpr size_t payload_txs_max = 64;
// Pending transactions a node keeps; later submissions are refused.
inline constexpr size_t mempool_txs_max = 10'000;
// A proposer does not offer a transaction again in the next blocks after proposing it, since
// they extend the block that carries it; after this many heights it assumes it was lost.
inline constexpr uint64_t repropose_after_heights = 4;

// The block payload (ledger/payload.h), shared with the node.
using ledger::decode_payload;
using ledger::encode_payload;

// The QC codec of the disk (consensus/types.h).
using consensus::decode_qc;
using consensus::encode_qc;

// What every node of one network shares.
struct NodeContext {
  consensus::ValidatorSet validators;
  consensus::CoreConfig core_config;
  Hash256 network_id;
  consensus::Block genesis;
  Hash256 genesis_id;
  // The state after ledger block 0 (the workload's setup), written to every fresh disk.
  ledger::StateDelta genesis_delta;
  Hash256 genesis_state_root;
};

// One committed block as this node executed it, for the simulator's invariant checks.
struct ExecutedCommit {
  uint64_t height = 0;
  Hash256 id;
  Hash256 state_root;
  std::vector<ledger::Transaction> txs;
  std::vector<ledger::TxOutcome> outcomes;
  bool payload_malformed = false;
  // The block changed the validator set: it is the last of its epoch, the blocks committed
  // after it in the old epoch are void, and the node must switch (SimNode::switch_epoch).
  bool epoch_ended = false;
};

class SimNode final : public consensus::Adaptor {
 public:
  SimNode(const NodeContext& context, consensus::ValidatorIndex index, const KeyPair& key);
  SimNode(const SimNode&) = delete;
  SimNode& operator=(const SimNode&) = delete;

  // Loads everything from disk (initialising a fresh disk with genesis), builds the Core and
  // returns its start actions.
  Result<std::vector<consensus::Action>> boot(uint64_t now_ms);
  // Power loss: the Core, ledger and mempool are gone; the disk keeps what MemKvStore::crash
  // lets survive.
  void crash(uint64_t seed);
  // The disk is replaced by an empty one; the next boot starts from genesis.
  void wipe();
  bool running() const { return core_ != nullptr; }

  // Durable before returning, as PersistSafetyAction requires.
  [[nodiscard]] Status persist_safety(const consensus::SafetyData& data);
  // Executes block i of a commit on the ledger and stores it, the QC certifying it and the
  // ledger's changes in one synced batch; when it ends the epoch, the same batch records the
  // new epoch's start and the proof of the old one's end. Fails when the block does not
  // extend this node's last committed one.
  Result<ExecutedCommit> commit(const consensus::CommitAction& action, size_t i);
  // After a commit that ended the epoch: replaces the Core with one for the new validator set
  // (an observer's if none of this node's keys is in it) and returns its start actions.
  std::vector<consensus::Action> switch_epoch(uint64_t now_ms);
  std::optional<consensus::EpochProof> load_epoch_proof(consensus::Epoch epoch) const;
  // Another key this node holds (a rotated validator key); the active key is the first held
  // key in the current validator set.
  void add_key(const KeyPair& key) { keys_.push_back(key); }
  bool holds(const PublicKey& key) const;

  // Admits a transaction to the mempool; false when it is full or already there.
  bool submit(const ledger::Transaction& tx, Bytes envelope);

  Bytes make_payload(consensus::Round round, uint64_t height) override;
  std::optional<consensus::Block> load_committed_block(const Hash256& id) override;

  consensus::Core& core() { return *core_; }
  const ledger::Ledger& ledger() const { return *ledger_; }
  uint64_t committed_height() const { return head_height_; }
  const Hash256& head_id() const { return head_id_; }
  consensus::ValidatorIndex index() const { return index_; }
  const KeyPair& key() const { return keys_[active_key_]; }
  size_t mempool_size() const { return mempool_.size(); }
  uint64_t disk_syncs() const { return disk_->sync_count(); }

 private:
  struct Pending {
    Hash256 id;
    uint64_t valid_until_height;
    Bytes envelope;
    uint64_t proposed_height = 0;  // 0: never proposed.
  };

  [[nodiscard]] Status init_fresh_disk();
  // Builds the Core for the ledger's validator set from the in-memory head and epoch start.
  std::vector<consensus::Action> build_core(const consensus::SafetyData& safety,
                                            const consensus::QuorumCert& head_qc,
                                            const consensus::Block& head_block, uint64_t now_ms);
  [[nodiscard]] Status load_ledger();
  Result<consensus::Block> load_block_at(uint64_t height) const;
  void prune_mempool();

  const NodeContext& context_;
  consensus::ValidatorIndex index_;
  std::vector<KeyPair> keys_;
  size_t active_key_ = 0;
  uint64_t epoch_start_height_ = 0;
  Hash256 epoch_start_id_;
  std::unique_ptr<storage::MemKvStore> disk_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::unique_ptr<consensus::Core> core_;
  uint64_t head_height_ = 0;
  Hash256 head_id_;
  Hash256 head_root_;
  std::vector<Pending> mempool_;
  std::unordered_set<Hash256, FixedBytesHasher> mempool_ids_;
};

}  // namespace corridor::sim
