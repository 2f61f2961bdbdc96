// Benchmarks of the FX core (issue 5): path payments through two-hop paths (A -> B -> C) with
// 10,000 resting offers per book, planned and applied as the ledger will, and the order book's
// insert and cancel. Run build/release/bench/fx_bench; docs/fx.md records the figures.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ledger/limits.h"
#include "ledger/order_book.h"
#include "ledger/path_finder.h"
#include "ledger/path_payment.h"

namespace corridor {
namespace {

using namespace ledger;

constexpr uint32_t A = 0, B = 1, C = 2;
constexpr int offers_per_book = 10'000;

// Offers of 1 to 10,000 units at prices within 10% of 1:1 (prices in hundredths), owners
// spread over 1,000 accounts; the payer is another account.
struct Books {
  OrderBooks books;
  uint64_t next_id = 1;
  std::mt19937_64 rng{7};

  Books() {
    for (int i = 0; i < offers_per_book; ++i) {
      add(B, A);
      add(C, B);
    }
  }
  void add(uint32_t selling, uint32_t buying) {
    Offer o{next_id++,
            static_cast<uint32_t>(rng() % 1'000),
            static_cast<Amount>(1 + rng() % 10'000),
            {static_cast<int64_t>(90 + rng() % 21), 100}};
    BookError e = books.get_or_create(selling, buying).insert(o);
    if (e != BookError::ok) std::abort();
  }
};

// One payment per iteration: plan, then apply, then put back as many offers as it consumed,
// so that every iteration meets a book of 10,000 offers (the replacement goes in at a random
// price, as a liquidity provider's new offer would).
void path_payments(benchmark::State& state, PathMode mode) {
  Books b;
  const std::vector<uint32_t> path = {B};
  PathRequest r;
  r.mode = mode;
  r.source_asset = A;
  r.destination_asset = C;
  r.path = path;
  r.payer = 5'000;
  PathPlan plan;
  uint64_t crossed = 0;
  for (auto _ : state) {
    // At least 100 units, so that rounding at about 1:1 always leaves something to deliver.
    Amount amount = static_cast<Amount>(100 + b.rng() % 20'000);
    r.send_amount = mode == PathMode::exact_send ? amount : amount * 2;
    r.receive_amount = mode == PathMode::exact_send ? 1 : amount;
    plan_path(b.books, r, plan);
    if (plan.error != PathError::ok) {
      state.SkipWithError(std::string(path_error_name(plan.error)).c_str());
      break;
    }
    crossed += plan.offers_crossed;
    apply_path(b.books, plan);
    for (const HopPlan& hop : plan.hops)
      for (const Fill& f : hop.cross.fills)
        if (f.consumed) b.add(hop.selling, hop.buying);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["offers_crossed_per_payment"] =
      static_cast<double>(crossed) / static_cast<double>(state.iterations());
}

void BM_PathPaymentTwoHopsExactSend(benchmark::State& state) {
  path_payments(state, PathMode::exact_send);
}
BENCHMARK(BM_PathPaymentTwoHopsExactSend);

void BM_PathPaymentTwoHopsExactReceive(benchmark::State& state) {
  path_payments(state, PathMode::exact_receive);
}
BENCHMARK(BM_PathPaymentTwoHopsExactReceive);

// Planning alone (a quote of one known path), without changing the books.
void BM_PathPlanTwoHops(benchmark::State& state) {
  Books b;
  const std::vector<uint32_t> path = {B};
  PathRequest r;
  r.mode = PathMode::exact_receive;
  r.source_asset = A;
  r.destination_asset = C;
  r.path = path;
  r.send_amount = 1'000'000;
  r.receive_amount = 10'000;
  PathPlan plan;
  for (auto _ : state) {
    plan_path(b.books, r, plan);
    benchmark::DoNotOptimize(plan.sent);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PathPlanTwoHops);

// Insert one offer into a book of 10,000 and cancel it again.
void BM_BookInsertCancel(benchmark::State& state) {
  Books b;
  OrderBook& book = *b.books.find(B, A);
  std::mt19937_64 rng(3);
  uint64_t id = 1'000'000;
  for (auto _ : state) {
    Offer o{id, 1, 100, {static_cast<int64_t>(90 + rng() % 21), 100}};
    if (book.insert(o) != BookError::ok) std::abort();
    benchmark::DoNotOptimize(book.cancel(id));
    ++id;
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_BookInsertCancel);

// A path search from A to C over the two books and their reverse books (4 books of 10,000).
void BM_FindPaths(benchmark::State& state) {
  Books b;
  for (int i = 0; i < offers_per_book; ++i) {
    b.add(C, A);
    b.add(A, C);
  }
  PathQuery q;
  q.mode = PathMode::exact_receive;
  q.source_asset = A;
  q.destination_asset = C;
  q.amount = 10'000;
  for (auto _ : state) benchmark::DoNotOptimize(find_paths(b.books, q));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FindPaths);

}  // namespace
}  // namespace corridor

BENCHMARK_MAIN();
