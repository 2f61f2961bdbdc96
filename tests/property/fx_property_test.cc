// Properties of the FX modules under random books and random sequences of path payments,
// offer placements and cancels, applied to a simple model of balances in which every resting
// offer's amount is locked: no sequence creates value. Each fill pays its owner at least the
// offer's price and costs the taker less than one unit more than it; every asset's total over
// balances and locked amounts never changes; exact amounts are exact; plans are deterministic.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <vector>

#include "ledger/order_book.h"
#include "ledger/path_finder.h"
#include "ledger/path_payment.h"

namespace corridor::test::prop {
namespace {

using namespace corridor::ledger;
__extension__ using Int128 = __int128;

constexpr uint32_t assets = 4;
constexpr uint32_t accounts = 6;  // 0-4 mostly own offers; 5 mostly pays.
constexpr Amount initial_balance = 1'000'000'000'000;

rc::Gen<Amount> gen_fx_amount() {
  return rc::gen::weightedOneOf<Amount>({{6, rc::gen::inRange<Amount>(1, 1'000)},
                                         {3, rc::gen::inRange<Amount>(1, 10)},
                                         {1, rc::gen::inRange<Amount>(1, 1'000'000'000)}});
}

rc::Gen<Price> gen_fx_price() {
  auto component = rc::gen::weightedOneOf<int64_t>(
      {{6, rc::gen::inRange<int64_t>(1, 20)}, {1, rc::gen::inRange<int64_t>(1, 1'000'000)}});
  return rc::gen::construct<Price>(component, component);
}

struct Action {
  int kind = 0;  // 0: path payment, 1: place an offer, 2: cancel an offer.
  uint32_t account = 0;
  uint32_t from = 0, to = 0;
  std::vector<uint32_t> path;  // Random, so that loops and missing books happen too.
  bool exact_receive = false;
  Amount amount = 0;
  bool tight = false;   // Whether the other end's bound is a random amount rather than loose.
  Amount other = 0;     // The other end's bound when tight.
  bool quoted = false;  // Whether the payment takes a path the path finder quoted.
  Price price;
  uint64_t pick = 0;  // Which offer to cancel.
};

rc::Gen<Action> gen_action() {
  return rc::gen::exec([] {
    Action a;
    a.kind = *rc::gen::weightedElement<int>({{6, 0}, {3, 1}, {1, 2}});
    a.account = *rc::gen::weightedOneOf<uint32_t>(
        {{3, rc::gen::just<uint32_t>(accounts - 1)}, {1, rc::gen::inRange<uint32_t>(0, accounts)}});
    a.from = *rc::gen::inRange<uint32_t>(0, assets);
    a.to = *rc::gen::inRange<uint32_t>(0, assets);
    a.path = *rc::gen::container<std::vector<uint32_t>>(*rc::gen::inRange<size_t>(0, 3),
                                                        rc::gen::inRange<uint32_t>(0, assets));
    a.exact_receive = *rc::gen::arbitrary<bool>();
    a.amount = *gen_fx_amount();
    a.tight = *rc::gen::weightedElement<bool>({{1, true}, {3, false}});
    a.other = *gen_fx_amount();
    a.quoted = *rc::gen::arbitrary<bool>();
    a.price = *gen_fx_price();
    a.pick = *rc::gen::arbitrary<uint64_t>();
    return a;
  });
}

struct Model {
  OrderBooks books;
  std::map<std::pair<uint32_t, uint32_t>, Amount> balance;  // (account, asset)
  uint64_t next_id = 1;

  Model() {
    for (uint32_t acct = 0; acct < accounts; ++acct)
      for (uint32_t as = 0; as < assets; ++as) balance[{acct, as}] = initial_balance;
  }

  // Every asset's balances plus what its resting offers lock.
  std::vector<Int128> totals() const {
    std::vector<Int128> t(assets, 0);
    for (const auto& [key, amount] : balance) {
      RC_ASSERT(amount >= 0);
      t[key.second] += amount;
    }
    for (const auto& [key, book] : books.all())
      for (const Offer& o : book) {
        RC_ASSERT(o.amount > 0);
        t[key.first] += o.amount;
      }
    return t;
  }

  // Places an offer the way the ledger will: cross, then lock and rest the remainder.
  void place(uint32_t owner, uint32_t selling, uint32_t buying, Amount amount, Price price) {
    if (selling == buying || balance[{owner, selling}] < amount) return;
    if (check_price(price) != PriceError::ok) return;
    OrderBook& opposite = books.get_or_create(buying, selling);
    CrossPlan plan = plan_place(opposite, owner, amount, price, offers_crossed_max);
    RC_ASSERT(plan == plan_place(OrderBook(opposite), owner, amount, price, offers_crossed_max));
    if (plan.error != CrossError::ok) return;
    for (const Fill& f : plan.fills) {
      const Offer* o = opposite.find(f.offer_id);
      RC_ASSERT(o != nullptr);
      check_fill(f, o->price);
      // The placer, a taker here, never pays more than its own price allows by a unit.
      RC_ASSERT(static_cast<Int128>(f.owner_received - 1) * price.n <
                static_cast<Int128>(f.owner_gave) * price.d);
      balance[{f.owner, selling}] += f.owner_received;
    }
    RC_ASSERT(plan.taker_gave + plan.remainder == amount);
    apply_cross(opposite, plan);
    books.erase_if_empty(buying, selling);
    balance[{owner, selling}] -= plan.taker_gave;
    balance[{owner, buying}] += plan.taker_received;
    if (plan.remainder_rests &&
        books.get_or_create(selling, buying).insert({next_id++, owner, plan.remainder, price}) ==
            BookError::ok)
      balance[{owner, selling}] -= plan.remainder;
    books.erase_if_empty(selling, buying);
  }

  // The owner is never paid below its price.
  static void check_fill(const Fill& f, Price p) {
    RC_ASSERT(f.owner_gave >= 0);
    RC_ASSERT(f.owner_received > 0);
    RC_ASSERT(static_cast<Int128>(f.owner_received) * p.d >=
              static_cast<Int128>(f.owner_gave) * p.n);
  }
};

RC_GTEST_PROP(FxProperties, NoSequenceOfOffersAndPaymentsCreatesValue, ()) {
  Model m;
  const auto initial = *rc::gen::container<std::vector<Action>>(
      *rc::gen::inRange<size_t>(20, 120), rc::gen::exec([] {
        Action a = *gen_action();
        a.kind = 1;
        a.account = *rc::gen::inRange<uint32_t>(0, accounts - 1);
        return a;
      }));
  for (const Action& a : initial) m.place(a.account, a.from, a.to, a.amount, a.price);
  const std::vector<Int128> totals = m.totals();

  const auto actions = *rc::gen::container<std::vector<Action>>(gen_action());
  size_t paid = 0, crossed = 0;
  for (const Action& a : actions) {
    if (a.kind == 1) {
      m.place(a.account, a.from, a.to, a.amount, a.price);
    } else if (a.kind == 2) {
      if (m.books.all().empty()) continue;
      auto it = m.books.all().begin();
      std::advance(it, a.pick % m.books.all().size());
      const auto [selling, buying] = it->first;
      uint64_t id = 0;
      size_t skip = (a.pick / 7) % it->second.size();
      for (const Offer& o : it->second)
        if (skip-- == 0) id = o.id;
      std::optional<Offer> gone = m.books.find(selling, buying)->cancel(id);
      RC_ASSERT(gone.has_value());
      m.balance[{gone->owner, selling}] += gone->amount;
      m.books.erase_if_empty(selling, buying);
    } else {
      PathRequest r;
      r.mode = a.exact_receive ? PathMode::exact_receive : PathMode::exact_send;
      r.source_asset = a.from;
      r.destination_asset = a.to;
      r.path = a.path;
      r.payer = a.account;
      r.send_amount = a.exact_receive ? (a.tight ? a.other : initial_balance) : a.amount;
      r.receive_amount = a.exact_receive ? a.amount : (a.tight ? a.other : 1);
      std::vector<uint32_t> quoted_path;
      if (a.quoted) {
        PathQuery q;
        q.mode = r.mode;
        q.source_asset = a.from;
        q.destination_asset = a.to;
        q.amount = a.amount;
        q.payer = a.account;
        PathFindResult found = find_paths(m.books, q);
        if (!found.paths.empty()) {
          quoted_path = found.paths[a.pick % found.paths.size()].path;
          r.path = quoted_path;
        }
      }
      PathPlan plan = plan_path(m.books, r);
      // Deterministic: a copy of the books gives the same plan.
      OrderBooks copy = m.books;
      RC_ASSERT(plan == plan_path(copy, r));
      if (plan.error != PathError::ok) continue;
      if (m.balance[{a.account, a.from}] < plan.sent) continue;  // The ledger's funds check.
      ++paid;
      crossed += plan.offers_crossed;
      if (a.exact_receive) {
        RC_ASSERT(plan.received == a.amount);
        RC_ASSERT(plan.sent <= r.send_amount);
      } else {
        RC_ASSERT(plan.sent == a.amount);
        RC_ASSERT(plan.received >= r.receive_amount);
      }
      for (const HopPlan& hop : plan.hops) {
        const OrderBook* book = m.books.find(hop.selling, hop.buying);
        RC_ASSERT(book != nullptr);
        for (size_t i = 0; i < hop.cross.fills.size(); ++i) {
          const Fill& f = hop.cross.fills[i];
          const Offer* o = book->find(f.offer_id);
          RC_ASSERT(o != nullptr);
          RC_ASSERT(o->owner != a.account);
          Model::check_fill(f, o->price);
          // The taker's rounding loss is under one unit per fill: one unit of the buying asset
          // for a fill at the owner's rounded-up price, and one unit of the selling asset's
          // worth for exact-send's last, partial fill.
          bool last_partial = !a.exact_receive && i + 1 == hop.cross.fills.size() && !f.consumed;
          Amount s = f.owner_gave + (last_partial ? 1 : 0);
          RC_ASSERT(static_cast<Int128>(f.owner_received - 1) * o->price.d <
                    static_cast<Int128>(s) * o->price.n);
          m.balance[{f.owner, hop.buying}] += f.owner_received;
        }
        m.balance[{a.account, hop.buying}] -= hop.cross.taker_gave;
        m.balance[{a.account, hop.selling}] += hop.cross.taker_received;
      }
      apply_path(m.books, plan);
    }
    RC_ASSERT(m.totals() == totals);
  }
  RC_CLASSIFY(paid == 0, "no payment applied");
  RC_CLASSIFY(paid >= 5, "5 or more payments applied");
  RC_CLASSIFY(crossed >= 20, "20 or more offers crossed by payments");
}

// A quote is exactly what the payment along its path plans.
RC_GTEST_PROP(FxProperties, QuotesMatchPlans, ()) {
  Model m;
  const auto initial =
      *rc::gen::container<std::vector<Action>>(*rc::gen::inRange<size_t>(20, 120), gen_action());
  for (const Action& a : initial)
    m.place(a.account % (accounts - 1), a.from, a.to, a.amount, a.price);
  Action q = *gen_action();
  // A different destination and a modest amount, so that most queries have an answer to check.
  q.to = (q.from + 1 + static_cast<uint32_t>(q.pick % (assets - 1))) % assets;
  q.amount = *rc::gen::inRange<Amount>(1, 200);
  PathQuery query;
  query.mode = q.exact_receive ? PathMode::exact_receive : PathMode::exact_send;
  query.source_asset = q.from;
  query.destination_asset = q.to;
  query.amount = q.amount;
  query.payer = q.account;
  PathFindResult found = find_paths(m.books, query);
  RC_ASSERT(found == find_paths(OrderBooks(m.books), query));
  for (const PathQuote& quote : found.paths) {
    PathRequest r;
    r.mode = query.mode;
    r.source_asset = q.from;
    r.destination_asset = q.to;
    r.path = quote.path;
    r.payer = q.account;
    r.send_amount = quote.send_amount;
    r.receive_amount = quote.receive_amount;
    PathPlan plan = plan_path(m.books, r);
    RC_ASSERT(plan.error == PathError::ok);
    RC_ASSERT(plan.sent == quote.send_amount);
    RC_ASSERT(plan.received == quote.receive_amount);
  }
  RC_CLASSIFY(found.paths.empty(), "no path");
}

}  // namespace
}  // namespace corridor::test::prop
