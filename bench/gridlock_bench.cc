// The gridlock resolver's time on a large queue: `payments` queued payments among 100 banks in
// 3 assets (bench/interbank_workload.h), each bank holding `percent` of what it pays. The timed
// region is one call of resolve_gridlock, input validation and sorting included, as the ledger
// would make it once per block.
#include <benchmark/benchmark.h>

#include <random>

#include "interbank_workload.h"
#include "ledger/gridlock.h"

namespace corridor::bench {
namespace {

constexpr uint32_t banks = 100;
constexpr uint32_t assets = 3;

void BM_ResolveGridlock(benchmark::State& state) {
  const auto count = static_cast<uint32_t>(state.range(0));
  const auto percent = static_cast<uint32_t>(state.range(1));
  std::mt19937_64 rng(42);
  const auto payments = interbank_payments(rng, banks, assets, count);
  const auto balances = liquidity_for(payments, banks, assets, percent);
  uint32_t settled = 0;
  uint32_t deficits = 0;
  for (auto _ : state) {
    auto result = ledger::resolve_gridlock(payments, balances, 1);
    if (!result.ok()) {
      state.SkipWithError(result.status().to_string().c_str());
      return;
    }
    settled = result->settled;
    deficits = result->deficits_resolved;
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(count));
  state.counters["settled_pct"] = 100.0 * settled / count;
  state.counters["deficits"] = deficits;
}
BENCHMARK(BM_ResolveGridlock)
    ->ArgNames({"payments", "liquidity_pct"})
    ->Args({100'000, 0})
    ->Args({100'000, 5})
    ->Args({100'000, 20})
    ->Args({100'000, 100})
    ->Args({10'000, 5})
    ->Args({1'000'000, 5})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace corridor::bench

BENCHMARK_MAIN();
