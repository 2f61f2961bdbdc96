// Properties of the gridlock resolver (ledger/gridlock.h) on random queues: no settled set
// leaves a position negative, the settled set respects each payer's queue order, it is the
// largest such set (checked against brute force on small queues), it contains what gross
// settlement of the queue would settle, and the result is a function of its input alone.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <ostream>
#include <random>
#include <tuple>
#include <vector>

#include "ledger/gridlock.h"

namespace corridor::ledger {

// Counterexamples print readably.
inline std::ostream& operator<<(std::ostream& os, const QueuedPayment& p) {
  return os << "{seq " << p.seq << ", " << p.payer << "->" << p.payee << ", asset " << p.asset
            << ", " << p.amount << (p.band == QueueBand::urgent ? ", urgent" : ", normal")
            << ", last " << p.last_height << "}";
}
inline std::ostream& operator<<(std::ostream& os, const QueueBalance& b) {
  return os << "{" << b.participant << ", asset " << b.asset << ", " << b.amount << "}";
}

namespace {

using Value = GridlockResult::Value;
constexpr Amount amount_max = std::numeric_limits<Amount>::max();

struct Case {
  std::vector<QueuedPayment> payments;
  std::vector<QueueBalance> balances;
  uint64_t height = 0;
};

// A random queue among `participants` banks in `assets` assets. Amounts are mostly small, so
// that liquidity is sometimes short and sometimes not, with a huge one `huge_weight` times in
// 40 + `huge_weight`; balances
// likewise, capped so that an asset's balances never sum past INT64_MAX (the resolver refuses
// that, which the unit tests cover). Seqs are unique but unrelated to the vector's order.
Case gen_case(uint32_t participants, uint32_t assets, rc::Gen<size_t> count, uint32_t huge_weight) {
  Case c;
  const size_t n = *count;
  const auto gen_payment = rc::gen::exec([participants, assets, huge_weight] {
    QueuedPayment p;
    p.seq = *rc::gen::inRange<uint64_t>(0, 1'000);
    p.payer = *rc::gen::inRange<uint32_t>(0, participants);
    p.payee = *rc::gen::distinctFrom(rc::gen::inRange<uint32_t>(0, participants), p.payer);
    p.asset = *rc::gen::inRange<uint32_t>(0, assets);
    p.amount = *rc::gen::weightedOneOf<Amount>(
        {{40, rc::gen::inRange<Amount>(1, 100)},
         {huge_weight, rc::gen::element(Amount{amount_max}, amount_max / 2, amount_max - 1)}});
    p.band = *rc::gen::weightedElement<QueueBand>({{1, QueueBand::urgent}, {3, QueueBand::normal}});
    p.last_height =
        *rc::gen::weightedOneOf<uint64_t>({{6, rc::gen::just(std::numeric_limits<uint64_t>::max())},
                                           {1, rc::gen::inRange<uint64_t>(0, 4)}});
    return p;
  });
  c.payments = *rc::gen::uniqueBy<std::vector<QueuedPayment>>(
      n, gen_payment, [](const QueuedPayment& p) { return p.seq; });
  for (uint32_t p = 0; p < participants; ++p)
    for (uint32_t a = 0; a < assets; ++a) {
      if (*rc::gen::inRange(0, 5) == 0) continue;  // No entry: a zero balance.
      const Amount amount =
          *rc::gen::weightedOneOf<Amount>({{8, rc::gen::inRange<Amount>(0, 150)},
                                           {1, rc::gen::just<Amount>(0)},
                                           {1, rc::gen::just<Amount>(amount_max / 8)}});
      c.balances.push_back({.participant = p, .asset = a, .amount = amount});
    }
  c.height = *rc::gen::inRange<uint64_t>(0, 5);
  return c;
}

// Up to 10 payments, for brute force; the count ignores rapidcheck's size, which would make
// most cases trivially small.
Case gen_small_case() {
  return gen_case(*rc::gen::inRange<uint32_t>(2, 6), *rc::gen::inRange<uint32_t>(1, 3),
                  rc::gen::resize(100, rc::gen::inRange<size_t>(0, 11)), 3);
}
Case gen_large_case() {
  return gen_case(*rc::gen::inRange<uint32_t>(2, 9), *rc::gen::inRange<uint32_t>(1, 4),
                  rc::gen::inRange<size_t>(0, 120), 1);
}

GridlockResult resolve(const Case& c) {
  auto r = resolve_gridlock(c.payments, c.balances, c.height);
  RC_ASSERT(r.ok());
  return std::move(r).value();
}

bool live(const Case& c, size_t i) {
  return c.payments[i].last_height >= c.height;
}

using PositionKey = std::pair<uint32_t, uint32_t>;  // (asset, participant)

std::map<PositionKey, Value> initial_balances(const Case& c) {
  std::map<PositionKey, Value> out;
  for (const auto& b : c.balances) out[{b.asset, b.participant}] = b.amount;
  return out;
}

// Positions' balances after settling the payments picked by `chosen` all at once.
template <typename Chosen>
std::map<PositionKey, Value> balances_after(const Case& c, Chosen chosen) {
  std::map<PositionKey, Value> out = initial_balances(c);
  for (size_t i = 0; i < c.payments.size(); ++i) {
    if (!chosen(i)) continue;
    const QueuedPayment& p = c.payments[i];
    out[{p.asset, p.payer}] -= p.amount;
    out[{p.asset, p.payee}] += p.amount;
  }
  return out;
}

template <typename Chosen>
bool covered(const Case& c, Chosen chosen) {
  for (const auto& [key, balance] : balances_after(c, chosen))
    if (balance < 0) return false;
  return true;
}

// Each (payer, asset)'s live payments, ranked by (band, seq): the queues whose order the
// resolver must respect.
std::map<PositionKey, std::vector<size_t>> streams_of(const Case& c) {
  std::map<PositionKey, std::vector<size_t>> out;
  for (size_t i = 0; i < c.payments.size(); ++i)
    if (live(c, i)) out[{c.payments[i].asset, c.payments[i].payer}].push_back(i);
  for (auto& [key, stream] : out)
    std::sort(stream.begin(), stream.end(), [&](size_t a, size_t b) {
      return std::tuple(c.payments[a].band, c.payments[a].seq) <
             std::tuple(c.payments[b].band, c.payments[b].seq);
    });
  return out;
}

bool is_settled(const GridlockResult& r, size_t i) {
  return r.outcomes[i] == QueueOutcome::settled;
}

// Gross settlement of the queue, one payment at a time in each payer's order, retried until
// nothing more can settle: what an RTGS queue without gridlock resolution does.
std::vector<bool> gross_settlement(const Case& c) {
  auto streams = streams_of(c);
  std::map<PositionKey, Value> balance = initial_balances(c);
  std::map<PositionKey, size_t> next;
  std::vector<bool> settled(c.payments.size(), false);
  for (bool progress = true; progress;) {
    progress = false;
    for (auto& [key, stream] : streams) {
      size_t& k = next[key];
      while (k < stream.size() && balance[key] >= c.payments[stream[k]].amount) {
        const QueuedPayment& p = c.payments[stream[k]];
        balance[key] -= p.amount;
        balance[{p.asset, p.payee}] += p.amount;
        settled[stream[k]] = true;
        ++k;
        progress = true;
      }
    }
  }
  return settled;
}

RC_GTEST_PROP(GridlockProperties, NoSettledSetLeavesAPositionNegative, ()) {
  const Case c = gen_large_case();
  const GridlockResult r = resolve(c);
  RC_ASSERT(r.outcomes.size() == c.payments.size());
  uint32_t settled = 0, queued = 0, expired = 0;
  for (size_t i = 0; i < c.payments.size(); ++i) {
    RC_ASSERT((r.outcomes[i] == QueueOutcome::expired) == !live(c, i));
    settled += r.outcomes[i] == QueueOutcome::settled;
    queued += r.outcomes[i] == QueueOutcome::queued;
    expired += r.outcomes[i] == QueueOutcome::expired;
  }
  RC_ASSERT(r.settled == settled);
  RC_ASSERT(r.queued == queued);
  RC_ASSERT(r.expired == expired);

  // Recomputed independently of the resolver: every balance after settlement is an Amount of
  // at least zero, and the reported changes are exactly the differences.
  const auto before = initial_balances(c);
  const auto after = balances_after(c, [&](size_t i) { return is_settled(r, i); });
  for (const auto& [key, balance] : after) {
    RC_ASSERT(balance >= 0);
    RC_ASSERT(balance <= amount_max);
  }
  std::map<PositionKey, Value> reported;
  for (const auto& ch : r.changes) reported[{ch.asset, ch.participant}] = ch.delta;
  for (const auto& [key, delta] : reported) {
    auto b = before.find(key);
    RC_ASSERT(after.at(key) - (b == before.end() ? 0 : b->second) == delta);
  }
  for (const auto& [key, balance] : after) {
    auto b = before.find(key);
    if (balance != (b == before.end() ? 0 : b->second)) RC_ASSERT(reported.contains(key));
  }
  RC_CLASSIFY(settled == 0, "nothing settled");
  RC_CLASSIFY(settled > 0 && queued > 0, "some settled, some queued");
  RC_CLASSIFY(queued == 0 && settled > 0, "everything live settled");
}

RC_GTEST_PROP(GridlockProperties, SettlementRespectsEachPayersQueueOrder, ()) {
  const Case c = gen_large_case();
  const GridlockResult r = resolve(c);
  // Within each (payer, asset) ranked by (band, seq), the settled payments are a prefix.
  for (const auto& [key, stream] : streams_of(c)) {
    bool gap = false;
    for (size_t i : stream) {
      if (!is_settled(r, i)) gap = true;
      RC_ASSERT(!(gap && is_settled(r, i)));
    }
  }
}

RC_GTEST_PROP(GridlockProperties, TheResultIsAFunctionOfTheInputAlone, ()) {
  const Case c = gen_large_case();
  const GridlockResult first = resolve(c);
  RC_ASSERT(resolve(c) == first);

  // The same queue and balances in another order: the same result, outcomes permuted alike.
  Case shuffled = c;
  std::mt19937_64 rng(*rc::gen::arbitrary<uint64_t>());
  std::vector<size_t> order(c.payments.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  for (size_t k = 0; k < order.size(); ++k) shuffled.payments[k] = c.payments[order[k]];
  std::shuffle(shuffled.balances.begin(), shuffled.balances.end(), rng);
  const GridlockResult again = resolve(shuffled);
  RC_ASSERT(again.changes == first.changes);
  RC_ASSERT(again.assets == first.assets);
  RC_ASSERT(again.settled == first.settled);
  RC_ASSERT(again.queued == first.queued);
  RC_ASSERT(again.expired == first.expired);
  for (size_t k = 0; k < order.size(); ++k)
    RC_ASSERT(again.outcomes[k] == first.outcomes[order[k]]);
}

// The resolver's maximum guarantee, against brute force: every choice of a prefix of each
// payer's queue that all positions can cover is contained in the resolver's choice. So no
// order-respecting choice settles a payment, or value, that the resolver leaves queued.
// How much the order itself costs, against the best choice of any subset of the queue, is
// reported in the classification, not asserted: respecting it is the rule.
RC_GTEST_PROP(GridlockProperties, TheSettledSetIsTheLargestOrderRespectingOne, ()) {
  const Case c = gen_small_case();
  const GridlockResult r = resolve(c);
  const auto streams = streams_of(c);
  std::vector<const std::vector<size_t>*> queues;
  for (const auto& [key, stream] : streams) queues.push_back(&stream);

  // Every vector of prefix lengths, as a mixed-radix counter.
  std::vector<size_t> prefix(queues.size(), 0);
  std::vector<bool> chosen(c.payments.size(), false);
  Value best_ordered = 0;
  for (;;) {
    std::fill(chosen.begin(), chosen.end(), false);
    for (size_t q = 0; q < queues.size(); ++q)
      for (size_t k = 0; k < prefix[q]; ++k) chosen[(*queues[q])[k]] = true;
    if (covered(c, [&](size_t i) { return chosen[i]; })) {
      Value value = 0;
      for (size_t i = 0; i < c.payments.size(); ++i) {
        RC_ASSERT(!chosen[i] || is_settled(r, i));
        if (chosen[i]) value += c.payments[i].amount;
      }
      best_ordered = std::max(best_ordered, value);
    }
    size_t q = 0;
    while (q < queues.size() && prefix[q] == queues[q]->size()) prefix[q++] = 0;
    if (q == queues.size()) break;
    ++prefix[q];
  }
  Value settled_value = 0;
  for (size_t i = 0; i < c.payments.size(); ++i)
    if (is_settled(r, i)) settled_value += c.payments[i].amount;
  RC_ASSERT(settled_value == best_ordered);

  // The best of all subsets of the live payments, order or not.
  std::vector<size_t> live_payments;
  for (size_t i = 0; i < c.payments.size(); ++i)
    if (live(c, i)) live_payments.push_back(i);
  Value best_any = 0;
  for (uint32_t mask = 0; mask < (1u << live_payments.size()); ++mask) {
    std::fill(chosen.begin(), chosen.end(), false);
    for (size_t k = 0; k < live_payments.size(); ++k)
      if (mask & (1u << k)) chosen[live_payments[k]] = true;
    if (!covered(c, [&](size_t i) { return chosen[i]; })) continue;
    Value value = 0;
    for (size_t i = 0; i < c.payments.size(); ++i)
      if (chosen[i]) value += c.payments[i].amount;
    best_any = std::max(best_any, value);
  }
  RC_ASSERT(settled_value <= best_any);
  RC_TAG(live_payments.size() <= 3 ? "up to 3 live payments" : "4 to 10 live payments");
  RC_CLASSIFY(settled_value == best_any, "as much value as the best subset ignoring order");
  RC_CLASSIFY(settled_value < best_any && settled_value * 10 >= best_any * 9,
              "order costs under 10% of the best subset's value");
  RC_CLASSIFY(settled_value * 10 < best_any * 9, "order costs 10% or more");
}

// On larger queues, where brute force is out of reach, two consequences of the maximum: the
// resolver settles everything gross settlement of the queue would, and no payer's next queued
// payment could settle on its own on top of the resolver's choice.
RC_GTEST_PROP(GridlockProperties, SettlesAtLeastWhatGrossSettlementWouldAndNoHeadFits, ()) {
  const Case c = gen_large_case();
  const GridlockResult r = resolve(c);
  const std::vector<bool> gross = gross_settlement(c);
  Value gross_value = 0, settled_value = 0;
  for (size_t i = 0; i < c.payments.size(); ++i) {
    RC_ASSERT(!gross[i] || is_settled(r, i));
    if (gross[i]) gross_value += c.payments[i].amount;
    if (is_settled(r, i)) settled_value += c.payments[i].amount;
  }
  const auto after = balances_after(c, [&](size_t i) { return is_settled(r, i); });
  for (const auto& [key, stream] : streams_of(c)) {
    auto head =
        std::find_if(stream.begin(), stream.end(), [&](size_t i) { return !is_settled(r, i); });
    if (head == stream.end()) continue;
    // Adding it only lowers its payer's balance, so it fits exactly when that covers it.
    auto balance = after.find(key);
    RC_ASSERT((balance == after.end() ? 0 : balance->second) < c.payments[*head].amount);
  }
  RC_CLASSIFY(settled_value > gross_value, "more value than gross settlement of the queue");
  RC_CLASSIFY(settled_value == gross_value, "the same value as gross settlement of the queue");
}

}  // namespace
}  // namespace corridor::ledger
