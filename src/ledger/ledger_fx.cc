// The ledger's FX operations: offers (place, cancel, replace) and path payments (exact-send and
// exact-receive), on top of the pure FX modules (price.h, order_book.h, path_payment.h,
// path_finder.h). docs/fx.md states the rules; this file keeps the ledger's side of them:
//
// - Funding: placing an offer moves its resting amount out of the owner's selling holding into
//   the offer entry, so every resting offer is fully funded. offer_locked_ sums the locked
//   amounts per holding, and every credit keeps balance + locked <= limit, so a cancel's refund
//   always fits the holding. Conservation: per asset, holdings + offers selling it == supply.
// - Owners who cannot trade: an offer whose owner's holding of either asset is frozen or not
//   authorized, or whose buying holding has no room for the fill's proceeds, is cancelled
//   (its amount returned to the owner) when a crossing reaches it, and the crossing is planned
//   again without it. Such removals count against offers_crossed_max, and like everything else
//   they are undone if the operation fails. Clawback takes only from the holding's balance.
// - Offer ids: a counter (next_offer_id_, starting at 1) kept in the state under the offer key
//   of id 0; ids only grow, so a lower id is an older offer (time priority).
// - Every change goes through the journal, so a failed operation restores holdings, offers,
//   books and the counter exactly.
#include <algorithm>

#include "ledger/detail/ledger_indexes.h"
#include "ledger/ledger.h"
#include "ledger/limits.h"
#include "ledger/path_finder.h"

namespace corridor::ledger {

namespace {

ResultCode cross_code(CrossError e) {
  switch (e) {
    case CrossError::ok:
      return ResultCode::ok;
    case CrossError::invalid_amount:
      return ResultCode::op_invalid_amount;
    case CrossError::invalid_limit:
      return ResultCode::op_invalid_price;
    case CrossError::insufficient_liquidity:
      return ResultCode::op_insufficient_liquidity;
    case CrossError::too_many_offers_crossed:
      return ResultCode::op_too_many_offers_crossed;
    case CrossError::self_cross:
      return ResultCode::op_offer_cross_self;
    case CrossError::overflow:
      return ResultCode::op_amount_overflow;
  }
  return ResultCode::op_amount_overflow;
}

ResultCode path_code(PathError e) {
  switch (e) {
    case PathError::ok:
      return ResultCode::ok;
    case PathError::invalid_amount:
      return ResultCode::op_invalid_amount;
    case PathError::too_many_hops:
      return ResultCode::op_path_too_long;
    case PathError::path_loop:
      return ResultCode::op_path_loop;
    case PathError::insufficient_liquidity:
      return ResultCode::op_insufficient_liquidity;
    case PathError::too_many_offers_crossed:
      return ResultCode::op_too_many_offers_crossed;
    case PathError::send_max_exceeded:
      return ResultCode::op_send_max_exceeded;
    case PathError::receive_min_not_met:
      return ResultCode::op_receive_min_not_met;
    case PathError::self_cross:
      return ResultCode::op_offer_cross_self;
    case PathError::overflow:
      return ResultCode::op_amount_overflow;
  }
  return ResultCode::op_amount_overflow;
}

}  // namespace

// --- Queries ---------------------------------------------------------------------------------

const OfferEntry* Ledger::offer(uint64_t offer_id) const {
  auto it = offers_.find(offer_id);
  return it == offers_.end() ? nullptr : &it->second;
}

std::vector<OfferEntry> Ledger::book_offers(const AssetId& selling, const AssetId& buying,
                                            size_t max, size_t* total) const {
  std::vector<OfferEntry> out;
  if (total) *total = 0;
  auto s = asset_index_.find(selling);
  auto b = asset_index_.find(buying);
  if (s == asset_index_.end() || b == asset_index_.end()) return out;
  const OrderBook* book = books_.find(s->second, b->second);
  if (!book) return out;
  if (total) *total = book->size();
  for (const Offer& o : *book) {
    if (out.size() >= max) break;
    out.push_back(offers_.at(o.id));
  }
  return out;
}

std::vector<OfferEntry> Ledger::offers_of(const AccountId& owner) const {
  std::vector<OfferEntry> out;
  auto a = find_account(owner);
  if (!a || !offers_per_account_.contains(*a)) return out;
  for (const auto& [id, o] : offers_)
    if (o.owner_index == *a) out.push_back(o);
  return out;
}

Amount Ledger::locked_in_offers(const AccountId& owner, const AssetId& asset_id) const {
  auto a = find_account(owner);
  auto s = asset_index_.find(asset_id);
  if (!a || s == asset_index_.end()) return 0;
  return fx_locked(holding_key(*a, s->second));
}

FxQuotes Ledger::find_paths(const AssetId& source, const AssetId& destination, Amount amount,
                            PathMode mode, const std::optional<AccountId>& payer) const {
  FxQuotes out;
  auto s = asset_index_.find(source);
  auto d = asset_index_.find(destination);
  if (s == asset_index_.end() || d == asset_index_.end()) return out;
  PathQuery q;
  q.mode = mode;
  q.source_asset = s->second;
  q.destination_asset = d->second;
  q.amount = amount;
  if (payer)
    if (auto p = find_account(*payer)) q.payer = *p;
  PathFindResult r = ledger::find_paths(books_, q);
  out.truncated = r.truncated;
  for (const PathQuote& pq : r.paths) {
    FxQuote fq;
    for (uint32_t i : pq.path) fq.path.push_back(assets_[i].id);
    fq.send_amount = pq.send_amount;
    fq.receive_amount = pq.receive_amount;
    fq.offers_crossed = pq.offers_crossed;
    out.paths.push_back(std::move(fq));
  }
  return out;
}

ResultCode Ledger::check_references_fx(
    const Operation& op, const std::function<bool(const AssetId&)>& asset_known) const {
  std::vector<const AssetId*> assets;
  const AccountId* account = nullptr;
  if (const auto* o = std::get_if<PlaceOfferOp>(&op)) {
    assets = {&o->selling, &o->buying};
  } else if (const auto* ps = std::get_if<PathPaymentSendOp>(&op)) {
    account = &ps->destination;
    assets = {&ps->send_asset, &ps->dest_asset};
    for (const auto& a : ps->path) assets.push_back(&a);
  } else if (const auto* pr = std::get_if<PathPaymentReceiveOp>(&op)) {
    account = &pr->destination;
    assets = {&pr->send_asset, &pr->dest_asset};
    for (const auto& a : pr->path) assets.push_back(&a);
  }
  if (account && !indexes_->accounts.contains(*account)) return ResultCode::op_account_not_found;
  for (const AssetId* a : assets)
    if (!asset_known(*a)) return ResultCode::op_asset_not_found;
  return ResultCode::ok;
}

// --- Primitives ------------------------------------------------------------------------------

Amount Ledger::fx_locked(HoldingKey key) const {
  auto it = offer_locked_.find(key);
  return it == offer_locked_.end() ? 0 : it->second;
}

void Ledger::add_offer(const OfferEntry& o) {
  auto [it, inserted] = offers_.emplace(o.id, o);
  CORRIDOR_ASSERT(inserted);
  BookError e = books_.get_or_create(o.selling_index, o.buying_index)
                    .insert({o.id, o.owner_index, o.amount, o.price});
  CORRIDOR_ASSERT_MSG(e == BookError::ok, "offer entries are valid book offers");
  offer_locked_[holding_key(o.owner_index, o.selling_index)] += o.amount;
  ++offers_per_account_[o.owner_index];
  dirty_offers_.insert(o.id);
}

void Ledger::remove_offer(uint64_t offer_id) {
  auto it = offers_.find(offer_id);
  CORRIDOR_ASSERT(it != offers_.end());
  const OfferEntry& o = it->second;
  OrderBook* book = books_.find(o.selling_index, o.buying_index);
  CORRIDOR_ASSERT(book && book->cancel(offer_id).has_value());
  books_.erase_if_empty(o.selling_index, o.buying_index);
  HoldingKey hk = holding_key(o.owner_index, o.selling_index);
  if ((offer_locked_[hk] -= o.amount) == 0) offer_locked_.erase(hk);
  if (--offers_per_account_[o.owner_index] == 0) offers_per_account_.erase(o.owner_index);
  dirty_offers_.insert(offer_id);
  offers_.erase(it);
}

void Ledger::set_offer_amount(uint64_t offer_id, Amount amount) {
  CORRIDOR_ASSERT(amount > 0);
  OfferEntry& o = offers_.at(offer_id);
  OrderBook* book = books_.find(o.selling_index, o.buying_index);
  CORRIDOR_ASSERT(book != nullptr);
  if (amount < o.amount) {
    book->take(offer_id, o.amount - amount);
  } else if (amount > o.amount) {
    // Same price and id, so the offer returns to the same place in the book.
    CORRIDOR_ASSERT(book->cancel(offer_id).has_value());
    CORRIDOR_ASSERT(book->insert({offer_id, o.owner_index, amount, o.price}) == BookError::ok);
  }
  offer_locked_[holding_key(o.owner_index, o.selling_index)] += amount - o.amount;
  o.amount = amount;
  dirty_offers_.insert(offer_id);
}

void Ledger::offer_insert(const OfferEntry& o, Journal& j) {
  j.entries.push_back({Journal::Kind::offer_created, 0, o.id});
  add_offer(o);
}

void Ledger::offer_reduce(uint64_t offer_id, Amount by, Journal& j) {
  const OfferEntry& o = offers_.at(offer_id);
  CORRIDOR_ASSERT(by > 0 && by <= o.amount);
  j.old_offers.push_back(o);
  j.entries.push_back({Journal::Kind::offer_changed, 0, offer_id});
  if (by == o.amount)
    remove_offer(offer_id);
  else
    set_offer_amount(offer_id, o.amount - by);
}

void Ledger::offer_cancel(uint64_t offer_id, Journal& j) {
  const OfferEntry& o = offers_.at(offer_id);
  HoldingKey hk = holding_key(o.owner_index, o.selling_index);
  Amount amount = o.amount;
  offer_reduce(offer_id, amount, j);
  // balance + locked <= limit held before, so the refund fits the holding.
  credit(hk, amount, j);
}

void Ledger::credit(HoldingKey key, Amount amount, Journal& j) {
  HoldingEntry& h = indexes_->holdings.at(key);
  j.entries.push_back({Journal::Kind::holding_changed, 0, key, h});
  h.balance += amount;
  mark_dirty(h, key);
}

void Ledger::debit(HoldingKey key, Amount amount, Journal& j) {
  HoldingEntry& h = indexes_->holdings.at(key);
  CORRIDOR_ASSERT(h.balance >= amount);
  j.entries.push_back({Journal::Kind::holding_changed, 0, key, h});
  h.balance -= amount;
  mark_dirty(h, key);
}

void Ledger::undo_fx(const Journal::Entry& e, Journal& j) {
  switch (e.kind) {
    case Journal::Kind::offer_created:
      remove_offer(e.key);
      break;
    case Journal::Kind::offer_changed: {
      CORRIDOR_ASSERT(!j.old_offers.empty());
      const OfferEntry& old = j.old_offers.back();
      if (offers_.contains(old.id))
        set_offer_amount(old.id, old.amount);
      else
        add_offer(old);
      j.old_offers.pop_back();
      break;
    }
    case Journal::Kind::next_offer_id_changed:
      next_offer_id_ = e.key;
      break;
    default:
      CORRIDOR_ASSERT_MSG(false, "not an FX journal entry");
  }
}

// --- Checks shared by the operations ---------------------------------------------------------

bool Ledger::has_room(HoldingKey key, const HoldingEntry& h, Amount amount, Amount pending) const {
  // All terms are non-negative and at most INT64_MAX, so the differences cannot overflow.
  Amount room = h.limit - fx_locked(key) - h.balance;
  return pending <= room && amount <= room - pending;
}

bool Ledger::offer_usable(const OfferEntry& o) const {
  auto usable = [&](uint32_t asset) {
    auto it = indexes_->holdings.find(holding_key(o.owner_index, asset));
    return it != indexes_->holdings.end() && it->second.authorized() && !it->second.frozen();
  };
  return usable(o.selling_index) && usable(o.buying_index);
}

uint64_t Ledger::first_unusable_fill(const std::vector<Fill>& fills, uint32_t buying,
                                     std::map<HoldingKey, Amount>& pending) const {
  for (const Fill& f : fills) {
    const OfferEntry& o = offers_.at(f.offer_id);
    if (!offer_usable(o)) return f.offer_id;
    HoldingKey key = holding_key(o.owner_index, buying);
    Amount& p = pending[key];
    if (!has_room(key, indexes_->holdings.at(key), f.owner_received, p)) return f.offer_id;
    p += f.owner_received;
  }
  return 0;
}

void Ledger::settle_fills(const std::vector<Fill>& fills, uint32_t buying, Journal& j) {
  for (const Fill& f : fills) {
    uint32_t owner = offers_.at(f.offer_id).owner_index;
    // The owner's part of the selling asset leaves the offer (it was locked there); the taker
    // is credited by the caller. An exact-send's last fill may give nothing (what was left was
    // worth less than one unit) while the owner still receives that residue (docs/fx.md, rule 2).
    if (f.owner_gave > 0) offer_reduce(f.offer_id, f.owner_gave, j);
    if (f.owner_received > 0) credit(holding_key(owner, buying), f.owner_received, j);
  }
}

ResultCode Ledger::check_offer_holdings(uint32_t owner, uint32_t selling, uint32_t buying) const {
  for (uint32_t asset : {selling, buying})
    if (assets_[asset].issuer_index == owner) return ResultCode::op_issuer_cannot_hold;
  for (uint32_t asset : {selling, buying}) {
    auto it = indexes_->holdings.find(holding_key(owner, asset));
    if (it == indexes_->holdings.end()) return ResultCode::op_holding_not_found;
    if (it->second.frozen()) return ResultCode::op_frozen;
    if (!it->second.authorized()) return ResultCode::op_not_authorized;
  }
  return ResultCode::ok;
}

// --- Operations ------------------------------------------------------------------------------

ResultCode Ledger::op_place_offer(const PlaceOfferOp& op, uint32_t source, Journal& j) {
  auto selling = find_asset(op.selling);
  if (!selling) return ResultCode::op_asset_not_found;
  auto buying = find_asset(op.buying);
  if (!buying) return ResultCode::op_asset_not_found;
  return place_offer_for(source, *selling, *buying, op.amount, reduce(op.price), j);
}

ResultCode Ledger::place_offer_for(uint32_t owner, uint32_t selling, uint32_t buying, Amount amount,
                                   Price price, Journal& j) {
  // Stateless checks ran on the operation; replace reaches here with checked terms too.
  if (amount <= 0) return ResultCode::op_invalid_amount;
  if (ResultCode c = check_offer_holdings(owner, selling, buying); c != ResultCode::ok) return c;
  HoldingKey sell_key = holding_key(owner, selling);
  HoldingKey buy_key = holding_key(owner, buying);
  if (indexes_->holdings.at(sell_key).balance < amount) return ResultCode::op_insufficient_balance;

  // Cross the opposite book (selling what this offer buys); remove offers whose owners cannot
  // trade and plan again.
  CrossPlan plan;
  uint32_t removed = 0;
  for (;;) {
    const OrderBook* opposite = books_.find(buying, selling);
    if (!opposite) {
      plan = CrossPlan{};
      plan.remainder = amount;
      plan.remainder_rests = true;
      break;
    }
    plan = plan_place(*opposite, owner, amount, price, offers_crossed_max - removed);
    if (plan.error != CrossError::ok) return cross_code(plan.error);
    std::map<HoldingKey, Amount> pending;
    uint64_t bad = first_unusable_fill(plan.fills, selling, pending);
    if (bad == 0) break;
    if (removed >= offers_crossed_max) return ResultCode::op_too_many_offers_crossed;
    offer_cancel(bad, j);
    ++removed;
  }
  if (plan.taker_received > 0 &&
      !has_room(buy_key, indexes_->holdings.at(buy_key), plan.taker_received))
    return ResultCode::op_limit_exceeded;

  if (plan.taker_gave > 0) debit(sell_key, plan.taker_gave, j);
  settle_fills(plan.fills, selling, j);
  if (plan.taker_received > 0) credit(buy_key, plan.taker_received, j);

  if (plan.remainder_rests && plan.remainder > 0) {
    auto count = offers_per_account_.find(owner);
    if (count != offers_per_account_.end() && count->second >= account_offers_max)
      return ResultCode::op_too_many_offers;
    const OrderBook* book = books_.find(selling, buying);
    if (book && book->size() >= book_offers_max) return ResultCode::op_book_full;
    // The remainder is at most the amount, whose terms were checked.
    CORRIDOR_ASSERT(check_offer_terms(plan.remainder, price) == PriceError::ok);
    debit(sell_key, plan.remainder, j);
    OfferEntry o;
    o.id = next_offer_id_;
    o.owner = accounts_[owner].id;
    o.selling = assets_[selling].id;
    o.buying = assets_[buying].id;
    o.amount = plan.remainder;
    o.price = price;
    o.owner_index = owner;
    o.selling_index = selling;
    o.buying_index = buying;
    j.entries.push_back({Journal::Kind::next_offer_id_changed, 0, next_offer_id_});
    ++next_offer_id_;
    offer_insert(o, j);
  }
  return ResultCode::ok;
}

ResultCode Ledger::op_cancel_offer(const CancelOfferOp& op, uint32_t source, Journal& j) {
  const OfferEntry* o = offer(op.offer_id);
  if (!o || op.offer_id == offer_counter_id) return ResultCode::op_offer_not_found;
  if (o->owner_index != source) return ResultCode::op_offer_not_owner;
  // A frozen or deauthorized owner may still withdraw its offer: the amount returns to its
  // own holding, where the issuer's controls apply to it.
  offer_cancel(op.offer_id, j);
  return ResultCode::ok;
}

ResultCode Ledger::op_replace_offer(const ReplaceOfferOp& op, uint32_t source, Journal& j) {
  const OfferEntry* found = offer(op.offer_id);
  if (!found) return ResultCode::op_offer_not_found;
  if (found->owner_index != source) return ResultCode::op_offer_not_owner;
  const OfferEntry o = *found;
  Price price = reduce(op.price);
  if (same_value(price, o.price) && op.amount <= o.amount) {
    // Shrinking at the same price keeps the id and the place in the book.
    if (op.amount < o.amount) {
      offer_reduce(o.id, o.amount - op.amount, j);
      credit(holding_key(source, o.selling_index), o.amount - op.amount, j);
    }
    return ResultCode::ok;
  }
  // A new price or a larger amount is a new offer: cancel, then place (which may cross).
  offer_cancel(o.id, j);
  return place_offer_for(source, o.selling_index, o.buying_index, op.amount, price, j);
}

ResultCode Ledger::op_path_payment(PathMode mode, uint32_t payer, const AccountId& destination,
                                   const AssetId& send_asset, Amount send_amount,
                                   const AssetId& dest_asset, Amount receive_amount,
                                   const std::vector<AssetId>& path, Journal& j) {
  auto send = find_asset(send_asset);
  if (!send) return ResultCode::op_asset_not_found;
  auto dest = find_asset(dest_asset);
  if (!dest) return ResultCode::op_asset_not_found;
  uint32_t hops[path_intermediate_assets_max];
  if (path.size() > path_intermediate_assets_max) return ResultCode::op_path_too_long;
  for (size_t i = 0; i < path.size(); ++i) {
    auto a = find_asset(path[i]);
    if (!a) return ResultCode::op_asset_not_found;
    hops[i] = *a;
  }
  auto to = find_account(destination);
  if (!to) return ResultCode::op_account_not_found;
  // The issuer holds none of its own asset: issuing or redeeming through a path is not offered.
  if (assets_[*send].issuer_index == payer || assets_[*dest].issuer_index == *to)
    return ResultCode::op_issuer_cannot_hold;
  HoldingKey from_key = holding_key(payer, *send);
  HoldingKey to_key = holding_key(*to, *dest);
  for (HoldingKey k : {from_key, to_key}) {
    auto it = indexes_->holdings.find(k);
    if (it == indexes_->holdings.end()) return ResultCode::op_holding_not_found;
    if (it->second.frozen()) return ResultCode::op_frozen;
    if (!it->second.authorized()) return ResultCode::op_not_authorized;
  }

  PathRequest req;
  req.mode = mode;
  req.source_asset = *send;
  req.destination_asset = *dest;
  req.path = std::span<const uint32_t>(hops, path.size());
  req.send_amount = send_amount;
  req.receive_amount = receive_amount;
  req.payer = payer;
  uint32_t removed = 0;
  std::map<HoldingKey, Amount> pending;
  for (;;) {
    req.offers_crossed_max = offers_crossed_max - removed;
    plan_path(books_, req, path_plan_);
    if (path_plan_.error != PathError::ok) return path_code(path_plan_.error);
    pending.clear();
    uint64_t bad = 0;
    for (const HopPlan& hop : path_plan_.hops)
      if ((bad = first_unusable_fill(hop.cross.fills, hop.buying, pending)) != 0) break;
    if (bad == 0) break;
    if (removed >= offers_crossed_max) return ResultCode::op_too_many_offers_crossed;
    offer_cancel(bad, j);
    ++removed;
  }
  if (indexes_->holdings.at(from_key).balance < path_plan_.sent)
    return ResultCode::op_insufficient_balance;
  if (!has_room(to_key, indexes_->holdings.at(to_key), path_plan_.received, pending[to_key]))
    return ResultCode::op_limit_exceeded;

  debit(from_key, path_plan_.sent, j);
  for (const HopPlan& hop : path_plan_.hops) settle_fills(hop.cross.fills, hop.buying, j);
  credit(to_key, path_plan_.received, j);
  return ResultCode::ok;
}

// --- Blocks, loading, invariants -------------------------------------------------------------

void Ledger::end_block_fx(StateDelta& d, std::vector<std::pair<Hash256, Hash256>>& leaves) {
  for (uint64_t id : dirty_offers_) {
    Bytes key, value;
    encode_offer_key(id, key);
    auto it = offers_.find(id);
    if (it == offers_.end()) {
      // Filled or cancelled: the entry leaves the state (an empty value deletes it).
      erase_leaf(sha256(key));
      d.changes.push_back({std::move(key), {}});
      continue;
    }
    encode_offer_value(it->second, value);
    leaves.emplace_back(sha256(key), sha256(value));
    d.changes.push_back({std::move(key), std::move(value)});
  }
  dirty_offers_.clear();
  if (next_offer_id_ != stored_next_offer_id_) {
    stored_next_offer_id_ = next_offer_id_;
    Bytes key, value;
    encode_offer_key(offer_counter_id, key);
    encode_offer_counter_value(next_offer_id_, value);
    leaves.emplace_back(sha256(key), sha256(value));
    d.changes.push_back({std::move(key), std::move(value)});
  }
}

Status Ledger::load_offer(const EntryKey& k, ByteView value) {
  if (k.offer_id == offer_counter_id) {
    CORRIDOR_ASSIGN_OR_RETURN(uint64_t next, decode_offer_counter_value(value));
    if (next == 0) return corruption("next offer id 0");
    next_offer_id_ = stored_next_offer_id_ = next;
    return Status();
  }
  CORRIDOR_ASSIGN_OR_RETURN(OfferEntry o, decode_offer_value(k.offer_id, value));
  auto owner = find_account(o.owner);
  auto selling = asset_index_.find(o.selling);
  auto buying = asset_index_.find(o.buying);
  if (!owner || selling == asset_index_.end() || buying == asset_index_.end() ||
      selling->second == buying->second)
    return corruption("offer " + std::to_string(o.id) + " names a missing account or asset");
  if (offers_.contains(o.id)) return corruption("duplicate offer entry");
  o.owner_index = *owner;
  o.selling_index = selling->second;
  o.buying_index = buying->second;
  add_offer(o);
  dirty_offers_.erase(o.id);
  return Status();
}

Status Ledger::check_invariants_fx(std::vector<Int128>& sums) const {
  std::map<HoldingKey, Amount> locked;
  std::map<uint32_t, uint32_t> per_account;
  size_t in_books = 0;
  for (const auto& [key, book] : books_.all()) in_books += book.size();
  if (in_books != offers_.size()) return corruption("order books and offer entries differ");
  for (const auto& [id, o] : offers_) {
    std::string what = "offer " + std::to_string(id);
    if (id == offer_counter_id || id >= next_offer_id_)
      return corruption(what + ": id out of range");
    if (o.amount <= 0) return corruption(what + ": amount not positive");
    if (o.selling_index >= assets_.size() || o.buying_index >= assets_.size() ||
        o.owner_index >= accounts_.size())
      return corruption(what + " names a missing account or asset");
    const OrderBook* book = books_.find(o.selling_index, o.buying_index);
    const Offer* in_book = book ? book->find(id) : nullptr;
    if (!in_book || in_book->amount != o.amount || !(in_book->price == o.price) ||
        in_book->owner != o.owner_index)
      return corruption(what + " differs from its order book");
    HoldingKey hk = holding_key(o.owner_index, o.selling_index);
    if (!indexes_->holdings.contains(hk))
      return corruption(what + ": the owner has no selling holding");
    locked[hk] += o.amount;
    ++per_account[o.owner_index];
    sums[o.selling_index] += o.amount;
  }
  if (locked.size() != offer_locked_.size()) return corruption("locked offer amounts differ");
  for (const auto& [hk, amount] : locked) {
    if (fx_locked(hk) != amount) return corruption("locked offer amounts differ");
    const HoldingEntry& h = indexes_->holdings.at(hk);
    if (h.balance > h.limit - amount)
      return corruption("balance and locked offers above the limit");
  }
  if (per_account.size() != offers_per_account_.size())
    return corruption("offer counts per account differ");
  for (const auto& [acct, n] : per_account) {
    auto it = offers_per_account_.find(acct);
    if (it == offers_per_account_.end() || it->second != n || n > account_offers_max)
      return corruption("offer counts per account differ");
  }
  return Status();
}

}  // namespace corridor::ledger
