// The FX operations through the Ledger: offers (place, cross, partial fill, cancel, replace),
// path payments (exact-send and exact-receive, one and two hops), every rejection with the
// state unchanged, owners who cannot trade, and restart rebuilding the books.
#include <gtest/gtest.h>

#include <limits>

#include "ledger/limits.h"
#include "ledger_fixture.h"

namespace corridor::ledger {
namespace {

using test::outcome_failed;
using test::outcome_malformed;
namespace op = test::op;

class LedgerFx : public LedgerFixture {
 protected:
  static constexpr Amount kFunds = 100'000;

  void SetUp() override {
    LedgerFixture::SetUp();
    names.push_back("cb3");
    t.create_accounts({"cb2", "cb3"});
    eur = t.create_asset("cb2", "EUR", 2, asset_flag_freezable | asset_flag_authorization_required);
    gbp = t.create_asset("cb3", "GBP", 2);
    assets.push_back(eur);
    assets.push_back(gbp);
    for (const char* b : {"bank1", "bank2", "bank3"}) {
      if (std::string(b) != "bank1" && std::string(b) != "bank2") t.open_holding(b, usd, kLimit);
      t.open_holding(b, eur, kLimit);
      t.open_holding(b, gbp, kLimit);
      expect_ok("cb2", {op::authorize(b, "EUR")});
    }
    for (const char* b : {"bank1", "bank2", "bank3"}) {
      if (std::string(b) != "bank1") t.issue(b, usd, kFunds);
      t.issue(b, eur, kFunds);
      t.issue(b, gbp, kFunds);
    }
    t.issue("bank1", usd, kFunds - kInitial);
  }

  Amount total(const AssetId& a) const {
    Amount sum = 0;
    for (const char* b : {"bank1", "bank2", "bank3"}) {
      sum += t.balance(b, a).value_or(0);
      sum += t.ledger().locked_in_offers(test::test_id(b), a);
    }
    return sum;
  }
  size_t book_size(const AssetId& s, const AssetId& b) const {
    size_t n = 0;
    t.ledger().book_offers(s, b, 0, &n);
    return n;
  }

  AssetId eur, gbp;
};

TEST_F(LedgerFx, PlacedOfferRestsFundedAndLocksItsAmount) {
  expect_ok("bank1", {op::place_offer(usd, eur, 1'000, 9, 10)});
  EXPECT_EQ(balance("bank1", usd), kFunds - 1'000);
  EXPECT_EQ(t.ledger().locked_in_offers(test::test_id("bank1"), usd), 1'000);
  const OfferEntry* o = t.ledger().offer(1);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->owner, test::test_id("bank1"));
  EXPECT_EQ(o->amount, 1'000);
  EXPECT_EQ(o->price, (Price{9, 10}));
  EXPECT_EQ(book_size(usd, eur), 1u);
  EXPECT_EQ(total(usd), supply(usd));
}

TEST_F(LedgerFx, StoresTheReducedPrice) {
  expect_ok("bank1", {op::place_offer(usd, eur, 1'000, 18, 20)});
  EXPECT_EQ(t.ledger().offer(1)->price, (Price{9, 10}));
}

TEST_F(LedgerFx, CrossingOfferFillsPartiallyAndCreditsBothSides) {
  expect_ok("bank1", {op::place_offer(usd, eur, 1'000, 1, 1)});
  // bank2 sells 400 EUR for USD at 1/1: crosses bank1's offer for 400.
  expect_ok("bank2", {op::place_offer(eur, usd, 400, 1, 1)});
  EXPECT_EQ(balance("bank2", usd), kFunds + 400);
  EXPECT_EQ(balance("bank2", eur), kFunds - 400);
  EXPECT_EQ(balance("bank1", eur), kFunds + 400);
  EXPECT_EQ(t.ledger().offer(1)->amount, 600);
  EXPECT_EQ(book_size(eur, usd), 0u);  // Fully crossed: nothing rests.
  EXPECT_EQ(t.ledger().locked_in_offers(test::test_id("bank1"), usd), 600);
}

TEST_F(LedgerFx, CrossingConsumesOffersAndRestsTheRemainder) {
  expect_ok("bank1", {op::place_offer(usd, eur, 300, 1, 1)});
  expect_ok("bank2", {op::place_offer(eur, usd, 500, 1, 1)});
  EXPECT_EQ(t.ledger().offer(1), nullptr);
  EXPECT_EQ(book_size(usd, eur), 0u);
  const OfferEntry* rest = t.ledger().offer(2);
  ASSERT_NE(rest, nullptr);
  EXPECT_EQ(rest->amount, 200);
  EXPECT_EQ(balance("bank2", eur), kFunds - 500);
  EXPECT_EQ(balance("bank2", usd), kFunds + 300);
}

TEST_F(LedgerFx, PriceTimePriority) {
  expect_ok("bank1", {op::place_offer(usd, eur, 100, 11, 10)});  // Worse price.
  expect_ok("bank2", {op::place_offer(usd, eur, 100, 1, 1)});    // Best, older.
  expect_ok("bank3", {op::place_offer(usd, eur, 100, 2, 2)});    // Same value, newer.
  auto book = t.ledger().book_offers(usd, eur, 10);
  ASSERT_EQ(book.size(), 3u);
  EXPECT_EQ(book[0].id, 2u);
  EXPECT_EQ(book[1].id, 3u);
  EXPECT_EQ(book[2].id, 1u);
  // A payment of 150 USD takes bank2's 100 then 50 of bank3's.
  expect_ok("bank1", {op::path_receive("bank1", eur, 1'000, usd, 150)});
  EXPECT_EQ(t.ledger().offer(2), nullptr);
  EXPECT_EQ(t.ledger().offer(3)->amount, 50);
  EXPECT_EQ(t.ledger().offer(1)->amount, 100);
}

TEST_F(LedgerFx, CancelReturnsTheRemainder) {
  expect_ok("bank1", {op::place_offer(usd, eur, 1'000, 1, 1)});
  expect_ok("bank1", {op::cancel_offer(1)});
  EXPECT_EQ(balance("bank1", usd), kFunds);
  EXPECT_EQ(t.ledger().offer(1), nullptr);
  EXPECT_EQ(t.ledger().offer_count(), 0u);
}

TEST_F(LedgerFx, ReplaceShrinkingKeepsTheIdAndPriority) {
  expect_ok("bank1", {op::place_offer(usd, eur, 1'000, 1, 1)});
  expect_ok("bank2", {op::place_offer(usd, eur, 1'000, 1, 1)});
  expect_ok("bank1", {op::replace_offer(1, 400, 2, 2)});
  EXPECT_EQ(t.ledger().offer(1)->amount, 400);
  EXPECT_EQ(balance("bank1", usd), kFunds - 400);
  EXPECT_EQ(t.ledger().book_offers(usd, eur, 1)[0].id, 1u);
}

TEST_F(LedgerFx, ReplaceWithANewPriceIsANewOffer) {
  expect_ok("bank1", {op::place_offer(usd, eur, 1'000, 1, 1)});
  expect_ok("bank1", {op::replace_offer(1, 1'500, 11, 10)});
  EXPECT_EQ(t.ledger().offer(1), nullptr);
  const OfferEntry* o = t.ledger().offer(2);
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->amount, 1'500);
  EXPECT_EQ(o->price, (Price{11, 10}));
  EXPECT_EQ(balance("bank1", usd), kFunds - 1'500);
}

TEST_F(LedgerFx, ReplaceThatCrossesFillsFirst) {
  expect_ok("bank2", {op::place_offer(eur, usd, 300, 1, 1)});
  expect_ok("bank1", {op::place_offer(usd, eur, 500, 2, 1)});  // Too expensive: rests.
  expect_ok("bank1", {op::replace_offer(2, 500, 1, 1)});       // Now crosses 300.
  EXPECT_EQ(t.ledger().offer(1), nullptr);
  EXPECT_EQ(t.ledger().offer(3)->amount, 200);
  EXPECT_EQ(balance("bank1", eur), kFunds + 300);
  EXPECT_EQ(balance("bank1", usd), kFunds - 500);
}

TEST_F(LedgerFx, ExactSendOneHop) {
  expect_ok("bank1", {op::place_offer(eur, usd, 1'000, 11, 10)});  // 11 USD per 10 EUR.
  expect_ok("bank2", {op::path_send("bank3", usd, 110, eur, 100)});
  EXPECT_EQ(balance("bank2", usd), kFunds - 110);
  EXPECT_EQ(balance("bank3", eur), kFunds + 100);
  EXPECT_EQ(balance("bank1", usd), kFunds + 110);
  EXPECT_EQ(t.ledger().offer(1)->amount, 900);
}

TEST_F(LedgerFx, ExactSendRoundsInTheOwnersFavour) {
  expect_ok("bank1", {op::place_offer(eur, usd, 1'000, 3, 2)});  // 3 USD per 2 EUR.
  // 100 USD buys floor(100 * 2 / 3) = 66 EUR; the owner keeps all 100 USD.
  expect_ok("bank2", {op::path_send("bank3", usd, 100, eur, 66)});
  EXPECT_EQ(balance("bank3", eur), kFunds + 66);
  EXPECT_EQ(balance("bank1", usd), kFunds + 100);
}

TEST_F(LedgerFx, ExactSendResidueWorthLessThanAUnitGoesToTheOwner) {
  expect_ok("bank1", {op::place_offer(eur, usd, 2, 1, 1)});
  expect_ok("bank3", {op::place_offer(eur, usd, 100, 3, 2)});
  // 3 USD: 2 buy bank1's 2 EUR; the last 1 USD buys floor(1 * 2 / 3) = 0 EUR of bank3's offer,
  // and bank3 keeps that 1 USD. Its offer is untouched.
  expect_ok("bank2", {op::path_send("bank2", usd, 3, eur, 2)});
  EXPECT_EQ(balance("bank2", eur), kFunds + 2);
  EXPECT_EQ(balance("bank2", usd), kFunds - 3);
  EXPECT_EQ(balance("bank3", usd), kFunds + 1);
  EXPECT_EQ(t.ledger().offer(2)->amount, 100);
  EXPECT_EQ(t.ledger().offer(1), nullptr);
}

TEST_F(LedgerFx, ExactReceiveOneHopRoundsCostUp) {
  expect_ok("bank1", {op::place_offer(eur, usd, 1'000, 3, 2)});
  // 67 EUR cost ceil(67 * 3 / 2) = 101 USD.
  expect_ok("bank2", {op::path_receive("bank3", usd, 101, eur, 67)});
  EXPECT_EQ(balance("bank3", eur), kFunds + 67);
  EXPECT_EQ(balance("bank2", usd), kFunds - 101);
}

TEST_F(LedgerFx, TwoHopPathsBothModes) {
  // USD -> EUR -> GBP: bank1 sells EUR for USD at 1/1, bank3 sells GBP for EUR at 2/1.
  expect_ok("bank1", {op::place_offer(eur, usd, 10'000, 1, 1)});
  expect_ok("bank3", {op::place_offer(gbp, eur, 10'000, 2, 1)});
  expect_ok("bank2", {op::path_send("bank2", usd, 1'000, gbp, 500, {eur})});
  EXPECT_EQ(balance("bank2", usd), kFunds - 1'000);
  EXPECT_EQ(balance("bank2", gbp), kFunds + 500);
  EXPECT_EQ(balance("bank3", eur), kFunds + 1'000);
  expect_ok("bank2", {op::path_receive("bank2", usd, 2'000, gbp, 1'000, {eur})});
  EXPECT_EQ(balance("bank2", usd), kFunds - 3'000);
  EXPECT_EQ(balance("bank2", gbp), kFunds + 1'500);
  EXPECT_EQ(total(usd), supply(usd));
  EXPECT_EQ(total(eur), supply(eur));
  EXPECT_EQ(total(gbp), supply(gbp));
}

TEST_F(LedgerFx, QuotesMatchWhatThePaymentDoes) {
  expect_ok("bank1", {op::place_offer(eur, usd, 10'000, 1, 1)});
  expect_ok("bank3", {op::place_offer(gbp, eur, 10'000, 2, 1)});
  FxQuotes q = t.ledger().find_paths(usd, gbp, 1'000, PathMode::exact_send);
  ASSERT_EQ(q.paths.size(), 1u);
  EXPECT_EQ(q.paths[0].path, std::vector<AssetId>{eur});
  EXPECT_EQ(q.paths[0].receive_amount, 500);
  q = t.ledger().find_paths(usd, gbp, 500, PathMode::exact_receive);
  ASSERT_EQ(q.paths.size(), 1u);
  EXPECT_EQ(q.paths[0].send_amount, 1'000);
  EXPECT_TRUE(t.ledger().find_paths(gbp, usd, 10, PathMode::exact_send).paths.empty());
}

// --- Rejections: each with its own code, and nothing changes ---------------------------------

TEST_F(LedgerFx, StatelessRejections) {
  expect_rejected("bank1", {op::place_offer(usd, eur, 100, 0, 1)},
                  outcome_malformed(0, ResultCode::op_invalid_price));
  expect_rejected("bank1", {op::place_offer(usd, eur, 100, -1, 1)},
                  outcome_malformed(0, ResultCode::op_invalid_price));
  expect_rejected("bank1", {op::place_offer(usd, eur, 0, 1, 1)},
                  outcome_malformed(0, ResultCode::op_invalid_amount));
  expect_rejected("bank1", {op::place_offer(usd, eur, -5, 1, 1)},
                  outcome_malformed(0, ResultCode::op_invalid_amount));
  expect_rejected("bank1", {op::place_offer(usd, eur, std::numeric_limits<Amount>::max(), 2, 1)},
                  outcome_malformed(0, ResultCode::op_price_overflow));
  expect_rejected("bank1", {op::place_offer(usd, usd, 100, 1, 1)},
                  outcome_malformed(0, ResultCode::op_offer_same_asset));
  expect_rejected("bank1", {op::replace_offer(1, 100, 1, 0)},
                  outcome_malformed(0, ResultCode::op_invalid_price));
  expect_rejected("bank1", {op::path_send("bank2", usd, 0, eur, 1)},
                  outcome_malformed(0, ResultCode::op_invalid_amount));
  expect_rejected("bank1", {op::path_receive("bank2", usd, 10, eur, -1)},
                  outcome_malformed(0, ResultCode::op_invalid_amount));
  expect_rejected("bank1", {op::path_send("bank2", usd, 10, usd, 1)},
                  outcome_malformed(0, ResultCode::op_path_loop));
  expect_rejected("bank1", {op::path_send("bank2", usd, 10, eur, 1, {gbp, usd})},
                  outcome_malformed(0, ResultCode::op_path_loop));
  std::vector<AssetId> long_path;
  for (int i = 0; i < 6; ++i) long_path.push_back(test::asset("X" + std::to_string(i), "cb"));
  expect_rejected("bank1", {op::path_send("bank2", usd, 10, eur, 1, long_path)},
                  outcome_malformed(0, ResultCode::op_path_too_long));
}

TEST_F(LedgerFx, OfferRejections) {
  expect_ok("bank1", {op::place_offer(usd, eur, 1'000, 1, 1)});
  expect_op_failed("bank2", {op::cancel_offer(99)}, 0, ResultCode::op_offer_not_found);
  expect_op_failed("bank2", {op::cancel_offer(1)}, 0, ResultCode::op_offer_not_owner);
  expect_op_failed("bank2", {op::replace_offer(1, 5, 1, 1)}, 0, ResultCode::op_offer_not_owner);
  expect_op_failed("bank2", {op::replace_offer(7, 5, 1, 1)}, 0, ResultCode::op_offer_not_found);
  // bank1 selling EUR at a price that reaches its own USD offer.
  expect_op_failed("bank1", {op::place_offer(eur, usd, 10, 1, 1)}, 0,
                   ResultCode::op_offer_cross_self);
  expect_op_failed("bank2", {op::place_offer(usd, eur, kFunds + 1, 1, 1)}, 0,
                   ResultCode::op_insufficient_balance);
  expect_op_failed("bank2", {op::place_offer(usd, test::asset("NOPE", "cb"), 1, 1, 1)}, 0,
                   ResultCode::op_asset_not_found);
  expect_op_failed("cb", {op::place_offer(usd, eur, 1, 1, 1)}, 0,
                   ResultCode::op_issuer_cannot_hold);
  expect_op_failed("cb2", {op::place_offer(usd, eur, 1, 1, 1)}, 0,
                   ResultCode::op_issuer_cannot_hold);
  t.create_account("outsider");
  expect_op_failed("outsider", {op::place_offer(usd, eur, 1, 1, 1)}, 0,
                   ResultCode::op_holding_not_found);
  expect_ok("cb2", {op::freeze("bank2", "EUR")});
  expect_op_failed("bank2", {op::place_offer(usd, eur, 1, 1, 1)}, 0, ResultCode::op_frozen);
  expect_ok("cb2", {op::freeze("bank2", "EUR", false), op::authorize("bank2", "EUR", false)});
  expect_op_failed("bank2", {op::place_offer(usd, eur, 1, 1, 1)}, 0, ResultCode::op_not_authorized);
}

TEST_F(LedgerFx, PathPaymentRejections) {
  expect_ok("bank1", {op::place_offer(eur, usd, 1'000, 1, 1)});
  expect_op_failed("bank2", {op::path_send("bank3", usd, 2'000, eur, 1)}, 0,
                   ResultCode::op_insufficient_liquidity);
  expect_op_failed("bank2", {op::path_send("bank3", usd, 10, gbp, 1)}, 0,
                   ResultCode::op_insufficient_liquidity);
  expect_op_failed("bank2", {op::path_send("bank3", usd, 100, eur, 101)}, 0,
                   ResultCode::op_receive_min_not_met);
  expect_op_failed("bank2", {op::path_receive("bank3", usd, 99, eur, 100)}, 0,
                   ResultCode::op_send_max_exceeded);
  expect_op_failed("bank1", {op::path_receive("bank3", usd, 100, eur, 100)}, 0,
                   ResultCode::op_offer_cross_self);
  expect_op_failed("bank2", {op::path_send("nobody", usd, 100, eur, 1)}, 0,
                   ResultCode::op_account_not_found);
  expect_op_failed("bank2", {op::path_send("cb2", usd, 100, eur, 1)}, 0,
                   ResultCode::op_issuer_cannot_hold);
  expect_ok("bank2", {op::transfer("bank3", usd, kFunds - 50)});
  expect_op_failed("bank2", {op::path_send("bank3", usd, 100, eur, 1)}, 0,
                   ResultCode::op_insufficient_balance);
  expect_ok("bank3", {op::open_holding(eur, kFunds + 10)});
  expect_op_failed("bank3", {op::path_receive("bank3", usd, 100, eur, 20)}, 0,
                   ResultCode::op_limit_exceeded);
  expect_ok("cb2", {op::freeze("bank3", "EUR")});
  expect_op_failed("bank3", {op::path_receive("bank3", usd, 100, eur, 5)}, 0,
                   ResultCode::op_frozen);
}

TEST_F(LedgerFx, TooManyOffersPerAccount) {
  std::vector<Operation> ops;
  for (uint32_t i = 0; i < account_offers_max; ++i)
    ops.push_back(op::place_offer(usd, eur, 1, 2, 1));
  expect_ok("bank1", ops);
  EXPECT_EQ(t.ledger().offer_count(), account_offers_max);
  expect_op_failed("bank1", {op::place_offer(usd, gbp, 1, 2, 1)}, 0,
                   ResultCode::op_too_many_offers);
}

TEST_F(LedgerFx, TooManyOffersCrossed) {
  std::vector<Operation> ops;
  for (uint32_t i = 0; i < account_offers_max; ++i)
    ops.push_back(op::place_offer(eur, usd, 1, 1, 1));
  expect_ok("bank1", ops);
  expect_ok("bank3", {op::place_offer(eur, usd, 1, 1, 1)});
  // Reaching the bound exactly is fine; one more is not.
  expect_op_failed("bank2", {op::path_receive("bank2", usd, 2'000, eur, offers_crossed_max + 1)}, 0,
                   ResultCode::op_too_many_offers_crossed);
  expect_ok("bank2", {op::path_receive("bank2", usd, 2'000, eur, offers_crossed_max)});
}

TEST_F(LedgerFx, AmountOverflow) {
  // Two offers each worth nearly INT64_MAX of USD: buying both overflows the cost.
  constexpr Amount big = std::numeric_limits<Amount>::max() / 2 + 1;
  expect_ok("bank1", {op::place_offer(eur, usd, 1, big, 1)});
  expect_ok("bank3", {op::place_offer(eur, usd, 1, big, 1)});
  expect_op_failed("bank2",
                   {op::path_receive("bank2", usd, std::numeric_limits<Amount>::max(), eur, 2)}, 0,
                   ResultCode::op_amount_overflow);
}

TEST_F(LedgerFx, FailedTransactionLeavesTheEntriesUnchanged) {
  expect_ok("bank1", {op::place_offer(eur, usd, 1'000, 1, 1)});
  expect_ok("bank3", {op::place_offer(gbp, eur, 1'000, 1, 1)});
  const auto entries = t.stored_entries();
  test::StateView before = view();
  // Places and crosses, pays along two hops, then fails: everything is undone.
  TxOutcome out = t.apply(
      t.make_tx("bank2", {op::place_offer(usd, eur, 300, 1, 1), op::place_offer(usd, gbp, 50, 3, 1),
                          op::path_send("bank2", usd, 200, gbp, 1, {eur}), op::cancel_offer(3),
                          op::cancel_offer(77)}));
  EXPECT_EQ(out, outcome_failed(4, ResultCode::op_offer_not_found));
  t.end_block();
  expect_entries_unchanged(entries);
  EXPECT_EQ(view(), before);
}

// --- Owners who cannot trade -----------------------------------------------------------------

TEST_F(LedgerFx, FrozenOwnersOfferIsRemovedWhenReached) {
  expect_ok("bank1", {op::place_offer(eur, usd, 100, 1, 1)});
  expect_ok("bank3", {op::place_offer(eur, usd, 100, 11, 10)});
  expect_ok("cb2", {op::freeze("bank1", "EUR")});
  expect_ok("bank2", {op::path_receive("bank2", usd, 1'000, eur, 50)});
  // bank1's offer was cancelled (its EUR back in its frozen holding); bank3's filled.
  EXPECT_EQ(t.ledger().offer(1), nullptr);
  EXPECT_EQ(balance("bank1", eur), kFunds);
  EXPECT_EQ(t.ledger().offer(2)->amount, 50);
  EXPECT_EQ(balance("bank2", usd), kFunds - 55);
}

TEST_F(LedgerFx, OwnerWithoutRoomIsSkippedAndItsOfferRemoved) {
  expect_ok("bank1", {op::place_offer(eur, usd, 100, 1, 1)});
  expect_ok("bank3", {op::place_offer(eur, usd, 100, 1, 1)});
  // bank1's USD holding cannot take more.
  t.issue("bank1", usd, kLimit - kFunds);
  expect_ok("bank2", {op::path_receive("bank2", usd, 1'000, eur, 50)});
  EXPECT_EQ(t.ledger().offer(1), nullptr);
  EXPECT_EQ(t.ledger().offer(2)->amount, 50);
}

TEST_F(LedgerFx, LockedAmountsKeepRoomForRefunds) {
  expect_ok("bank1", {op::place_offer(gbp, usd, 50'000, 1, 1)});
  // bank1's GBP holding: balance 50,000, locked 50,000, limit 1,000,000. A transfer that would
  // leave no room for the refund is refused, and so is a limit below balance + locked.
  expect_op_failed("cb3", {op::issue("bank1", "GBP", kLimit - 99'999)}, 0,
                   ResultCode::op_limit_exceeded);
  expect_op_failed("bank1", {op::open_holding(gbp, 99'999)}, 0, ResultCode::op_limit_below_balance);
  expect_ok("bank1", {op::open_holding(gbp, 100'000)});
  expect_ok("bank1", {op::cancel_offer(1)});
  EXPECT_EQ(balance("bank1", gbp), kFunds);
}

TEST_F(LedgerFx, ClawbackTakesOnlyFromTheHolding) {
  t.create_account("cb4");
  AssetId chf = t.create_asset("cb4", "CHF", 2, asset_flag_clawback_enabled);
  t.open_holding("bank1", chf, kLimit);
  t.issue("bank1", chf, 1'000);
  expect_ok("bank1", {op::place_offer(chf, usd, 600, 1, 1)});
  expect_op_failed("cb4", {op::clawback("bank1", "CHF", 401)}, 0,
                   ResultCode::op_insufficient_balance);
  expect_ok("cb4", {op::clawback("bank1", "CHF", 400)});
  EXPECT_EQ(t.ledger().offer(1)->amount, 600);
}

// --- Restart -----------------------------------------------------------------------------------

TEST_F(LedgerFx, RestartRebuildsTheBooksAndTheRoot) {
  expect_ok("bank1", {op::place_offer(eur, usd, 1'000, 1, 1), op::place_offer(usd, gbp, 70, 3, 7)});
  expect_ok("bank3", {op::place_offer(eur, usd, 500, 11, 10)});
  expect_ok("bank2", {op::path_receive("bank2", usd, 5'000, eur, 1'200)});  // Fills 1, part of 3.
  test::StateView before = view();
  uint64_t next = t.ledger().next_offer_id();
  t.restart();  // Fails the test if the recomputed root differs.
  EXPECT_EQ(view(), before);
  EXPECT_EQ(t.ledger().next_offer_id(), next);
  EXPECT_EQ(t.ledger().offer(1), nullptr);
  // The rebuilt books behave the same: the next offer gets the next id, payments cross.
  expect_ok("bank2", {op::place_offer(gbp, usd, 10, 10, 1)});
  EXPECT_NE(t.ledger().offer(next), nullptr);
  expect_ok("bank2", {op::path_send("bank2", usd, 100, eur, 90)});
  ASSERT_TRUE(t.ledger().check_invariants().ok());
}

}  // namespace
}  // namespace corridor::ledger

namespace corridor::ledger {
namespace {

TEST(FxEncoding, OperationsRoundTripAndOfferEntriesDecode) {
  AssetId a = test::asset("USD", "cb"), b = test::asset("EUR", "cb2"),
          c = test::asset("GBP", "cb3");
  Transaction tx;
  tx.network_id = test::test_network_id();
  tx.source = test::test_id("bank1");
  tx.valid_until_height = 10;
  tx.ops = {test::op::place_offer(a, b, 5, 3, 2), test::op::cancel_offer(7),
            test::op::replace_offer(7, 9, 1, 4), test::op::path_send("bank2", a, 10, c, 5, {b}),
            test::op::path_receive("bank2", a, 10, c, 5, {b})};
  tx.sign(test::test_key("bank1"));
  Bytes envelope = encode_transaction(tx);
  auto back = decode_transaction(envelope);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->ops, tx.ops);
  EXPECT_EQ(back->id, tx.id);

  OfferEntry o;
  o.id = 42;
  o.owner = test::test_id("bank1");
  o.selling = a;
  o.buying = b;
  o.amount = 100;
  o.price = {3, 2};
  Bytes key, value;
  encode_offer_key(o.id, key);
  EXPECT_EQ(key, (Bytes{5, 0, 0, 0, 0, 0, 0, 0, 42}));
  auto k = decode_entry_key(key);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->kind, EntryKind::offer);
  EXPECT_EQ(k->offer_id, 42u);
  encode_offer_value(o, value);
  auto d = decode_offer_value(42, value);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->amount, 100);
  EXPECT_EQ(d->price, (Price{3, 2}));
  // Unreduced or invalid prices and non-positive amounts are corrupt entries.
  o.price = {6, 4};
  value.clear();
  encode_offer_value(o, value);
  EXPECT_FALSE(decode_offer_value(42, value).ok());
  o.price = {3, 2};
  o.amount = 0;
  value.clear();
  encode_offer_value(o, value);
  EXPECT_FALSE(decode_offer_value(42, value).ok());
}

}  // namespace
}  // namespace corridor::ledger
