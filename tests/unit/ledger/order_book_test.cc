#include "ledger/order_book.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "ledger/limits.h"

namespace corridor::ledger {
namespace {

constexpr uint32_t S = 1;  // The asset the book sells.
constexpr uint32_t B = 2;  // The asset the book buys.

std::vector<uint64_t> ids(const OrderBook& book) {
  std::vector<uint64_t> out;
  for (const Offer& o : book) out.push_back(o.id);
  return out;
}

CrossRequest request(CrossMode mode, Amount amount, uint32_t taker = 99,
                     uint32_t crossed_max = offers_crossed_max) {
  CrossRequest r;
  r.mode = mode;
  r.amount = amount;
  r.taker = taker;
  r.offers_crossed_max = crossed_max;
  return r;
}

TEST(OrderBook, PriceTimePriority) {
  OrderBook book(S, B);
  ASSERT_EQ(book.insert({5, 10, 100, {3, 2}}), BookError::ok);
  ASSERT_EQ(book.insert({2, 11, 100, {3, 2}}), BookError::ok);
  ASSERT_EQ(book.insert({9, 12, 100, {1, 1}}), BookError::ok);
  ASSERT_EQ(book.insert({7, 13, 100, {6, 4}}), BookError::ok);  // 3/2 in another encoding.
  ASSERT_EQ(book.insert({1, 14, 100, {2, 1}}), BookError::ok);
  // Cheapest first; among equal values (3/2 and 6/4) the lowest id.
  EXPECT_EQ(ids(book), (std::vector<uint64_t>{9, 2, 5, 7, 1}));
  ASSERT_NE(book.best(), nullptr);
  EXPECT_EQ(book.best()->id, 9u);
  EXPECT_EQ(book.size(), 5u);
}

TEST(OrderBook, InsertRejectsBadOffersAndChangesNothing) {
  OrderBook book(S, B);
  ASSERT_EQ(book.insert({1, 10, 100, {1, 1}}), BookError::ok);
  PriceError why = PriceError::ok;
  EXPECT_EQ(book.insert({2, 10, 0, {1, 1}}), BookError::invalid_amount);
  EXPECT_EQ(book.insert({2, 10, -5, {1, 1}}), BookError::invalid_amount);
  EXPECT_EQ(book.insert({2, 10, 5, {0, 1}}, &why), BookError::invalid_price);
  EXPECT_EQ(why, PriceError::zero);
  EXPECT_EQ(book.insert({2, 10, 5, {-1, 1}}, &why), BookError::invalid_price);
  EXPECT_EQ(why, PriceError::negative);
  EXPECT_EQ(book.insert({2, 10, std::numeric_limits<Amount>::max(), {3, 1}}, &why),
            BookError::invalid_price);
  EXPECT_EQ(why, PriceError::overflow);
  EXPECT_EQ(book.insert({1, 11, 5, {1, 1}}), BookError::duplicate_id);
  EXPECT_EQ(ids(book), (std::vector<uint64_t>{1}));
  EXPECT_EQ(book.find(1)->owner, 10u);
}

TEST(OrderBook, CancelReturnsTheOffer) {
  OrderBook book(S, B);
  ASSERT_EQ(book.insert({1, 10, 100, {1, 1}}), BookError::ok);
  ASSERT_EQ(book.insert({2, 11, 50, {1, 1}}), BookError::ok);
  auto gone = book.cancel(1);
  ASSERT_TRUE(gone);
  EXPECT_EQ(*gone, (Offer{1, 10, 100, {1, 1}}));
  EXPECT_FALSE(book.cancel(1));
  EXPECT_FALSE(book.cancel(77));
  EXPECT_EQ(book.find(1), nullptr);
  EXPECT_EQ(ids(book), (std::vector<uint64_t>{2}));
}

TEST(OrderBook, ReplaceKeepsPriorityOnlyWhenShrinkingAtTheSamePrice) {
  OrderBook book(S, B);
  ASSERT_EQ(book.insert({1, 10, 100, {1, 1}}), BookError::ok);
  ASSERT_EQ(book.insert({2, 11, 100, {1, 1}}), BookError::ok);

  auto shrink = book.replace(1, 60, {2, 2}, 3);  // Same value, new encoding, less size.
  EXPECT_EQ(shrink.error, BookError::ok);
  EXPECT_TRUE(shrink.priority_kept);
  EXPECT_EQ(shrink.id, 1u);
  EXPECT_EQ(shrink.old.amount, 100);
  EXPECT_EQ(ids(book), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(book.find(1)->amount, 60);

  auto grow = book.replace(1, 61, {1, 1}, 3);  // More size: a new offer, at the back.
  EXPECT_EQ(grow.error, BookError::ok);
  EXPECT_FALSE(grow.priority_kept);
  EXPECT_EQ(grow.id, 3u);
  EXPECT_EQ(ids(book), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(book.find(1), nullptr);
  EXPECT_EQ(book.find(3)->owner, 10u);

  auto reprice = book.replace(3, 10, {1, 2}, 4);  // A better price goes to the front.
  EXPECT_FALSE(reprice.priority_kept);
  EXPECT_EQ(ids(book), (std::vector<uint64_t>{4, 2}));

  auto worse = book.replace(4, 5, {2, 1}, 5);  // Less size but a new price: a new offer.
  EXPECT_FALSE(worse.priority_kept);
  EXPECT_EQ(ids(book), (std::vector<uint64_t>{2, 5}));
}

TEST(OrderBook, ReplaceRejectsAndChangesNothing) {
  OrderBook book(S, B);
  ASSERT_EQ(book.insert({1, 10, 100, {1, 1}}), BookError::ok);
  ASSERT_EQ(book.insert({2, 11, 100, {1, 1}}), BookError::ok);
  EXPECT_EQ(book.replace(9, 10, {1, 1}, 3).error, BookError::not_found);
  EXPECT_EQ(book.replace(1, 0, {1, 1}, 3).error, BookError::invalid_amount);
  auto bad = book.replace(1, 10, {0, 1}, 3);
  EXPECT_EQ(bad.error, BookError::invalid_price);
  EXPECT_EQ(bad.price_error, PriceError::zero);
  EXPECT_EQ(book.replace(1, 200, {1, 1}, 2).error, BookError::duplicate_id);
  EXPECT_EQ(book.replace(1, 200, {1, 1}, 1).error, BookError::duplicate_id);
  EXPECT_EQ(ids(book), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(*book.find(1), (Offer{1, 10, 100, {1, 1}}));
}

// Three offers: 100 S at 1 B per S, 100 S at 3/2, 100 S at 2.
OrderBook three_offers() {
  OrderBook book(S, B);
  EXPECT_EQ(book.insert({1, 10, 100, {1, 1}}), BookError::ok);
  EXPECT_EQ(book.insert({2, 11, 100, {3, 2}}), BookError::ok);
  EXPECT_EQ(book.insert({3, 12, 100, {2, 1}}), BookError::ok);
  return book;
}

TEST(OrderBookCrossing, ExactReceiveDeliversExactlyAndPartiallyFills) {
  OrderBook book = three_offers();
  CrossPlan plan = plan_cross(book, request(CrossMode::exact_receive, 150));
  ASSERT_EQ(plan.error, CrossError::ok);
  EXPECT_EQ(plan.taker_received, 150);
  ASSERT_EQ(plan.fills.size(), 2u);
  EXPECT_EQ(plan.fills[0], (Fill{1, 10, 100, 100, true}));
  EXPECT_EQ(plan.fills[1], (Fill{2, 11, 50, 75, false}));
  EXPECT_EQ(plan.taker_gave, 175);
  // Planning changed nothing; applying consumes offer 1 and lowers offer 2.
  EXPECT_EQ(book.size(), 3u);
  apply_cross(book, plan);
  EXPECT_EQ(ids(book), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(book.find(2)->amount, 50);
}

TEST(OrderBookCrossing, ExactReceiveRoundsThePaymentUpForTheOwner) {
  OrderBook book(S, B);
  ASSERT_EQ(book.insert({1, 10, 100, {1, 3}}), BookError::ok);  // 1 B per 3 S.
  CrossPlan plan = plan_cross(book, request(CrossMode::exact_receive, 10));
  ASSERT_EQ(plan.error, CrossError::ok);
  // 10 S are worth 3.33 B: the owner gets 4, never 3.
  EXPECT_EQ(plan.fills[0], (Fill{1, 10, 10, 4, false}));
  // One unit is worth 1/3 B: the owner still gets a whole unit.
  plan = plan_cross(book, request(CrossMode::exact_receive, 1));
  EXPECT_EQ(plan.fills[0].owner_received, 1);
}

TEST(OrderBookCrossing, ExactSendSpendsExactlyAndTheOwnerKeepsTheRounding) {
  OrderBook book = three_offers();
  // 100 B buys offer 1 whole; 51 B left buy floor(51 * 2 / 3) = 34 S of offer 2, and its
  // owner receives all 51 B, more than the 34 * 3/2 = 51 it asks: here exactly 51.
  CrossPlan plan = plan_cross(book, request(CrossMode::exact_send, 151));
  ASSERT_EQ(plan.error, CrossError::ok);
  EXPECT_EQ(plan.taker_gave, 151);
  ASSERT_EQ(plan.fills.size(), 2u);
  EXPECT_EQ(plan.fills[0], (Fill{1, 10, 100, 100, true}));
  EXPECT_EQ(plan.fills[1], (Fill{2, 11, 34, 51, false}));
  EXPECT_EQ(plan.taker_received, 134);
  // 152 B: 52 left buy floor(34.67) = 34 S, and the owner keeps the extra unit.
  plan = plan_cross(book, request(CrossMode::exact_send, 152));
  EXPECT_EQ(plan.fills[1], (Fill{2, 11, 34, 52, false}));
  EXPECT_EQ(plan.taker_gave, 152);
  // Less than one unit's worth buys nothing but is still spent (exact-send is exact).
  OrderBook dear(S, B);
  ASSERT_EQ(dear.insert({1, 10, 100, {100, 1}}), BookError::ok);
  plan = plan_cross(dear, request(CrossMode::exact_send, 250));
  EXPECT_EQ(plan.fills[0], (Fill{1, 10, 2, 250, false}));
  plan = plan_cross(dear, request(CrossMode::exact_send, 99));
  EXPECT_EQ(plan.fills[0], (Fill{1, 10, 0, 99, false}));
  apply_cross(dear, plan);
  EXPECT_EQ(dear.find(1)->amount, 100);
}

TEST(OrderBookCrossing, RunsOutOfLiquidity) {
  OrderBook book = three_offers();
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_receive, 301)).error,
            CrossError::insufficient_liquidity);
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_receive, 300)).error, CrossError::ok);
  // The whole book costs 100 + 150 + 200 B.
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_send, 451)).error,
            CrossError::insufficient_liquidity);
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_send, 450)).error, CrossError::ok);
  OrderBook empty(S, B);
  EXPECT_EQ(plan_cross(empty, request(CrossMode::exact_send, 1)).error,
            CrossError::insufficient_liquidity);
}

TEST(OrderBookCrossing, BadRequests) {
  OrderBook book = three_offers();
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_send, 0)).error, CrossError::invalid_amount);
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_receive, -1)).error,
            CrossError::invalid_amount);
  EXPECT_EQ(plan_cross(book, request(CrossMode::place, 10)).error, CrossError::invalid_limit);
  CrossRequest r = request(CrossMode::exact_send, 10);
  r.limit = Price{0, 1};
  EXPECT_EQ(plan_cross(book, r).error, CrossError::invalid_limit);
}

TEST(OrderBookCrossing, StopsAtTheOffersCrossedBound) {
  OrderBook book(S, B);
  for (uint64_t id = 1; id <= 5; ++id) ASSERT_EQ(book.insert({id, 10, 10, {1, 1}}), BookError::ok);
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_receive, 50, 99, 4)).error,
            CrossError::too_many_offers_crossed);
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_send, 41, 99, 4)).error,
            CrossError::too_many_offers_crossed);
  // Exactly at the bound is allowed.
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_receive, 40, 99, 4)).error, CrossError::ok);
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_receive, 50, 99, 5)).error, CrossError::ok);
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_receive, 1, 99, 0)).error,
            CrossError::too_many_offers_crossed);
}

TEST(OrderBookCrossing, SelfCrossIsRejectedWhenReached) {
  OrderBook book = three_offers();
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_receive, 150, 11)).error,
            CrossError::self_cross);
  // Owner 12's offer is not reached by a small payment.
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_receive, 150, 12)).error, CrossError::ok);
  // A quote has no account and crosses anything.
  EXPECT_EQ(plan_cross(book, request(CrossMode::exact_receive, 300, no_account)).error,
            CrossError::ok);
}

TEST(OrderBookCrossing, ALimitStopsTheCrossing) {
  OrderBook book = three_offers();
  CrossRequest r = request(CrossMode::exact_receive, 250);
  r.limit = Price{3, 2};
  EXPECT_EQ(plan_cross(book, r).error, CrossError::insufficient_liquidity);
  r.amount = 200;
  EXPECT_EQ(plan_cross(book, r).error, CrossError::ok);
}

TEST(OrderBookCrossing, PlacingAnOfferCrossesThenRestsTheRemainder) {
  OrderBook opposite = three_offers();
  // The new offer sells B for S and wants at least 2/3 S per B: it crosses offers priced up
  // to 3/2 B per S, that is the first two, and rests what is left.
  CrossPlan plan = plan_place(opposite, 50, 400, {2, 3}, offers_crossed_max);
  ASSERT_EQ(plan.error, CrossError::ok);
  ASSERT_EQ(plan.fills.size(), 2u);
  EXPECT_EQ(plan.taker_gave, 250);
  EXPECT_EQ(plan.taker_received, 200);
  EXPECT_EQ(plan.remainder, 150);
  EXPECT_TRUE(plan.remainder_rests);
  // Priced below every resting offer: nothing crosses and everything rests.
  plan = plan_place(opposite, 50, 400, {2, 1}, offers_crossed_max);
  EXPECT_TRUE(plan.fills.empty());
  EXPECT_EQ(plan.remainder, 400);
  EXPECT_TRUE(plan.remainder_rests);
  // Fully filled: nothing rests.
  plan = plan_place(opposite, 50, 100, {1, 1}, offers_crossed_max);
  EXPECT_EQ(plan.remainder, 0);
  EXPECT_FALSE(plan.remainder_rests);
  // Its own offer in the way.
  EXPECT_EQ(plan_place(opposite, 10, 100, {1, 1}, offers_crossed_max).error,
            CrossError::self_cross);
  EXPECT_EQ(plan_place(opposite, 50, 100, {0, 1}, offers_crossed_max).error,
            CrossError::invalid_limit);
  // Too many offers to cross before it could rest.
  EXPECT_EQ(plan_place(opposite, 50, 400, {2, 3}, 1).error, CrossError::too_many_offers_crossed);
}

TEST(OrderBookCrossing, PlacingStopsWhenTheRemainderCannotBuyOneUnit) {
  OrderBook opposite(S, B);
  ASSERT_EQ(opposite.insert({1, 10, 100, {3, 1}}), BookError::ok);  // 3 B per S.
  // 7 B buy 2 S for 6 B; the last B cannot buy a unit and would leave the books crossed.
  CrossPlan plan = plan_place(opposite, 50, 7, {1, 3}, offers_crossed_max);
  ASSERT_EQ(plan.error, CrossError::ok);
  EXPECT_EQ(plan.fills[0], (Fill{1, 10, 2, 6, false}));
  EXPECT_EQ(plan.remainder, 1);
  EXPECT_FALSE(plan.remainder_rests);
}

TEST(OrderBookCrossing, PlanIsDeterministicAndReusesStorage) {
  OrderBook book = three_offers();
  CrossPlan a;
  plan_cross(book, request(CrossMode::exact_send, 300), a);
  CrossPlan b = plan_cross(book, request(CrossMode::exact_send, 300));
  EXPECT_EQ(a, b);
  plan_cross(book, request(CrossMode::exact_receive, 1), a);
  EXPECT_EQ(a.fills.size(), 1u);
  EXPECT_EQ(a.taker_received, 1);
}

TEST(OrderBook, HoldsTenThousandOffersAndDrainsInPriorityOrder) {
  OrderBook book(S, B);
  // Prices repeat every 97 offers, so many offers share a price and time decides.
  for (uint64_t id = 1; id <= 10'000; ++id)
    ASSERT_EQ(book.insert({id,
                           static_cast<uint32_t>(id % 7),
                           10,
                           {100 + static_cast<int64_t>(id * 31 % 97), 100}}),
              BookError::ok);
  EXPECT_EQ(book.size(), 10'000u);
  Price last{1, 1000};
  uint64_t last_id = 0;
  for (const Offer& o : book) {
    auto c = compare_prices(last, o.price);
    EXPECT_TRUE(c == std::strong_ordering::less ||
                (c == std::strong_ordering::equal && last_id < o.id));
    last = o.price;
    last_id = o.id;
  }
  CrossPlan plan = plan_cross(book, request(CrossMode::exact_receive, 100'000, no_account, 10'000));
  ASSERT_EQ(plan.error, CrossError::ok);
  apply_cross(book, plan);
  EXPECT_TRUE(book.empty());
}

TEST(OrderBooks, OneBookPerOrderedPair) {
  OrderBooks books;
  EXPECT_EQ(books.find(1, 2), nullptr);
  OrderBook& ab = books.get_or_create(1, 2);
  ASSERT_EQ(ab.insert({1, 10, 5, {1, 1}}), BookError::ok);
  EXPECT_EQ(&books.get_or_create(1, 2), &ab);
  EXPECT_EQ(books.find(2, 1), nullptr);
  books.get_or_create(2, 1);
  EXPECT_EQ(books.all().size(), 2u);
  books.erase_if_empty(1, 2);
  books.erase_if_empty(2, 1);
  EXPECT_EQ(books.all().size(), 1u);
  EXPECT_EQ(books.find(1, 2)->size(), 1u);
}

}  // namespace
}  // namespace corridor::ledger
