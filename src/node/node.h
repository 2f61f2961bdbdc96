// A Corridor node: admission, ordering (through an Orderer), execution, durable commit and
// finality notification, plus the read side the API serves. One process, one ledger.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "ledger/block.h"
#include "ledger/ledger.h"
#include "node/account_rate_limiter.h"
#include "node/chain_store.h"
#include "node/config.h"
#include "node/mempool.h"
#include "node/orderer.h"
#include "node/stage_latency.h"
#include "node/verified_signatures.h"
#include "storage/durable_cell.h"
#include "storage/kv_store.h"
#include "storage/record_journal.h"

namespace corridor::node {

class CheckpointWriter;
class StateSnapshot;

// What a client learns when its transaction is final (durable in a committed block).
struct Finality {
  Hash256 id;
  uint64_t height = 0;
  uint32_t index = 0;
  uint64_t block_time_ms = 0;
  ledger::TxOutcome outcome;
};
// Called once per waiting submission: with the finality, or with a non-ok Status if the node
// stopped before the transaction was final.
using FinalityCallback = std::function<void(const Status&, const Finality&)>;

struct SubmitResult {
  enum class Kind {
    accepted,         // Queued for the next block; final later.
    already_pending,  // The same id is queued already; the callback joins it.
    already_final,    // Applied earlier; `final` holds its original result.
    rejected,         // Failed a check; `code` (and op_index/op_code) say why. Nothing queued.
    unavailable,      // Mempool full or node stopping: retry later. Nothing queued.
    rate_limited,     // The source account is over its admission rate: retry after
                      // `retry_after_ms`. Nothing queued.
  };
  Kind kind = Kind::rejected;
  ledger::ResultCode code = ledger::ResultCode::ok;
  uint32_t op_index = 0;
  ledger::ResultCode op_code = ledger::ResultCode::ok;
  std::string message;
  Finality final;
  uint64_t retry_after_ms = 0;
  // This call verified the transaction's signatures, and they held (whatever was then decided).
  bool signatures_verified = false;
};

// A validator that vouches for a forwarded transaction's signatures: its index in the validator
// set of `epoch` (docs/consensus.md, "Signatures checked by f + 1 validators").
struct Voucher {
  uint64_t epoch = 0;
  uint32_t index = 0;
};

struct NodeStatus {
  std::string network_name;
  Hash256 network_id;
  uint64_t height = 0;
  Hash256 block_hash;
  // The root of the state after block state_root_height: the last multiple of the network's
  // state root interval at or below `height` (ledger.h).
  Hash256 state_root;
  uint64_t state_root_height = 0;
  uint64_t state_root_interval = 1;
  uint64_t block_time_ms = 0;
  size_t mempool_txs = 0;
  size_t mempool_ops = 0;
  uint64_t txs_committed = 0;
  uint64_t ops_committed = 0;
  // Transactions whose signatures admission verified (Ed25519), over the node's life. A
  // resubmission of an in-flight transaction with the same signatures is not verified again.
  uint64_t admission_verifications = 0;
  // Transactions whose signatures were verified while executing a block: neither verified at
  // admission here nor vouched for by f + 1 validators (docs/consensus.md).
  uint64_t execution_verifications = 0;
  size_t accounts = 0;
  size_t assets = 0;
  size_t holdings = 0;
  // How blocks are ordered, and the validator set the ledger holds (a BFT network's; a solo
  // node has none).
  bool bft = false;
  std::optional<uint64_t> epoch;
  size_t validators = 0;
  // State sync progress (BFT nodes).
  std::optional<SyncProgress> sync;
  // The consensus orderer's live state, once it runs.
  std::optional<ConsensusStatus> consensus;
  // Where the time to finality went on this node, by stage (stage_latency.h).
  StageLatencies latency;
  // The store's background work behind its writes (storage/kv_store.h).
  storage::StoreBacklog store;
};

struct AccountInfo {
  ledger::AccountEntry account;
  std::vector<ledger::HoldingView> holdings;
  // Scale of each holding's asset, to format amounts.
  std::vector<uint8_t> scales;
};

struct HoldingProofInfo {
  ledger::HoldingProof proof;
  Hash256 state_root;
  uint64_t height = 0;
};

struct BlockInfo {
  ledger::Block block;
  ledger::BlockResult result;
  Hash256 hash;
};

class Node {
 public:
  // A checkpoint is written early when this many changed keys wait, which bounds the memory
  // the changes take and the time a restart spends replaying.
  static constexpr size_t checkpoint_changes_max = 2'000'000;
  // A state sync snapshot shares the layers of changes since the last checkpoint, and merges
  // them into one overlay when a peer first asks for it. Above this many changed keys (counted
  // in every layer), taking one writes the checkpoint first, on the caller's thread. The layers
  // are bounded by checkpoint_changes_max already (a checkpoint then starts in the background),
  // so by default this only catches a snapshot taken while such a write is still in flight.
  static constexpr size_t snapshot_changes_max = checkpoint_changes_max;
  // Proofs waiting for the next root height at once; beyond it they are refused (unavailable).
  static constexpr size_t proof_requests_max = 1'024;

  // Opens the node's store (RocksDB under data_dir, or memory), checks the genesis record,
  // and loads the ledger at the last committed block. With `kv` given, uses that store
  // instead (tests and the simulator pass a MemKvStore).
  // With `genesis` given (a BFT network's ledger block 0), a fresh store executes and commits
  // it at height 0, and an existing store must hold the same block 0.
  // With `safety_cell` given, the consensus safety data goes there; otherwise to the file
  // beside a RocksDB store, or under a key of a store passed in. (Tests pass a cell of their
  // own beside a MemKvStore, to see what a vote rests on when the two are apart, as on disk.)
  // With `proposal_journal` given, the consensus loop keeps the proposals it checked there;
  // otherwise in the file beside a RocksDB store, or in the store passed in.
  static Result<std::unique_ptr<Node>> open(
      const NodeConfig& config, std::shared_ptr<storage::KvStore> kv = nullptr,
      const ledger::Block* genesis = nullptr,
      std::unique_ptr<storage::DurableCell> safety_cell = nullptr,
      std::unique_ptr<storage::RecordJournal> proposal_journal = nullptr);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Starts ordering with the given orderer (the single-node Sequencer when null).
  void start(std::unique_ptr<Orderer> orderer = nullptr);
  // Stops ordering and fails every waiting submission with `unavailable`.
  void stop();

  // Admits a decoded transaction. `envelope` is its canonical encoding, and decoding it
  // (ledger::decode_transaction) yields `tx`: a BFT orderer proposes the bytes and executes the
  // decoded form it holds for them. `on_final`, if set,
  // is called when the transaction is final (or the node stops first); it is not called
  // for rejected or unavailable answers.
  SubmitResult submit(ledger::Transaction tx, Bytes envelope, FinalityCallback on_final = nullptr);
  // Admits a transaction another validator forwarded: the same checks as submit(), marked so
  // that it is not forwarded again.
  // With `vouched_by`, the signatures are not verified at admission: the forwarding validator
  // vouches for them, and a block carrying the transaction verifies them unless enough other
  // validators vouched as well (vouch()).
  SubmitResult submit_forwarded(ledger::Transaction tx, Bytes envelope,
                                std::optional<Voucher> vouched_by = std::nullopt);
  // Records a validator's vouch for the signatures (by their digest,
  // VerifiedSignatures::signatures_digest) of transaction `id`.
  void vouch(const Hash256& id, const Hash256& digest, uint64_t valid_until_height,
             const Voucher& by);
  // Fails the waiters of an admitted transaction that can no longer be ordered (it expired
  // while pending).
  void abandon(const Hash256& id);
  // Transactions in blocks consensus committed that this node has not executed yet. A peer's
  // forward of one that arrives now is dropped before its signatures are verified: the block
  // verifies them as it executes, and a second check would be wasted. (A forward arriving after
  // the block executed is dropped by the replay check, also before verification.)
  void note_ordered(const std::vector<Hash256>& ids);

  // Executes and commits one ordered batch as the next block. The orderer calls this; tests
  // and benchmarks may call it directly on a node that was not started.
  void commit_batch(OrderedBatch&& batch);

  // --- State sync (node/state_sync.h) -----------------------------------------------------
  // A consistent view of the state at the head, with the head's ledger block and result: a
  // snapshot of the store (the state of a checkpoint) and the layers of changes since, shared,
  // not copied: the changes made so far become a layer of their own, and later blocks go to a
  // new one (node/state_sync.h). With more than `changes_max` changes waiting, the checkpoint
  // is written first (tests pass less).
  Result<std::shared_ptr<const StateSnapshot>> snapshot_state(
      size_t changes_max = snapshot_changes_max);
  // Returns once no state checkpoint is being written (they are written on a thread of their
  // own, after their block: CheckpointWriter), so that the store holds the newest one.
  void wait_for_checkpoint();
  // Replaces the ledger state and the head with a checkpoint's at `height`, which must be above
  // the head. The entries are loaded into a fresh ledger first: if they do not decode or do not
  // hash to `state_root`, nothing changes and the answer is `corruption`; a checkpoint whose
  // validator set differs from the node's is refused. Otherwise the state, the block, the head
  // and the orderer's `extra` records are written in one synced batch.
  [[nodiscard]] Status install_checkpoint(uint64_t height, const Hash256& state_root,
                                          const Bytes& ledger_block, const Bytes& block_result,
                                          const std::vector<std::pair<Bytes, Bytes>>& entries,
                                          const std::function<void(storage::WriteBatch&)>& extra);
  // The orderer's state sync progress; nullopt for an orderer that has none.
  std::optional<SyncProgress> sync_progress() const;

  NodeStatus status() const;
  ChainHead head() const;
  std::optional<ledger::ValidatorSetEntry> validator_set() const;
  // For the orderer: the mempool it takes transactions from and the store it keeps its own
  // records in (with key prefixes of its own; docs/protocol.md, "Storage layout").
  Mempool& mempool() { return mempool_; }
  storage::KvStore& kv() { return *kv_; }
  const std::shared_ptr<storage::KvStore>& shared_kv() const { return kv_; }
  // Where the consensus safety data lives: a file cell of its own beside a RocksDB store (a
  // synced write there does not wait for the executor's block writes), or a key of the store
  // given to open() (tests and the simulator, with the in-memory store's crash semantics).
  storage::DurableCell& safety_cell() { return *safety_cell_; }
  // Where the consensus loop keeps the proposals it checked until their blocks are persisted:
  // a preallocated file of its own beside a RocksDB store (its sync does not wait for the
  // executor's block writes), the journal given to open(), or null: then the loop keeps them
  // in the store.
  storage::RecordJournal* proposal_journal() { return proposal_journal_.get(); }
  const Hash256& network_id() const { return network_id_; }
  const NodeConfig& config() const { return config_; }
  std::optional<AccountInfo> account(const AccountId& id) const;
  std::optional<ledger::AssetEntry> asset(const AssetId& id) const;
  // A proof of the holding against the last state root, with that root's height (the head's,
  // when the state root interval is 1); nullopt when there is no such holding. A holding that
  // changed since the last root height has no proof against that root: it is proven at the
  // next root height, on the executor's thread, when that block is durable. `done` is called
  // exactly once: at once, at that root height, or with unavailable when the node stops or
  // proof_requests_max wait already. The caller bounds the wait (the API answers 503 after
  // 10 s; a late answer then goes nowhere).
  using ProofCallback = std::function<void(Result<std::optional<HoldingProofInfo>>)>;
  void prove_holding(const AccountId& holder, const AssetId& asset, ProofCallback done);
  // The liquidity queue in arrival order from sequence number `from_seq`, optionally only the
  // payments `party` pays or receives, at most `limit` of them; and one open escrow.
  std::vector<ledger::QueuedPaymentEntry> queued_payments(const std::optional<AccountId>& party,
                                                          uint64_t from_seq, size_t limit) const;
  std::optional<ledger::EscrowEntry> escrow(uint64_t id) const;
  // The block, its result and the transaction index answer only for blocks whose write has
  // returned (durable and whole: ChainStore::readable), as if later ones did not exist yet.
  Result<std::optional<BlockInfo>> block(uint64_t height) const;
  // The ledger block at `height` as stored (ledger::encode_block), without decoding it.
  Result<std::optional<Bytes>> block_bytes(uint64_t height) const;
  // Whether the records written with the block at `height` (the orderer's among them) may be
  // read: its write has returned.
  bool block_readable(uint64_t height) const { return chain_.readable(height); }
  // --- FX queries (under the ledger's read lock) ---------------------------------------------
  std::optional<ledger::OfferEntry> offer(uint64_t offer_id) const;
  // The book's best `max` offers and its size.
  std::pair<std::vector<ledger::OfferEntry>, size_t> book(const AssetId& selling,
                                                          const AssetId& buying, size_t max) const;
  std::vector<ledger::OfferEntry> offers_of(const AccountId& owner) const;
  ledger::FxQuotes find_paths(const AssetId& source, const AssetId& destination, Amount amount,
                              ledger::PathMode mode,
                              const std::optional<AccountId>& payer = std::nullopt) const;
  // --- end FX --------------------------------------------------------------------------------
  Result<std::optional<TxRecord>> transaction(const Hash256& id) const;
  // True while the transaction is admitted and not yet final.
  bool is_pending(const Hash256& id);
  // Checks the ledger's invariants now (linear in the state).
  Status check_invariants() const;

 private:
  Node(const NodeConfig& config, std::shared_ptr<storage::KvStore> kv,
       std::unique_ptr<storage::DurableCell> safety_cell,
       std::unique_ptr<storage::RecordJournal> proposal_journal);
  Status init(const ledger::Block* genesis);
  Status commit_genesis(const ledger::Block& genesis);
  // failed_precondition unless the head is at a root height, where a snapshot of the state is
  // one its root commits to; ledger_mu_ held (shared or exclusive).
  Status head_at_root_height_locked() const;
  // snapshot_state with ledger_mu_ held exclusively.
  Result<std::shared_ptr<const StateSnapshot>> snapshot_state_locked();
  // Writes the changes since the last checkpoint as a new one at the head, and waits for it
  // (after a write in flight); ledger_mu_ held exclusively.
  Status write_checkpoint_locked();
  // Makes the changes in unpersisted_, with the changed holdings the ledger holds for it, a
  // frozen layer (none when there are none); ledger_mu_ held exclusively.
  void freeze_changes_locked();
  // Drops the layers of a checkpoint whose write has finished: the store holds them now;
  // ledger_mu_ held exclusively.
  void reap_checkpoint_locked();
  // Waits for a checkpoint write in flight, then reaps it; ledger_mu_ held exclusively.
  void finish_checkpoint_write_locked();
  // Changed keys held in every layer (a key changed in two layers counts twice, as it takes
  // memory twice).
  size_t waiting_changes_locked() const {
    return frozen_changes_ + unpersisted_.size() + ledger_.held_holding_changes();
  }
  // Re-executes the stored blocks above the checkpoint, checking each one's state root.
  Status replay_blocks(uint64_t from_height, uint64_t to_height);
  SubmitResult submit_impl(ledger::Transaction tx, Bytes envelope, FinalityCallback on_final,
                           bool from_peer, std::optional<Voucher> vouched_by);
  void notify(const Hash256& id, const Status& s, const Finality& f);
  // Proves every waiting holding (at a root height), or answers each unavailable (at stop);
  // ledger_mu_ held exclusively. The callbacks are called by the caller after unlocking.
  struct ProofRequest;
  using ProofAnswers =
      std::vector<std::pair<ProofCallback, Result<std::optional<HoldingProofInfo>>>>;
  ProofAnswers take_proof_answers_locked(bool stopping);

  NodeConfig config_;
  std::shared_ptr<storage::KvStore> kv_;
  std::unique_ptr<storage::DurableCell> safety_cell_;
  std::unique_ptr<storage::RecordJournal> proposal_journal_;
  ChainStore chain_;
  Hash256 network_id_;
  Mempool mempool_;
  AccountRateLimiter rate_limiter_;
  VerifiedSignatures verified_;
  std::unique_ptr<Orderer> orderer_;
  // The started orderer, for status readers on other threads (orderer_ itself is set once, in
  // start(), and lives as long as the node).
  std::atomic<const Orderer*> orderer_view_{nullptr};

  // Exclusive while a block executes and commits; shared for reads.
  mutable std::shared_mutex ledger_mu_;
  ledger::Ledger ledger_;
  ChainHead head_;
  // The state changes since the store's checkpoint (ChainStore), oldest first: layers frozen at
  // snapshots and checkpoints, immutable and shared with the snapshots and the checkpoint
  // writer that read them, then unpersisted_, the layer each block's changes go to. Its
  // changed holdings wait in the ledger until it is frozen (Ledger::hold_holding_changes).
  std::vector<std::shared_ptr<const ledger::StateDeltaAccumulator>> frozen_;
  size_t frozen_changes_ = 0;  // The sum of the frozen layers' sizes.
  // The part of frozen_changes_ in the layers the checkpoint writer is writing (the oldest).
  size_t writing_changes_ = 0;
  ledger::StateDeltaAccumulator unpersisted_;
  // The newest checkpoint's height: written, or being written by checkpoint_writer_.
  uint64_t checkpoint_height_ = 0;
  // Declared after chain_, which it writes to, so that it ends first.
  std::unique_ptr<CheckpointWriter> checkpoint_writer_;
  uint64_t head_time_ms_ = 0;
  // Proofs of holdings changed since the last root height, waiting for the next (under
  // ledger_mu_).
  std::vector<ProofRequest> proof_requests_;

  // A transaction admitted and not yet final: the callbacks waiting for it, and the signatures
  // admission verified for it.
  struct Inflight {
    std::vector<FinalityCallback> callbacks;
    std::vector<ledger::TxSignature> signatures;
    // When this node's API admitted it (wall clock ms); 0 for a peer's forward.
    uint64_t admitted_ms = 0;
  };
  std::mutex waiters_mu_;
  std::unordered_map<Hash256, Inflight, FixedBytesHasher> inflight_;
  // note_ordered's transactions, until their block executes: at most the executor's queue.
  std::unordered_set<Hash256, FixedBytesHasher> ordered_;
  std::atomic<uint64_t> admission_verifications_{0};
  std::atomic<uint64_t> execution_verifications_{0};
  LatencyWindow latency_admission_to_proposal_;
  LatencyWindow latency_proposal_to_commit_;
  LatencyWindow latency_commit_to_durable_;
  LatencyWindow latency_admission_to_durable_;

  std::atomic<uint64_t> txs_committed_{0};
  std::atomic<uint64_t> ops_committed_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace corridor::node
