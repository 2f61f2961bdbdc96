// Properties of the FX operations through the Ledger (fx_property_test.cc covers the pure
// modules): random sequences of offers (place, cancel, replace) and path payments (both modes,
// direct and through intermediate assets), mixed with issuer controls.
//
// - the invariants hold after every block: per asset, holdings plus offers' locked amounts equal
//   the supply, no balance negative or above its limit, books and offer entries agree;
// - a transaction that does not succeed changes nothing, the state root included;
// - no value is created: FX operations leave every supply unchanged, and every account that
//   takes no part in a transaction but whose offers were filled by it received at least its
//   price for what it gave;
// - a ledger reloaded from storage agrees on every later outcome and state root.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "support/test_support.h"

namespace corridor::test::fxprop {
namespace {

using ledger::OfferEntry;
using ledger::ResultCode;

const std::vector<std::string> kIssuers = {"cbu", "cbe", "cbj"};
const std::vector<std::string> kTraders = {"t1", "t2", "t3", "t4", "t5"};
constexpr Amount kLimit = 1'000'000'000'000;
__extension__ using Int128 = __int128;

std::vector<std::string> all_names() {
  std::vector<std::string> n = kIssuers;
  n.insert(n.end(), kTraders.begin(), kTraders.end());
  return n;
}
std::vector<AssetId> fx_assets() {
  return {asset("USD", "cbu"), asset("EUR", "cbe"), asset("JPY", "cbj")};
}

TestLedger::FailureHandler fail_property() {
  return [](const std::string& message) { RC_FAIL(message); };
}

// Three assets (EUR requires authorization and is freezable, USD allows clawback), every trader
// holding all three, authorized, with 1,000,000 minor units of each.
void set_up(TestLedger& t) {
  t.create_accounts(all_names());
  AssetId usd = t.create_asset("cbu", "USD", 2, ledger::asset_flag_clawback_enabled);
  AssetId eur = t.create_asset(
      "cbe", "EUR", 2, ledger::asset_flag_authorization_required | ledger::asset_flag_freezable);
  AssetId jpy = t.create_asset("cbj", "JPY", 0);
  for (const auto& n : kTraders) {
    t.submit(n, {op::open_holding(usd, kLimit), op::open_holding(eur, kLimit),
                 op::open_holding(jpy, kLimit)});
    t.submit("cbe", {op::authorize(n, "EUR")});
    t.submit("cbu", {op::issue(n, "USD", 1'000'000)});
    t.submit("cbe", {op::issue(n, "EUR", 1'000'000)});
    t.submit("cbj", {op::issue(n, "JPY", 1'000'000)});
  }
}

rc::Gen<ledger::Price> gen_price() {
  return rc::gen::weightedOneOf<ledger::Price>({
      {20, rc::gen::construct<ledger::Price>(rc::gen::inRange<int64_t>(5, 16),
                                             rc::gen::inRange<int64_t>(5, 16))},
      {4, rc::gen::construct<ledger::Price>(rc::gen::inRange<int64_t>(1, 1000),
                                            rc::gen::inRange<int64_t>(1, 1000))},
      {1, rc::gen::construct<ledger::Price>(rc::gen::inRange<int64_t>(-2, 2),
                                            rc::gen::inRange<int64_t>(-2, 2))},
  });
}
rc::Gen<Amount> gen_fx_amount() {
  return rc::gen::weightedOneOf<Amount>(
      {{20, rc::gen::inRange<Amount>(1, 20'000)}, {1, rc::gen::element<Amount>(0, -1)}});
}

// One FX operation by `source`; with `controls`, also issuer actions and transfers.
Operation gen_fx_op(const std::string& source, bool controls) {
  auto assets = fx_assets();
  auto a = *rc::gen::elementOf(assets);
  auto b = *rc::gen::elementOf(assets);
  // Mostly two different assets; the same one now and then, to exercise the refusals.
  if (a == b && *rc::gen::inRange(0, 8) != 0) b = a == assets[0] ? assets[1] : assets[0];
  if (controls && source.rfind("cb", 0) == 0) {
    std::string who = *rc::gen::elementOf(kTraders);
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        return op::freeze(who, "EUR", *rc::gen::arbitrary<bool>());
      case 1:
        return op::authorize(who, "EUR", *rc::gen::arbitrary<bool>());
      default:
        return op::clawback(who, "USD", *rc::gen::inRange<Amount>(1, 50'000));
    }
  }
  std::vector<AssetId> path;
  if (*rc::gen::inRange(0, 3) == 0) path.push_back(*rc::gen::elementOf(assets));
  std::string to = *rc::gen::elementOf(kTraders);
  ledger::Price p = *gen_price();
  switch (*rc::gen::weightedElement<int>({{8, 0}, {2, 1}, {2, 2}, {3, 3}, {3, 4}, {1, 5}})) {
    case 0:
      return op::place_offer(a, b, *gen_fx_amount(), p.n, p.d);
    case 1:
      return op::cancel_offer(*rc::gen::inRange<uint64_t>(0, 30));
    case 2:
      return op::replace_offer(*rc::gen::inRange<uint64_t>(0, 30), *gen_fx_amount(), p.n, p.d);
    case 3:
      return op::path_send(to, a, *gen_fx_amount(), b, *rc::gen::inRange<Amount>(1, 500), path);
    case 4:
      return op::path_receive(to, a, *rc::gen::inRange<Amount>(1, 100'000), b, *gen_fx_amount(),
                              path);
    default:
      return controls ? Operation(op::transfer(to, a, *rc::gen::inRange<Amount>(1, 10'000)))
                      : Operation(op::cancel_offer(*rc::gen::inRange<uint64_t>(0, 40)));
  }
}

struct FxTx {
  std::string source;
  std::vector<Operation> ops;
};

std::vector<FxTx> gen_txs(bool controls) {
  int n = *rc::gen::inRange(1, 60);
  std::vector<FxTx> out;
  for (int i = 0; i < n; ++i) {
    FxTx tx;
    tx.source = controls ? *rc::gen::weightedOneOf<std::string>({{8, rc::gen::elementOf(kTraders)},
                                                                 {1, rc::gen::elementOf(kIssuers)}})
                         : *rc::gen::elementOf(kTraders);
    int ops = *rc::gen::weightedElement<int>({{6, 1}, {2, 2}, {1, 3}});
    for (int k = 0; k < ops; ++k) tx.ops.push_back(gen_fx_op(tx.source, controls));
    out.push_back(std::move(tx));
  }
  return out;
}

StateView view(const TestLedger& t) {
  return view_state(t.ledger(), all_names(), fx_assets());
}

std::map<uint64_t, OfferEntry> all_offers(const ledger::Ledger& l) {
  std::map<uint64_t, OfferEntry> out;
  for (const auto& n : kTraders)
    for (const auto& o : l.offers_of(test_id(n))) out.emplace(o.id, o);
  return out;
}

// balance + locked in offers, per (trader, asset).
std::map<std::pair<std::string, AssetId>, Amount> wealth(const ledger::Ledger& l) {
  std::map<std::pair<std::string, AssetId>, Amount> out;
  for (const auto& n : kTraders)
    for (const auto& a : fx_assets()) {
      const auto* h = l.holding(test_id(n), a);
      out[{n, a}] = (h ? h->balance : 0) + l.locked_in_offers(test_id(n), a);
    }
  return out;
}

RC_GTEST_PROP(FxLedgerProperties, InvariantsHoldAndFailuresChangeNothing, ()) {
  TestLedger t(fail_property());
  set_up(t);
  TestLedger reloaded(fail_property());
  set_up(reloaded);
  const auto txs = gen_txs(/*controls=*/true);
  const size_t restart_at = *rc::gen::inRange<size_t>(0, txs.size());
  size_t applied = 0;
  for (size_t i = 0; i < txs.size(); ++i) {
    if (i == restart_at) reloaded.restart();
    StateView before = view(t);
    const auto entries_before = t.stored_entries();
    Transaction tx = t.make_tx(txs[i].source, txs[i].ops);
    TxOutcome out = t.submit(tx);  // A block of its own; invariants checked at its end.
    RC_ASSERT(t.ledger().check_invariants().ok());
    RC_ASSERT(reloaded.submit(tx) == out);
    RC_ASSERT(reloaded.ledger().state_root() == t.ledger().state_root());
    if (out.code == ResultCode::ok) {
      ++applied;
      continue;
    }
    RC_ASSERT(view(t) == before);
    // No entry changed; the root moved by the consumed replay id alone.
    RC_ASSERT(t.stored_entries() == entries_before);
    RC_ASSERT(t.ledger().state_root() == t.stored_state_root());
  }
  RC_CLASSIFY(t.ledger().offer_count() > 5, "more than 5 offers resting at the end");
  RC_CLASSIFY(applied * 2 >= txs.size(), "half or more applied");
}

RC_GTEST_PROP(FxLedgerProperties, NoValueIsCreated, ()) {
  TestLedger t(fail_property());
  set_up(t);
  std::map<AssetId, Amount> supply;
  for (const auto& a : fx_assets()) supply[a] = *t.supply(a);
  const auto txs = gen_txs(/*controls=*/false);
  size_t fills_checked = 0;
  for (const auto& spec : txs) {
    auto offers_before = all_offers(t.ledger());
    auto wealth_before = wealth(t.ledger());
    TxOutcome out = t.submit(spec.source, spec.ops);
    for (const auto& a : fx_assets()) RC_ASSERT(*t.supply(a) == supply[a]);
    if (out.code != ResultCode::ok) continue;
    auto offers_after = all_offers(t.ledger());
    auto wealth_after = wealth(t.ledger());
    // Accounts that take part: the source and every destination.
    std::vector<std::string> parties = {spec.source};
    for (const auto& o : spec.ops) {
      if (const auto* s = std::get_if<ledger::PathPaymentSendOp>(&o))
        for (const auto& n : kTraders)
          if (test_id(n) == s->destination) parties.push_back(n);
      if (const auto* r = std::get_if<ledger::PathPaymentReceiveOp>(&o))
        for (const auto& n : kTraders)
          if (test_id(n) == r->destination) parties.push_back(n);
    }
    for (const auto& n : kTraders) {
      if (std::find(parties.begin(), parties.end(), n) != parties.end()) continue;
      // A bystander's offers only shrink by fills (no issuer controls here, limits are vast),
      // so what they gave is what their offers lost; per asset received, at least the price.
      std::map<AssetId, Amount> gave;
      std::set<AssetId> touched;
      std::map<AssetId, Int128> owed_floor;
      for (const auto& [id, o] : offers_before) {
        if (o.owner != test_id(n)) continue;
        auto it = offers_after.find(id);
        Amount filled = o.amount - (it == offers_after.end() ? 0 : it->second.amount);
        RC_ASSERT(filled >= 0);
        if (filled == 0) continue;
        ++fills_checked;
        gave[o.selling] += filled;
        touched.insert(o.selling);
        touched.insert(o.buying);
        owed_floor[o.buying] += static_cast<Int128>(filled) * o.price.n / o.price.d;
      }
      for (const auto& a : fx_assets()) {
        Amount delta = wealth_after[{n, a}] - wealth_before[{n, a}];
        // Given away exactly what the fills took, received at least the price of each fill.
        RC_ASSERT(static_cast<Int128>(delta) >= owed_floor[a] - gave[a]);
        if (!touched.contains(a)) RC_ASSERT(delta == 0);
      }
    }
  }
  RC_CLASSIFY(fills_checked > 0, "bystanders' fills checked");
}

}  // namespace
}  // namespace corridor::test::fxprop
