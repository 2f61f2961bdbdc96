// How much value the liquidity queue with gridlock resolution settles for a given amount of
// liquidity, against plain gross settlement, on one generated interbank day
// (bench/interbank_workload.h): `--payments` payments among `--banks` banks in one currency,
// arriving evenly over `--blocks` blocks. Each bank starts the day with a percentage of its own
// payments' value for the day; the table has one row per percentage. Three ways to settle:
//
//   gross:    each payment settles on arrival if its payer can cover it, else it is rejected.
//   queue:    an unfunded payment waits in its payer's queue (urgent before normal, FIFO within
//             a band); after each block's arrivals, queue heads settle one at a time, gross,
//             whenever funded, until none is. An RTGS queue without gridlock resolution.
//   resolver: the same queue, resolved after each block's arrivals by resolve_gridlock, which
//             settles the largest order-respecting set whose net positions are all covered.
//
// Payments still queued at the end of the day are not settled. The output is deterministic for
// a seed except the resolver's timing column.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "interbank_workload.h"
#include "ledger/gridlock.h"

namespace corridor::bench {
namespace {

using ledger::QueueBand;
using ledger::QueuedPayment;

struct Options {
  uint64_t seed = 1;
  uint32_t banks = 50;
  uint32_t payments = 20'000;
  uint32_t blocks = 200;
  uint32_t urgent_percent = 10;
};

struct Tally {
  // Values fit in int64: at most 10^6 payments of under 10^11 minor units each.
  int64_t value = 0;
  uint32_t count = 0;
  // Sum of value times blocks waited, for the value-weighted mean delay.
  double value_blocks = 0;
  size_t max_queue = 0;
  double max_block_ms = 0;
  double total_ms = 0;

  void settle(const QueuedPayment& p, uint32_t arrived, uint32_t block) {
    value += p.amount;
    ++count;
    value_blocks += static_cast<double>(p.amount) * (block - arrived);
  }
};

uint32_t arrival_block(const Options& o, uint32_t i) {
  return static_cast<uint32_t>(static_cast<uint64_t>(i) * o.blocks / o.payments);
}

Tally gross(const Options& o, const std::vector<QueuedPayment>& day, std::vector<Amount> balance) {
  Tally t;
  for (uint32_t i = 0; i < day.size(); ++i) {
    const QueuedPayment& p = day[i];
    if (balance[p.payer] < p.amount) continue;
    balance[p.payer] -= p.amount;
    balance[p.payee] += p.amount;
    t.settle(p, arrival_block(o, i), arrival_block(o, i));
  }
  return t;
}

Tally fifo_queue(const Options& o, const std::vector<QueuedPayment>& day,
                 std::vector<Amount> balance) {
  Tally t;
  // Each bank's queue: urgent payments first, then normal, each in arrival order.
  std::vector<std::deque<uint32_t>> urgent(o.banks), normal(o.banks);
  size_t queued = 0;
  uint32_t next = 0;
  for (uint32_t block = 0; block < o.blocks; ++block) {
    std::vector<uint32_t> work;
    for (; next < day.size() && arrival_block(o, next) == block; ++next) {
      const QueuedPayment& p = day[next];
      (p.band == QueueBand::urgent ? urgent : normal)[p.payer].push_back(next);
      ++queued;
      work.push_back(p.payer);
    }
    // Settle funded heads until none is; a bank is looked at again when it receives.
    while (!work.empty()) {
      const uint32_t bank = work.back();
      work.pop_back();
      for (;;) {
        auto& q = urgent[bank].empty() ? normal[bank] : urgent[bank];
        if (q.empty() || balance[bank] < day[q.front()].amount) break;
        const QueuedPayment& p = day[q.front()];
        balance[bank] -= p.amount;
        balance[p.payee] += p.amount;
        t.settle(p, arrival_block(o, q.front()), block);
        q.pop_front();
        --queued;
        work.push_back(p.payee);
      }
    }
    t.max_queue = std::max(t.max_queue, queued);
  }
  return t;
}

Tally resolver(const Options& o, const std::vector<QueuedPayment>& day,
               std::vector<Amount> balance) {
  Tally t;
  std::vector<QueuedPayment> queue;
  std::vector<ledger::QueueBalance> balances;
  uint32_t next = 0;
  for (uint32_t block = 0; block < o.blocks; ++block) {
    for (; next < day.size() && arrival_block(o, next) == block; ++next) queue.push_back(day[next]);
    balances.clear();
    for (uint32_t b = 0; b < o.banks; ++b)
      balances.push_back({.participant = b, .asset = 0, .amount = balance[b]});
    const auto start = std::chrono::steady_clock::now();
    auto result = ledger::resolve_gridlock(queue, balances, block);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    t.total_ms += ms;
    t.max_block_ms = std::max(t.max_block_ms, ms);
    if (!result.ok()) {
      std::fprintf(stderr, "resolve_gridlock: %s\n", result.status().to_string().c_str());
      std::exit(1);
    }
    for (const auto& c : result->changes) {
      balance[c.participant] += c.delta;
      if (balance[c.participant] < 0) {
        std::fprintf(stderr, "bank %u negative after block %u\n", c.participant, block);
        std::exit(1);
      }
    }
    std::vector<QueuedPayment> still;
    for (size_t k = 0; k < queue.size(); ++k) {
      // seq is the payment's index in the day plus one.
      const auto arrived = arrival_block(o, static_cast<uint32_t>(queue[k].seq - 1));
      if (result->outcomes[k] == ledger::QueueOutcome::settled)
        t.settle(queue[k], arrived, block);
      else
        still.push_back(queue[k]);
    }
    queue.swap(still);
    t.max_queue = std::max(t.max_queue, queue.size());
  }
  return t;
}

bool parse_u64(const char* text, uint64_t& out) {
  char* end = nullptr;
  out = std::strtoull(text, &end, 10);
  return end != text && *end == '\0';
}

int run(const Options& o) {
  std::mt19937_64 rng(o.seed);
  const auto day = interbank_payments(rng, o.banks, 1, o.payments, o.urgent_percent);
  int64_t total = 0;
  for (const auto& p : day) total += p.amount;
  std::printf("liquidity_saving: seed %" PRIu64
              ", %u banks, %u payments over %u blocks, "
              "total value %" PRId64 " minor units\n\n",
              o.seed, o.banks, o.payments, o.blocks, total);
  std::printf(
      "| liquidity, %% of each bank's daily payments | gross: "
      "value settled | queue: value settled | resolver: value settled | resolver / gross | "
      "resolver / queue | mean delay, queue / resolver (blocks, value-weighted) | payments "
      "settled: gross / queue / resolver | resolver max queue | resolver ms per block, "
      "mean / max |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
  auto pct = [total](int64_t v) { return 100.0 * static_cast<double>(v) / total; };
  for (uint32_t percent : {1u, 2u, 5u, 10u, 20u, 50u, 100u}) {
    const auto start = liquidity_for(day, o.banks, 1, percent);
    std::vector<Amount> balance;
    for (const auto& b : start) balance.push_back(b.amount);
    const Tally g = gross(o, day, balance);
    const Tally q = fifo_queue(o, day, balance);
    const Tally r = resolver(o, day, balance);
    auto delay = [](const Tally& t) {
      return t.value == 0 ? 0.0 : t.value_blocks / static_cast<double>(t.value);
    };
    std::printf(
        "| %u | %.1f%% | %.1f%% | %.1f%% | %.2f | %.2f | %.1f / %.1f | %u / %u / %u | "
        "%zu | %.2f / %.2f |\n",
        percent, pct(g.value), pct(q.value), pct(r.value),
        g.value == 0 ? 0.0 : static_cast<double>(r.value) / g.value,
        q.value == 0 ? 0.0 : static_cast<double>(r.value) / q.value, delay(q), delay(r), g.count,
        q.count, r.count, r.max_queue, r.total_ms / o.blocks, r.max_block_ms);
  }
  return 0;
}

}  // namespace
}  // namespace corridor::bench

int main(int argc, char** argv) {
  corridor::bench::Options o;
  for (int i = 1; i < argc; ++i) {
    uint64_t v = 0;
    const bool has_value = i + 1 < argc && corridor::bench::parse_u64(argv[i + 1], v);
    if (std::strcmp(argv[i], "--seed") == 0 && has_value) {
      o.seed = v;
    } else if (std::strcmp(argv[i], "--banks") == 0 && has_value && v >= 2 && v <= 10'000) {
      o.banks = static_cast<uint32_t>(v);
    } else if (std::strcmp(argv[i], "--payments") == 0 && has_value && v >= 1 &&
               v <= corridor::ledger::gridlock_payments_max) {
      o.payments = static_cast<uint32_t>(v);
    } else if (std::strcmp(argv[i], "--blocks") == 0 && has_value && v >= 1 && v <= 100'000) {
      o.blocks = static_cast<uint32_t>(v);
    } else if (std::strcmp(argv[i], "--urgent-pct") == 0 && has_value && v <= 100) {
      o.urgent_percent = static_cast<uint32_t>(v);
    } else {
      std::fprintf(stderr,
                   "usage: liquidity_saving [--seed N] [--banks 2..10000] "
                   "[--payments 1..1000000] [--blocks 1..100000] [--urgent-pct 0..100]\n");
      return 2;
    }
    ++i;
  }
  return corridor::bench::run(o);
}
