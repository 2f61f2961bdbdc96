// Properties of the ledger under random activity: invariants after every block, failed
// transactions change nothing, and the state root is a function of the state alone.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "property/generators.h"
#include "support/test_support.h"

namespace corridor::test::prop {
namespace {

using ledger::ResultCode;

StateView view(const TestLedger& t) {
  return view_state(t.ledger(), kNames, all_assets());
}

// TestLedger checks the invariants at every block end and fails the case on a violation; the
// explicit check makes the property's claim visible here too.
RC_GTEST_PROP(LedgerProperties, InvariantsHoldAfterEveryBlock, ()) {
  TestLedger t(fail_property());
  set_up(t);
  const auto blocks = *gen_blocks();
  size_t applied = 0, total = 0;
  for (const auto& block : blocks) {
    std::vector<Transaction> txs;
    for (const auto& spec : block) txs.push_back(t.make_tx(spec.source, spec.ops));
    for (const auto& out : t.submit_block(txs)) {
      applied += out.code == ResultCode::ok;
      ++total;
    }
    Status invariants = t.ledger().check_invariants();
    RC_ASSERT(invariants.ok());
  }
  // Shows, with the results, how much of the random activity took effect.
  RC_CLASSIFY(applied * 4 < total, "under a quarter of transactions applied");
  RC_CLASSIFY(applied * 4 >= total, "a quarter or more applied");
}

// Every transaction goes in a block of its own; whenever it does not succeed, the state after
// its block is the one before it, and its id is consumed exactly when an operation failed
// (tx_failed), not when the transaction was rejected. The state root is unchanged when the id
// is not consumed, and otherwise is the root of the unchanged entries with the ids now live.
RC_GTEST_PROP(LedgerProperties, AFailedTransactionChangesNothing, ()) {
  TestLedger t(fail_property());
  set_up(t);
  const auto blocks = *gen_blocks();
  for (const auto& block : blocks)
    for (const auto& spec : block) {
      StateView before = view(t);
      const auto entries_before = t.stored_entries();
      Hash256 root_before = t.ledger().state_root();
      Transaction tx = t.make_tx(spec.source, spec.ops);
      TxOutcome out = t.submit(tx);
      if (out.code == ResultCode::ok) continue;
      RC_ASSERT(view(t) == before);
      RC_ASSERT(t.stored_entries() == entries_before);
      const bool consumed = out.code == ResultCode::tx_failed;
      RC_ASSERT(t.ledger().is_replay_id_live(tx.id) == consumed);
      if (consumed)
        RC_ASSERT(t.ledger().state_root() == t.stored_state_root());
      else
        RC_ASSERT(t.ledger().state_root() == root_before);
    }
}

// A second ledger fed the same blocks restarts from its stored entries part way through; it
// then agrees with the first on every outcome and every state root to the end.
RC_GTEST_PROP(LedgerProperties, AReloadedLedgerAgrees, ()) {
  TestLedger a(fail_property());
  TestLedger b(fail_property());
  set_up(a);
  set_up(b);
  RC_ASSERT(a.ledger().state_root() == b.ledger().state_root());
  const auto blocks = *gen_blocks();
  const size_t restart_at = *rc::gen::inRange<size_t>(0, blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (i == restart_at) b.restart();
    std::vector<Transaction> txs;
    for (const auto& spec : blocks[i]) txs.push_back(a.make_tx(spec.source, spec.ops));
    auto in_a = a.submit_block(txs);
    auto in_b = b.submit_block(txs);
    RC_ASSERT(in_a == in_b);
    RC_ASSERT(a.ledger().state_root() == b.ledger().state_root());
  }
  RC_ASSERT(view(a) == view(b));
}

struct Payment {
  size_t from;
  size_t to;
  Amount amount;
};

// The same final balances reached through different histories give the same state root:
// accounts, holdings and funding in another order, the payments permuted and grouped into
// other blocks. Every holder is funded with what it sends, so every payment succeeds in any
// order. The histories' transactions differ, and so do their live replay ids (which are in the
// root), so the second history's entries are compared under the first one's ids.
RC_GTEST_PROP(LedgerProperties, TheStateRootDependsOnlyOnTheState, ()) {
  const size_t holders = *rc::gen::inRange<size_t>(2, 7);
  std::vector<std::string> names;
  for (size_t i = 0; i < holders; ++i) names.push_back("h" + std::to_string(i));
  const auto payments = *rc::gen::container<std::vector<Payment>>(rc::gen::exec([holders] {
    size_t from = *rc::gen::inRange<size_t>(0, holders);
    size_t to = *rc::gen::distinctFrom(rc::gen::inRange<size_t>(0, holders), from);
    return Payment{from, to, *rc::gen::inRange<Amount>(1, 1'000)};
  }));
  std::vector<Amount> funding(holders, 1);
  for (const auto& p : payments) funding[p.from] += p.amount;
  const AssetId usd = asset("USD", "cb");
  const Amount limit = 1'000'000'000;

  auto run = [&](bool reversed, uint64_t seed) {
    auto t = std::make_unique<TestLedger>(fail_property());
    std::vector<std::string> order = names;
    if (reversed) std::reverse(order.begin(), order.end());
    std::vector<std::string> everyone = order;
    everyone.insert(reversed ? everyone.end() : everyone.begin(), "cb");
    t->create_accounts(everyone);
    t->create_asset("cb", "USD", 2);
    for (const auto& n : order) t->open_holding(n, usd, limit);
    std::vector<Operation> issues;
    for (const auto& n : order) {
      size_t i = static_cast<size_t>(std::stoi(n.substr(1)));
      issues.push_back(op::issue(n, "USD", funding[i]));
    }
    t->submit("cb", issues);

    std::vector<Payment> shuffled = payments;
    std::mt19937_64 rng(seed);
    if (seed != 0) std::shuffle(shuffled.begin(), shuffled.end(), rng);
    std::vector<Transaction> block;
    for (const auto& p : shuffled) {
      block.push_back(t->make_tx(names[p.from], {op::transfer(names[p.to], usd, p.amount)}));
      if (seed != 0 && rng() % 3 == 0) {
        for (const auto& out : t->submit_block(block)) RC_ASSERT(out.code == ResultCode::ok);
        block.clear();
      }
    }
    if (!block.empty())
      for (const auto& out : t->submit_block(block)) RC_ASSERT(out.code == ResultCode::ok);
    return t;
  };
  auto a = run(false, 0);
  auto b = run(true, *rc::gen::inRange<uint64_t>(1, 1'000'000));
  std::vector<std::string> everyone = names;
  everyone.push_back("cb");
  RC_ASSERT(view_state(a->ledger(), everyone, {usd}) == view_state(b->ledger(), everyone, {usd}));
  RC_ASSERT(a->stored_entries() == b->stored_entries());
  RC_ASSERT(b->ledger().state_root() == b->stored_state_root());
  RC_ASSERT(a->ledger().state_root() == b->stored_state_root(a->stored_replay_ids()));
}

}  // namespace
}  // namespace corridor::test::prop
