// The ledger state machine: accounts, assets and holdings, and the rules that change them. It is
// a pure function of (state, block): no clock, no randomness, no I/O, no floating point, and no
// dependence on the iteration order of hash containers. Storage and networking live elsewhere;
// the ledger hands them a StateDelta per block and takes entries back on load.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/hash.h"
#include "base/status.h"
#include "ledger/entries.h"
#include "ledger/result_code.h"
#include "ledger/state_tree.h"
#include "ledger/transaction.h"

namespace corridor::ledger {

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
struct StateChange {
  Bytes key;
  Bytes value;
  bool erase = false;  // The entry was removed (a settled payment, a released escrow).
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
struct StateDelta {
  std::vector<StateChange> changes;
  std::vector<ReplayId> ids_added;
  std::vector<ReplayId> ids_expired;
  std::vector<QueueEvent> queue_events;
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
  Ledger() = default;
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

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
  // Ends the block: folds changed entries into the state tree and returns the delta.
  StateDelta end_block();
  Hash256 state_root() { return tree_.root(); }
  uint64_t height() const { return height_; }

  // --- Queries --------------------------------------------------------------------------
  const AccountEntry* account(const AccountId& id) const;
  const AssetEntry* asset(const AssetId& id) const;
  const HoldingEntry* holding(const AccountId& holder, const AssetId& asset) const;
  std::vector<HoldingView> holdings_of(const AccountId& holder) const;
  bool is_replay_id_live(const Hash256& id) const { return replay_ids_.contains(id); }
  size_t account_count() const { return accounts_.size(); }
  size_t asset_count() const { return assets_.size(); }
  size_t holding_count() const { return holdings_.size(); }
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
  // Proof of a holding against state_root(); nullopt if there is no such holding.
  std::optional<HoldingProof> prove_holding(const AccountId& holder, const AssetId& asset);

  // --- Loading from storage -------------------------------------------------------------
  Status load_entry(ByteView key, ByteView value);
  void load_replay_id(const ReplayId& id);
  // Rebuilds derived indexes and the state tree after loading; sets the height.
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
    void clear() {
      entries.clear();
      old_signers.clear();
      old_validator_set.reset();
      old_queued.clear();
      old_escrows.clear();
      old_counters.clear();
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

  uint64_t height_ = 0;
  std::vector<AccountEntry> accounts_;
  std::unordered_map<AccountId, uint32_t, FixedBytesHasher> account_index_;
  std::vector<AssetEntry> assets_;
  std::unordered_map<AssetId, uint32_t, AssetIdHasher> asset_index_;
  std::unordered_map<HoldingKey, HoldingEntry> holdings_;
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
  Journal journal_;
  // The last asset looked up by id: a batch usually names one asset thousands of times.
  mutable std::optional<std::pair<AssetId, uint32_t>> asset_cache_;
};

}  // namespace corridor::ledger
