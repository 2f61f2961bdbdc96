// The liquidity queue and escrows through the Ledger: queued payments settle at the end of the
// block by gridlock resolution (FIFO per payer, asset and band; never a negative balance; never
// above a limit), expire, or are cancelled; escrows lock funds until their conditions hold.
#include <gtest/gtest.h>

#include "ledger/ledger.h"
#include "ledger/limits.h"
#include "unit/ledger/ledger_fixture.h"

namespace corridor::ledger {
namespace {

using test::outcome_failed;
using test::outcome_ok;
using test::test_id;

class SettlementTest : public LedgerFixture {
 protected:
  void SetUp() override {
    LedgerFixture::SetUp();
    t.open_holding("bank3", usd, kLimit);
  }
  QueueTransferOp queued(std::string_view to, Amount amount, uint8_t band = queue_band_normal,
                         uint64_t ttl = 100) {
    return QueueTransferOp{test_id(to), usd, amount, band, t.height() + 1 + ttl};
  }
  // Applies the transactions in one block and returns the block's queue events.
  std::vector<QueueEvent> block(
      const std::vector<std::pair<std::string, std::vector<Operation>>>& txs,
      std::vector<TxOutcome>* outcomes = nullptr) {
    if (t.block_open()) t.end_block();
    std::vector<Transaction> built;
    for (const auto& [source, ops] : txs) built.push_back(t.make_tx(source, ops));
    t.begin_block();
    for (const auto& tx : built) {
      TxOutcome o = t.apply(tx);
      if (outcomes) outcomes->push_back(o);
    }
    return t.end_block().queue_events;
  }
  static std::vector<std::pair<QueueEventKind, uint64_t>> kinds(
      const std::vector<QueueEvent>& events) {
    std::vector<std::pair<QueueEventKind, uint64_t>> out;
    for (const auto& e : events) out.emplace_back(e.kind, e.seq);
    return out;
  }
};

using K = QueueEventKind;

TEST_F(SettlementTest, AFundedQueuedPaymentSettlesAtTheEndOfItsBlock) {
  std::vector<TxOutcome> out;
  auto events = block({{"bank1", {queued("bank2", 2'500)}}}, &out);
  EXPECT_EQ(out, std::vector<TxOutcome>{outcome_ok()});
  EXPECT_EQ(kinds(events), (std::vector<std::pair<K, uint64_t>>{{K::queued, 1}, {K::settled, 1}}));
  EXPECT_EQ(events[0].tx_id, events[1].tx_id);
  EXPECT_EQ(balance("bank1", usd), kInitial - 2'500);
  EXPECT_EQ(balance("bank2", usd), 2'500);
  EXPECT_TRUE(t.ledger().queue().empty());
}

TEST_F(SettlementTest, AGridlockThatGrossSettlementCannotClearSettlesTogether) {
  // Each bank owes the next more than it holds; the cycle nets to zero.
  auto events = block({{"bank1", {queued("bank2", 15'000)}},
                       {"bank2", {queued("bank3", 15'000)}},
                       {"bank3", {queued("bank1", 15'000)}}});
  EXPECT_EQ(kinds(events), (std::vector<std::pair<K, uint64_t>>{{K::queued, 1},
                                                                {K::queued, 2},
                                                                {K::queued, 3},
                                                                {K::settled, 1},
                                                                {K::settled, 2},
                                                                {K::settled, 3}}));
  EXPECT_EQ(balance("bank1", usd), kInitial);
  EXPECT_EQ(balance("bank2", usd), 0);
  EXPECT_EQ(balance("bank3", usd), 0);
  // The same payments as plain transfers fail for lack of funds.
  expect_op_failed("bank2", {TransferOp{test_id("bank3"), usd, 15'000}}, 0,
                   ResultCode::op_insufficient_balance);
}

TEST_F(SettlementTest, AShortPayerWaitsAndSettlesWhenFundsArrive) {
  auto events = block({{"bank2", {queued("bank3", 4'000)}}});
  EXPECT_EQ(kinds(events), (std::vector<std::pair<K, uint64_t>>{{K::queued, 1}}));
  EXPECT_EQ(t.ledger().queue().size(), 1u);
  EXPECT_EQ(balance("bank3", usd), 0);
  // An ordinary transfer funds bank2; the queue settles at the end of that block.
  events = block({{"bank1", {TransferOp{test_id("bank2"), usd, 5'000}}}});
  EXPECT_EQ(kinds(events), (std::vector<std::pair<K, uint64_t>>{{K::settled, 1}}));
  EXPECT_EQ(balance("bank2", usd), 1'000);
  EXPECT_EQ(balance("bank3", usd), 4'000);
}

TEST_F(SettlementTest, FifoPerPayerWithinABandAndUrgentFirst) {
  // bank1 (10,000) queues 20,000 then 100: the small one must not overtake the large one.
  block({{"bank1", {queued("bank2", 20'000), queued("bank3", 100)}}});
  EXPECT_EQ(t.ledger().queue().size(), 2u);
  EXPECT_EQ(balance("bank3", usd), 0);
  // An urgent payment goes ahead of the normal ones.
  auto events = block({{"bank1", {queued("bank3", 300, queue_band_urgent)}}});
  EXPECT_EQ(kinds(events), (std::vector<std::pair<K, uint64_t>>{{K::queued, 3}, {K::settled, 3}}));
  EXPECT_EQ(balance("bank3", usd), 300);
  // Cancelling the blocking payment lets the one behind it through.
  events = block({{"bank1", {CancelQueuedOp{1}}}});
  EXPECT_EQ(kinds(events),
            (std::vector<std::pair<K, uint64_t>>{{K::cancelled, 1}, {K::settled, 2}}));
  EXPECT_EQ(balance("bank3", usd), 400);
}

TEST_F(SettlementTest, UnsettledPaymentsExpireAfterTheirLastHeight) {
  block({{"bank2", {queued("bank3", 4'000, queue_band_normal, 1)}}});
  auto events = block({});
  EXPECT_TRUE(events.empty());
  events = block({});
  EXPECT_EQ(kinds(events), (std::vector<std::pair<K, uint64_t>>{{K::expired, 1}}));
  EXPECT_TRUE(t.ledger().queue().empty());
  // Funds arriving later settle nothing.
  events = block({{"bank1", {TransferOp{test_id("bank2"), usd, 5'000}}}});
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(balance("bank3", usd), 0);
}

TEST_F(SettlementTest, AFrozenPayerWaitsAndHoldsBackItsLaterPayments) {
  block({{"bank2", {queued("bank3", 4'000)}}, {"bank1", {queued("bank2", 10'000)}}});
  // bank1's payment settled, funding bank2, which paid bank3 in the same resolution.
  EXPECT_EQ(balance("bank3", usd), 4'000);
  block({{"bank3", {queued("bank1", 1'000), queued("bank2", 1'000)}},
         {"cb", {FreezeHoldingOp{test_id("bank1"), usd.code, true}}}});
  // bank3 -> bank1 waits (the payee is frozen) and holds back bank3 -> bank2 behind it.
  EXPECT_EQ(t.ledger().queue().size(), 2u);
  EXPECT_EQ(balance("bank3", usd), 4'000);
  auto events = block({{"cb", {FreezeHoldingOp{test_id("bank1"), usd.code, false}}}});
  EXPECT_EQ(events.size(), 2u);
  EXPECT_EQ(balance("bank3", usd), 2'000);
}

TEST_F(SettlementTest, APayeeNeverEndsAboveItsLimit) {
  t.submit("bank3", {OpenHoldingOp{usd, 500}});
  auto events = block({{"bank1", {queued("bank3", 400), queued("bank3", 200)}}});
  // The first fits; the second would pass the limit of 500 and waits.
  EXPECT_EQ(kinds(events),
            (std::vector<std::pair<K, uint64_t>>{{K::queued, 1}, {K::queued, 2}, {K::settled, 1}}));
  EXPECT_EQ(balance("bank3", usd), 400);
  EXPECT_EQ(t.ledger().queue().size(), 1u);
}

TEST_F(SettlementTest, QueueRefusalsChangeNothing) {
  TxOutcome malformed_band{ResultCode::tx_malformed, 0, ResultCode::op_invalid_band};
  expect_rejected("bank1", {QueueTransferOp{test_id("bank2"), usd, 10, 2, t.height() + 5}},
                  malformed_band);
  expect_rejected("bank1", {QueueTransferOp{test_id("bank2"), usd, 0, 1, t.height() + 5}},
                  {ResultCode::tx_malformed, 0, ResultCode::op_invalid_amount});
  expect_op_failed("bank1", {QueueTransferOp{test_id("bank2"), usd, 10, 1, t.height()}}, 0,
                   ResultCode::op_invalid_expiry);
  expect_op_failed(
      "bank1",
      {QueueTransferOp{test_id("bank2"), usd, 10, 1, t.height() + 2 + queue_validity_blocks_max}},
      0, ResultCode::op_invalid_expiry);
  expect_op_failed("bank1", {queued("bank1", 10)}, 0, ResultCode::op_self_transfer);
  expect_op_failed("bank1", {queued("cb", 10)}, 0, ResultCode::op_issuer_cannot_hold);
  expect_op_failed("bank1", {queued("cb2", 10)}, 0, ResultCode::op_account_not_found);
  expect_op_failed("bank1", {CancelQueuedOp{77}}, 0, ResultCode::op_queued_payment_not_found);
  block({{"bank2", {queued("bank3", 4'000)}}});
  expect_op_failed("bank1", {CancelQueuedOp{1}}, 0, ResultCode::op_not_payer);
  // A failing later operation rolls back a queued payment of the same transaction.
  expect_op_failed("bank1", {queued("bank2", 10), TransferOp{test_id("bank2"), usd, 1'000'000}}, 1,
                   ResultCode::op_insufficient_balance);
  EXPECT_EQ(t.ledger().queue().size(), 1u);
  EXPECT_EQ(t.ledger().counters().next_queue_seq, 2u);
}

TEST_F(SettlementTest, QueueAndEscrowsSurviveARestart) {
  block({{"bank2", {queued("bank3", 4'000)}},
         {"bank1",
          {CreateEscrowOp{
              test_id("bank2"), usd, 700, escrow_after_height, {}, {}, t.height() + 10, 0}}}});
  const Hash256 root = t.ledger().state_root();
  t.restart();
  EXPECT_EQ(t.ledger().state_root(), root);
  ASSERT_EQ(t.ledger().queue().size(), 1u);
  ASSERT_NE(t.ledger().escrow(1), nullptr);
  EXPECT_EQ(t.ledger().escrow(1)->amount, 700);
  // The counters continue where they were: the next payment is number 2.
  auto events = block({{"bank1", {queued("bank3", 1)}}});
  EXPECT_EQ(events.front().seq, 2u);
}

// --- Escrows ----------------------------------------------------------------------------

class EscrowTest : public SettlementTest {
 protected:
  CreateEscrowOp escrow(uint8_t conditions) {
    CreateEscrowOp op{test_id("bank2"), usd, 1'000, conditions, {}, {}, 0, 0};
    if (conditions & escrow_on_preimage) op.hash = sha256(as_bytes("bill of lading 42"));
    if (conditions & escrow_on_approver) op.approver = test_id("bank3");
    if (conditions & escrow_after_height) op.release_height = t.height() + 5;
    if (conditions & escrow_cancel_after) op.cancel_height = t.height() + 10;
    return op;
  }
  static Bytes text(std::string_view s) {
    ByteView b = as_bytes(s);
    return Bytes(b.begin(), b.end());
  }
};

TEST_F(EscrowTest, APreimageReleasesTheFundsToTheBeneficiary) {
  EXPECT_EQ(t.submit("bank1", {escrow(escrow_on_preimage)}), outcome_ok());
  EXPECT_EQ(balance("bank1", usd), kInitial - 1'000);
  EXPECT_EQ(supply(usd), kInitial);  // Locked, not destroyed: the invariant counts it.
  expect_op_failed("bank2", {FinishEscrowOp{1, text("bill of lading 41")}}, 0,
                   ResultCode::op_wrong_preimage);
  expect_op_failed("bank3", {FinishEscrowOp{1, text("bill of lading 42")}}, 0,
                   ResultCode::op_not_approver);
  EXPECT_EQ(t.submit("bank2", {FinishEscrowOp{1, text("bill of lading 42")}}), outcome_ok());
  EXPECT_EQ(balance("bank2", usd), 1'000);
  EXPECT_EQ(t.ledger().escrow(1), nullptr);
  expect_op_failed("bank2", {FinishEscrowOp{1, text("bill of lading 42")}}, 0,
                   ResultCode::op_escrow_not_found);
}

TEST_F(EscrowTest, ANamedApproverAloneReleases) {
  EXPECT_EQ(t.submit("bank1", {escrow(escrow_on_approver)}), outcome_ok());
  expect_op_failed("bank2", {FinishEscrowOp{1, {}}}, 0, ResultCode::op_not_approver);
  expect_op_failed("bank1", {FinishEscrowOp{1, {}}}, 0, ResultCode::op_not_approver);
  EXPECT_EQ(t.submit("bank3", {FinishEscrowOp{1, {}}}), outcome_ok());
  EXPECT_EQ(balance("bank2", usd), 1'000);
}

TEST_F(EscrowTest, TimeReleaseAndCancellationAfterTheDeadline) {
  EXPECT_EQ(t.submit("bank1", {escrow(escrow_after_height | escrow_cancel_after)}), outcome_ok());
  expect_op_failed("bank2", {FinishEscrowOp{1, {}}}, 0, ResultCode::op_escrow_too_early);
  expect_op_failed("bank1", {CancelEscrowOp{1}}, 0, ResultCode::op_escrow_not_cancellable);
  t.advance(10);
  expect_op_failed("bank2", {FinishEscrowOp{1, {}}}, 0, ResultCode::op_escrow_expired);
  expect_op_failed("bank2", {CancelEscrowOp{1}}, 0, ResultCode::op_not_payer);
  EXPECT_EQ(t.submit("bank1", {CancelEscrowOp{1}}), outcome_ok());
  EXPECT_EQ(balance("bank1", usd), kInitial);
}

TEST_F(EscrowTest, ReleaseAfterItsHeight) {
  EXPECT_EQ(t.submit("bank1", {escrow(escrow_after_height)}), outcome_ok());
  t.advance(5);
  EXPECT_EQ(t.submit("bank1", {FinishEscrowOp{1, {}}}), outcome_ok());
  EXPECT_EQ(balance("bank2", usd), 1'000);
  expect_op_failed("bank1", {CancelEscrowOp{1}}, 0, ResultCode::op_escrow_not_found);
}

TEST_F(EscrowTest, BadEscrowsAreRefusedAndChangeNothing) {
  TxOutcome invalid{ResultCode::tx_malformed, 0, ResultCode::op_invalid_escrow};
  expect_rejected("bank1", {escrow(0)}, invalid);
  expect_rejected("bank1", {escrow(escrow_cancel_after)}, invalid);        // No release condition.
  expect_rejected("bank1", {escrow(0x10 | escrow_on_preimage)}, invalid);  // Unknown bit.
  CreateEscrowOp stray = escrow(escrow_after_height);
  stray.hash = sha256(as_bytes("x"));  // A field of a condition not set.
  expect_rejected("bank1", {stray}, invalid);
  CreateEscrowOp backwards = escrow(escrow_after_height | escrow_cancel_after);
  backwards.cancel_height = backwards.release_height;
  expect_rejected("bank1", {backwards}, invalid);
  CreateEscrowOp zero = escrow(escrow_on_preimage);
  zero.amount = 0;
  expect_rejected("bank1", {zero}, {ResultCode::tx_malformed, 0, ResultCode::op_invalid_amount});
  CreateEscrowOp big = escrow(escrow_on_preimage);
  big.amount = kInitial + 1;
  expect_op_failed("bank1", {big}, 0, ResultCode::op_insufficient_balance);
  expect_op_failed("bank2", {escrow(escrow_on_preimage)}, 0, ResultCode::op_self_transfer);
  CreateEscrowOp to_issuer = escrow(escrow_on_preimage);
  to_issuer.beneficiary = test_id("cb");
  expect_op_failed("bank1", {to_issuer}, 0, ResultCode::op_issuer_cannot_hold);
  t.submit("cb", {FreezeHoldingOp{test_id("bank1"), usd.code, true}});
  expect_op_failed("bank1", {escrow(escrow_on_preimage)}, 0, ResultCode::op_frozen);
  EXPECT_TRUE(t.ledger().escrows().empty());
}

TEST_F(EscrowTest, EncodingRoundTrips) {
  Transaction tx = t.make_tx("bank1", {escrow(escrow_on_preimage | escrow_on_approver |
                                              escrow_after_height | escrow_cancel_after),
                                       FinishEscrowOp{9, text("preimage")}, CancelEscrowOp{3},
                                       queued("bank2", 5), CancelQueuedOp{4}});
  auto back = decode_transaction(encode_transaction(tx));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->ops, tx.ops);
  EXPECT_EQ(back->id, tx.id);
}

}  // namespace
}  // namespace corridor::ledger
