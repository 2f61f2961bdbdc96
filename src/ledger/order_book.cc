#include "ledger/order_book.h"

#include <algorithm>

#include "base/assert.h"
#include "ledger/limits.h"

namespace corridor::ledger {

std::string_view book_error_name(BookError e) {
  switch (e) {
    case BookError::ok:
      return "ok";
    case BookError::invalid_amount:
      return "invalid_amount";
    case BookError::invalid_price:
      return "invalid_price";
    case BookError::duplicate_id:
      return "duplicate_id";
    case BookError::not_found:
      return "not_found";
    case BookError::book_full:
      return "book_full";
  }
  return "unknown";
}

std::string_view cross_error_name(CrossError e) {
  switch (e) {
    case CrossError::ok:
      return "ok";
    case CrossError::invalid_amount:
      return "invalid_amount";
    case CrossError::invalid_limit:
      return "invalid_limit";
    case CrossError::insufficient_liquidity:
      return "insufficient_liquidity";
    case CrossError::too_many_offers_crossed:
      return "too_many_offers_crossed";
    case CrossError::self_cross:
      return "self_cross";
    case CrossError::overflow:
      return "overflow";
  }
  return "unknown";
}

// --- OrderBook ---------------------------------------------------------------------------------

bool OrderBook::PriorityLess::operator()(const std::pair<Price, uint64_t>& a,
                                         const std::pair<Price, uint64_t>& b) const {
  auto c = compare_prices(a.first, b.first);
  if (c != std::strong_ordering::equal) return c == std::strong_ordering::less;
  return a.second < b.second;
}

OrderBook::OrderBook(uint32_t selling, uint32_t buying) : selling_(selling), buying_(buying) {
  CORRIDOR_ASSERT_MSG(selling != buying, "an order book of an asset against itself");
}

OrderBook::OrderBook(const OrderBook& other)
    : selling_(other.selling_), buying_(other.buying_), by_priority_(other.by_priority_) {
  for (auto it = by_priority_.begin(); it != by_priority_.end(); ++it)
    by_id_.emplace(it->second.id, it);
}

OrderBook& OrderBook::operator=(const OrderBook& other) {
  if (this != &other) *this = OrderBook(other);
  return *this;
}

BookError OrderBook::insert(const Offer& offer, PriceError* price_error) {
  CORRIDOR_ASSERT_MSG(offer.owner != no_account, "an offer without an owner");
  if (offer.amount <= 0) return BookError::invalid_amount;
  PriceError pe = check_offer_terms(offer.amount, offer.price);
  if (pe != PriceError::ok) {
    if (price_error) *price_error = pe;
    return BookError::invalid_price;
  }
  if (by_id_.contains(offer.id)) return BookError::duplicate_id;
  if (by_priority_.size() >= book_offers_max) return BookError::book_full;
  auto [it, inserted] = by_priority_.emplace(std::pair{offer.price, offer.id}, offer);
  CORRIDOR_ASSERT(inserted);
  by_id_.emplace(offer.id, it);
  return BookError::ok;
}

std::optional<Offer> OrderBook::cancel(uint64_t offer_id) {
  auto found = by_id_.find(offer_id);
  if (found == by_id_.end()) return std::nullopt;
  Offer out = found->second->second;
  by_priority_.erase(found->second);
  by_id_.erase(found);
  return out;
}

OrderBook::ReplaceOutcome OrderBook::replace(uint64_t offer_id, Amount amount, Price price,
                                             uint64_t fresh_id) {
  ReplaceOutcome out;
  auto found = by_id_.find(offer_id);
  if (found == by_id_.end()) {
    out.error = BookError::not_found;
    return out;
  }
  Offer& current = found->second->second;
  out.old = current;
  if (amount <= 0) {
    out.error = BookError::invalid_amount;
    return out;
  }
  out.price_error = check_offer_terms(amount, price);
  if (out.price_error != PriceError::ok) {
    out.error = BookError::invalid_price;
    return out;
  }
  if (same_value(price, current.price) && amount <= current.amount) {
    // The key keeps the old encoding of the price; ordering is by value, so it is the same key.
    current.amount = amount;
    current.price = price;
    out.priority_kept = true;
    out.id = offer_id;
    return out;
  }
  if (fresh_id == offer_id || by_id_.contains(fresh_id)) {
    out.error = BookError::duplicate_id;
    return out;
  }
  Offer fresh{fresh_id, current.owner, amount, price};
  by_priority_.erase(found->second);
  by_id_.erase(found);
  BookError e = insert(fresh);
  // Every reason insert() could fail was checked above, and the book just lost an offer.
  CORRIDOR_ASSERT(e == BookError::ok);
  out.id = fresh_id;
  return out;
}

const Offer* OrderBook::find(uint64_t offer_id) const {
  auto found = by_id_.find(offer_id);
  return found == by_id_.end() ? nullptr : &found->second->second;
}

const Offer* OrderBook::best() const {
  return by_priority_.empty() ? nullptr : &by_priority_.begin()->second;
}

void OrderBook::take(uint64_t offer_id, Amount taken) {
  auto found = by_id_.find(offer_id);
  CORRIDOR_ASSERT_MSG(found != by_id_.end(), "a fill of an offer that is not in the book");
  Offer& offer = found->second->second;
  CORRIDOR_ASSERT_MSG(taken >= 0 && taken <= offer.amount, "a fill larger than its offer");
  offer.amount -= taken;
  if (offer.amount == 0) {
    by_priority_.erase(found->second);
    by_id_.erase(found);
  }
}

// --- OrderBooks --------------------------------------------------------------------------------

const OrderBook* OrderBooks::find(uint32_t selling, uint32_t buying) const {
  auto it = books_.find({selling, buying});
  return it == books_.end() ? nullptr : &it->second;
}

OrderBook* OrderBooks::find(uint32_t selling, uint32_t buying) {
  auto it = books_.find({selling, buying});
  return it == books_.end() ? nullptr : &it->second;
}

OrderBook& OrderBooks::get_or_create(uint32_t selling, uint32_t buying) {
  auto it = books_.find({selling, buying});
  if (it == books_.end())
    it = books_.emplace(Key{selling, buying}, OrderBook(selling, buying)).first;
  return it->second;
}

void OrderBooks::erase_if_empty(uint32_t selling, uint32_t buying) {
  auto it = books_.find({selling, buying});
  if (it != books_.end() && it->second.empty()) books_.erase(it);
}

// --- Crossing ----------------------------------------------------------------------------------

void plan_cross(const OrderBook& book, const CrossRequest& req, CrossPlan& out) {
  out.error = CrossError::ok;
  out.taker_gave = 0;
  out.taker_received = 0;
  out.remainder = 0;
  out.remainder_rests = false;
  out.fills.clear();
  auto fail = [&](CrossError e) { out.error = e; };

  if (req.amount <= 0) return fail(CrossError::invalid_amount);
  if (req.limit && check_price(*req.limit) != PriceError::ok)
    return fail(CrossError::invalid_limit);
  if (req.mode == CrossMode::place && !req.limit) return fail(CrossError::invalid_limit);

  const bool receive = req.mode == CrossMode::exact_receive;
  // What the taker still has to give (send modes) or still wants to receive (exact_receive).
  Amount left = req.amount;
  bool stopped_for_dust = false;
  for (const Offer& offer : book) {
    if (left == 0) break;
    if (req.limit && compare_prices(offer.price, *req.limit) > 0) break;
    if (offer.owner == req.taker) return fail(CrossError::self_cross);

    Fill fill{offer.id, offer.owner, 0, 0, false};
    if (receive) {
      // The taker takes s units and pays ceil(s * n / d): the owner never gets less than its
      // price, and the taker overpays by less than one unit of the buying asset.
      Amount s = std::min(offer.amount, left);
      std::optional<Amount> b = buying_amount(s, offer.price, Rounding::up);
      if (!b) return fail(CrossError::overflow);
      fill = {offer.id, offer.owner, s, *b, s == offer.amount};
    } else {
      std::optional<Amount> whole = buying_amount(offer.amount, offer.price, Rounding::up);
      if (whole && *whole <= left) {
        // The taker can afford the whole offer at the owner's rounded-up price.
        fill = {offer.id, offer.owner, offer.amount, *whole, true};
      } else {
        // The taker's remaining amount buys floor(left * d / n) units, fewer than the offer
        // holds (had it bought them all, `whole` would have been <= left).
        std::optional<Amount> s = selling_amount(left, offer.price, Rounding::down);
        CORRIDOR_ASSERT(s && *s < offer.amount);
        if (req.mode == CrossMode::place) {
          // What is left cannot buy one unit from an offer that still crosses, and every offer
          // behind it is priced the same or worse: stop, and do not rest the remainder.
          if (*s == 0) {
            stopped_for_dust = true;
            break;
          }
          std::optional<Amount> b = buying_amount(*s, offer.price, Rounding::up);
          CORRIDOR_ASSERT(b && *b <= left);
          fill = {offer.id, offer.owner, *s, *b, false};
        } else {
          // Exact-send spends exactly its amount: this last fill receives all that is left,
          // which is at least ceil(s * n / d), so the owner keeps the rounding (less than one
          // unit of the selling asset's worth) and is never paid below its price.
          fill = {offer.id, offer.owner, *s, left, false};
        }
      }
    }
    if (out.fills.size() >= req.offers_crossed_max)
      return fail(CrossError::too_many_offers_crossed);
    std::optional<Amount> gave = checked_add(out.taker_gave, fill.owner_received);
    std::optional<Amount> received = checked_add(out.taker_received, fill.owner_gave);
    if (!gave || !received) return fail(CrossError::overflow);
    out.taker_gave = *gave;
    out.taker_received = *received;
    left -= receive ? fill.owner_gave : fill.owner_received;
    out.fills.push_back(fill);
    if (req.mode == CrossMode::place && !fill.consumed) {
      // A partial fill bought every whole unit `left` could: what remains is worth less than
      // one unit of an offer that still crosses, so it does not rest either.
      stopped_for_dust = left > 0;
      break;
    }
  }

  if (req.mode == CrossMode::place) {
    out.remainder = left;
    out.remainder_rests = left > 0 && !stopped_for_dust;
    return;
  }
  if (left > 0) return fail(CrossError::insufficient_liquidity);
  CORRIDOR_ASSERT((receive ? out.taker_received : out.taker_gave) == req.amount);
}

CrossPlan plan_cross(const OrderBook& book, const CrossRequest& request) {
  CrossPlan plan;
  plan_cross(book, request, plan);
  return plan;
}

void apply_cross(OrderBook& book, const CrossPlan& plan) {
  CORRIDOR_ASSERT_MSG(plan.error == CrossError::ok, "applying a failed crossing plan");
  for (const Fill& fill : plan.fills) {
    const Offer* offer = book.find(fill.offer_id);
    CORRIDOR_ASSERT_MSG(offer && offer->owner == fill.owner, "a plan applied to another book");
    CORRIDOR_ASSERT(fill.consumed == (offer->amount == fill.owner_gave));
    book.take(fill.offer_id, fill.owner_gave);
  }
}

CrossPlan plan_place(const OrderBook& opposite, uint32_t owner, Amount amount, Price price,
                     uint32_t crossed_max) {
  CrossPlan plan;
  if (check_price(price) != PriceError::ok) {
    plan.error = CrossError::invalid_limit;
    return plan;
  }
  CrossRequest req;
  req.mode = CrossMode::place;
  req.amount = amount;
  req.taker = owner;
  req.limit = invert(price);
  req.offers_crossed_max = crossed_max;
  plan_cross(opposite, req, plan);
  return plan;
}

}  // namespace corridor::ledger
