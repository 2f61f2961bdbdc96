#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "ledger/gridlock.h"

namespace corridor::ledger {
namespace {

constexpr Amount amount_max = std::numeric_limits<Amount>::max();
constexpr uint32_t A = 0, B = 1, C = 2, D = 3;

QueuedPayment pay(uint64_t seq, uint32_t payer, uint32_t payee, Amount amount,
                  QueueBand band = QueueBand::normal, uint32_t asset = 0) {
  return {
      .seq = seq, .payer = payer, .payee = payee, .asset = asset, .amount = amount, .band = band};
}

QueueBalance bal(uint32_t participant, Amount amount, uint32_t asset = 0) {
  return {.participant = participant, .asset = asset, .amount = amount};
}

GridlockResult resolve(const std::vector<QueuedPayment>& payments,
                       const std::vector<QueueBalance>& balances, uint64_t height = 1) {
  auto r = resolve_gridlock(payments, balances, height);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? std::move(r).value() : GridlockResult{};
}

// The seqs of the payments with the given outcome, in ascending order.
std::vector<uint64_t> seqs_with(const GridlockResult& r, const std::vector<QueuedPayment>& payments,
                                QueueOutcome outcome) {
  std::vector<uint64_t> out;
  for (size_t i = 0; i < payments.size(); ++i)
    if (r.outcomes.at(i) == outcome) out.push_back(payments[i].seq);
  std::sort(out.begin(), out.end());
  return out;
}
std::vector<uint64_t> settled(const GridlockResult& r, const std::vector<QueuedPayment>& payments) {
  return seqs_with(r, payments, QueueOutcome::settled);
}

Amount delta_of(const GridlockResult& r, uint32_t participant, uint32_t asset = 0) {
  for (const auto& c : r.changes)
    if (c.participant == participant && c.asset == asset) return c.delta;
  ADD_FAILURE() << "no change for participant " << participant << " asset " << asset;
  return 0;
}

TEST(Gridlock, EmptyQueueSettlesNothing) {
  GridlockResult r = resolve({}, {bal(A, 100)});
  EXPECT_TRUE(r.outcomes.empty());
  EXPECT_TRUE(r.changes.empty());
  EXPECT_TRUE(r.assets.empty());
  EXPECT_EQ(r.settled + r.queued + r.expired, 0u);
}

// The textbook gridlock: each bank waits for the one before it and none has any liquidity, so
// gross settlement is stuck forever; settled together, every position nets to zero.
TEST(Gridlock, ACycleSettlesWithNoLiquidityAtAll) {
  std::vector<QueuedPayment> q = {pay(1, A, B, 100), pay(2, B, C, 100), pay(3, C, A, 100)};
  GridlockResult r = resolve(q, {});
  EXPECT_EQ(settled(r, q), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(r.settled, 3u);
  ASSERT_EQ(r.changes.size(), 3u);
  for (const auto& c : r.changes) EXPECT_EQ(c.delta, 0);
  ASSERT_EQ(r.assets.size(), 1u);
  EXPECT_TRUE(r.assets[0].settled_value == 300);
}

TEST(Gridlock, AShortParticipantLosesItsLatestPaymentAndTheRestSettles) {
  // A owes 150 and receives 100: its latest payment (seq 4) goes, and then the cycle closes.
  std::vector<QueuedPayment> q = {pay(1, A, B, 100), pay(2, B, C, 100), pay(3, C, A, 100),
                                  pay(4, A, D, 50)};
  GridlockResult r = resolve(q, {});
  EXPECT_EQ(settled(r, q), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(seqs_with(r, q, QueueOutcome::queued), (std::vector<uint64_t>{4}));
  EXPECT_EQ(r.queued, 1u);

  // With 50 of its own, A covers the extra payment and everything settles.
  r = resolve(q, {bal(A, 50)});
  EXPECT_EQ(r.settled, 4u);
  EXPECT_EQ(delta_of(r, A), -50);
  EXPECT_EQ(delta_of(r, D), 50);
}

TEST(Gridlock, ARemovalCanPutThePayeeInDeficitInTurn) {
  // Only A starts short. Removing A's payment leaves B unable to pay C, and that leaves C
  // unable to pay D: a chain that hung on A unwinds, one deficit after another.
  std::vector<QueuedPayment> q = {pay(1, A, B, 100), pay(2, B, C, 100), pay(3, C, D, 30)};
  GridlockResult r = resolve(q, {});
  EXPECT_EQ(r.settled, 0u);
  EXPECT_TRUE(r.changes.empty());
  EXPECT_EQ(r.deficits_resolved, 3u);

  // With 100 at A the whole chain settles, and C keeps 70 of what passed through it.
  r = resolve(q, {bal(A, 100)});
  EXPECT_EQ(settled(r, q), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(delta_of(r, A), -100);
  EXPECT_EQ(delta_of(r, B), 0);
  EXPECT_EQ(delta_of(r, C), 70);
  EXPECT_EQ(delta_of(r, D), 30);
  EXPECT_EQ(r.deficits_resolved, 0u);

  // Two payers short at once, one of them deeper after the other's removal: B loses both.
  q = {pay(1, A, B, 100), pay(2, B, A, 60), pay(3, B, C, 50)};
  r = resolve(q, {});
  EXPECT_EQ(r.settled, 0u);
  r = resolve(q, {bal(A, 40)});
  EXPECT_EQ(settled(r, q), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(delta_of(r, A), -40);
  EXPECT_EQ(delta_of(r, B), 40);
}

TEST(Gridlock, ALaterSmallPaymentNeverOvertakesAnEarlierBigOne) {
  // A can afford seq 2 alone, but seq 1 is ahead of it in A's queue of the same band and asset.
  std::vector<QueuedPayment> q = {pay(1, A, B, 100), pay(2, A, C, 5)};
  GridlockResult r = resolve(q, {bal(A, 10)});
  EXPECT_EQ(r.settled, 0u);
  EXPECT_EQ(r.queued, 2u);

  // Once A can afford the head, both go.
  r = resolve(q, {bal(A, 105)});
  EXPECT_EQ(settled(r, q), (std::vector<uint64_t>{1, 2}));

  // With 100, only the head: FIFO removes from the tail.
  r = resolve(q, {bal(A, 100)});
  EXPECT_EQ(settled(r, q), (std::vector<uint64_t>{1}));
}

TEST(Gridlock, FifoIsPerAssetBecauseEachAssetIsItsOwnLiquidity) {
  // A's stuck dollar payment does not hold back its euro payment.
  constexpr uint32_t usd = 0, eur = 1;
  std::vector<QueuedPayment> q = {pay(1, A, B, 100, QueueBand::normal, usd),
                                  pay(2, A, C, 5, QueueBand::normal, eur)};
  GridlockResult r = resolve(q, {bal(A, 10, usd), bal(A, 10, eur)});
  EXPECT_EQ(settled(r, q), (std::vector<uint64_t>{2}));
}

TEST(Gridlock, UrgentPaymentsGoBeforeNormalOnesOfTheSamePayer) {
  // The urgent payment arrived later but ranks first; A can afford only one of the two.
  std::vector<QueuedPayment> q = {pay(1, A, B, 80), pay(2, A, C, 50, QueueBand::urgent)};
  GridlockResult r = resolve(q, {bal(A, 100)});
  EXPECT_EQ(settled(r, q), (std::vector<uint64_t>{2}));

  // And a normal payment waits behind a stuck urgent one, however small it is.
  q = {pay(1, A, C, 10), pay(2, A, B, 500, QueueBand::urgent)};
  r = resolve(q, {bal(A, 100)});
  EXPECT_EQ(r.settled, 0u);
}

TEST(Gridlock, UrgentPaymentsOfOtherPayersDoNotBlockAPayer) {
  // B's stuck urgent payment is B's affair; A's normal payment settles.
  std::vector<QueuedPayment> q = {pay(1, B, C, 500, QueueBand::urgent), pay(2, A, C, 10)};
  GridlockResult r = resolve(q, {bal(A, 10)});
  EXPECT_EQ(settled(r, q), (std::vector<uint64_t>{2}));
}

TEST(Gridlock, AssetsAreIndependent) {
  constexpr uint32_t usd = 0, eur = 1;
  // A dollar pair that offsets, and euro payments where B is short: B's two euro payments
  // wait, while A, which has euros of its own, pays.
  std::vector<QueuedPayment> q = {
      pay(1, A, B, 70, QueueBand::normal, usd), pay(2, B, A, 70, QueueBand::normal, usd),
      pay(3, A, B, 40, QueueBand::normal, eur), pay(4, B, C, 90, QueueBand::normal, eur),
      pay(5, B, A, 5, QueueBand::normal, eur)};
  GridlockResult r = resolve(q, {bal(A, 1'000'000, eur)});
  EXPECT_EQ(settled(r, q), (std::vector<uint64_t>{1, 2, 3}));
  ASSERT_EQ(r.assets.size(), 2u);
  EXPECT_EQ(r.assets[0].asset, usd);
  EXPECT_EQ(r.assets[0].settled_payments, 2u);
  EXPECT_TRUE(r.assets[0].settled_value == 140);
  EXPECT_EQ(r.assets[1].asset, eur);
  EXPECT_EQ(r.assets[1].settled_payments, 1u);
  EXPECT_TRUE(r.assets[1].settled_value == 40);
  EXPECT_EQ(r.assets[1].queued_payments, 2u);
  EXPECT_TRUE(r.assets[1].queued_value == 95);
  EXPECT_EQ(delta_of(r, A, eur), -40);
  EXPECT_EQ(delta_of(r, B, eur), 40);
  EXPECT_EQ(delta_of(r, A, usd), 0);
}

TEST(Gridlock, BilateralOffsetNeedsOnlyTheDifference) {
  std::vector<QueuedPayment> q = {pay(1, A, B, 1'000), pay(2, B, A, 900)};
  GridlockResult r = resolve(q, {bal(A, 100)});
  EXPECT_EQ(r.settled, 2u);
  EXPECT_EQ(delta_of(r, A), -100);
  EXPECT_EQ(delta_of(r, B), 100);
  // One unit short: A's payment cannot settle, and B's alone needs 900 that B lacks.
  r = resolve(q, {bal(A, 99)});
  EXPECT_EQ(r.settled, 0u);
}

TEST(Gridlock, HugeAmountsDoNotOverflow) {
  // A two-party cycle of the largest amounts settles with nothing; its value exceeds an Amount.
  std::vector<QueuedPayment> q = {pay(1, A, B, amount_max), pay(2, B, A, amount_max)};
  GridlockResult r = resolve(q, {});
  EXPECT_EQ(r.settled, 2u);
  EXPECT_TRUE(r.assets.at(0).settled_value == GridlockResult::Value{amount_max} * 2);

  // A's two payments together need twice INT64_MAX, which A has only once: the second waits.
  // Summed in 64 bits, A's position would wrap around.
  q = {pay(1, A, B, amount_max), pay(2, A, C, amount_max), pay(3, A, D, amount_max)};
  r = resolve(q, {bal(A, amount_max)});
  EXPECT_EQ(settled(r, q), (std::vector<uint64_t>{1}));
  EXPECT_EQ(delta_of(r, A), -amount_max);
  EXPECT_EQ(delta_of(r, B), amount_max);

  // Many large receipts in a cycle: balances after settlement stay within an Amount.
  q.clear();
  for (uint64_t i = 0; i < 50; ++i)
    q.push_back(pay(i + 1, i % 2 ? A : B, i % 2 ? B : A, amount_max));
  r = resolve(q, {});
  EXPECT_EQ(r.settled, 50u);
}

TEST(Gridlock, TheResultDoesNotDependOnInputOrder) {
  std::vector<QueuedPayment> q;
  std::mt19937_64 rng(7);
  for (uint64_t s = 1; s <= 300; ++s) {
    auto payer = static_cast<uint32_t>(rng() % 12);
    auto payee = static_cast<uint32_t>((payer + 1 + rng() % 11) % 12);
    q.push_back(pay(s, payer, payee, static_cast<Amount>(1 + rng() % 1'000),
                    rng() % 5 ? QueueBand::normal : QueueBand::urgent,
                    static_cast<uint32_t>(rng() % 3)));
  }
  std::vector<QueueBalance> balances;
  for (uint32_t p = 0; p < 12; ++p)
    for (uint32_t a = 0; a < 3; ++a)
      balances.push_back(bal(p, static_cast<Amount>(rng() % 3'000), a));
  GridlockResult first = resolve(q, balances);
  EXPECT_GT(first.settled, 0u);
  EXPECT_GT(first.queued, 0u);

  for (int round = 0; round < 5; ++round) {
    std::vector<size_t> order(q.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<QueuedPayment> shuffled;
    for (size_t i : order) shuffled.push_back(q[i]);
    std::shuffle(balances.begin(), balances.end(), rng);
    GridlockResult again = resolve(shuffled, balances);
    EXPECT_EQ(again.changes, first.changes);
    EXPECT_EQ(again.assets, first.assets);
    EXPECT_EQ(again.settled, first.settled);
    for (size_t k = 0; k < order.size(); ++k)
      EXPECT_EQ(again.outcomes[k], first.outcomes[order[k]]);
  }
}

TEST(Gridlock, ExpiredPaymentsLeaveTheQueueBeforeResolution) {
  std::vector<QueuedPayment> q = {pay(1, A, B, 100), pay(2, A, C, 5), pay(3, C, A, 1)};
  q[0].last_height = 9;
  q[1].last_height = 10;
  // At height 10 seq 1 has expired, so it no longer blocks seq 2; seq 2 may still settle at its
  // last height.
  GridlockResult r = resolve(q, {bal(A, 10), bal(C, 1)}, 10);
  EXPECT_EQ(seqs_with(r, q, QueueOutcome::expired), (std::vector<uint64_t>{1}));
  EXPECT_EQ(settled(r, q), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(r.expired, 1u);
  EXPECT_EQ(r.settled + r.queued + r.expired, 3u);
  // At height 9 seq 1 is live and blocks seq 2.
  r = resolve(q, {bal(A, 10), bal(C, 1)}, 9);
  EXPECT_EQ(settled(r, q), (std::vector<uint64_t>{3}));
  EXPECT_EQ(r.expired, 0u);
}

TEST(Gridlock, BalancesOfPositionsNotInTheQueueAreIgnored) {
  std::vector<QueuedPayment> q = {pay(1, A, B, 10)};
  GridlockResult r = resolve(q, {bal(A, 10), bal(C, 5), bal(A, 7, 3)});
  EXPECT_EQ(r.settled, 1u);
  ASSERT_EQ(r.changes.size(), 2u);
  EXPECT_EQ(r.changes[0], (PositionChange{A, 0, -10}));
  EXPECT_EQ(r.changes[1], (PositionChange{B, 0, 10}));
}

TEST(Gridlock, MalformedInputIsRefusedWhole) {
  auto code_of = [](std::vector<QueuedPayment> q, std::vector<QueueBalance> b) {
    return resolve_gridlock(q, b, 1).status().code();
  };
  EXPECT_EQ(code_of({pay(1, A, B, 0)}, {}), StatusCode::invalid_argument);
  EXPECT_EQ(code_of({pay(1, A, B, -5)}, {}), StatusCode::invalid_argument);
  EXPECT_EQ(code_of({pay(1, A, A, 5)}, {}), StatusCode::invalid_argument);
  EXPECT_EQ(code_of({pay(1, A, B, 5, static_cast<QueueBand>(2))}, {}),
            StatusCode::invalid_argument);
  EXPECT_EQ(code_of({pay(7, A, B, 5), pay(7, B, A, 5)}, {}), StatusCode::invalid_argument);
  // A repeated seq is refused even when one of the two has expired.
  QueuedPayment expired = pay(7, C, D, 5);
  expired.last_height = 0;
  EXPECT_EQ(code_of({pay(7, A, B, 5), expired}, {}), StatusCode::invalid_argument);
  // An invalid payment is refused even when it has expired.
  QueuedPayment bad = pay(8, C, D, 0);
  bad.last_height = 0;
  EXPECT_EQ(code_of({pay(7, A, B, 5), bad}, {}), StatusCode::invalid_argument);
  EXPECT_EQ(code_of({pay(1, A, B, 5)}, {bal(A, -1)}), StatusCode::invalid_argument);
  EXPECT_EQ(code_of({pay(1, A, B, 5)}, {bal(A, 5), bal(B, 1), bal(A, 5)}),
            StatusCode::invalid_argument);
  EXPECT_EQ(code_of({pay(1, A, B, 5)}, {bal(A, amount_max / 2 + 1), bal(B, amount_max / 2 + 1)}),
            StatusCode::invalid_argument);
  // The same two balances in different assets are fine.
  EXPECT_EQ(code_of({pay(1, A, B, 5)}, {bal(A, amount_max / 2 + 1), bal(B, amount_max / 2 + 1, 1)}),
            StatusCode::ok);
}

TEST(Gridlock, TheLimitsAreEnforced) {
  std::vector<QueuedPayment> q(gridlock_payments_max + 1);
  EXPECT_EQ(resolve_gridlock(q, {}, 1).status().code(), StatusCode::resource_exhausted);
  std::vector<QueueBalance> b(gridlock_balances_max + 1);
  EXPECT_EQ(resolve_gridlock({}, b, 1).status().code(), StatusCode::resource_exhausted);
}

}  // namespace
}  // namespace corridor::ledger
