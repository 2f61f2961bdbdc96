#include "ledger/path_payment.h"

#include <gtest/gtest.h>

#include <vector>

namespace corridor::ledger {
namespace {

constexpr uint32_t A = 1, B = 2, C = 3, D = 4;

// A -> B at 1 A per B, then B -> C at 2 B per C; 1,000 of each on offer.
OrderBooks two_hops() {
  OrderBooks books;
  EXPECT_EQ(books.get_or_create(B, A).insert({1, 10, 1'000, {1, 1}}), BookError::ok);
  EXPECT_EQ(books.get_or_create(C, B).insert({2, 11, 1'000, {2, 1}}), BookError::ok);
  return books;
}

PathRequest request(PathMode mode, const std::vector<uint32_t>& path, Amount send, Amount receive,
                    uint32_t source = A, uint32_t destination = C) {
  PathRequest r;
  r.mode = mode;
  r.source_asset = source;
  r.destination_asset = destination;
  r.path = path;
  r.send_amount = send;
  r.receive_amount = receive;
  r.payer = 99;
  return r;
}

const std::vector<uint32_t> via_b = {B};

TEST(PathShape, RejectsLoopsAndLongPaths) {
  std::vector<uint32_t> five = {10, 11, 12, 13, 14};
  std::vector<uint32_t> six = {10, 11, 12, 13, 14, 15};
  EXPECT_EQ(check_path_shape(A, C, {}), PathError::ok);
  EXPECT_EQ(check_path_shape(A, C, five), PathError::ok);
  EXPECT_EQ(check_path_shape(A, C, six), PathError::too_many_hops);
  EXPECT_EQ(check_path_shape(A, A, {}), PathError::path_loop);
  std::vector<uint32_t> repeat = {B, D, B};
  std::vector<uint32_t> back_to_source = {B, A};
  std::vector<uint32_t> through_destination = {C, B};
  EXPECT_EQ(check_path_shape(A, C, repeat), PathError::path_loop);
  EXPECT_EQ(check_path_shape(A, C, back_to_source), PathError::path_loop);
  EXPECT_EQ(check_path_shape(A, C, through_destination), PathError::path_loop);
}

TEST(PathPayment, ExactSendSpendsExactly) {
  OrderBooks books = two_hops();
  PathPlan plan = plan_path(books, request(PathMode::exact_send, via_b, 101, 1));
  ASSERT_EQ(plan.error, PathError::ok);
  EXPECT_EQ(plan.sent, 101);
  // 101 A -> 101 B -> floor(101 / 2) = 50 C; the second owner keeps the odd unit of B.
  EXPECT_EQ(plan.received, 50);
  ASSERT_EQ(plan.hops.size(), 2u);
  EXPECT_EQ(plan.hops[0].buying, A);
  EXPECT_EQ(plan.hops[0].selling, B);
  EXPECT_EQ(plan.hops[1].cross.fills[0], (Fill{2, 11, 50, 101, false}));
  EXPECT_EQ(plan.offers_crossed, 2u);
}

TEST(PathPayment, ExactReceiveDeliversExactlyAndPaysAsLittleAsPossible) {
  OrderBooks books = two_hops();
  PathPlan plan = plan_path(books, request(PathMode::exact_receive, via_b, 1'000, 51));
  ASSERT_EQ(plan.error, PathError::ok);
  EXPECT_EQ(plan.received, 51);
  EXPECT_EQ(plan.sent, 102);
  EXPECT_EQ(plan.hops[1].cross.taker_gave, plan.hops[0].cross.taker_received);
}

TEST(PathPayment, LimitsOnTheOtherEnd) {
  OrderBooks books = two_hops();
  PathPlan plan = plan_path(books, request(PathMode::exact_receive, via_b, 101, 51));
  EXPECT_EQ(plan.error, PathError::send_max_exceeded);
  EXPECT_EQ(plan.sent, 102);
  EXPECT_EQ(plan_path(books, request(PathMode::exact_receive, via_b, 102, 51)).error,
            PathError::ok);
  plan = plan_path(books, request(PathMode::exact_send, via_b, 100, 51));
  EXPECT_EQ(plan.error, PathError::receive_min_not_met);
  EXPECT_EQ(plan.received, 50);
  EXPECT_EQ(plan_path(books, request(PathMode::exact_send, via_b, 100, 50)).error, PathError::ok);
}

TEST(PathPayment, BadRequestsEachHaveTheirReason) {
  OrderBooks books = two_hops();
  EXPECT_EQ(plan_path(books, request(PathMode::exact_send, via_b, 0, 1)).error,
            PathError::invalid_amount);
  EXPECT_EQ(plan_path(books, request(PathMode::exact_send, via_b, 10, 0)).error,
            PathError::invalid_amount);
  EXPECT_EQ(plan_path(books, request(PathMode::exact_receive, via_b, 10, -3)).error,
            PathError::invalid_amount);
  std::vector<uint32_t> loop = {B, A};
  EXPECT_EQ(plan_path(books, request(PathMode::exact_send, loop, 10, 1)).error,
            PathError::path_loop);
  std::vector<uint32_t> six = {10, 11, 12, 13, 14, 15};
  EXPECT_EQ(plan_path(books, request(PathMode::exact_send, six, 10, 1)).error,
            PathError::too_many_hops);
}

TEST(PathPayment, MissingOrShallowBooks) {
  OrderBooks books = two_hops();
  // No book sells C for A directly.
  PathPlan plan = plan_path(books, request(PathMode::exact_send, {}, 10, 1));
  EXPECT_EQ(plan.error, PathError::insufficient_liquidity);
  EXPECT_EQ(plan.failed_hop, 0u);
  // Backward, the last hop is planned first and is the one that fails.
  std::vector<uint32_t> via_d = {B, D};
  plan = plan_path(books, request(PathMode::exact_receive, via_d, 1'000, 10));
  EXPECT_EQ(plan.error, PathError::insufficient_liquidity);
  EXPECT_EQ(plan.failed_hop, 2u);
  // 501 C cost 1,002 B, more than the first book holds.
  plan = plan_path(books, request(PathMode::exact_receive, via_b, 5'000, 501));
  EXPECT_EQ(plan.error, PathError::insufficient_liquidity);
  EXPECT_EQ(plan.failed_hop, 0u);
}

TEST(PathPayment, RoundingToNothingFailsTheMinimum) {
  OrderBooks books;
  ASSERT_EQ(books.get_or_create(B, A).insert({1, 10, 1'000, {2, 1}}), BookError::ok);
  ASSERT_EQ(books.get_or_create(C, B).insert({2, 11, 1'000, {1, 1}}), BookError::ok);
  // 1 A buys no B at 2 A per B; nothing is left for the second hop.
  PathPlan plan = plan_path(books, request(PathMode::exact_send, via_b, 1, 1));
  EXPECT_EQ(plan.error, PathError::receive_min_not_met);
  EXPECT_EQ(plan.failed_hop, 1u);
}

TEST(PathPayment, TheOffersCrossedBoundCoversEveryHop) {
  OrderBooks books;
  for (uint64_t i = 0; i < 3; ++i) {
    ASSERT_EQ(books.get_or_create(B, A).insert({1 + i, 10, 10, {1, 1}}), BookError::ok);
    ASSERT_EQ(books.get_or_create(C, B).insert({10 + i, 11, 10, {1, 1}}), BookError::ok);
  }
  PathRequest r = request(PathMode::exact_receive, via_b, 1'000, 25);
  r.offers_crossed_max = 5;
  PathPlan plan = plan_path(books, r);
  EXPECT_EQ(plan.error, PathError::too_many_offers_crossed);
  EXPECT_EQ(plan.failed_hop, 0u);
  r.offers_crossed_max = 6;
  plan = plan_path(books, r);
  EXPECT_EQ(plan.error, PathError::ok);
  EXPECT_EQ(plan.offers_crossed, 6u);
  r.mode = PathMode::exact_send;
  r.send_amount = 25;
  r.receive_amount = 1;
  r.offers_crossed_max = 5;
  EXPECT_EQ(plan_path(books, r).error, PathError::too_many_offers_crossed);
}

TEST(PathPayment, SelfCrossAnywhereOnThePath) {
  OrderBooks books = two_hops();
  PathRequest r = request(PathMode::exact_send, via_b, 100, 1);
  r.payer = 11;
  PathPlan plan = plan_path(books, r);
  EXPECT_EQ(plan.error, PathError::self_cross);
  EXPECT_EQ(plan.failed_hop, 1u);
}

TEST(PathPayment, PlanChangesNothingAndApplyChangesExactlyThePlan) {
  OrderBooks books = two_hops();
  PathPlan plan = plan_path(books, request(PathMode::exact_receive, via_b, 2'000, 500));
  ASSERT_EQ(plan.error, PathError::ok);
  EXPECT_EQ(plan.sent, 1'000);
  EXPECT_EQ(plan, plan_path(books, request(PathMode::exact_receive, via_b, 2'000, 500)));
  EXPECT_EQ(books.find(B, A)->find(1)->amount, 1'000);
  apply_path(books, plan);
  // The first book is emptied and dropped; the second is half filled.
  EXPECT_EQ(books.find(B, A), nullptr);
  EXPECT_EQ(books.find(C, B)->find(2)->amount, 500);
  EXPECT_EQ(plan_path(books, request(PathMode::exact_send, via_b, 1, 1)).error,
            PathError::insufficient_liquidity);
}

}  // namespace
}  // namespace corridor::ledger
