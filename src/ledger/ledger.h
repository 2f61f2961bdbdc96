// The ledger state machine: accounts, assets and holdings, and the rules that change them. It is
// a pure function of (state, block): no clock, no randomness, no I/O, no floating point, and no
// dependence on the iteration order of hash containers. Storage and networking live elsewhere;
// the ledger hands them a StateDelta per block and takes entries back on load.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/hash.h"
#include "base/status.h"
#include "ledger/entries.h"
#include "ledger/order_book.h"
#include "ledger/path_payment.h"
#include "ledger/result_code.h"
#include "ledger/state_tree.h"
#include "ledger/transaction.h"

namespace corridor::ledger {

struct HoldingSlot;  // detail/ledger_indexes.h

// The outcome of one transaction. For tx_failed (and for tx_malformed caused by one
// operation), op_index and op_code name the operation; every other operation of the
// transaction is reported as not_applied.
struct TxOutcome {
  ResultCode code = ResultCode::ok;
  uint32_t op_index = 0;
  ResultCode op_code = ResultCode::ok;

  // The code of operation i, derived from the three fields above.
  ResultCode op_result(uint32_t i) const;
  friend bool operator==(const TxOutcome&, const TxOutcome&) = default;
};

// Everything a block changed, in canonical encodings, for the storage layer to persist in
// the same atomic write as the block itself.
// An empty value deletes the entry (no entry encodes to zero bytes); offers leave the state
// when they are filled or cancelled.
// An empty value means the entry was removed (a filled offer, a settled payment, a released
// escrow); no entry encodes to zero bytes.
struct StateChange {
  Bytes key;
  Bytes value;
};
// What happened to a queued payment in a block, for the block's results and the audit trail.
enum class QueueEventKind : uint8_t { queued = 0, settled = 1, expired = 2, cancelled = 3 };
struct QueueEvent {
  QueueEventKind kind = QueueEventKind::queued;
  uint64_t seq = 0;
  Hash256 tx_id;  // The transaction that queued the payment, and its operation.
  uint32_t op_index = 0;
  friend bool operator==(const QueueEvent&, const QueueEvent&) = default;
};
struct ReplayId {
  uint64_t valid_until_height;
  Hash256 id;
};
// A live replay id's key in the store and in the state tree: 'R' be64(valid_until) tx_id. No
// entry key starts with 'R' (entry kinds are small numbers), so the two never meet in the tree.
inline constexpr uint8_t replay_key_prefix = 'R';
Bytes replay_id_key(const ReplayId& r);
// The id a replay_id_key encodes; nullopt for any other key.
std::optional<ReplayId> decode_replay_id_key(ByteView key);
struct StateDelta {
  std::vector<StateChange> changes;
  std::vector<ReplayId> ids_added;
  std::vector<ReplayId> ids_expired;
  std::vector<QueueEvent> queue_events;
};

// A path quote in asset ids (see find_paths in path_finder.h).
struct FxQuote {
  std::vector<AssetId> path;  // Intermediate assets, as a path payment names them.
  Amount send_amount = 0;
  Amount receive_amount = 0;
  uint32_t offers_crossed = 0;
};
struct FxQuotes {
  std::vector<FxQuote> paths;
  bool truncated = false;
};

struct HoldingView {
  AssetId asset;
  HoldingEntry holding;
};

// An inclusion proof of one holding against a state root. Verifiable with nothing but this
// struct and the root: see verify_holding_proof.
struct HoldingProof {
  Bytes entry_key;
  Bytes entry_value;
  MerkleProof proof;
};
bool verify_holding_proof(const Hash256& state_root, const HoldingProof& proof);

class Ledger {
 public:
  Ledger();
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;
  // Movable, so that a node can replace its whole state with a checkpoint's (state sync).
  Ledger(Ledger&&) noexcept;
  Ledger& operator=(Ledger&&) noexcept;

  // --- Block application ---------------------------------------------------------------
  // Starts a block at the given height. Expired replay ids are dropped here.
  void begin_block(uint64_t height);
  // Applies one transaction that has passed check_stateless (signatures verified). Runs the
  // read-only precheck (validity window, replay, source account, signer weights), then the
  // operations in order with an undo journal, so a failing operation leaves no trace.
  TxOutcome apply(const Transaction& tx);
  // The read-only stage of apply, also used to answer a submission before it is queued.
  // Valid against the state after the last applied block.
  ResultCode precheck(const Transaction& tx) const { return precheck_at(tx, height_); }
  // The same, for a block at `height` (admission checks against the next block's height).
  ResultCode precheck_at(const Transaction& tx, uint64_t height) const;
  // Admission-time check that every account and asset an operation names exists now (assets
  // created earlier in the same transaction count). Returns the first operation that names a
  // missing one, with op_account_not_found or op_asset_not_found; ok otherwise. State may
  // change before the block, so apply() checks again; this only answers clients early.
  std::pair<uint32_t, ResultCode> check_references(const Transaction& tx) const;
  // Ends the block: returns the delta, and folds changed entries into the state tree at root
  // heights; between them the changes wait for the next root height.
  StateDelta end_block();
  // Gives back a delta the host has finished with (merged, written). The next end_block()
  // encodes the block's changed accounts, assets and holdings into the room its keys and
  // values held, instead of two fresh buffers per changed entry: at 10,000 accounts a node's
  // executor made and freed thousands of them per block (docs/benchmarks.md). Optional; the
  // deltas are the same either way. At most spare_delta_changes_max changes are kept.
  void recycle_delta(StateDelta&& spent);
  static constexpr size_t spare_delta_changes_max = 65'536;
  // How the holdings a block changed reach the host. By default every block's delta carries
  // them, encoded. After hold_holding_changes() (called once, before the first block) the
  // deltas leave them out and the ledger keeps which holdings changed instead;
  // take_holding_changes() encodes those, with the values they have then, once each however
  // many blocks changed them. A node writes its state only at checkpoints, hundreds of blocks
  // apart, while under load most holdings change in most blocks: encoding each block's
  // changed holdings and merging them into the changes waiting for the checkpoint took about
  // a tenth of a validator's CPU at half the peak (docs/benchmarks.md). A host that holds them
  // takes them before it writes the state, or shows the waiting changes to any reader.
  void hold_holding_changes();
  // The holdings changed since the last take (or since the ledger was made or loaded), as a
  // delta of changes only: no replay ids, no queue events. Between blocks only.
  StateDelta take_holding_changes();
  size_t held_holding_changes() const { return held_holdings_.size(); }
  // The state commitment is recomputed at root heights: multiples of the state root interval
  // (1 unless set; at most state_root_interval_blocks_max). Folding a block's changes into
  // the tree costs a pass over the paths they touch; when most entries change every few blocks
  // that pass is nearly the whole tree whatever the block's size, so folding the changes of
  // several blocks at once costs little more than one (docs/consensus.md, "State commitment").
  // Set once, before the first block or load, by whoever reads the network's genesis.
  void set_state_root_interval(uint64_t blocks);
  uint64_t state_root_interval() const { return state_root_interval_; }
  bool is_root_height(uint64_t height) const { return height % state_root_interval_ == 0; }
  // The root of the state after the last root height at or below height(): the state after
  // every block when the interval is 1.
  Hash256 state_root() { return tree_.root(); }
  uint64_t state_root_height() const { return height_ - height_ % state_root_interval_; }
  uint64_t height() const { return height_; }

  // --- Queries --------------------------------------------------------------------------
  const AccountEntry* account(const AccountId& id) const;
  const AssetEntry* asset(const AssetId& id) const;
  const HoldingEntry* holding(const AccountId& holder, const AssetId& asset) const;
  std::vector<HoldingView> holdings_of(const AccountId& holder) const;
  bool is_replay_id_live(const Hash256& id) const { return replay_ids_.contains(id); }
  size_t account_count() const { return accounts_.size(); }
  size_t asset_count() const { return assets_.size(); }
  size_t holding_count() const;
  // The liquidity queue in arrival order, and open escrows by id.
  const std::map<uint64_t, QueuedPaymentEntry>& queue() const { return queue_; }
  const EscrowEntry* escrow(uint64_t id) const {
    auto it = escrows_.find(id);
    return it == escrows_.end() ? nullptr : &it->second;
  }
  const std::map<uint64_t, EscrowEntry>& escrows() const { return escrows_; }
  const CountersEntry& counters() const { return counters_; }
  // The consensus validator set, once the genesis block has installed one.
  const std::optional<ValidatorSetEntry>& validator_set() const { return validator_set_; }
  // Proof of a holding against state_root(); nullopt if there is no such holding, or if it
  // changed since state_root_height() (its current value is not the one the root commits to:
  // holding_changed_since_root() tells the two apart).
  std::optional<HoldingProof> prove_holding(const AccountId& holder, const AssetId& asset);
  // Whether the holding changed after state_root_height(), in the current block or in one that
  // ended after the last root height.
  bool holding_changed_since_root(const AccountId& holder, const AssetId& asset) const;

  // --- FX queries (ledger_fx.cc) -----------------------------------------------------------
  const OfferEntry* offer(uint64_t offer_id) const;
  // The resting offers of the book selling `selling` for `buying`, best first, at most `max`;
  // *total (when given) receives the book's size.
  std::vector<OfferEntry> book_offers(const AssetId& selling, const AssetId& buying, size_t max,
                                      size_t* total = nullptr) const;
  // An account's resting offers, by id.
  std::vector<OfferEntry> offers_of(const AccountId& owner) const;
  size_t offer_count() const { return offers_.size(); }
  uint64_t next_offer_id() const { return next_offer_id_; }
  // Amount of an asset locked in an account's resting offers (0 if none).
  Amount locked_in_offers(const AccountId& owner, const AssetId& asset) const;
  // Best paths from the current books (path_finder.h); an unknown asset finds nothing. With a
  // payer, paths through its own offers are left out.
  FxQuotes find_paths(const AssetId& source, const AssetId& destination, Amount amount,
                      PathMode mode, const std::optional<AccountId>& payer = std::nullopt) const;

  // --- Loading from storage -------------------------------------------------------------
  Status load_entry(ByteView key, ByteView value);
  void load_replay_id(const ReplayId& id);
  // Rebuilds derived indexes after loading; sets the height, which must be a root height
  // (the loaded state is the one its root commits to).
  void finish_load(uint64_t height);

  // --- Invariants -----------------------------------------------------------------------
  // Full check: per asset, holdings sum to supply; no negative balance or supply; no balance
  // above its limit; every holding's account and asset exist. Cost is linear in the state.
  Status check_invariants() const;

 private:
  using HoldingKey = uint64_t;
  // The undo journal of the transaction being applied: enough to restore every entry it
  // touched. It lives across transactions so that applying one allocates nothing.
  struct Journal {
    enum class Kind : uint8_t {
      holding_changed,
      holding_created,
      account_created,
      asset_created,
      asset_supply_changed,
      account_signers_changed,
      holding_listed,
      validator_set_changed,
      queue_added,
      queue_removed,
      escrow_added,
      escrow_removed,
      counters_changed,
      queue_event_added,
      // FX (ledger_fx.cc): `key` holds the offer id, or the old next offer id.
      offer_created,
      offer_changed,
      next_offer_id_changed,
    };
    struct Entry {
      Entry(Kind k, uint32_t i = 0, HoldingKey hk = 0, const HoldingEntry& old = {},
            Amount supply = 0)
          : kind(k), index(i), key(hk), old_holding(old), old_supply(supply) {}
      Kind kind;
      uint32_t index;
      HoldingKey key;
      HoldingEntry old_holding;
      Amount old_supply;
    };
    std::vector<Entry> entries;
    std::vector<std::pair<std::vector<SignerEntry>, uint16_t>> old_signers;
    std::optional<ValidatorSetEntry> old_validator_set;
    std::vector<QueuedPaymentEntry> old_queued;
    std::vector<EscrowEntry> old_escrows;
    std::vector<CountersEntry> old_counters;
    // FX: the offers as they were before offer_changed entries, in journal order.
    std::vector<OfferEntry> old_offers;
    void clear() {
      entries.clear();
      old_signers.clear();
      old_validator_set.reset();
      old_queued.clear();
      old_escrows.clear();
      old_counters.clear();
      old_offers.clear();
    }
  };
  static HoldingKey holding_key(uint32_t account, uint32_t asset) {
    return (static_cast<uint64_t>(account) << 32) | asset;
  }

  ResultCode apply_op(const Operation& op, uint32_t source, Journal& j);
  void rollback(Journal& j);

  std::optional<uint32_t> find_account(const AccountId& id) const;
  std::optional<uint32_t> find_asset(const AssetId& id) const;
  HoldingEntry* find_holding(uint32_t account, uint32_t asset);
  // Starts fetching the slot of the transfer's destination holding into the cache.
  void prefetch_holding(const TransferOp& op) const;
  // How many operations ahead Ledger::apply prefetches a transfer's destination account, and
  // its holding (which needs the account's index, so comes nearer).
  static constexpr uint32_t prefetch_account_ops = 16;
  static constexpr uint32_t prefetch_holding_ops = 8;
  void mark_dirty(AccountEntry& a, uint32_t index);
  void mark_dirty(AssetEntry& a, uint32_t index);
  void mark_dirty(HoldingEntry& h, HoldingKey key);

  // Operation handlers; each returns ok or the operation's rejection code.
  ResultCode op_create_account(const CreateAccountOp& op, const AccountId& source_id, Journal& j);
  ResultCode op_set_signers(const SetSignersOp& op, uint32_t source, Journal& j);
  ResultCode op_create_asset(const CreateAssetOp& op, uint32_t source, Journal& j);
  ResultCode op_open_holding(const OpenHoldingOp& op, uint32_t source, Journal& j);
  ResultCode op_set_holding_flag(const AccountId& holder, const AssetCode& code, uint32_t source,
                                 uint8_t flag, bool set, Journal& j);
  ResultCode op_issue(uint32_t issuer, uint32_t asset, const AccountId& to, Amount amount,
                      Journal& j);
  ResultCode op_redeem(uint32_t holder, uint32_t asset, Amount amount, Journal& j);
  ResultCode op_transfer(const TransferOp& op, uint32_t source, Journal& j);
  ResultCode op_clawback(const ClawbackOp& op, uint32_t source, Journal& j);
  ResultCode op_set_validators(const SetValidatorsOp& op, Journal& j);

  // The liquidity queue and escrows (ledger_settlement.cc).
  ResultCode op_queue_transfer(const QueueTransferOp& op, uint32_t source, Journal& j);
  ResultCode op_cancel_queued(const CancelQueuedOp& op, uint32_t source, Journal& j);
  ResultCode op_create_escrow(const CreateEscrowOp& op, uint32_t source, Journal& j);
  ResultCode op_finish_escrow(const FinishEscrowOp& op, uint32_t source, Journal& j);
  ResultCode op_cancel_escrow(const CancelEscrowOp& op, uint32_t source, Journal& j);
  // Credits `amount` to a holding that must exist, be authorized, not frozen and have room.
  ResultCode credit_holding(uint32_t account, uint32_t asset, Amount amount, Journal& j);
  void bump_counters(Journal& j);
  void add_queue_event(QueueEventKind kind, const QueuedPaymentEntry& q, Journal* j);
  // End of block: runs the gridlock resolver over the queue and settles or expires payments.
  void settle_queue();
  void roll_back_settlement(const Journal::Entry& e, Journal& j);
  // Puts or erases the changed queue, escrow and counter entries.
  void emit_settlement_entries(const std::function<void(Bytes, Bytes)>& put,
                               const std::function<void(Bytes)>& erase);
  Status load_settlement_entry(const EntryKey& k, ByteView value);
  // Adds each asset's escrowed amount to locked[asset]; checks queue and escrow entries.
  Status check_settlement_invariants(std::vector<Amount>& locked) const;
  // --- FX: offers, order books and path payments (ledger_fx.cc, docs/fx.md) ----------------
  // Resting offers hold their remaining amount outside the owner's holding (funds locked at
  // placement); offer_locked_ sums them per holding so that credits keep
  // balance + locked <= limit, which makes every cancel's refund fit.
  ResultCode op_place_offer(const PlaceOfferOp& op, uint32_t source, Journal& j);
  ResultCode op_cancel_offer(const CancelOfferOp& op, uint32_t source, Journal& j);
  ResultCode op_replace_offer(const ReplaceOfferOp& op, uint32_t source, Journal& j);
  ResultCode op_path_payment(PathMode mode, uint32_t payer, const AccountId& destination,
                             const AssetId& send_asset, Amount send_amount,
                             const AssetId& dest_asset, Amount receive_amount,
                             const std::vector<AssetId>& path, Journal& j);
  ResultCode check_offer_holdings(uint32_t owner, uint32_t selling, uint32_t buying) const;
  ResultCode place_offer_for(uint32_t owner, uint32_t selling, uint32_t buying, Amount amount,
                             Price price, Journal& j);
  // Whether a resting offer's owner may trade it now (both holdings authorized, not frozen).
  bool offer_usable(const OfferEntry& o) const;
  // Checks that every fill's owner can take its proceeds; returns the id of the first offer
  // that cannot (0 if all can), adding each credit to `pending`.
  uint64_t first_unusable_fill(const std::vector<Fill>& fills, uint32_t buying,
                               std::map<HoldingKey, Amount>& pending) const;
  bool has_room(HoldingKey key, const HoldingEntry& h, Amount amount, Amount pending = 0) const;
  void settle_fills(const std::vector<Fill>& fills, uint32_t buying, Journal& j);
  // Journaled changes to offers (books, offer_locked_ and counts follow).
  void offer_insert(const OfferEntry& o, Journal& j);
  void offer_reduce(uint64_t offer_id, Amount by, Journal& j);
  void offer_cancel(uint64_t offer_id, Journal& j);
  void credit(HoldingKey key, Amount amount, Journal& j);
  void debit(HoldingKey key, Amount amount, Journal& j);
  // Unjournaled primitives, also used by undo and load.
  void add_offer(const OfferEntry& o);
  void remove_offer(uint64_t offer_id);
  void set_offer_amount(uint64_t offer_id, Amount amount);
  Amount fx_locked(HoldingKey key) const;
  void undo_fx(const Journal::Entry& e, Journal& j);
  ResultCode check_references_fx(const Operation& op,
                                 const std::function<bool(const AssetId&)>& asset_known) const;
  void end_block_fx(StateDelta& d, std::vector<std::pair<Hash256, Hash256>>& leaves);
  // The block's changes to the state tree, at end_block: a leaf removed, and the leaves put
  // (in any order, a key listed twice keeping its last value). Applied to the tree at once at
  // root heights (with those waiting since the last one), kept for the next one otherwise.
  void erase_leaf(const Hash256& key);
  void put_leaves(const std::vector<std::pair<Hash256, Hash256>>& leaves);
  void fold_waiting_leaves();
  // The holding's slot in Indexes, or null if there is no such holding.
  const HoldingSlot* holding_slot(const AccountId& holder, const AssetId& asset) const;
  // Whether the holding changed since the last root height: in the open block, or in one whose
  // leaf waits for the next fold.
  bool changed_since_fold(const HoldingSlot& h) const;
  Status load_offer(const EntryKey& k, ByteView value);
  __extension__ typedef __int128 Int128;
  Status check_invariants_fx(std::vector<Int128>& sums) const;

  std::map<uint64_t, OfferEntry> offers_;
  OrderBooks books_;
  std::unordered_map<HoldingKey, Amount> offer_locked_;
  std::unordered_map<uint32_t, uint32_t> offers_per_account_;
  std::set<uint64_t> dirty_offers_;
  uint64_t next_offer_id_ = 1;
  uint64_t stored_next_offer_id_ = 1;
  PathPlan path_plan_;
  // --- end FX ------------------------------------------------------------------------------

  uint64_t height_ = 0;
  std::vector<AccountEntry> accounts_;
  std::vector<AssetEntry> assets_;
  std::unordered_map<AssetId, uint32_t, AssetIdHasher> asset_index_;
  // The account index and the holdings, in open-addressing tables (detail/ledger_indexes.h),
  // kept behind a pointer so that this widely included header does not carry their headers.
  struct Indexes;
  std::unique_ptr<Indexes> indexes_;
  std::optional<ValidatorSetEntry> validator_set_;
  bool validator_set_dirty_ = false;

  std::map<uint64_t, QueuedPaymentEntry> queue_;
  std::map<uint64_t, EscrowEntry> escrows_;
  CountersEntry counters_;
  bool counters_dirty_ = false;
  // Changed or removed since the last end_block.
  std::set<uint64_t> dirty_queue_;
  std::set<uint64_t> dirty_escrows_;
  std::vector<QueueEvent> queue_events_;
  // The transaction and operation being applied, which a queued payment records.
  Hash256 current_tx_id_;
  uint32_t current_op_index_ = 0;

  // A delta given back by recycle_delta, whose buffers the next end_block reuses.
  StateDelta spare_delta_;

  // Entries changed in the current block, folded into the tree and the delta by end_block.
  std::vector<uint32_t> dirty_accounts_;
  std::vector<uint32_t> dirty_assets_;
  std::vector<HoldingKey> dirty_holdings_;

  // Replay protection: ids of applied transactions that are still within their validity
  // window, bucketed by valid_until_height so that expiry is a walk over the oldest buckets.
  std::unordered_set<Hash256, FixedBytesHasher> replay_ids_;
  std::map<uint64_t, std::vector<Hash256>> replay_by_height_;
  std::vector<ReplayId> ids_added_;
  std::vector<ReplayId> ids_expired_;

  StateTree tree_;
  uint64_t state_root_interval_ = 1;
  // Folds of the waiting changes into the tree done since this ledger was made or loaded
  // (HoldingSlot::leaf_fold).
  uint64_t folds_ = 0;
  // Changes to the tree since the last root height, oldest first: within a block its removals
  // come before its puts, as the tree would have seen them with an interval of 1. A removal
  // has no value hash (nullopt).
  std::vector<std::pair<Hash256, std::optional<Hash256>>> waiting_leaves_;
  // Holdings changed since the last root height, each listed once (HoldingSlot::leaf_fold
  // marks the listed ones): their leaves are hashed when they are folded, from the values they
  // have then, rather than once for every block that changed them.
  std::vector<HoldingKey> fold_holdings_;
  // Holdings changed since the last take_holding_changes(), each listed once
  // (HoldingSlot::held_take marks the listed ones); empty unless hold_holdings_.
  bool hold_holdings_ = false;
  uint64_t takes_ = 0;
  std::vector<HoldingKey> held_holdings_;
  Journal journal_;
  // The last asset looked up by id: a batch usually names one asset thousands of times.
  mutable std::optional<std::pair<AssetId, uint32_t>> asset_cache_;
};

}  // namespace corridor::ledger
