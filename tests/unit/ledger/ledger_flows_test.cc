// Multi-step behaviour of the ledger: all-or-nothing transactions, replay protection and expiry,
// multi-signature accounts, and the issuer controls (authorization, freeze, clawback).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "support/test_support.h"
#include "unit/ledger/ledger_fixture.h"

namespace corridor::ledger {
namespace {

using test::asset;
using test::outcome_failed;
using test::outcome_ok;
using test::outcome_rejected;
using test::test_id;
namespace op = test::op;

using AllOrNothing = LedgerFixture;

// An issuer batch touching every kind of entry whose last operation fails leaves balances,
// supply, holdings, accounts, assets and the stored entries exactly as they were.
TEST_F(AllOrNothing, AFailingLastOperationUndoesAnIssuerBatch) {
  assets.push_back(asset("EUR", "cb"));
  test::StateView before = view();
  const auto entries = t.stored_entries();
  std::vector<Operation> ops = {
      op::create_asset("EUR", 2, asset_flag_freezable),
      op::issue("bank1", "USD", 500),
      op::transfer("bank2", usd, 250),  // From the issuer: an issue.
      op::clawback("bank1", "USD", 100),
      op::freeze("bank2", "USD"),
      op::set_signers({{"cb-new", 1}}, 1),
      op::issue("bank3", "USD", 1),  // bank3 has no USD holding.
  };
  Transaction tx = t.make_tx("cb", ops);
  TxOutcome out = t.submit(tx);
  EXPECT_EQ(out, outcome_failed(6, ResultCode::op_holding_not_found));
  for (uint32_t i = 0; i < 6; ++i) EXPECT_EQ(out.op_result(i), ResultCode::not_applied);
  EXPECT_EQ(view(), before);
  expect_entries_unchanged(entries);
  EXPECT_EQ(t.ledger().asset(asset("EUR", "cb")), nullptr);
  // The id is consumed even though nothing was applied.
  EXPECT_TRUE(t.ledger().is_replay_id_live(tx.id));
  // The old key still signs for cb: set_signers was undone.
  EXPECT_EQ(t.submit("cb", {op::issue("bank2", "USD", 1)}), outcome_ok());
}

TEST_F(AllOrNothing, AFailingLastOperationUndoesABankBatch) {
  AssetId eur = t.create_asset("cb", "EUR", 2);
  assets.push_back(eur);
  test::StateView before = view();
  const auto entries = t.stored_entries();
  size_t holdings = t.ledger().holding_count();
  TxOutcome out =
      t.submit("bank1", {
                            op::open_holding(eur, 100), op::open_holding(usd, kLimit * 2),
                            op::transfer("bank2", usd, 1'000), op::redeem(usd, 1'000),
                            op::transfer("cb", usd, 1'000),
                            op::transfer("bank2", usd, kInitial),  // Only 7'000 left.
                        });
  EXPECT_EQ(out, outcome_failed(5, ResultCode::op_insufficient_balance));
  EXPECT_EQ(view(), before);
  expect_entries_unchanged(entries);
  EXPECT_EQ(t.ledger().holding_count(), holdings);
  EXPECT_EQ(t.ledger().holding(test_id("bank1"), eur), nullptr);
  EXPECT_EQ(t.ledger().holdings_of(test_id("bank1")).size(), 1u);
  EXPECT_EQ(t.ledger().holding(test_id("bank1"), usd)->limit, kLimit);
}

// A failed transaction between two good ones in the same block: the block must end in the state
// of a ledger that only saw the good ones, including the entries the failed one touched and the
// delta handed to storage.
TEST_F(AllOrNothing, AFailedTransactionInsideABlockLeavesNoTrace) {
  test::TestLedger reference;
  reference.create_accounts({"cb", "bank1", "bank2", "bank3"});
  reference.create_asset("cb", "USD", 2, asset_flag_freezable | asset_flag_clawback_enabled);
  reference.open_holding("bank1", usd, kLimit);
  reference.open_holding("bank2", usd, kLimit);
  reference.issue("bank1", usd, kInitial);
  ASSERT_EQ(reference.ledger().state_root(), t.ledger().state_root());

  Transaction good1 = t.make_tx("bank1", {op::transfer("bank2", usd, 10)});
  Transaction bad =
      t.make_tx("bank1", {op::transfer("bank2", usd, 20), op::open_holding(usd, 50'000),
                          op::transfer("bank3", usd, 1)});
  Transaction bad_issuer =
      t.make_tx("cb", {op::create_asset("NEW", 0), op::issue("bank3", "NEW", 1)});
  Transaction good2 = t.make_tx("bank2", {op::transfer("bank1", usd, 5)});
  auto outcomes = t.submit_block({good1, bad, bad_issuer, good2});
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(outcomes[0], outcome_ok());
  EXPECT_EQ(outcomes[1], outcome_failed(2, ResultCode::op_holding_not_found));
  EXPECT_EQ(outcomes[2], outcome_failed(1, ResultCode::op_holding_not_found));
  EXPECT_EQ(outcomes[3], outcome_ok());

  auto ref = reference.submit_block({good1, good2});
  EXPECT_EQ(ref[0], outcome_ok());
  EXPECT_EQ(ref[1], outcome_ok());
  // The same entries; the roots differ only by the failed transactions' consumed ids.
  EXPECT_EQ(t.stored_entries(), reference.stored_entries());
  EXPECT_EQ(t.ledger().state_root(), reference.stored_state_root(t.stored_replay_ids()));
  EXPECT_EQ(t.stored_replay_ids().size(), reference.stored_replay_ids().size() + 2);
  EXPECT_EQ(view(), test::view_state(reference.ledger(), names, assets));
}

// An asset created and rolled back frees its slot; the next asset created in the same block
// takes it and must be the one the state root and the delta describe.
TEST_F(AllOrNothing, ARolledBackAssetDoesNotLeakIntoTheNextOne) {
  Transaction bad = t.make_tx("cb", {op::create_asset("AAA", 2), op::issue("bank3", "AAA", 1)});
  Transaction good = t.make_tx("cb", {op::create_asset("BBB", 4, asset_flag_freezable)});
  auto outcomes = t.submit_block({bad, good});
  EXPECT_EQ(outcomes[0], outcome_failed(1, ResultCode::op_holding_not_found));
  EXPECT_EQ(outcomes[1], outcome_ok());
  EXPECT_EQ(t.ledger().asset(asset("AAA", "cb")), nullptr);
  const AssetEntry* b = t.ledger().asset(asset("BBB", "cb"));
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->scale, 4);
  auto copy = t.load_copy();
  ASSERT_TRUE(copy.ok()) << copy.status().to_string();
  EXPECT_EQ((*copy)->state_root(), t.ledger().state_root());
  EXPECT_EQ((*copy)->asset(asset("AAA", "cb")), nullptr);
  EXPECT_NE((*copy)->asset(asset("BBB", "cb")), nullptr);
}

using Replay = LedgerFixture;

TEST_F(Replay, TheSameTransactionAppliesOnce) {
  Transaction tx = t.make_tx("bank1", {op::transfer("bank2", usd, 100)});
  EXPECT_EQ(t.submit(tx), outcome_ok());
  EXPECT_EQ(t.submit(tx), outcome_rejected(ResultCode::tx_duplicate));
  EXPECT_EQ(balance("bank2", usd), 100);
  // Also within one block.
  Transaction tx2 = t.make_tx("bank1", {op::transfer("bank2", usd, 1)});
  auto outcomes = t.submit_block({tx2, tx2});
  EXPECT_EQ(outcomes[0], outcome_ok());
  EXPECT_EQ(outcomes[1], outcome_rejected(ResultCode::tx_duplicate));
  EXPECT_EQ(balance("bank2", usd), 101);
}

TEST_F(Replay, SignaturesAreNotPartOfTheId) {
  Transaction tx = t.make_tx("bank1", {op::transfer("bank2", usd, 100)});
  EXPECT_EQ(t.submit(tx), outcome_ok());
  // Re-signing the same body by more keys yields the same id, so it is still a duplicate.
  Transaction resigned = tx;
  resigned.sign(test::test_key("bank1-extra"));
  EXPECT_EQ(resigned.id, tx.id);
  EXPECT_EQ(t.submit(resigned), outcome_rejected(ResultCode::tx_duplicate));
}

TEST_F(Replay, AFailedTransactionConsumesItsId) {
  Transaction tx = t.make_tx("bank1", {op::transfer("bank2", usd, kInitial + 1)});
  EXPECT_EQ(t.submit(tx), outcome_failed(0, ResultCode::op_insufficient_balance));
  // Even once the balance would cover it, the id stays consumed.
  t.issue("bank1", usd, 1);
  EXPECT_EQ(t.submit(tx), outcome_rejected(ResultCode::tx_duplicate));
  EXPECT_EQ(balance("bank1", usd), kInitial + 1);
}

TEST_F(Replay, ARejectedTransactionDoesNotConsumeItsId) {
  Transaction tx = t.make_tx("outsider", {op::open_holding(usd, 5)});
  EXPECT_EQ(t.submit(tx), outcome_rejected(ResultCode::tx_source_not_found));
  EXPECT_FALSE(t.ledger().is_replay_id_live(tx.id));
  t.create_account("outsider");
  EXPECT_EQ(t.submit(tx), outcome_ok());
  EXPECT_NE(t.ledger().holding(test_id("outsider"), usd), nullptr);
}

TEST_F(Replay, ExpiryFreesTheId) {
  uint64_t first = t.height() + 1;
  Transaction tx = t.make_tx("bank1", {op::transfer("bank2", usd, 1)}, {.valid_until = first + 2});
  EXPECT_EQ(t.submit(tx), outcome_ok());
  EXPECT_TRUE(t.ledger().is_replay_id_live(tx.id));
  t.advance(1);                                                         // Height first + 1.
  EXPECT_EQ(t.submit(tx), outcome_rejected(ResultCode::tx_duplicate));  // At first + 2.
  EXPECT_TRUE(t.ledger().is_replay_id_live(tx.id));
  ASSERT_EQ(t.height(), first + 2);
  EXPECT_EQ(t.stored_replay_ids().count(tx.id), 1u);

  // The first block above the window drops the id and reports it in its delta.
  t.begin_block();
  EXPECT_FALSE(t.ledger().is_replay_id_live(tx.id));
  StateDelta delta = t.end_block();
  ASSERT_EQ(delta.ids_expired.size(), 1u);
  EXPECT_EQ(delta.ids_expired[0].id, tx.id);
  EXPECT_EQ(delta.ids_expired[0].valid_until_height, first + 2);
  EXPECT_EQ(t.stored_replay_ids().count(tx.id), 0u);
  // Resubmitting is now refused as expired, not as a duplicate: the window protects it.
  EXPECT_EQ(t.submit(tx), outcome_rejected(ResultCode::tx_expired));
  EXPECT_EQ(balance("bank2", usd), 1);
}

TEST_F(Replay, TheDeltaListsAddedIds) {
  Transaction a = t.make_tx("bank1", {op::transfer("bank2", usd, 1)});
  Transaction b = t.make_tx("bank1", {op::transfer("bank3", usd, 1)});  // Fails, still added.
  Transaction c = t.make_tx("outsider", {op::open_holding(usd, 1)});    // Rejected, not added.
  t.begin_block();
  t.apply(a);
  t.apply(b);
  t.apply(c);
  StateDelta delta = t.end_block();
  ASSERT_EQ(delta.ids_added.size(), 2u);
  EXPECT_EQ(delta.ids_added[0].id, a.id);
  EXPECT_EQ(delta.ids_added[0].valid_until_height, a.valid_until_height);
  EXPECT_EQ(delta.ids_added[1].id, b.id);
  EXPECT_TRUE(delta.ids_expired.empty());
}

class MultiSig : public LedgerFixture {
 protected:
  void SetUp() override {
    LedgerFixture::SetUp();
    // Maker-checker: bank1's own key is replaced by two keys that must both sign.
    ASSERT_EQ(t.submit("bank1", {op::set_signers({{"bank1-maker", 1}, {"bank1-checker", 1}}, 2)}),
              outcome_ok());
  }
  TxOutcome pay(std::vector<std::string> signers) {
    return t.submit("bank1", {op::transfer("bank2", usd, 10)}, {.signers = std::move(signers)});
  }
};

TEST_F(MultiSig, MakerCheckerNeedsBoth) {
  EXPECT_EQ(pay({"bank1-maker"}), outcome_rejected(ResultCode::tx_insufficient_signatures));
  EXPECT_EQ(pay({"bank1-checker"}), outcome_rejected(ResultCode::tx_insufficient_signatures));
  EXPECT_EQ(balance("bank2", usd), 0);
  EXPECT_EQ(pay({"bank1-maker", "bank1-checker"}), outcome_ok());
  EXPECT_EQ(pay({"bank1-checker", "bank1-maker"}), outcome_ok());
  EXPECT_EQ(balance("bank2", usd), 20);
}

TEST_F(MultiSig, UnknownSignersAreRefused) {
  // The replaced key no longer signs for the account.
  EXPECT_EQ(pay({"bank1"}), outcome_rejected(ResultCode::tx_unknown_signer));
  // A stranger's signature spoils an otherwise sufficient set.
  EXPECT_EQ(pay({"bank1-maker", "bank1-checker", "stranger"}),
            outcome_rejected(ResultCode::tx_unknown_signer));
  EXPECT_EQ(balance("bank2", usd), 0);
}

TEST_F(MultiSig, TheCheckerCanCompleteTheSameTransaction) {
  // Signatures are not part of the id, and an insufficiently signed transaction does not
  // consume it: the checker adds a signature to the maker's transaction and it applies.
  Transaction tx =
      t.make_tx("bank1", {op::transfer("bank2", usd, 10)}, {.signers = {"bank1-maker"}});
  EXPECT_EQ(t.submit(tx), outcome_rejected(ResultCode::tx_insufficient_signatures));
  tx.sign(test::test_key("bank1-checker"));
  EXPECT_EQ(t.submit(tx), outcome_ok());
  EXPECT_EQ(t.submit(tx), outcome_rejected(ResultCode::tx_duplicate));
  EXPECT_EQ(balance("bank2", usd), 10);
}

TEST_F(MultiSig, WeightsAddUpToTheThreshold) {
  ASSERT_EQ(t.submit("bank2", {op::set_signers({{"ceo", 2}, {"clerk1", 1}, {"clerk2", 1}}, 2)}),
            outcome_ok());
  t.issue("bank2", usd, 100);
  auto pay2 = [&](std::vector<std::string> signers) {
    return t.submit("bank2", {op::transfer("bank1", usd, 1)}, {.signers = std::move(signers)});
  };
  EXPECT_EQ(pay2({"ceo"}), outcome_ok());
  EXPECT_EQ(pay2({"clerk1"}), outcome_rejected(ResultCode::tx_insufficient_signatures));
  EXPECT_EQ(pay2({"clerk1", "clerk2"}), outcome_ok());
  EXPECT_EQ(pay2({"ceo", "clerk2"}), outcome_ok());
  EXPECT_EQ(balance("bank2", usd), 97);
}

TEST_F(MultiSig, ChangingSignersNeedsTheCurrentThreshold) {
  EXPECT_EQ(t.submit("bank1", {op::set_signers({{"bank1", 1}}, 1)}, {.signers = {"bank1-maker"}}),
            outcome_rejected(ResultCode::tx_insufficient_signatures));
  EXPECT_EQ(t.submit("bank1", {op::set_signers({{"bank1", 1}}, 1)},
                     {.signers = {"bank1-maker", "bank1-checker"}}),
            outcome_ok());
  EXPECT_EQ(pay({"bank1"}), outcome_ok());
}

class Authorization : public LedgerFixture {
 protected:
  void SetUp() override {
    LedgerFixture::SetUp();
    gated = t.create_asset("cb", "KYC", 2, asset_flag_authorization_required);
    assets.push_back(gated);
    t.open_holding("bank1", gated, kLimit);
    t.open_holding("bank2", gated, kLimit);
  }
  AssetId gated;
};

TEST_F(Authorization, HoldersMustBeAuthorizedToReceiveAndSend) {
  expect_op_failed("cb", {op::issue("bank1", "KYC", 100)}, 0, ResultCode::op_not_authorized);
  expect_ok("cb", {op::authorize("bank1", "KYC"), op::issue("bank1", "KYC", 100)});
  EXPECT_EQ(balance("bank1", gated), 100);
  expect_op_failed("bank1", {op::transfer("bank2", gated, 10)}, 0, ResultCode::op_not_authorized);
  expect_ok("cb", {op::authorize("bank2", "KYC")});
  expect_ok("bank1", {op::transfer("bank2", gated, 10)});
  // Deauthorized, bank2 can neither send nor receive, but may still redeem.
  expect_ok("cb", {op::authorize("bank2", "KYC", false)});
  expect_op_failed("bank2", {op::transfer("bank1", gated, 1)}, 0, ResultCode::op_not_authorized);
  expect_op_failed("bank1", {op::transfer("bank2", gated, 1)}, 0, ResultCode::op_not_authorized);
  expect_ok("bank2", {op::redeem(gated, 4)});
  expect_ok("bank2", {op::transfer("cb", gated, 6)});
  EXPECT_EQ(balance("bank2", gated), 0);
  EXPECT_EQ(supply(gated), 90);
}

TEST_F(Authorization, AuthorizationAndIssueInOneBatchAreAtomic) {
  expect_op_failed(
      "cb",
      {op::authorize("bank1", "KYC"), op::issue("bank1", "KYC", 10), op::issue("bank2", "KYC", 10)},
      2, ResultCode::op_not_authorized);
  EXPECT_FALSE(t.ledger().holding(test_id("bank1"), gated)->authorized());
}

using FreezeAndClawback = LedgerFixture;

TEST_F(FreezeAndClawback, FrozenFundsStayUntilClawedBackOrUnfrozen) {
  t.issue("bank2", usd, 500);
  expect_ok("cb", {op::freeze("bank2", "USD")});
  expect_op_failed("bank2", {op::transfer("bank1", usd, 1)}, 0, ResultCode::op_frozen);
  expect_op_failed("bank1", {op::transfer("bank2", usd, 1)}, 0, ResultCode::op_frozen);
  expect_op_failed("bank2", {op::redeem(usd, 1)}, 0, ResultCode::op_frozen);
  expect_op_failed("bank2", {op::transfer("cb", usd, 1)}, 0, ResultCode::op_frozen);
  expect_op_failed("cb", {op::issue("bank2", "USD", 1)}, 0, ResultCode::op_frozen);
  // The holder may still change its limit, down to its balance.
  expect_ok("bank2", {op::open_holding(usd, 500)});
  expect_ok("cb", {op::clawback("bank2", "USD", 200)});
  EXPECT_EQ(balance("bank2", usd), 300);
  EXPECT_EQ(supply(usd), kInitial + 300);
  expect_ok("cb", {op::freeze("bank2", "USD", false)});
  expect_ok("bank2", {op::transfer("bank1", usd, 300)});
  EXPECT_EQ(balance("bank1", usd), kInitial + 300);
}

using Limits = LedgerFixture;

TEST_F(Limits, LimitsBindIssueAndTransferButNotRedeem) {
  expect_ok("bank2", {op::open_holding(usd, 100)});
  expect_ok("bank1", {op::transfer("bank2", usd, 60)});
  expect_op_failed("bank1", {op::transfer("bank2", usd, 41)}, 0, ResultCode::op_limit_exceeded);
  expect_op_failed("cb", {op::issue("bank2", "USD", 41)}, 0, ResultCode::op_limit_exceeded);
  expect_ok("cb", {op::issue("bank2", "USD", 40)});
  EXPECT_EQ(balance("bank2", usd), 100);
  expect_op_failed("bank2", {op::open_holding(usd, 99)}, 0, ResultCode::op_limit_below_balance);
  // Raising the limit and receiving in one batch works; the order of operations matters.
  expect_op_failed("bank2", {op::transfer("bank1", usd, 1), op::open_holding(usd, 98)}, 1,
                   ResultCode::op_limit_below_balance);
  expect_ok("bank2", {op::redeem(usd, 50), op::open_holding(usd, 50)});
  EXPECT_EQ(t.ledger().holding(test_id("bank2"), usd)->limit, 50);
}

}  // namespace
}  // namespace corridor::ledger
