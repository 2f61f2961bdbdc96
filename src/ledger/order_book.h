// Order books of FX offers, and the crossing planner that computes fills against one book.
//
// One book per ordered pair (selling asset, buying asset), keyed by dense asset indices that
// the ledger assigns. A book holds resting offers in price-time priority: the lowest price
// (the fewest units of the buying asset per unit sold, the best for a taker) first, and among
// equal prices the lowest offer id, which the ledger assigns in increasing order so that it
// stands for time. Everything is ordered containers or id lookups: no iteration order of a hash
// container reaches a result.
//
// Funding model: every resting offer is fully funded. The ledger locks the offer's selling
// amount in the owner's holding when it places the offer and releases it on cancel, so the
// planner never asks whether an owner can deliver. docs/fx.md describes what the ledger must do.
//
// Crossing is split into a read-only plan and an apply step: the ledger plans, checks what it
// must (the taker's funds and limits, the owners' holdings), and only then applies every book
// change and balance change together, so a rejected operation changes nothing.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/amount.h"
#include "ledger/price.h"

namespace corridor::ledger {

// The taker of a quote, which is nobody's account, so it never crosses its own offers.
inline constexpr uint32_t no_account = std::numeric_limits<uint32_t>::max();

struct Offer {
  uint64_t id = 0;     // Assigned by the ledger, increasing: lower is older.
  uint32_t owner = 0;  // The ledger's account index.
  Amount amount = 0;   // Selling asset still offered (and locked), > 0 while resting.
  Price price;         // Buying asset wanted per selling asset.
  friend bool operator==(const Offer&, const Offer&) = default;
};

enum class BookError : uint8_t {
  ok = 0,
  invalid_amount = 1,  // Amount not positive.
  invalid_price = 2,   // check_offer_terms failed; price_error says how.
  duplicate_id = 3,
  not_found = 4,
  book_full = 5,  // book_offers_max resting offers already.
};
std::string_view book_error_name(BookError e);

class OrderBook {
  // Price by value, then id: a strict weak order in which equal-valued encodings of a price
  // (1/2 and 2/4) sort together by id.
  struct PriorityLess {
    bool operator()(const std::pair<Price, uint64_t>& a, const std::pair<Price, uint64_t>& b) const;
  };
  using Priority = std::map<std::pair<Price, uint64_t>, Offer, PriorityLess>;

 public:
  OrderBook(uint32_t selling, uint32_t buying);
  // The id index holds iterators into the priority map, so a copy rebuilds it; a move keeps
  // both (std::map's nodes, and so its iterators, move with it).
  OrderBook(const OrderBook& other);
  OrderBook& operator=(const OrderBook& other);
  OrderBook(OrderBook&&) = default;
  OrderBook& operator=(OrderBook&&) = default;

  uint32_t selling() const { return selling_; }
  uint32_t buying() const { return buying_; }
  size_t size() const { return by_priority_.size(); }
  bool empty() const { return by_priority_.empty(); }

  // Adds a resting offer. Validates the amount, the terms (check_offer_terms), the id's
  // uniqueness and the book's size; on any error the book is unchanged and, for invalid_price,
  // *price_error (when given) holds the reason.
  BookError insert(const Offer& offer, PriceError* price_error = nullptr);
  // Removes an offer and returns it, so the ledger can release its locked amount.
  std::optional<Offer> cancel(uint64_t offer_id);

  // Replaces an offer's terms. Time priority is kept (the offer keeps its id) only when the
  // price keeps its value and the amount does not grow: an owner may shrink an offer without
  // losing its place, but a new price or more size is a new offer, which takes `fresh_id` and
  // goes behind every offer at its price. A price change may make the offer cross the opposite
  // book; the ledger therefore handles that case as cancel + place (plan_place), and calls
  // replace() only to rest what remains. On error the book is unchanged.
  struct ReplaceOutcome {
    BookError error = BookError::ok;
    PriceError price_error = PriceError::ok;
    bool priority_kept = false;
    uint64_t id = 0;  // The offer's id after the replace.
    Offer old;        // The terms before the replace, to adjust the locked amount.
  };
  ReplaceOutcome replace(uint64_t offer_id, Amount amount, Price price, uint64_t fresh_id);

  const Offer* find(uint64_t offer_id) const;
  // The offer a taker crosses first, or nullptr.
  const Offer* best() const;

  // Iteration in priority order, read-only.
  class const_iterator {
   public:
    using Inner = Priority::const_iterator;
    explicit const_iterator(Inner it) : it_(it) {}
    const Offer& operator*() const { return it_->second; }
    const Offer* operator->() const { return &it_->second; }
    const_iterator& operator++() {
      ++it_;
      return *this;
    }
    friend bool operator==(const const_iterator&, const const_iterator&) = default;

   private:
    Inner it_;
  };
  const_iterator begin() const { return const_iterator(by_priority_.begin()); }
  const_iterator end() const { return const_iterator(by_priority_.end()); }

  // Lowers an offer's amount after a partial fill, or removes it when it reaches zero; the
  // apply step of a crossing. Asserts that the offer exists and holds at least `taken`.
  void take(uint64_t offer_id, Amount taken);

 private:
  uint32_t selling_;
  uint32_t buying_;
  Priority by_priority_;
  // Lookup by id only; never iterated, so its order cannot leak into any result.
  std::unordered_map<uint64_t, Priority::iterator> by_id_;
};

// All books, keyed by (selling, buying). Iterates in key order.
class OrderBooks {
 public:
  using Key = std::pair<uint32_t, uint32_t>;  // (selling, buying)

  const OrderBook* find(uint32_t selling, uint32_t buying) const;
  OrderBook* find(uint32_t selling, uint32_t buying);
  OrderBook& get_or_create(uint32_t selling, uint32_t buying);
  // Drops a book once it has no offers, so empty books do not clutter path finding.
  void erase_if_empty(uint32_t selling, uint32_t buying);
  const std::map<Key, OrderBook>& all() const { return books_; }

 private:
  std::map<Key, OrderBook> books_;
};

// --- Crossing --------------------------------------------------------------------------------

// How a taker crosses one book. The taker gives the book's buying asset and receives its
// selling asset.
enum class CrossMode : uint8_t {
  // The taker gives exactly `amount` of the buying asset and receives what the offers give.
  exact_send,
  // The taker receives exactly `amount` of the selling asset and gives as little as the
  // offers allow.
  exact_receive,
  // An offer being placed: the taker gives at most `amount`, crossing only offers whose price
  // is no worse than `limit`, and stops early when what is left cannot buy one unit; the rest
  // is the new offer's resting amount (see CrossPlan::remainder).
  place,
};

struct CrossRequest {
  CrossMode mode = CrossMode::exact_send;
  Amount amount = 0;
  // The taker's account, or no_account for a quote. Reaching one of its own offers fails the
  // plan with self_cross.
  uint32_t taker = no_account;
  // The worst offer price (buying per selling) the taker accepts. Required for `place`;
  // optional otherwise, where an offer beyond it counts as missing liquidity.
  std::optional<Price> limit;
  // Offers this crossing may fill; a path payment passes what its earlier legs left.
  uint32_t offers_crossed_max = 0;
};

enum class CrossError : uint8_t {
  ok = 0,
  invalid_amount = 1,           // Amount not positive.
  invalid_limit = 2,            // place without a limit, or an invalid limit price.
  insufficient_liquidity = 3,   // The book (within the limit) runs out first.
  too_many_offers_crossed = 4,  // offers_crossed_max fills and the taker still wants more.
  self_cross = 5,               // The crossing reaches an offer of the taker's own.
  overflow = 6,                 // The taker's total would not fit an int64.
};
std::string_view cross_error_name(CrossError e);

// One offer's part in a crossing.
struct Fill {
  uint64_t offer_id = 0;
  uint32_t owner = 0;
  Amount owner_gave = 0;      // Selling asset, out of the offer's locked amount, to the taker.
  Amount owner_received = 0;  // Buying asset, from the taker, into the owner's holding.
  bool consumed = false;      // The offer's amount reaches zero and it leaves the book.
  friend bool operator==(const Fill&, const Fill&) = default;
};

struct CrossPlan {
  CrossError error = CrossError::ok;
  Amount taker_gave = 0;      // Buying asset: the sum of owner_received.
  Amount taker_received = 0;  // Selling asset: the sum of owner_gave.
  // place only: the taker's amount left after crossing (amount - taker_gave), and whether it
  // rests as an offer. It does not rest when the crossing stopped because it could not buy
  // one unit from an offer that still crosses: resting it would leave the two books crossed,
  // so the ledger leaves it in the owner's holding instead.
  Amount remainder = 0;
  bool remainder_rests = false;
  std::vector<Fill> fills;  // In the order crossed.
  friend bool operator==(const CrossPlan&, const CrossPlan&) = default;
};

// Plans a crossing without changing the book. On error, `out` holds the error and whatever
// fills were planned before it (useful for diagnostics, never to apply). `out` is cleared
// first; passing the same plan repeatedly reuses its storage.
void plan_cross(const OrderBook& book, const CrossRequest& request, CrossPlan& out);
CrossPlan plan_cross(const OrderBook& book, const CrossRequest& request);

// Applies a successful plan to the book it was planned against, unchanged since: each fill
// lowers or removes its offer. Balance changes are the ledger's.
void apply_cross(OrderBook& book, const CrossPlan& plan);

// Plans placing an offer against `opposite`, the book that sells what the new offer buys. The
// new offer sells `amount` of opposite.buying() for opposite.selling() at `price` in its own
// convention (units of opposite.selling() wanted per unit of opposite.buying()), so it crosses
// resting offers priced at most invert(price): a `place` crossing with that limit. An invalid
// `price` gives invalid_limit.
CrossPlan plan_place(const OrderBook& opposite, uint32_t owner, Amount amount, Price price,
                     uint32_t crossed_max);

}  // namespace corridor::ledger
