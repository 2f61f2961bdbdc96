#include "ledger/ledger.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/quorum.h"
#include "ledger/detail/ledger_indexes.h"
#include "ledger/limits.h"

namespace corridor::ledger {

ResultCode TxOutcome::op_result(uint32_t i) const {
  if (code == ResultCode::ok) return ResultCode::ok;
  if (i == op_index && op_code != ResultCode::ok) return op_code;
  return ResultCode::not_applied;
}

bool verify_holding_proof(const Hash256& state_root, const HoldingProof& proof) {
  auto key = decode_entry_key(proof.entry_key);
  if (!key.ok() || key->kind != EntryKind::holding) return false;
  if (!decode_holding_value(proof.entry_value).ok()) return false;
  return verify_merkle_proof(state_root, sha256(proof.entry_key), sha256(proof.entry_value),
                             proof.proof);
}

Bytes replay_id_key(const ReplayId& r) {
  Bytes k{replay_key_prefix};
  put_be64(k, r.valid_until_height);
  k.insert(k.end(), r.id.bytes.begin(), r.id.bytes.end());
  return k;
}

std::optional<ReplayId> decode_replay_id_key(ByteView key) {
  if (key.size() != 1 + 8 + Hash256::size() || key[0] != replay_key_prefix) return std::nullopt;
  return ReplayId{get_be64(key.subspan(1, 8)), Hash256::from_view(key.subspan(9))};
}

namespace {

// A live replay id's leaf in the state tree: its key, and the hash of its (empty) value. The
// ids are in the tree so that the state root commits to them: a node that installs a state
// from a peer (state sync) can then check the replay ids it receives like every other entry.
std::pair<Hash256, Hash256> replay_leaf(const ReplayId& r) {
  static const Hash256 empty_value_hash = sha256(ByteView{});
  return {sha256(replay_id_key(r)), empty_value_hash};
}

}  // namespace

Ledger::Ledger() : indexes_(std::make_unique<Indexes>()) {}
Ledger::~Ledger() = default;
Ledger::Ledger(Ledger&&) noexcept = default;
Ledger& Ledger::operator=(Ledger&&) noexcept = default;

size_t Ledger::holding_count() const {
  return indexes_->holdings.size();
}

// --- Lookups ------------------------------------------------------------------------------

std::optional<uint32_t> Ledger::find_account(const AccountId& id) const {
  auto it = indexes_->accounts.find(id);
  if (it == indexes_->accounts.end()) return std::nullopt;
  return it->second;
}

std::optional<uint32_t> Ledger::find_asset(const AssetId& id) const {
  if (asset_cache_ && asset_cache_->first == id) return asset_cache_->second;
  auto it = asset_index_.find(id);
  if (it == asset_index_.end()) return std::nullopt;
  asset_cache_.emplace(id, it->second);
  return it->second;
}

HoldingEntry* Ledger::find_holding(uint32_t account, uint32_t asset) {
  auto it = indexes_->holdings.find(holding_key(account, asset));
  return it == indexes_->holdings.end() ? nullptr : &it->second;
}

const AccountEntry* Ledger::account(const AccountId& id) const {
  auto i = find_account(id);
  return i ? &accounts_[*i] : nullptr;
}

const AssetEntry* Ledger::asset(const AssetId& id) const {
  auto it = asset_index_.find(id);
  return it == asset_index_.end() ? nullptr : &assets_[it->second];
}

const HoldingEntry* Ledger::holding(const AccountId& holder, const AssetId& asset_id) const {
  return holding_slot(holder, asset_id);
}

const HoldingSlot* Ledger::holding_slot(const AccountId& holder, const AssetId& asset_id) const {
  const auto a = find_account(holder);
  const auto s = asset_index_.find(asset_id);
  if (!a || s == asset_index_.end()) return nullptr;
  const auto it = indexes_->holdings.find(holding_key(*a, s->second));
  return it == indexes_->holdings.end() ? nullptr : &it->second;
}

std::vector<HoldingView> Ledger::holdings_of(const AccountId& holder) const {
  std::vector<HoldingView> out;
  auto a = find_account(holder);
  if (!a) return out;
  for (uint32_t asset_index : accounts_[*a].holding_assets) {
    auto it = indexes_->holdings.find(holding_key(*a, asset_index));
    CORRIDOR_ASSERT(it != indexes_->holdings.end());
    out.push_back({assets_[asset_index].id, it->second});
  }
  // Internal indices differ between a node that never restarted and one that loaded its state,
  // so listings are ordered by asset id, which is the same everywhere.
  std::sort(out.begin(), out.end(),
            [](const HoldingView& x, const HoldingView& y) { return x.asset < y.asset; });
  return out;
}

void Ledger::mark_dirty(AccountEntry& a, uint32_t index) {
  if (!a.dirty) {
    a.dirty = true;
    dirty_accounts_.push_back(index);
  }
}
void Ledger::mark_dirty(AssetEntry& a, uint32_t index) {
  if (!a.dirty) {
    a.dirty = true;
    dirty_assets_.push_back(index);
  }
}
void Ledger::mark_dirty(HoldingEntry& h, HoldingKey key) {
  if (!h.dirty) {
    h.dirty = true;
    dirty_holdings_.push_back(key);
  }
}

// --- Blocks -------------------------------------------------------------------------------

void Ledger::begin_block(uint64_t height) {
  CORRIDOR_ASSERT_MSG(height > height_ || (height == 0 && height_ == 0),
                      "blocks are applied in increasing height");
  height_ = height;
  // A transaction whose window ended below this height can no longer be applied, so its id
  // need not be remembered for replay protection any more.
  while (!replay_by_height_.empty() && replay_by_height_.begin()->first < height) {
    auto node = replay_by_height_.extract(replay_by_height_.begin());
    for (const Hash256& id : node.mapped()) {
      replay_ids_.erase(id);
      ids_expired_.push_back({node.key(), id});
    }
  }
}

ResultCode Ledger::precheck_at(const Transaction& tx, uint64_t height) const {
  if (tx.valid_until_height < height) return ResultCode::tx_expired;
  if (tx.valid_until_height - height > tx_validity_blocks_max)
    return ResultCode::tx_validity_too_long;
  if (replay_ids_.contains(tx.id)) return ResultCode::tx_duplicate;
  if (const auto* create = std::get_if<CreateAccountOp>(&tx.ops.front())) {
    // The new account has no signer list yet: the key being registered must sign.
    bool signed_by_key =
        std::any_of(tx.signatures.begin(), tx.signatures.end(),
                    [&](const TxSignature& s) { return s.key == create->public_key; });
    return signed_by_key && tx.signatures.size() == 1 ? ResultCode::ok
                                                      : ResultCode::tx_unknown_signer;
  }
  auto source = find_account(tx.source);
  if (!source) return ResultCode::tx_source_not_found;
  const AccountEntry& acct = accounts_[*source];
  uint32_t weight = 0;
  for (const auto& sig : tx.signatures) {
    auto it = std::find_if(acct.signers.begin(), acct.signers.end(),
                           [&](const SignerEntry& s) { return s.key == sig.key; });
    if (it == acct.signers.end()) return ResultCode::tx_unknown_signer;
    weight += it->weight;
  }
  return weight >= acct.threshold ? ResultCode::ok : ResultCode::tx_insufficient_signatures;
}

std::pair<uint32_t, ResultCode> Ledger::check_references(const Transaction& tx) const {
  std::vector<AssetId> created;
  auto asset_known = [&](const AssetId& a) {
    return asset_index_.contains(a) ||
           std::find(created.begin(), created.end(), a) != created.end();
  };
  for (uint32_t i = 0; i < tx.ops.size(); ++i) {
    const Operation& op = tx.ops[i];
    const AccountId* account = nullptr;
    std::optional<AssetId> asset;
    switch (op_type(op)) {
      case OpType::create_account:
      case OpType::set_signers:
      case OpType::set_validators:
        break;
      case OpType::create_asset:
        created.push_back(AssetId{std::get<CreateAssetOp>(op).code, tx.source});
        break;
      case OpType::open_holding:
        asset = std::get<OpenHoldingOp>(op).asset;
        break;
      case OpType::authorize_holding:
        account = &std::get<AuthorizeHoldingOp>(op).holder;
        asset = AssetId{std::get<AuthorizeHoldingOp>(op).code, tx.source};
        break;
      case OpType::freeze_holding:
        account = &std::get<FreezeHoldingOp>(op).holder;
        asset = AssetId{std::get<FreezeHoldingOp>(op).code, tx.source};
        break;
      case OpType::issue:
        account = &std::get<IssueOp>(op).to;
        asset = AssetId{std::get<IssueOp>(op).code, tx.source};
        break;
      case OpType::redeem:
        asset = std::get<RedeemOp>(op).asset;
        break;
      case OpType::transfer:
        account = &std::get<TransferOp>(op).to;
        asset = std::get<TransferOp>(op).asset;
        break;
      case OpType::clawback:
        account = &std::get<ClawbackOp>(op).from;
        asset = AssetId{std::get<ClawbackOp>(op).code, tx.source};
        break;
      case OpType::place_offer:
      case OpType::cancel_offer:
      case OpType::replace_offer:
      case OpType::path_payment_send:
      case OpType::path_payment_receive:
        if (ResultCode c = check_references_fx(op, asset_known); c != ResultCode::ok) return {i, c};
        break;
      case OpType::queue_transfer:
        account = &std::get<QueueTransferOp>(op).to;
        asset = std::get<QueueTransferOp>(op).asset;
        break;
      case OpType::create_escrow:
        account = &std::get<CreateEscrowOp>(op).beneficiary;
        asset = std::get<CreateEscrowOp>(op).asset;
        break;
      case OpType::cancel_queued:
      case OpType::finish_escrow:
      case OpType::cancel_escrow:
        break;
    }
    if (account && !indexes_->accounts.contains(*account))
      return {i, ResultCode::op_account_not_found};
    if (asset && !asset_known(*asset)) return {i, ResultCode::op_asset_not_found};
  }
  return {0, ResultCode::ok};
}

TxOutcome Ledger::apply(const Transaction& tx) {
  TxOutcome out;
  CORRIDOR_ASSERT(!tx.ops.empty());
  out.code = precheck(tx);
  if (out.code != ResultCode::ok) return out;

  journal_.clear();
  if (const auto* create = std::get_if<CreateAccountOp>(&tx.ops.front())) {
    out.op_code = op_create_account(*create, tx.source, journal_);
    if (out.op_code != ResultCode::ok) out.code = ResultCode::tx_failed;
  } else {
    uint32_t source = *find_account(tx.source);
    current_tx_id_ = tx.id;
    const auto n = static_cast<uint32_t>(tx.ops.size());
    for (uint32_t i = 0; i < n; ++i) {
      // A batch's transfers name their destinations in no order, and under load finding each
      // one's account and then its holding are cache misses, one after the other: the account
      // of the transfer a few places ahead is fetched while this one applies, and the holding
      // of the one nearer, whose account is in cache by then.
      if (i + prefetch_account_ops < n)
        if (const auto* t = std::get_if<TransferOp>(&tx.ops[i + prefetch_account_ops]))
          indexes_->accounts.prefetch(t->to);
      if (i + prefetch_holding_ops < n)
        if (const auto* t = std::get_if<TransferOp>(&tx.ops[i + prefetch_holding_ops]))
          prefetch_holding(*t);
      current_op_index_ = i;
      ResultCode c = apply_op(tx.ops[i], source, journal_);
      if (c != ResultCode::ok) {
        rollback(journal_);
        out.code = ResultCode::tx_failed;
        out.op_index = i;
        out.op_code = c;
        break;
      }
    }
  }
  // Applied or failed, the id is consumed: resubmitting it answers tx_duplicate, and the
  // node reports the original outcome.
  replay_ids_.insert(tx.id);
  replay_by_height_[tx.valid_until_height].push_back(tx.id);
  ids_added_.push_back({tx.valid_until_height, tx.id});
  return out;
}

void Ledger::prefetch_holding(const TransferOp& op) const {
  const auto asset = find_asset(op.asset);
  const auto to = find_account(op.to);
  if (asset && to) indexes_->holdings.prefetch(holding_key(*to, *asset));
}

ResultCode Ledger::apply_op(const Operation& op, uint32_t source, Journal& j) {
  switch (op_type(op)) {
    case OpType::create_account:
      // check_stateless admits create_account only as the sole operation.
      return ResultCode::op_create_account_not_first;
    case OpType::set_signers:
      return op_set_signers(std::get<SetSignersOp>(op), source, j);
    case OpType::create_asset:
      return op_create_asset(std::get<CreateAssetOp>(op), source, j);
    case OpType::open_holding:
      return op_open_holding(std::get<OpenHoldingOp>(op), source, j);
    case OpType::authorize_holding: {
      const auto& o = std::get<AuthorizeHoldingOp>(op);
      return op_set_holding_flag(o.holder, o.code, source, holding_flag_authorized, o.authorized,
                                 j);
    }
    case OpType::freeze_holding: {
      const auto& o = std::get<FreezeHoldingOp>(op);
      return op_set_holding_flag(o.holder, o.code, source, holding_flag_frozen, o.frozen, j);
    }
    case OpType::issue: {
      const auto& o = std::get<IssueOp>(op);
      auto asset_index = find_asset(AssetId{o.code, accounts_[source].id});
      if (!asset_index) return ResultCode::op_asset_not_found;
      return op_issue(source, *asset_index, o.to, o.amount, j);
    }
    case OpType::redeem: {
      const auto& o = std::get<RedeemOp>(op);
      if (o.amount <= 0) return ResultCode::op_invalid_amount;
      auto asset_index = find_asset(o.asset);
      if (!asset_index) return ResultCode::op_asset_not_found;
      if (assets_[*asset_index].issuer_index == source) return ResultCode::op_issuer_cannot_hold;
      return op_redeem(source, *asset_index, o.amount, j);
    }
    case OpType::transfer:
      return op_transfer(std::get<TransferOp>(op), source, j);
    case OpType::clawback:
      return op_clawback(std::get<ClawbackOp>(op), source, j);
    case OpType::set_validators:
      return op_set_validators(std::get<SetValidatorsOp>(op), j);
    case OpType::queue_transfer:
      return op_queue_transfer(std::get<QueueTransferOp>(op), source, j);
    case OpType::cancel_queued:
      return op_cancel_queued(std::get<CancelQueuedOp>(op), source, j);
    case OpType::create_escrow:
      return op_create_escrow(std::get<CreateEscrowOp>(op), source, j);
    case OpType::finish_escrow:
      return op_finish_escrow(std::get<FinishEscrowOp>(op), source, j);
    case OpType::cancel_escrow:
      return op_cancel_escrow(std::get<CancelEscrowOp>(op), source, j);
    // FX (ledger_fx.cc).
    case OpType::place_offer:
      return op_place_offer(std::get<PlaceOfferOp>(op), source, j);
    case OpType::cancel_offer:
      return op_cancel_offer(std::get<CancelOfferOp>(op), source, j);
    case OpType::replace_offer:
      return op_replace_offer(std::get<ReplaceOfferOp>(op), source, j);
    case OpType::path_payment_send: {
      const auto& o = std::get<PathPaymentSendOp>(op);
      return op_path_payment(PathMode::exact_send, source, o.destination, o.send_asset,
                             o.send_amount, o.dest_asset, o.dest_min, o.path, j);
    }
    case OpType::path_payment_receive: {
      const auto& o = std::get<PathPaymentReceiveOp>(op);
      return op_path_payment(PathMode::exact_receive, source, o.destination, o.send_asset,
                             o.send_max, o.dest_asset, o.dest_amount, o.path, j);
    }
  }
  return ResultCode::tx_malformed;
}

void Ledger::rollback(Journal& j) {
  for (auto it = j.entries.rbegin(); it != j.entries.rend(); ++it) {
    switch (it->kind) {
      case Journal::Kind::holding_changed: {
        auto h = indexes_->holdings.find(it->key);
        CORRIDOR_ASSERT(h != indexes_->holdings.end());
        // The entry only: the slot's tree key belongs to the same holding before and after.
        static_cast<HoldingEntry&>(h->second) = it->old_holding;
        break;
      }
      case Journal::Kind::holding_created:
        indexes_->holdings.erase(it->key);
        break;
      case Journal::Kind::holding_listed:
        CORRIDOR_ASSERT(!accounts_[it->index].holding_assets.empty());
        accounts_[it->index].holding_assets.pop_back();
        break;
      case Journal::Kind::account_created:
        CORRIDOR_ASSERT(it->index + 1 == accounts_.size());
        indexes_->accounts.erase(accounts_.back().id);
        accounts_.pop_back();
        break;
      case Journal::Kind::asset_created:
        CORRIDOR_ASSERT(it->index + 1 == assets_.size());
        asset_index_.erase(assets_.back().id);
        assets_.pop_back();
        asset_cache_.reset();
        break;
      case Journal::Kind::asset_supply_changed:
        assets_[it->index].supply = it->old_supply;
        break;
      case Journal::Kind::account_signers_changed: {
        auto& old = j.old_signers.back();
        accounts_[it->index].signers = std::move(old.first);
        accounts_[it->index].threshold = old.second;
        j.old_signers.pop_back();
        break;
      }
      case Journal::Kind::validator_set_changed:
        // Writing back the restored set at end_block is harmless; there is nothing to write
        // if there was none.
        validator_set_ = std::move(j.old_validator_set);
        if (!validator_set_) validator_set_dirty_ = false;
        break;
      case Journal::Kind::queue_added:
      case Journal::Kind::queue_removed:
      case Journal::Kind::escrow_added:
      case Journal::Kind::escrow_removed:
      case Journal::Kind::counters_changed:
      case Journal::Kind::queue_event_added:
        roll_back_settlement(*it, j);
        break;
      case Journal::Kind::offer_created:
      case Journal::Kind::offer_changed:
      case Journal::Kind::next_offer_id_changed:
        undo_fx(*it, j);
        break;
    }
  }
  j.clear();
}

StateDelta Ledger::end_block() {
  // The queue settles once per block, after every transaction of the block, so that payments
  // queued in this block take part.
  settle_queue();
  StateDelta d = std::move(spare_delta_);
  spare_delta_ = StateDelta{};
  const size_t dirty = dirty_accounts_.size() + dirty_assets_.size() + dirty_holdings_.size();
  d.changes.reserve(dirty);
  // Accounts, assets and holdings, the bulk of a block's changes, are encoded into the
  // changes a recycled delta left (their buffers keep their room); the rarer kinds below are
  // appended once these are done.
  size_t reused = 0;
  auto next_change = [&]() -> StateChange& {
    if (reused == d.changes.size()) d.changes.emplace_back();
    StateChange& c = d.changes[reused++];
    c.key.clear();
    c.value.clear();
    return c;
  };
  // The tree is updated once all changes are known, in one pass over them in the order of
  // their hashed keys (StateTree::put_sorted): each node on their paths is then reached and
  // rehashed once, while it is in cache (docs/benchmarks.md). The root does not depend on the
  // order of puts; the sort is stable so that a key put twice keeps its last value.
  std::vector<std::pair<Hash256, Hash256>> leaves;
  leaves.reserve(dirty + ids_added_.size());
  for (const ReplayId& r : ids_expired_) erase_leaf(replay_leaf(r).first);
  for (const ReplayId& r : ids_added_) leaves.push_back(replay_leaf(r));
  // A change's leaf: its hashed key and hashed value.
  auto add_leaf = [&](const StateChange& c) {
    leaves.emplace_back(sha256(c.key), sha256(c.value));
  };
  auto emit = [&](Bytes key, Bytes value) {
    d.changes.push_back({std::move(key), std::move(value)});
    add_leaf(d.changes.back());
  };
  // Entries rolled back within the block may still be listed; an index past the end or a
  // cleared dirty flag means there is nothing to write.
  for (uint32_t i : dirty_accounts_) {
    if (i >= accounts_.size() || !accounts_[i].dirty) continue;
    AccountEntry& a = accounts_[i];
    a.dirty = false;
    StateChange& c = next_change();
    encode_account_key(a.id, c.key);
    encode_account_value(a, c.value);
    add_leaf(c);
  }
  for (uint32_t i : dirty_assets_) {
    if (i >= assets_.size() || !assets_[i].dirty) continue;
    AssetEntry& a = assets_[i];
    a.dirty = false;
    StateChange& c = next_change();
    encode_asset_key(a.id, c.key);
    encode_asset_value(a, c.value);
    add_leaf(c);
  }
  // Reading a changed holding's account id (for its key) is a cache miss under load, one for
  // every holding: the account of the holding a few places ahead is fetched while this one is
  // encoded and hashed (BM_LedgerDenseBlock, docs/benchmarks.md). A held holding's key is not
  // encoded (hold_holding_changes), so nothing is fetched for it.
  constexpr size_t prefetch_distance = 8;
  Bytes key_scratch;
  for (size_t n = 0; n < dirty_holdings_.size(); ++n) {
    const HoldingKey k = dirty_holdings_[n];
    if (!hold_holdings_ && n + prefetch_distance < dirty_holdings_.size()) {
      const size_t account = dirty_holdings_[n + prefetch_distance] >> 32;
      if (account < accounts_.size()) __builtin_prefetch(&accounts_[account].id);
    }
    auto it = indexes_->holdings.find(k);
    if (it == indexes_->holdings.end() || !it->second.dirty) continue;
    HoldingSlot& h = it->second;
    h.dirty = false;
    // Its leaf is hashed at the next root height, from the value it has then: under load a
    // holding changes in most blocks between two root heights, and only its last value
    // reaches the tree (fold_waiting_leaves).
    if (h.leaf_fold != folds_ + 1) {
      h.leaf_fold = folds_ + 1;
      fold_holdings_.push_back(k);
    }
    Bytes* key = &key_scratch;
    if (hold_holdings_) {
      // Listed for the host's next take instead of encoded into the delta.
      if (h.held_take != takes_ + 1) {
        h.held_take = takes_ + 1;
        held_holdings_.push_back(k);
      }
    } else {
      StateChange& c = next_change();
      encode_holding_value(h, c.value);
      key = &c.key;
    }
    // The holding's tree key is hashed once, the first time it changes (or when it is loaded),
    // and kept in its slot. The encoded key is built for a delta, which stores it, and for that
    // first hash.
    if (!hold_holdings_ || !h.tree_key_known) {
      key->clear();
      encode_holding_key(accounts_[k >> 32].id, assets_[k & 0xffffffffu].id, *key);
    }
    if (!h.tree_key_known) {
      h.tree_key = sha256(*key);
      h.tree_key_known = true;
    }
  }
  // What the recycled delta held beyond this block's changes goes; the rest are appended.
  d.changes.resize(reused);
  emit_settlement_entries([&](Bytes key, Bytes value) { emit(std::move(key), std::move(value)); },
                          [&](Bytes key) {
                            erase_leaf(sha256(key));
                            d.changes.push_back({std::move(key), {}});
                          });
  if (validator_set_dirty_) {
    validator_set_dirty_ = false;
    CORRIDOR_ASSERT(validator_set_.has_value());
    Bytes key, value;
    encode_validator_set_key(key);
    encode_validator_set_value(*validator_set_, value);
    emit(std::move(key), std::move(value));
  }
  end_block_fx(d, leaves);
  put_leaves(leaves);
  dirty_accounts_.clear();
  dirty_assets_.clear();
  dirty_holdings_.clear();
  d.ids_added = std::move(ids_added_);
  d.ids_expired = std::move(ids_expired_);
  ids_added_.clear();
  ids_expired_.clear();
  d.queue_events = std::move(queue_events_);
  queue_events_.clear();
  return d;
}

void Ledger::hold_holding_changes() {
  CORRIDOR_ASSERT_MSG(height_ == 0 && dirty_holdings_.empty() && fold_holdings_.empty(),
                      "holding changes are held from before the first block");
  hold_holdings_ = true;
}

StateDelta Ledger::take_holding_changes() {
  CORRIDOR_ASSERT_MSG(dirty_holdings_.empty(), "holding changes are taken between blocks");
  StateDelta d;
  d.changes.resize(held_holdings_.size());
  for (size_t n = 0; n < held_holdings_.size(); ++n) {
    const HoldingKey k = held_holdings_[n];
    // A holding never leaves the table at the end of a block (only a rollback within its
    // transaction removes one), so each listed one is still there, and is a put.
    auto it = indexes_->holdings.find(k);
    CORRIDOR_ASSERT_MSG(it != indexes_->holdings.end(),
                        "a holding changed since the last take is in the table");
    StateChange& c = d.changes[n];
    encode_holding_key(accounts_[k >> 32].id, assets_[k & 0xffffffffu].id, c.key);
    encode_holding_value(it->second, c.value);
  }
  held_holdings_.clear();
  ++takes_;
  return d;
}

void Ledger::recycle_delta(StateDelta&& spent) {
  if (spent.changes.size() > spare_delta_changes_max) spent.changes.resize(spare_delta_changes_max);
  spare_delta_ = std::move(spent);
}

// --- Operations ---------------------------------------------------------------------------

ResultCode Ledger::op_create_account(const CreateAccountOp& op, const AccountId& source_id,
                                     Journal& j) {
  if (account_id_from_public_key(op.public_key) != source_id) return ResultCode::op_key_mismatch;
  if (indexes_->accounts.contains(source_id)) return ResultCode::op_account_exists;
  auto index = static_cast<uint32_t>(accounts_.size());
  AccountEntry& a = accounts_.emplace_back();
  a.id = source_id;
  a.signers = {{op.public_key, 1}};
  a.threshold = 1;
  indexes_->accounts.emplace(source_id, index);
  j.entries.push_back({Journal::Kind::account_created, index});
  mark_dirty(a, index);
  return ResultCode::ok;
}

ResultCode Ledger::op_set_signers(const SetSignersOp& op, uint32_t source, Journal& j) {
  AccountEntry& a = accounts_[source];
  j.old_signers.emplace_back(a.signers, a.threshold);
  j.entries.push_back({Journal::Kind::account_signers_changed, source});
  a.signers = op.signers;
  a.threshold = op.threshold;
  mark_dirty(a, source);
  return ResultCode::ok;
}

ResultCode Ledger::op_create_asset(const CreateAssetOp& op, uint32_t source, Journal& j) {
  if (op.scale > asset_scale_max) return ResultCode::op_invalid_scale;
  if ((op.flags & ~asset_flags_all) != 0) return ResultCode::op_invalid_flags;
  AssetId id{op.code, accounts_[source].id};
  if (asset_index_.contains(id)) return ResultCode::op_asset_exists;
  auto index = static_cast<uint32_t>(assets_.size());
  AssetEntry& a = assets_.emplace_back();
  a.id = id;
  a.scale = op.scale;
  a.flags = op.flags;
  a.issuer_index = source;
  asset_index_.emplace(id, index);
  j.entries.push_back({Journal::Kind::asset_created, index});
  mark_dirty(a, index);
  return ResultCode::ok;
}

ResultCode Ledger::op_open_holding(const OpenHoldingOp& op, uint32_t source, Journal& j) {
  if (op.limit <= 0) return ResultCode::op_invalid_limit;
  auto asset_index = find_asset(op.asset);
  if (!asset_index) return ResultCode::op_asset_not_found;
  const AssetEntry& as = assets_[*asset_index];
  if (as.issuer_index == source) return ResultCode::op_issuer_cannot_hold;
  HoldingKey key = holding_key(source, *asset_index);
  if (HoldingEntry* h = find_holding(source, *asset_index)) {
    // Amounts locked in the account's offers of this asset return here when cancelled.
    if (op.limit - fx_locked(key) < h->balance) return ResultCode::op_limit_below_balance;
    j.entries.push_back({Journal::Kind::holding_changed, 0, key, *h});
    h->limit = op.limit;
    mark_dirty(*h, key);
    return ResultCode::ok;
  }
  AccountEntry& acct = accounts_[source];
  if (acct.holding_assets.size() >= account_holdings_max) return ResultCode::op_too_many_holdings;
  HoldingEntry& h = indexes_->holdings[key];
  h.limit = op.limit;
  h.flags = (as.flags & asset_flag_authorization_required) ? 0 : holding_flag_authorized;
  acct.holding_assets.push_back(*asset_index);
  j.entries.push_back({Journal::Kind::holding_created, 0, key});
  j.entries.push_back({Journal::Kind::holding_listed, source});
  mark_dirty(h, key);
  return ResultCode::ok;
}

ResultCode Ledger::op_set_holding_flag(const AccountId& holder, const AssetCode& code,
                                       uint32_t source, uint8_t flag, bool set, Journal& j) {
  auto asset_index = find_asset(AssetId{code, accounts_[source].id});
  if (!asset_index) return ResultCode::op_asset_not_found;
  const AssetEntry& as = assets_[*asset_index];
  if (flag == holding_flag_authorized && !(as.flags & asset_flag_authorization_required))
    return ResultCode::op_authorization_not_required;
  if (flag == holding_flag_frozen && !(as.flags & asset_flag_freezable))
    return ResultCode::op_freeze_disabled;
  auto holder_index = find_account(holder);
  if (!holder_index) return ResultCode::op_account_not_found;
  HoldingEntry* h = find_holding(*holder_index, *asset_index);
  if (!h) return ResultCode::op_holding_not_found;
  HoldingKey key = holding_key(*holder_index, *asset_index);
  j.entries.push_back({Journal::Kind::holding_changed, 0, key, *h});
  h->flags = set ? (h->flags | flag) : (h->flags & ~flag);
  mark_dirty(*h, key);
  return ResultCode::ok;
}

ResultCode Ledger::op_issue(uint32_t issuer, uint32_t asset_index, const AccountId& to,
                            Amount amount, Journal& j) {
  if (amount <= 0) return ResultCode::op_invalid_amount;
  AssetEntry& as = assets_[asset_index];
  if (as.issuer_index != issuer) return ResultCode::op_not_issuer;
  auto to_index = find_account(to);
  if (!to_index) return ResultCode::op_account_not_found;
  if (*to_index == issuer) return ResultCode::op_issuer_cannot_hold;
  HoldingEntry* h = find_holding(*to_index, asset_index);
  if (!h) return ResultCode::op_holding_not_found;
  if (h->frozen()) return ResultCode::op_frozen;
  if (!h->authorized()) return ResultCode::op_not_authorized;
  HoldingKey key = holding_key(*to_index, asset_index);
  if (h->balance > h->limit - fx_locked(key) - amount) return ResultCode::op_limit_exceeded;
  auto supply = checked_add(as.supply, amount);
  if (!supply) return ResultCode::op_supply_overflow;
  j.entries.push_back({Journal::Kind::holding_changed, 0, key, *h});
  j.entries.push_back({Journal::Kind::asset_supply_changed, asset_index, 0, {}, as.supply});
  h->balance += amount;
  as.supply = *supply;
  mark_dirty(*h, key);
  mark_dirty(as, asset_index);
  return ResultCode::ok;
}

ResultCode Ledger::op_redeem(uint32_t holder, uint32_t asset_index, Amount amount, Journal& j) {
  AssetEntry& as = assets_[asset_index];
  HoldingEntry* h = find_holding(holder, asset_index);
  if (!h) return ResultCode::op_holding_not_found;
  // A deauthorized holder may still return funds to the issuer; a frozen one may not.
  if (h->frozen()) return ResultCode::op_frozen;
  if (h->balance < amount) return ResultCode::op_insufficient_balance;
  HoldingKey key = holding_key(holder, asset_index);
  j.entries.push_back({Journal::Kind::holding_changed, 0, key, *h});
  j.entries.push_back({Journal::Kind::asset_supply_changed, asset_index, 0, {}, as.supply});
  h->balance -= amount;
  as.supply -= amount;
  mark_dirty(*h, key);
  mark_dirty(as, asset_index);
  return ResultCode::ok;
}

ResultCode Ledger::op_transfer(const TransferOp& op, uint32_t source, Journal& j) {
  if (op.amount <= 0) return ResultCode::op_invalid_amount;
  auto asset_index = find_asset(op.asset);
  if (!asset_index) return ResultCode::op_asset_not_found;
  auto to_index = find_account(op.to);
  if (!to_index) return ResultCode::op_account_not_found;
  if (*to_index == source) return ResultCode::op_self_transfer;
  const AssetEntry& as = assets_[*asset_index];
  // Paying the issuer redeems, and the issuer paying someone issues: the issuer holds no
  // balance of its own asset, so these are the only meanings a transfer can have there.
  if (as.issuer_index == source) return op_issue(source, *asset_index, op.to, op.amount, j);
  if (as.issuer_index == *to_index) return op_redeem(source, *asset_index, op.amount, j);
  HoldingEntry* from = find_holding(source, *asset_index);
  if (!from) return ResultCode::op_holding_not_found;
  HoldingEntry* to = find_holding(*to_index, *asset_index);
  if (!to) return ResultCode::op_holding_not_found;
  if (from->frozen() || to->frozen()) return ResultCode::op_frozen;
  if (!from->authorized() || !to->authorized()) return ResultCode::op_not_authorized;
  if (from->balance < op.amount) return ResultCode::op_insufficient_balance;
  HoldingKey from_key = holding_key(source, *asset_index);
  HoldingKey to_key = holding_key(*to_index, *asset_index);
  if (to->balance > to->limit - fx_locked(to_key) - op.amount) return ResultCode::op_limit_exceeded;
  j.entries.push_back({Journal::Kind::holding_changed, 0, from_key, *from});
  j.entries.push_back({Journal::Kind::holding_changed, 0, to_key, *to});
  from->balance -= op.amount;
  to->balance += op.amount;
  mark_dirty(*from, from_key);
  mark_dirty(*to, to_key);
  return ResultCode::ok;
}

ResultCode Ledger::op_clawback(const ClawbackOp& op, uint32_t source, Journal& j) {
  if (op.amount <= 0) return ResultCode::op_invalid_amount;
  auto asset_index = find_asset(AssetId{op.code, accounts_[source].id});
  if (!asset_index) return ResultCode::op_asset_not_found;
  AssetEntry& as = assets_[*asset_index];
  if (!(as.flags & asset_flag_clawback_enabled)) return ResultCode::op_clawback_disabled;
  auto from_index = find_account(op.from);
  if (!from_index) return ResultCode::op_account_not_found;
  HoldingEntry* h = find_holding(*from_index, *asset_index);
  if (!h) return ResultCode::op_holding_not_found;
  if (h->balance < op.amount) return ResultCode::op_insufficient_balance;
  HoldingKey key = holding_key(*from_index, *asset_index);
  j.entries.push_back({Journal::Kind::holding_changed, 0, key, *h});
  j.entries.push_back({Journal::Kind::asset_supply_changed, *asset_index, 0, {}, as.supply});
  h->balance -= op.amount;
  as.supply -= op.amount;
  mark_dirty(*h, key);
  mark_dirty(as, *asset_index);
  return ResultCode::ok;
}

ResultCode Ledger::op_set_validators(const SetValidatorsOp& op, Journal& j) {
  // check_stateless has checked the list (non-empty, bounded, distinct keys), that approvers
  // are distinct and that every approval's signature verifies over this change.
  if (!validator_set_) {
    // The genesis block installs the first set; there is nobody yet to approve it.
    if (height_ != 0 || op.epoch != 0) return ResultCode::op_wrong_epoch;
    if (!op.approvals.empty()) return ResultCode::op_unknown_approver;
  } else {
    if (op.epoch != validator_set_->epoch + 1) return ResultCode::op_wrong_epoch;
    const auto& current = validator_set_->validators;
    for (const auto& a : op.approvals)
      if (std::find(current.begin(), current.end(), a.key) == current.end())
        return ResultCode::op_unknown_approver;
    if (op.approvals.size() < bft_quorum(current.size()))
      return ResultCode::op_insufficient_approvals;
  }
  j.entries.push_back({Journal::Kind::validator_set_changed});
  j.old_validator_set = validator_set_;
  validator_set_ = ValidatorSetEntry{op.epoch, op.validators};
  validator_set_dirty_ = true;
  return ResultCode::ok;
}

void Ledger::set_state_root_interval(uint64_t blocks) {
  CORRIDOR_ASSERT_MSG(blocks >= 1 && blocks <= state_root_interval_blocks_max,
                      "the state root interval is out of range");
  CORRIDOR_ASSERT_MSG(
      height_ == 0 && waiting_leaves_.empty() && fold_holdings_.empty() && tree_.size() == 0,
      "the state root interval is set before any state");
  state_root_interval_ = blocks;
}

void Ledger::erase_leaf(const Hash256& key) {
  waiting_leaves_.emplace_back(key, std::nullopt);
}

void Ledger::put_leaves(const std::vector<std::pair<Hash256, Hash256>>& leaves) {
  waiting_leaves_.reserve(waiting_leaves_.size() + leaves.size());
  for (const auto& [key, value_hash] : leaves) waiting_leaves_.emplace_back(key, value_hash);
  // Every height is a root height when the interval is 1.
  if (is_root_height(height_)) fold_waiting_leaves();
}

void Ledger::fold_waiting_leaves() {
  auto& w = waiting_leaves_;
  // The holdings changed since the last root height, each once, with the value it has now.
  // A holding never leaves the table at the end of a block (only a rollback within its
  // transaction removes one), so each is a put; its tree key is distinct from every other
  // leaf's, so where it lands among them is immaterial.
  w.reserve(w.size() + fold_holdings_.size());
  Bytes value;
  for (const HoldingKey k : fold_holdings_) {
    auto it = indexes_->holdings.find(k);
    CORRIDOR_ASSERT_MSG(it != indexes_->holdings.end() && it->second.tree_key_known,
                        "a holding changed since the last root height is in the table");
    value.clear();
    encode_holding_value(it->second, value);
    w.emplace_back(it->second.tree_key, sha256(value));
  }
  fold_holdings_.clear();
  std::stable_sort(w.begin(), w.end(),
                   [](const auto& x, const auto& y) { return tree_key_less(x.first, y.first); });
  // Of a key changed more than once since the last root height its last change stands, as if
  // each had reached the tree in turn (within a block, removals come before puts: end_block
  // records them first). Removals and puts of distinct keys commute.
  auto last_of_each = std::unique(w.rbegin(), w.rend(), [](const auto& x, const auto& y) {
                        return x.first == y.first;
                      }).base();
  std::vector<std::pair<Hash256, Hash256>> puts;
  puts.reserve(static_cast<size_t>(w.end() - last_of_each));
  for (auto it = last_of_each; it != w.end(); ++it) {
    if (it->second)
      puts.emplace_back(it->first, *it->second);
    else
      tree_.erase(it->first);
  }
  tree_.put_sorted(puts);
  w.clear();
  ++folds_;
}

bool Ledger::changed_since_fold(const HoldingSlot& h) const {
  return h.dirty || h.leaf_fold > folds_;
}

// --- Proofs, loading, invariants ------------------------------------------------------------

std::optional<HoldingProof> Ledger::prove_holding(const AccountId& holder,
                                                  const AssetId& asset_id) {
  const HoldingSlot* h = holding_slot(holder, asset_id);
  // A holding changed in a block that has not ended, or in one since the last root height,
  // differs from its leaf in the tree, so no proof of its current value could verify against
  // state_root().
  if (!h || changed_since_fold(*h)) return std::nullopt;
  HoldingProof p;
  encode_holding_key(holder, asset_id, p.entry_key);
  encode_holding_value(*h, p.entry_value);
  auto proof = tree_.prove(h->tree_key_known ? h->tree_key : sha256(p.entry_key));
  // A holding created in a block that has not ended is not in the tree yet.
  if (!proof) return std::nullopt;
  p.proof = std::move(*proof);
  return p;
}

bool Ledger::holding_changed_since_root(const AccountId& holder, const AssetId& asset_id) const {
  const HoldingSlot* h = holding_slot(holder, asset_id);
  return h && changed_since_fold(*h);
}

Status Ledger::load_entry(ByteView key, ByteView value) {
  CORRIDOR_ASSIGN_OR_RETURN(EntryKey k, decode_entry_key(key));
  const Hash256 tree_key = sha256(key);
  switch (k.kind) {
    case EntryKind::account: {
      CORRIDOR_ASSIGN_OR_RETURN(AccountEntry a, decode_account_value(k.account, value));
      if (indexes_->accounts.contains(a.id)) return corruption("duplicate account entry");
      indexes_->accounts.emplace(a.id, static_cast<uint32_t>(accounts_.size()));
      accounts_.push_back(std::move(a));
      break;
    }
    case EntryKind::asset: {
      CORRIDOR_ASSIGN_OR_RETURN(AssetEntry a, decode_asset_value(k.asset, value));
      auto issuer = find_account(a.id.issuer);
      if (!issuer) return corruption("asset " + a.id.to_string() + " has no issuer account");
      if (asset_index_.contains(a.id)) return corruption("duplicate asset entry");
      a.issuer_index = *issuer;
      asset_index_.emplace(a.id, static_cast<uint32_t>(assets_.size()));
      assets_.push_back(a);
      break;
    }
    case EntryKind::holding: {
      CORRIDOR_ASSIGN_OR_RETURN(HoldingEntry h, decode_holding_value(value));
      auto acct = find_account(k.account);
      auto as = asset_index_.find(k.asset);
      if (!acct || as == asset_index_.end())
        return corruption("holding of " + k.asset.to_string() + " by " + k.account.hex() +
                          " names a missing account or asset");
      if (indexes_->holdings.contains(holding_key(*acct, as->second)))
        return corruption("duplicate holding entry");
      HoldingSlot& slot = indexes_->holdings[holding_key(*acct, as->second)];
      static_cast<HoldingEntry&>(slot) = h;
      slot.tree_key = tree_key;
      slot.tree_key_known = true;
      accounts_[*acct].holding_assets.push_back(as->second);
      break;
    }
    case EntryKind::validator_set: {
      CORRIDOR_ASSIGN_OR_RETURN(ValidatorSetEntry v, decode_validator_set_value(value));
      if (validator_set_) return corruption("duplicate validator set entry");
      validator_set_ = std::move(v);
      break;
    }
    case EntryKind::queued_payment:
    case EntryKind::escrow:
    case EntryKind::counters:
      CORRIDOR_RETURN_IF_ERROR(load_settlement_entry(k, value));
      break;
    case EntryKind::offer:
      CORRIDOR_RETURN_IF_ERROR(load_offer(k, value));
      break;
  }
  tree_.put(tree_key, sha256(value));
  return Status();
}

void Ledger::load_replay_id(const ReplayId& id) {
  if (!replay_ids_.insert(id.id).second) return;
  replay_by_height_[id.valid_until_height].push_back(id.id);
  const auto [key, value_hash] = replay_leaf(id);
  tree_.put(key, value_hash);
}

void Ledger::finish_load(uint64_t height) {
  CORRIDOR_ASSERT_MSG(is_root_height(height) && waiting_leaves_.empty() && fold_holdings_.empty(),
                      "a state is loaded at a root height");
  height_ = height;
  asset_cache_.reset();
}

Status Ledger::check_invariants() const {
  // Sums of int64 balances can exceed int64 before the check catches a broken invariant.
  std::vector<Int128> sums(assets_.size(), 0);
  for (const auto& [key, h] : indexes_->holdings) {
    uint32_t acct = static_cast<uint32_t>(key >> 32);
    uint32_t as = static_cast<uint32_t>(key & 0xffffffffu);
    if (acct >= accounts_.size() || as >= assets_.size())
      return corruption("holding refers to a missing account or asset");
    if (h.balance < 0)
      return corruption("negative balance in holding of " + assets_[as].id.to_string() + " by " +
                        accounts_[acct].id.hex());
    if (h.balance > h.limit - fx_locked(key))
      return corruption("balance above limit in holding of " + assets_[as].id.to_string() + " by " +
                        accounts_[acct].id.hex());
    if (acct == assets_[as].issuer_index) return corruption("issuer holds its own asset");
    sums[as] += h.balance;
  }
  // Funds locked in escrows are part of the supply until released.
  std::vector<Amount> locked(assets_.size(), 0);
  CORRIDOR_RETURN_IF_ERROR(check_settlement_invariants(locked));
  for (size_t i = 0; i < assets_.size(); ++i) sums[i] += locked[i];
  // FX: amounts locked in resting offers count towards their selling asset's supply.
  CORRIDOR_RETURN_IF_ERROR(check_invariants_fx(sums));
  for (size_t i = 0; i < assets_.size(); ++i) {
    if (assets_[i].supply < 0) return corruption("negative supply of " + assets_[i].id.to_string());
    if (sums[i] != assets_[i].supply)
      return corruption("conservation broken for " + assets_[i].id.to_string() +
                        ": holdings sum differs from supply " + std::to_string(assets_[i].supply));
  }
  return Status();
}

}  // namespace corridor::ledger
