// The liquidity queue and escrows: the Ledger's operations that hold a payment back until it
// can settle (funds, conditions), and the end-of-block gridlock resolution. Part of the Ledger
// class; kept apart from ledger.cc so that each file stays about one subject.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "ledger/gridlock.h"
#include "ledger/ledger.h"
#include "ledger/limits.h"

namespace corridor::ledger {

// --- Shared helpers -----------------------------------------------------------------------

ResultCode Ledger::credit_holding(uint32_t account, uint32_t asset, Amount amount, Journal& j) {
  HoldingEntry* h = find_holding(account, asset);
  if (!h) return ResultCode::op_holding_not_found;
  if (h->frozen()) return ResultCode::op_frozen;
  if (!h->authorized()) return ResultCode::op_not_authorized;
  HoldingKey key = holding_key(account, asset);
  // Funds locked in the holder's offers count against the limit too, so that cancelling them
  // always fits (docs/fx.md).
  if (!has_room(key, *h, amount)) return ResultCode::op_limit_exceeded;
  j.entries.push_back({Journal::Kind::holding_changed, 0, key, *h});
  h->balance += amount;
  mark_dirty(*h, key);
  return ResultCode::ok;
}

void Ledger::bump_counters(Journal& j) {
  j.entries.push_back({Journal::Kind::counters_changed});
  j.old_counters.push_back(counters_);
  counters_dirty_ = true;
}

void Ledger::add_queue_event(QueueEventKind kind, const QueuedPaymentEntry& q, Journal* j) {
  queue_events_.push_back({kind, q.seq, q.tx_id, q.op_index});
  if (j) j->entries.push_back({Journal::Kind::queue_event_added});
}

void Ledger::roll_back_settlement(const Journal::Entry& e, Journal& j) {
  switch (e.kind) {
    case Journal::Kind::queue_added:
      queue_.erase(e.key);
      break;
    case Journal::Kind::queue_removed:
      queue_.emplace(e.key, std::move(j.old_queued.back()));
      j.old_queued.pop_back();
      break;
    case Journal::Kind::escrow_added:
      escrows_.erase(e.key);
      break;
    case Journal::Kind::escrow_removed:
      escrows_.emplace(e.key, std::move(j.old_escrows.back()));
      j.old_escrows.pop_back();
      break;
    case Journal::Kind::counters_changed:
      counters_ = j.old_counters.back();
      j.old_counters.pop_back();
      break;
    case Journal::Kind::queue_event_added:
      CORRIDOR_ASSERT(!queue_events_.empty());
      queue_events_.pop_back();
      break;
    default:
      CORRIDOR_ASSERT_MSG(false, "not a settlement journal entry");
  }
  // The entry stays listed as dirty: end_block writes whatever it holds then, which is the
  // state before the transaction (a put of the old value, or an erase of what never was).
}

// --- The liquidity queue --------------------------------------------------------------------

ResultCode Ledger::op_queue_transfer(const QueueTransferOp& op, uint32_t source, Journal& j) {
  auto asset_index = find_asset(op.asset);
  if (!asset_index) return ResultCode::op_asset_not_found;
  auto to_index = find_account(op.to);
  if (!to_index) return ResultCode::op_account_not_found;
  if (*to_index == source) return ResultCode::op_self_transfer;
  // The issuer holds none of its own asset, so it can neither wait for funds nor receive them
  // through the queue; it issues and redeems directly.
  const uint32_t issuer = assets_[*asset_index].issuer_index;
  if (issuer == source || issuer == *to_index) return ResultCode::op_issuer_cannot_hold;
  const HoldingEntry* from = find_holding(source, *asset_index);
  const HoldingEntry* to = find_holding(*to_index, *asset_index);
  if (!from || !to) return ResultCode::op_holding_not_found;
  if (from->frozen() || to->frozen()) return ResultCode::op_frozen;
  if (!from->authorized() || !to->authorized()) return ResultCode::op_not_authorized;
  if (op.last_height < height_ || op.last_height - height_ > queue_validity_blocks_max)
    return ResultCode::op_invalid_expiry;
  if (queue_.size() >= queue_payments_max) return ResultCode::op_queue_full;

  bump_counters(j);
  QueuedPaymentEntry q;
  q.seq = counters_.next_queue_seq++;
  q.payer = accounts_[source].id;
  q.payee = op.to;
  q.asset = op.asset;
  q.amount = op.amount;
  q.band = op.band;
  q.last_height = op.last_height;
  q.queued_height = height_;
  q.tx_id = current_tx_id_;
  q.op_index = current_op_index_;
  j.entries.push_back({Journal::Kind::queue_added, 0, q.seq});
  dirty_queue_.insert(q.seq);
  add_queue_event(QueueEventKind::queued, q, &j);
  queue_.emplace(q.seq, std::move(q));
  return ResultCode::ok;
}

ResultCode Ledger::op_cancel_queued(const CancelQueuedOp& op, uint32_t source, Journal& j) {
  auto it = queue_.find(op.seq);
  if (it == queue_.end()) return ResultCode::op_queued_payment_not_found;
  if (it->second.payer != accounts_[source].id) return ResultCode::op_not_payer;
  add_queue_event(QueueEventKind::cancelled, it->second, &j);
  j.entries.push_back({Journal::Kind::queue_removed, 0, op.seq});
  j.old_queued.push_back(std::move(it->second));
  queue_.erase(it);
  dirty_queue_.insert(op.seq);
  return ResultCode::ok;
}

void Ledger::settle_queue() {
  if (queue_.empty()) return;
  // Accounts and assets are never removed, so every queued payment's parties resolve.
  struct Party {
    uint32_t payer, payee, asset;
  };
  std::vector<QueuedPayment> payments;
  std::vector<Party> parties;
  std::vector<uint64_t> expired;
  // An ineligible payment holds back the later payments of its payer and asset (its band's
  // and lower bands'), which would otherwise overtake it. Ranks compare (band, seq).
  using Rank = std::pair<uint8_t, uint64_t>;
  std::map<std::pair<uint32_t, uint32_t>, Rank> blocked;  // (payer, asset) -> first held back
  auto block_from = [&](uint32_t payer, uint32_t asset, Rank rank) {
    auto [it, inserted] = blocked.emplace(std::make_pair(payer, asset), rank);
    if (!inserted && rank < it->second) it->second = rank;
  };
  auto drop_blocked = [&]() {
    size_t kept = 0;
    for (size_t i = 0; i < payments.size(); ++i) {
      const QueuedPayment& p = payments[i];
      auto it = blocked.find({p.payer, p.asset});
      const bool held = it != blocked.end() && p.last_height >= height_ &&
                        Rank{static_cast<uint8_t>(p.band), p.seq} >= it->second;
      if (held) continue;
      payments[kept] = p;
      parties[kept] = parties[i];
      ++kept;
    }
    payments.resize(kept);
    parties.resize(kept);
  };
  for (const auto& [seq, q] : queue_) {
    const uint32_t payer = *find_account(q.payer);
    const uint32_t payee = *find_account(q.payee);
    const uint32_t asset = *find_asset(q.asset);
    const HoldingEntry* from = find_holding(payer, asset);
    const HoldingEntry* to = find_holding(payee, asset);
    // A payment whose payer or payee is frozen or deauthorized waits (or expires); it takes no
    // part in netting, so the payments behind it wait too.
    const bool eligible =
        from && to && !from->frozen() && !to->frozen() && from->authorized() && to->authorized();
    if (!eligible) {
      if (q.last_height < height_) {
        expired.push_back(seq);
      } else {
        block_from(payer, asset, Rank{q.band, seq});
      }
      continue;
    }
    payments.push_back(
        {seq, payer, payee, asset, q.amount, static_cast<QueueBand>(q.band), q.last_height});
    parties.push_back({payer, payee, asset});
  }
  drop_blocked();

  // Payers' and payees' balances, once per position, in a deterministic order.
  std::map<std::pair<uint32_t, uint32_t>, Amount> positions;
  for (const Party& p : parties) {
    positions.emplace(std::make_pair(p.payer, p.asset), find_holding(p.payer, p.asset)->balance);
    positions.emplace(std::make_pair(p.payee, p.asset), find_holding(p.payee, p.asset)->balance);
  }
  std::vector<QueueBalance> balances;
  balances.reserve(positions.size());
  for (const auto& [pos, amount] : positions) balances.push_back({pos.first, pos.second, amount});

  // The resolver does not know holding limits: a payee that would end above its limit has its
  // latest incoming settled payment held back (with the payments of that payer behind it), and
  // the queue is resolved again. Each round holds back at least one payment; after
  // queue_limit_rounds_max rounds every payment into an over-limit position is held back.
  constexpr uint32_t queue_limit_rounds_max = 64;
  GridlockResult result;
  for (uint32_t round = 0;; ++round) {
    auto resolved = resolve_gridlock(payments, balances, height_);
    CORRIDOR_ASSERT_MSG(resolved.ok(), "the queue's own entries are well formed");
    result = std::move(resolved).value();
    bool over = false;
    for (const PositionChange& c : result.changes) {
      if (c.delta <= 0) continue;
      const HoldingEntry* h = find_holding(c.participant, c.asset);
      if (has_room(holding_key(c.participant, c.asset), *h, c.delta)) continue;
      over = true;
      for (size_t i = payments.size(); i-- > 0;) {
        const QueuedPayment& p = payments[i];
        if (p.payee != c.participant || p.asset != c.asset ||
            result.outcomes[i] != QueueOutcome::settled)
          continue;
        block_from(p.payer, p.asset, Rank{static_cast<uint8_t>(p.band), p.seq});
        if (round < queue_limit_rounds_max) break;
      }
    }
    if (!over) break;
    drop_blocked();
  }

  for (const PositionChange& c : result.changes) {
    HoldingEntry* h = find_holding(c.participant, c.asset);
    h->balance += c.delta;
    CORRIDOR_ASSERT(h->balance >= 0 &&
                    h->balance <= h->limit - fx_locked(holding_key(c.participant, c.asset)));
    mark_dirty(*h, holding_key(c.participant, c.asset));
  }
  for (size_t i = 0; i < payments.size(); ++i)
    if (result.outcomes[i] == QueueOutcome::expired) expired.push_back(payments[i].seq);
  std::sort(expired.begin(), expired.end());
  for (size_t i = 0; i < payments.size(); ++i) {
    if (result.outcomes[i] != QueueOutcome::settled) continue;
    auto it = queue_.find(payments[i].seq);
    add_queue_event(QueueEventKind::settled, it->second, nullptr);
    dirty_queue_.insert(it->first);
    queue_.erase(it);
  }
  for (uint64_t seq : expired) {
    auto it = queue_.find(seq);
    add_queue_event(QueueEventKind::expired, it->second, nullptr);
    dirty_queue_.insert(seq);
    queue_.erase(it);
  }
}

// --- Escrows ------------------------------------------------------------------------------

ResultCode Ledger::op_create_escrow(const CreateEscrowOp& op, uint32_t source, Journal& j) {
  auto asset_index = find_asset(op.asset);
  if (!asset_index) return ResultCode::op_asset_not_found;
  auto beneficiary = find_account(op.beneficiary);
  if (!beneficiary) return ResultCode::op_account_not_found;
  if (*beneficiary == source) return ResultCode::op_self_transfer;
  if ((op.conditions & escrow_on_approver) && !find_account(op.approver))
    return ResultCode::op_account_not_found;
  const uint32_t issuer = assets_[*asset_index].issuer_index;
  if (issuer == source || issuer == *beneficiary) return ResultCode::op_issuer_cannot_hold;
  HoldingEntry* from = find_holding(source, *asset_index);
  if (!from) return ResultCode::op_holding_not_found;
  if (from->frozen()) return ResultCode::op_frozen;
  if (!from->authorized()) return ResultCode::op_not_authorized;
  if (from->balance < op.amount) return ResultCode::op_insufficient_balance;
  if (escrows_.size() >= escrows_max) return ResultCode::op_too_many_escrows;

  HoldingKey key = holding_key(source, *asset_index);
  j.entries.push_back({Journal::Kind::holding_changed, 0, key, *from});
  from->balance -= op.amount;
  mark_dirty(*from, key);
  bump_counters(j);
  EscrowEntry e;
  e.id = counters_.next_escrow_id++;
  e.payer = accounts_[source].id;
  e.beneficiary = op.beneficiary;
  e.asset = op.asset;
  e.amount = op.amount;
  e.conditions = op.conditions;
  e.hash = op.hash;
  e.approver = op.approver;
  e.release_height = op.release_height;
  e.cancel_height = op.cancel_height;
  j.entries.push_back({Journal::Kind::escrow_added, 0, e.id});
  dirty_escrows_.insert(e.id);
  escrows_.emplace(e.id, std::move(e));
  return ResultCode::ok;
}

ResultCode Ledger::op_finish_escrow(const FinishEscrowOp& op, uint32_t source, Journal& j) {
  auto it = escrows_.find(op.id);
  if (it == escrows_.end()) return ResultCode::op_escrow_not_found;
  const EscrowEntry& e = it->second;
  const AccountId& who = accounts_[source].id;
  // A named approver (say, the shipping agent attesting delivery) is the only one who can
  // release; otherwise either party may submit the release once its conditions hold.
  if (e.conditions & escrow_on_approver) {
    if (who != e.approver) return ResultCode::op_not_approver;
  } else if (who != e.payer && who != e.beneficiary) {
    return ResultCode::op_not_approver;
  }
  if ((e.conditions & escrow_cancel_after) && height_ >= e.cancel_height)
    return ResultCode::op_escrow_expired;
  if ((e.conditions & escrow_on_preimage) && sha256(op.preimage) != e.hash)
    return ResultCode::op_wrong_preimage;
  if ((e.conditions & escrow_after_height) && height_ < e.release_height)
    return ResultCode::op_escrow_too_early;
  ResultCode c = credit_holding(*find_account(e.beneficiary), *find_asset(e.asset), e.amount, j);
  if (c != ResultCode::ok) return c;
  j.entries.push_back({Journal::Kind::escrow_removed, 0, op.id});
  j.old_escrows.push_back(std::move(it->second));
  escrows_.erase(it);
  dirty_escrows_.insert(op.id);
  return ResultCode::ok;
}

ResultCode Ledger::op_cancel_escrow(const CancelEscrowOp& op, uint32_t source, Journal& j) {
  auto it = escrows_.find(op.id);
  if (it == escrows_.end()) return ResultCode::op_escrow_not_found;
  const EscrowEntry& e = it->second;
  if (accounts_[source].id != e.payer) return ResultCode::op_not_payer;
  if (!(e.conditions & escrow_cancel_after) || height_ < e.cancel_height)
    return ResultCode::op_escrow_not_cancellable;
  ResultCode c = credit_holding(source, *find_asset(e.asset), e.amount, j);
  if (c != ResultCode::ok) return c;
  j.entries.push_back({Journal::Kind::escrow_removed, 0, op.id});
  j.old_escrows.push_back(std::move(it->second));
  escrows_.erase(it);
  dirty_escrows_.insert(op.id);
  return ResultCode::ok;
}

// --- State: tree entries, loading, invariants -------------------------------------------------

namespace {

// Writes each dirty entry of `entries` (numbered by the keys of an ordered map) as it is now,
// or erases it when it is gone: removed, or added and removed within the block, where an erase
// of an absent key is a no-op for the tree and the store.
template <typename Map, typename EncodeKey, typename EncodeValue>
void emit_dirty(const std::set<uint64_t>& dirty, const Map& entries, EncodeKey encode_key,
                EncodeValue encode_value, const std::function<void(Bytes, Bytes)>& put,
                const std::function<void(Bytes)>& erase) {
  for (uint64_t number : dirty) {
    Bytes key;
    encode_key(number, key);
    auto it = entries.find(number);
    if (it == entries.end()) {
      erase(std::move(key));
      continue;
    }
    Bytes value;
    encode_value(it->second, value);
    put(std::move(key), std::move(value));
  }
}

}  // namespace

void Ledger::emit_settlement_entries(const std::function<void(Bytes, Bytes)>& put,
                                     const std::function<void(Bytes)>& erase) {
  emit_dirty(dirty_queue_, queue_, encode_queued_payment_key, encode_queued_payment_value, put,
             erase);
  emit_dirty(dirty_escrows_, escrows_, encode_escrow_key, encode_escrow_value, put, erase);
  if (counters_dirty_) {
    Bytes key, value;
    encode_counters_key(key);
    encode_counters_value(counters_, value);
    put(std::move(key), std::move(value));
  }
  dirty_queue_.clear();
  dirty_escrows_.clear();
  counters_dirty_ = false;
}

Status Ledger::load_settlement_entry(const EntryKey& k, ByteView value) {
  switch (k.kind) {
    case EntryKind::queued_payment: {
      CORRIDOR_ASSIGN_OR_RETURN(QueuedPaymentEntry q, decode_queued_payment_value(k.number, value));
      if (!queue_.emplace(k.number, std::move(q)).second)
        return corruption("duplicate queued payment entry");
      return Status();
    }
    case EntryKind::escrow: {
      CORRIDOR_ASSIGN_OR_RETURN(EscrowEntry e, decode_escrow_value(k.number, value));
      if (!escrows_.emplace(k.number, std::move(e)).second)
        return corruption("duplicate escrow entry");
      return Status();
    }
    case EntryKind::counters: {
      CORRIDOR_ASSIGN_OR_RETURN(counters_, decode_counters_value(value));
      return Status();
    }
    default:
      return corruption("not a settlement entry");
  }
}

Status Ledger::check_settlement_invariants(std::vector<Amount>& locked) const {
  for (const auto& [seq, q] : queue_) {
    if (seq >= counters_.next_queue_seq) return corruption("queued payment beyond the counter");
    if (q.amount <= 0 || q.band > queue_band_normal)
      return corruption("malformed queued payment " + std::to_string(seq));
    if (!find_account(q.payer) || !find_account(q.payee) || !find_asset(q.asset))
      return corruption("queued payment " + std::to_string(seq) + " names a missing party");
  }
  for (const auto& [id, e] : escrows_) {
    if (id >= counters_.next_escrow_id) return corruption("escrow beyond the counter");
    auto asset = find_asset(e.asset);
    if (e.amount <= 0 || !asset || !find_account(e.payer) || !find_account(e.beneficiary))
      return corruption("malformed escrow " + std::to_string(id));
    auto sum = checked_add(locked[*asset], e.amount);
    if (!sum) return corruption("escrowed amounts of " + e.asset.to_string() + " overflow");
    locked[*asset] = *sum;
  }
  return Status();
}

}  // namespace corridor::ledger
