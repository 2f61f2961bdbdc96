// Properties of the liquidity queue and escrows under random activity: the invariants hold after
// every block (conservation with escrowed funds, no negative balance, no balance above its
// limit), the queue never lets a payment overtake an earlier one of the same payer, asset and
// band, and the queue's result is a function of the blocks alone (a second ledger replaying
// them, and a ledger restarted from storage, reach the same roots and events).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/limits.h"
#include "property/generators.h"
#include "support/test_support.h"

namespace corridor::test::prop {
namespace {

using ledger::CancelEscrowOp;
using ledger::CancelQueuedOp;
using ledger::CreateEscrowOp;
using ledger::FinishEscrowOp;
using ledger::QueueEvent;
using ledger::QueueEventKind;
using ledger::QueueTransferOp;

const AssetId kUsd = asset("USD", "cb1");

// One random queue or escrow operation by a bank (or a plain transfer, or the issuer freezing
// and unfreezing, so that funds and eligibility keep changing). Amounts are often larger than
// balances, so payments wait and gridlocks form.
rc::Gen<TxSpec> gen_settlement_tx(uint64_t height) {
  return rc::gen::exec([height] {
    TxSpec tx;
    const int kind = *rc::gen::weightedElement<int>(
        {{10, 0}, {2, 1}, {2, 2}, {1, 3}, {1, 4}, {2, 5}, {1, 6}, {1, 7}});
    tx.source = *rc::gen::elementOf(kBanks);
    std::string other = *rc::gen::elementOf(kBanks);
    const Amount amount = *rc::gen::inRange<Amount>(1, 120'000);
    switch (kind) {
      case 0:
        tx.ops.push_back(QueueTransferOp{test_id(other), kUsd, amount,
                                         *rc::gen::inRange<uint8_t>(0, 2),
                                         height + *rc::gen::inRange<uint64_t>(0, 8)});
        break;
      case 1:
        tx.ops.push_back(CancelQueuedOp{*rc::gen::inRange<uint64_t>(1, 30)});
        break;
      case 2:
        tx.ops.push_back(op::transfer(other, kUsd, amount / 4 + 1));
        break;
      case 3:
        tx.source = "cb1";
        tx.ops.push_back(op::freeze(other, "USD", *rc::gen::arbitrary<bool>()));
        break;
      case 4:
        tx.source = "cb1";
        tx.ops.push_back(op::issue(other, "USD", amount));
        break;
      case 5: {
        CreateEscrowOp e{test_id(other),
                         kUsd,
                         amount / 8 + 1,
                         ledger::escrow_after_height,
                         {},
                         {},
                         height + *rc::gen::inRange<uint64_t>(0, 5),
                         0};
        if (*rc::gen::arbitrary<bool>()) {
          e.conditions |= ledger::escrow_cancel_after;
          e.cancel_height = e.release_height + *rc::gen::inRange<uint64_t>(1, 5);
        }
        tx.ops.push_back(e);
        break;
      }
      case 6:
        tx.ops.push_back(FinishEscrowOp{*rc::gen::inRange<uint64_t>(1, 12), {}});
        break;
      default:
        tx.ops.push_back(CancelEscrowOp{*rc::gen::inRange<uint64_t>(1, 12)});
        break;
    }
    return tx;
  });
}

struct Run {
  std::vector<Hash256> roots;
  std::vector<std::vector<QueueEvent>> events;
};

// Applies the blocks, checking after each that no settled payment overtook a queued one.
Run apply_blocks(TestLedger& t, const std::vector<BlockSpec>& blocks) {
  Run run;
  for (const auto& block : blocks) {
    std::vector<Transaction> txs;
    for (const auto& spec : block) txs.push_back(t.make_tx(spec.source, spec.ops));
    t.begin_block();
    for (const auto& tx : txs) t.apply(tx);
    // The queue as the block's end finds it: earlier payments and this block's.
    const auto known = t.ledger().queue();
    ledger::StateDelta delta = t.end_block();
    const auto& after = t.ledger().queue();
    for (const QueueEvent& e : delta.queue_events) {
      if (e.kind != QueueEventKind::settled) continue;
      auto settled = known.find(e.seq);
      RC_ASSERT(settled != known.end());
      RC_ASSERT(!after.contains(e.seq));
      const auto& p = settled->second;
      for (const auto& [seq, q] : after) {
        const bool ahead = q.band < p.band || (q.band == p.band && seq < p.seq);
        RC_ASSERT(!(q.payer == p.payer && q.asset == p.asset && ahead));
      }
    }
    run.roots.push_back(t.ledger().state_root());
    run.events.push_back(delta.queue_events);
  }
  return run;
}

RC_GTEST_PROP(SettlementProperties, QueueKeepsInvariantsOrderAndDeterminism, ()) {
  TestLedger t(fail_property());
  set_up(t);
  const uint64_t start = t.height() + 1;
  const int count = *rc::gen::inRange(1, 14);
  std::vector<BlockSpec> blocks;
  for (int b = 0; b < count; ++b) {
    BlockSpec block;
    const int txs = *rc::gen::inRange(1, 8);
    for (int i = 0; i < txs; ++i) block.push_back(*gen_settlement_tx(start + b));
    blocks.push_back(std::move(block));
  }
  const Run first = apply_blocks(t, blocks);

  // The same blocks on a second ledger give the same roots and the same queue events.
  TestLedger replay(fail_property());
  set_up(replay);
  const Run second = apply_blocks(replay, blocks);
  RC_ASSERT(first.roots == second.roots);
  RC_ASSERT(first.events == second.events);

  // A restart from storage keeps the state root and every queued payment and escrow.
  const auto queue = t.ledger().queue();
  const auto escrows = t.ledger().escrows();
  t.restart();
  RC_ASSERT(t.ledger().queue() == queue);
  RC_ASSERT(t.ledger().escrows() == escrows);

  size_t settled = 0;
  for (const auto& events : first.events)
    for (const auto& e : events) settled += e.kind == QueueEventKind::settled;
  RC_CLASSIFY(settled == 0, "nothing settled through the queue");
  RC_CLASSIFY(settled > 0, "some queued payments settled");
}

}  // namespace
}  // namespace corridor::test::prop
