#include "ledger/path_finder.h"

#include <gtest/gtest.h>

#include <vector>

namespace corridor::ledger {
namespace {

constexpr uint32_t A = 1, B = 2, C = 3, D = 4;

struct Book {
  uint32_t selling, buying;
  Offer offer;
};

// From A to D: through B at 1:1 twice, through C at 1:1 then 1/2 C per D (twice as good), and
// directly at 3 A per D.
std::vector<Book> routes() {
  return {{B, A, {1, 10, 1'000, {1, 1}}},
          {D, B, {2, 11, 1'000, {1, 1}}},
          {C, A, {3, 12, 1'000, {1, 1}}},
          {D, C, {4, 13, 1'000, {1, 2}}},
          {D, A, {5, 14, 1'000, {3, 1}}}};
}

OrderBooks build(const std::vector<Book>& spec) {
  OrderBooks books;
  for (const Book& b : spec)
    EXPECT_EQ(books.get_or_create(b.selling, b.buying).insert(b.offer), BookError::ok);
  return books;
}

PathQuery query(PathMode mode, Amount amount, uint32_t source = A, uint32_t destination = D) {
  PathQuery q;
  q.mode = mode;
  q.source_asset = source;
  q.destination_asset = destination;
  q.amount = amount;
  return q;
}

std::vector<std::vector<uint32_t>> paths_of(const PathFindResult& r) {
  std::vector<std::vector<uint32_t>> out;
  for (const auto& q : r.paths) out.push_back(q.path);
  return out;
}

TEST(PathFinder, ExactSendPrefersTheRouteThatDeliversMost) {
  OrderBooks books = build(routes());
  PathFindResult r = find_paths(books, query(PathMode::exact_send, 100));
  EXPECT_FALSE(r.truncated);
  ASSERT_EQ(r.paths.size(), 3u);
  EXPECT_EQ(paths_of(r), (std::vector<std::vector<uint32_t>>{{C}, {B}, {}}));
  EXPECT_EQ(r.paths[0].receive_amount, 200);
  EXPECT_EQ(r.paths[1].receive_amount, 100);
  EXPECT_EQ(r.paths[2].receive_amount, 33);
  for (const auto& q : r.paths) EXPECT_EQ(q.send_amount, 100);
}

TEST(PathFinder, ExactReceivePrefersTheCheapestRoute) {
  OrderBooks books = build(routes());
  PathFindResult r = find_paths(books, query(PathMode::exact_receive, 100));
  EXPECT_EQ(paths_of(r), (std::vector<std::vector<uint32_t>>{{C}, {B}, {}}));
  EXPECT_EQ(r.paths[0].send_amount, 50);
  EXPECT_EQ(r.paths[1].send_amount, 100);
  EXPECT_EQ(r.paths[2].send_amount, 300);
  for (const auto& q : r.paths) EXPECT_EQ(q.receive_amount, 100);
}

TEST(PathFinder, QuotesAreWhatThePaymentWouldCost) {
  OrderBooks books = build(routes());
  for (PathMode mode : {PathMode::exact_send, PathMode::exact_receive}) {
    for (const PathQuote& q : find_paths(books, query(mode, 77)).paths) {
      PathRequest r;
      r.mode = mode;
      r.source_asset = A;
      r.destination_asset = D;
      r.path = q.path;
      r.send_amount = q.send_amount;
      r.receive_amount = q.receive_amount;
      PathPlan plan = plan_path(books, r);
      ASSERT_EQ(plan.error, PathError::ok);
      EXPECT_EQ(plan.sent, q.send_amount);
      EXPECT_EQ(plan.received, q.receive_amount);
      EXPECT_EQ(plan.offers_crossed, q.offers_crossed);
    }
  }
}

TEST(PathFinder, LiquidityDecides) {
  OrderBooks books = build(routes());
  // Every book selling D holds 1,000 D, so 1,500 D has no route at all.
  EXPECT_TRUE(find_paths(books, query(PathMode::exact_receive, 1'500)).paths.empty());
  // 1,000 D: the C route needs 500 A; the B route 1,000 A; direct 3,000 A.
  PathFindResult r = find_paths(books, query(PathMode::exact_receive, 1'000));
  EXPECT_EQ(paths_of(r), (std::vector<std::vector<uint32_t>>{{C}, {B}, {}}));
  // Spending 600 A: via C the D/C book runs out (1,200 D wanted), so B is best.
  r = find_paths(books, query(PathMode::exact_send, 600));
  EXPECT_EQ(paths_of(r), (std::vector<std::vector<uint32_t>>{{B}, {}}));
}

TEST(PathFinder, IsDeterministicWhateverTheOrderBooksWereBuiltIn) {
  std::vector<Book> spec = routes();
  OrderBooks forward = build(spec);
  std::reverse(spec.begin(), spec.end());
  OrderBooks backward = build(spec);
  for (PathMode mode : {PathMode::exact_send, PathMode::exact_receive}) {
    PathFindResult a = find_paths(forward, query(mode, 100));
    EXPECT_EQ(a, find_paths(backward, query(mode, 100)));
    EXPECT_EQ(a, find_paths(forward, query(mode, 100)));
  }
}

TEST(PathFinder, TiesGoToFewerHopsThenTheSmallerPath) {
  // Every route costs 1:1, so only the tie-breaks order them.
  OrderBooks books = build({{B, A, {1, 10, 100, {1, 1}}},
                            {D, B, {2, 10, 100, {1, 1}}},
                            {C, A, {3, 10, 100, {1, 1}}},
                            {D, C, {4, 10, 100, {1, 1}}},
                            {D, A, {5, 10, 100, {1, 1}}}});
  PathFindResult r = find_paths(books, query(PathMode::exact_send, 10));
  EXPECT_EQ(paths_of(r), (std::vector<std::vector<uint32_t>>{{}, {B}, {C}}));
}

TEST(PathFinder, BoundsAndEdgeCases) {
  OrderBooks books = build(routes());
  PathQuery q = query(PathMode::exact_send, 100);
  q.results_max = 1;
  EXPECT_EQ(paths_of(find_paths(books, q)), (std::vector<std::vector<uint32_t>>{{C}}));
  q.results_max = path_find_results_max;
  q.hops_max = 1;
  EXPECT_EQ(paths_of(find_paths(books, q)), (std::vector<std::vector<uint32_t>>{{}}));
  EXPECT_TRUE(find_paths(books, query(PathMode::exact_send, 0)).paths.empty());
  EXPECT_TRUE(find_paths(books, query(PathMode::exact_send, 10, A, A)).paths.empty());
  EXPECT_TRUE(find_paths(books, query(PathMode::exact_send, 10, A, 9)).paths.empty());
  // Quoting for the owner of the C route's offers leaves that route out.
  q = query(PathMode::exact_send, 100);
  q.payer = 13;
  EXPECT_EQ(paths_of(find_paths(books, q)), (std::vector<std::vector<uint32_t>>{{B}, {}}));
}

TEST(PathFinder, TheSearchIsBoundedOnADenseGraph) {
  // Every pair of 12 assets has a book: far more simple paths than path_find_steps_max.
  OrderBooks books;
  uint64_t id = 1;
  for (uint32_t s = 1; s <= 12; ++s) {
    for (uint32_t b = 1; b <= 12; ++b) {
      if (s == b) continue;
      ASSERT_EQ(books.get_or_create(s, b).insert({id++, 7, 1'000'000, {1, 1}}), BookError::ok);
    }
  }
  PathFindResult r = find_paths(books, query(PathMode::exact_send, 1'000, 1, 12));
  EXPECT_TRUE(r.truncated);
  ASSERT_EQ(r.paths.size(), path_find_results_max);
  EXPECT_EQ(r.paths[0].path, std::vector<uint32_t>{});
  for (const auto& p : r.paths) EXPECT_LE(p.path.size(), path_intermediate_assets_max);
  EXPECT_EQ(r, find_paths(books, query(PathMode::exact_send, 1'000, 1, 12)));
}

}  // namespace
}  // namespace corridor::ledger
