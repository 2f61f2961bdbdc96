// The demo's model (cli/demo_plan.h): its ladders never cross, the payers' limits cover what
// the ladders charge, the treasury keeps balances in their bands, and the drawn payments are
// well formed and cover every kind.
#include "cli/demo_plan.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace corridor::cli::demo {
namespace {

using ledger::Price;
using ledger::Rounding;

TEST(DemoPlan, RosterHasAnIssuerPerCurrencyTwoBanksEachAndMarketMakers) {
  std::set<std::string_view> names;
  for (const auto& p : participants) EXPECT_TRUE(names.insert(p.name).second) << p.name;
  for (int c = 0; c < currency_count; ++c) {
    EXPECT_EQ(participants[static_cast<size_t>(issuer_of(c))].name,
              currencies[static_cast<size_t>(c)].issuer);
    EXPECT_EQ(banks_of(c).size(), 2u);
  }
  EXPECT_EQ(market_makers().size(), 2u);
  EXPECT_EQ(participants[static_cast<size_t>(agent_index())].role, Role::agent);
}

TEST(DemoPlan, OfferPricesFollowTheRatesAndAreReduced) {
  // EUR for USD at the mid rate: 1.085 USD per EUR, exactly.
  Price mid = offer_price(1, 0, 0);
  EXPECT_EQ(mid.n, 217);
  EXPECT_EQ(mid.d, 200);
  Price wider = offer_price(1, 0, 10);
  EXPECT_EQ(ledger::compare_prices(wider, mid), std::strong_ordering::greater);
  EXPECT_EQ(ledger::reduce(wider), wider);
}

TEST(DemoPlan, LaddersNeverCrossEitherOwnOrTheOtherMarketMakers) {
  std::vector<LadderLevel> all = ladder(0);
  for (const auto& l : ladder(1)) all.push_back(l);
  EXPECT_EQ(ladder(0).size(), static_cast<size_t>(currency_count * (currency_count - 1) * 3));
  for (const auto& a : all) {
    EXPECT_EQ(ledger::check_offer_terms(a.amount, a.price), ledger::PriceError::ok);
    for (const auto& b : all)
      if (a.selling == b.buying && a.buying == b.selling) {
        EXPECT_FALSE(ledger::prices_cross(a.price, b.price))
            << a.selling << "/" << a.buying << " at " << a.spread_bps << " bps crosses "
            << b.spread_bps << " bps";
      }
  }
}

// What an exact-receive payment of `amount` costs if it takes every unit from the widest level
// on every hop, rounded up as the ledger rounds for the offer's owner.
Amount worst_cost(Amount amount, std::vector<int> hops_back) {
  Amount owed = amount;
  for (size_t i = 0; i + 1 < hops_back.size(); ++i) {
    Price p = offer_price(hops_back[i], hops_back[i + 1], ladder_spread_bps_max());
    // The book sells hops_back[i] for hops_back[i + 1]: the taker pays ceil(owed * n / d) + one
    // unit per offer crossed at most; six offers per book.
    owed = *ledger::buying_amount(owed, p, Rounding::up) + 6;
  }
  return owed;
}

TEST(DemoPlan, SendMaxCoversTheWidestLevelsOnBothHops) {
  for (int s = 0; s < currency_count; ++s)
    for (int d = 0; d < currency_count; ++d) {
      if (s == d) continue;
      for (Amount amount : {Amount{250'00}, Amount{225'000'00}}) {
        const Amount limit = send_max_for(amount, s, d, path_tolerance_bps);
        EXPECT_GE(limit, worst_cost(amount, {d, s})) << s << "->" << d;
        if (s != vehicle_currency && d != vehicle_currency) {
          EXPECT_GE(limit, worst_cost(amount, {d, vehicle_currency, s})) << s << "->USD->" << d;
        }
      }
    }
}

TEST(DemoPlan, DestMinIsBelowWhatTheWidestLevelsDeliver) {
  for (int s = 0; s < currency_count; ++s)
    for (int d = 0; d < currency_count; ++d) {
      if (s == d) continue;
      const Amount amount = 100'000'00;
      // Spending `amount` of s through the book selling d for s at the widest spread, then
      // (two hops) through the vehicle currency.
      Price direct = offer_price(d, s, ladder_spread_bps_max());
      const Amount got = *ledger::selling_amount(amount, direct, Rounding::down) - 6;
      EXPECT_LE(dest_min_for(amount, s, d, path_tolerance_bps), got);
      if (s == vehicle_currency || d == vehicle_currency) continue;
      Price hop1 = offer_price(vehicle_currency, s, ladder_spread_bps_max());
      Price hop2 = offer_price(d, vehicle_currency, ladder_spread_bps_max());
      const Amount mid = *ledger::selling_amount(amount, hop1, Rounding::down) - 6;
      const Amount two = *ledger::selling_amount(mid, hop2, Rounding::down) - 6;
      EXPECT_LE(dest_min_for(amount, s, d, path_tolerance_bps), two);
    }
}

TEST(DemoPlan, TreasuryBringsBalancesBackIntoTheBand) {
  for (Role role : {Role::bank, Role::market_maker}) {
    const TreasuryBand band = treasury_band(role);
    ASSERT_LT(band.low, band.target);
    ASSERT_LT(band.target, band.high);
    EXPECT_LE(band.high, holding_limit_minor);
    EXPECT_EQ(treasury_adjustment(band.low, band), 0);
    EXPECT_EQ(treasury_adjustment(band.high, band), 0);
    EXPECT_EQ(treasury_adjustment(0, band), band.target);
    EXPECT_EQ(treasury_adjustment(band.low - 1, band), band.target - band.low + 1);
    EXPECT_EQ(treasury_adjustment(band.high + 5, band), band.target - band.high - 5);
  }
  // A market maker's ladder locks less of a currency than its band's floor keeps free.
  Amount locked = 0;
  for (const auto& l : ladder(0))
    if (l.selling == 0) locked += l.amount;
  EXPECT_LT(locked, treasury_band(Role::market_maker).low);
}

TEST(DemoPlan, DrawnPaymentsAreWellFormedAndFollowTheMix) {
  std::mt19937_64 rng(7);
  std::map<PaymentKind, int> kinds;
  int via = 0, urgent = 0, agent = 0;
  const int n = 20'000;
  // The deepest a book can be drained by one payment: the two market makers' three levels.
  Amount book_depth = 0;
  for (const auto& l : ladder(0))
    if (l.selling == 1 && l.buying == 0) book_depth += 2 * l.amount;
  for (int i = 0; i < n; ++i) {
    PaymentPlan p = plan_payment(rng);
    ++kinds[p.kind];
    const auto& payer = participants[static_cast<size_t>(p.payer)];
    const auto& payee = participants[static_cast<size_t>(p.payee)];
    ASSERT_EQ(payer.role, Role::bank);
    ASSERT_EQ(payee.role, Role::bank);
    ASSERT_NE(p.payer, p.payee);
    ASSERT_EQ(payer.currency, p.send_currency);
    ASSERT_EQ(payee.currency, p.dest_currency);
    ASSERT_GT(p.amount, 0);
    ASSERT_LT(p.amount, book_depth / 4);
    ASSERT_LT(p.amount, treasury_band(Role::bank).low / 4);
    const bool fx = p.kind == PaymentKind::fx_receive || p.kind == PaymentKind::fx_send;
    ASSERT_EQ(fx, p.send_currency != p.dest_currency);
    if (p.via) {
      ++via;
      ASSERT_TRUE(fx);
      ASSERT_NE(*p.via, p.send_currency);
      ASSERT_NE(*p.via, p.dest_currency);
    }
    if (p.kind == PaymentKind::fx_receive) {
      ASSERT_EQ(p.limit,
                send_max_for(p.amount, p.send_currency, p.dest_currency, path_tolerance_bps));
    }
    if (p.kind == PaymentKind::fx_send) {
      ASSERT_EQ(p.limit,
                dest_min_for(p.amount, p.send_currency, p.dest_currency, path_tolerance_bps));
    }
    urgent += p.urgent ? 1 : 0;
    agent += p.with_agent ? 1 : 0;
    ASSERT_TRUE(!p.urgent || p.kind == PaymentKind::queue);
    ASSERT_TRUE(!p.with_agent || p.kind == PaymentKind::escrow);
  }
  for (int k = 0; k < payment_kind_count; ++k) {
    const double share = 100.0 * kinds[static_cast<PaymentKind>(k)] / n;
    EXPECT_NEAR(share, payment_mix_pct[static_cast<size_t>(k)], 1.5) << k;
  }
  EXPECT_GT(via, 0);
  EXPECT_GT(urgent, 0);
  EXPECT_GT(agent, 0);
}

TEST(DemoPlan, PercentileIsTheNearestRank) {
  std::vector<uint64_t> none;
  EXPECT_EQ(percentile(none, 50), 0u);
  std::vector<uint64_t> v{50, 10, 40, 20, 30};
  EXPECT_EQ(percentile(v, 50), 30u);
  EXPECT_EQ(percentile(v, 99), 50u);
  EXPECT_EQ(percentile(v, 0), 10u);
  std::vector<uint64_t> hundred;
  for (uint64_t i = 100; i >= 1; --i) hundred.push_back(i);
  EXPECT_EQ(percentile(hundred, 50), 50u);
  EXPECT_EQ(percentile(hundred, 99), 99u);
  EXPECT_EQ(percentile(hundred, 100), 100u);
}

}  // namespace
}  // namespace corridor::cli::demo
