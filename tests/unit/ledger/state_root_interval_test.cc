// The state root interval (ledger.h): with an interval of R the ledger folds its changes into
// the state tree only at heights that are multiples of R. The roots it reports must then be
// exactly those a ledger with an interval of 1 reports at the same root heights, whatever
// happened in between: entries changed several times, leaves put and removed within one
// interval (an offer placed and cancelled, a replay id added and expired), failed transactions.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/limits.h"
#include "support/test_support.h"

namespace corridor::ledger {
namespace {

using test::outcome_ok;
using test::test_id;
namespace op = test::op;

constexpr uint64_t kInterval = 4;

class StateRootInterval : public ::testing::Test {
 protected:
  void SetUp() override {
    spaced.set_state_root_interval(kInterval);
    EXPECT_EQ(spaced.ledger().state_root_interval(), kInterval);
    roots[0] = every.ledger().state_root();
    check();
    both([&](test::TestLedger& t) {
      t.create_accounts({"cb", "b1", "b2", "b3"});
      usd = t.create_asset("cb", "USD", 2);
      eur = t.create_asset("cb", "EUR", 2);
      for (const char* bank : {"b1", "b2", "b3"}) {
        t.open_holding(bank, usd, 1'000'000);
        t.open_holding(bank, eur, 1'000'000);
        t.issue(bank, usd, 10'000);
      }
    });
  }

  // Runs `f` on both ledgers, which must end at one height, and checks their roots.
  template <typename F>
  void both(F&& f) {
    f(every);
    f(spaced);
    check();
  }
  // The spaced ledger reports the root its twin reported at the last root height, and every
  // root height the twin passed is recorded (heights advance one block at a time).
  void check() {
    ASSERT_EQ(every.height(), spaced.height());
    const uint64_t h = every.height();
    roots[h] = every.ledger().state_root();
    EXPECT_EQ(spaced.ledger().state_root_height(), h - h % kInterval);
    ASSERT_TRUE(roots.contains(spaced.ledger().state_root_height()));
    EXPECT_EQ(spaced.ledger().state_root(), roots[spaced.ledger().state_root_height()])
        << "at height " << h;
  }

  test::TestLedger every;
  test::TestLedger spaced;
  AssetId usd, eur;
  std::map<uint64_t, Hash256> roots;
};

TEST_F(StateRootInterval, RootsAtRootHeightsAreThoseOfEveryBlock) {
  std::mt19937_64 rng(7);
  const std::vector<std::string> banks = {"b1", "b2", "b3"};
  uint64_t offer_id = 0;
  for (int block = 0; block < 40; ++block) {
    // The block's transactions, drawn once and built on each ledger alike (same nonces).
    struct Planned {
      std::string from, to;
      Amount amount;
      bool short_lived;
    };
    std::vector<Planned> plan;
    const int txs = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < txs; ++i) {
      const size_t from = rng() % banks.size();
      const size_t to = (from + 1 + rng() % (banks.size() - 1)) % banks.size();
      // Now and then more than the payer holds: a failed transaction, which consumes its id.
      const Amount amount = rng() % 10 == 0 ? 1'000'000 : 1 + static_cast<Amount>(rng() % 50);
      plan.push_back({banks[from], banks[to], amount, rng() % 3 == 0});
    }
    both([&](test::TestLedger& t) {
      std::vector<Transaction> block_txs;
      for (const Planned& p : plan) {
        test::TxOptions options;
        // A replay id that expires two blocks on: its leaf comes and goes within an interval.
        if (p.short_lived) options.valid_until = t.height() + 1;
        block_txs.push_back(t.make_tx(p.from, {op::transfer(p.to, usd, p.amount)}, options));
      }
      t.submit_block(block_txs);
    });
    // An offer placed and cancelled two blocks later: put and removed within one interval, or
    // across a root height, depending on where it falls.
    if (block % 5 == 1) {
      both([&](test::TestLedger& t) {
        EXPECT_EQ(t.submit("b1", {op::place_offer(usd, eur, 100, 9, 10)}), outcome_ok());
      });
      offer_id = every.ledger().next_offer_id() - 1;
    } else if (block % 5 == 3) {
      both([&](test::TestLedger& t) {
        EXPECT_EQ(t.submit("b1", {op::cancel_offer(offer_id)}), outcome_ok());
      });
    }
  }
  // A restart at a root height loads the state the root commits to (TestLedger::restart checks
  // the root), and the restarted ledger goes on folding at the same heights.
  while (spaced.height() % kInterval != 0) both([](test::TestLedger& t) { t.advance(1); });
  spaced.restart();
  EXPECT_EQ(spaced.ledger().state_root_interval(), kInterval);
  for (int block = 0; block < 6; ++block)
    both([&](test::TestLedger& t) {
      EXPECT_EQ(t.submit("b2", {op::transfer("b3", usd, 2)}), outcome_ok());
    });
  EXPECT_GE(roots.size(), 60u);
}

TEST_F(StateRootInterval, HoldingProofsWaitForTheNextRootHeight) {
  while (spaced.height() % kInterval != kInterval - 2)
    both([](test::TestLedger& t) { t.advance(1); });
  both([&](test::TestLedger& t) {
    EXPECT_EQ(t.submit("b1", {op::transfer("b2", usd, 5)}), outcome_ok());
  });
  Ledger& ledger = spaced.ledger();
  ASSERT_FALSE(ledger.is_root_height(ledger.height()));
  // b1 and b2 changed after the last root height: no proof of their balances can verify
  // against the root, and the ledger says why there is none.
  for (const char* holder : {"b1", "b2"}) {
    EXPECT_FALSE(ledger.prove_holding(test_id(holder), usd).has_value()) << holder;
    EXPECT_TRUE(ledger.holding_changed_since_root(test_id(holder), usd)) << holder;
  }
  // b3 did not: its proof verifies now.
  EXPECT_FALSE(ledger.holding_changed_since_root(test_id("b3"), usd));
  auto unchanged = ledger.prove_holding(test_id("b3"), usd);
  ASSERT_TRUE(unchanged.has_value());
  EXPECT_TRUE(verify_holding_proof(ledger.state_root(), *unchanged));
  // A holding that does not exist is not "changed".
  EXPECT_FALSE(ledger.holding_changed_since_root(test_id("cb"), usd));

  both([](test::TestLedger& t) { t.advance(1); });
  ASSERT_TRUE(ledger.is_root_height(ledger.height()));
  for (const char* holder : {"b1", "b2", "b3"}) {
    EXPECT_FALSE(ledger.holding_changed_since_root(test_id(holder), usd)) << holder;
    auto proof = ledger.prove_holding(test_id(holder), usd);
    ASSERT_TRUE(proof.has_value()) << holder;
    EXPECT_TRUE(verify_holding_proof(ledger.state_root(), *proof)) << holder;
  }
  EXPECT_EQ(*spaced.balance("b1", usd), 10'000 - 5);

  // The next interval: b1 and b3 change in its first block. They wait for the next root height
  // through every block before it, while b2, changed only in the last interval, has its proof.
  both([&](test::TestLedger& t) {
    EXPECT_EQ(t.submit("b1", {op::transfer("b3", usd, 7)}), outcome_ok());
  });
  while (!ledger.is_root_height(ledger.height())) {
    for (const char* holder : {"b1", "b3"}) {
      EXPECT_TRUE(ledger.holding_changed_since_root(test_id(holder), usd)) << holder;
      EXPECT_FALSE(ledger.prove_holding(test_id(holder), usd).has_value()) << holder;
    }
    EXPECT_FALSE(ledger.holding_changed_since_root(test_id("b2"), usd));
    auto b2 = ledger.prove_holding(test_id("b2"), usd);
    ASSERT_TRUE(b2.has_value());
    EXPECT_TRUE(verify_holding_proof(ledger.state_root(), *b2));
    both([](test::TestLedger& t) { t.advance(1); });
  }
  for (const char* holder : {"b1", "b2", "b3"}) {
    EXPECT_FALSE(ledger.holding_changed_since_root(test_id(holder), usd)) << holder;
    auto proof = ledger.prove_holding(test_id(holder), usd);
    ASSERT_TRUE(proof.has_value()) << holder;
    EXPECT_TRUE(verify_holding_proof(ledger.state_root(), *proof)) << holder;
  }
  EXPECT_EQ(*spaced.balance("b3", usd), 10'000 + 7);
}

TEST(StateRootIntervalLimits, EveryIntervalUpToTheMaximumFoldsAtItsMultiples) {
  for (uint64_t interval :
       {uint64_t{1}, uint64_t{2}, uint64_t{7}, state_root_interval_blocks_max}) {
    Ledger ledger;
    ledger.set_state_root_interval(interval);
    EXPECT_TRUE(ledger.is_root_height(0));
    EXPECT_TRUE(ledger.is_root_height(interval));
    EXPECT_EQ(ledger.is_root_height(interval + 1), interval == 1);
  }
}

}  // namespace
}  // namespace corridor::ledger
