// Every operation's success path and every rejection code it can produce. op_not_issuer has no
// test because no operation can produce it: issuer-only operations look the asset up under the
// source's own id, so a non-issuer gets op_asset_not_found.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/limits.h"
#include "support/test_support.h"
#include "unit/ledger/ledger_fixture.h"

namespace corridor::ledger {
namespace {

using test::asset;
using test::outcome_failed;
using test::outcome_malformed;
using test::outcome_ok;
using test::outcome_rejected;
using test::test_id;
using test::test_key;
namespace op = test::op;

constexpr Amount kMax = std::numeric_limits<Amount>::max();

using CreateAccount = LedgerFixture;

TEST_F(CreateAccount, RegistersTheKeyAsSoleSigner) {
  size_t before = t.ledger().account_count();
  expect_ok("outsider", {op::create_account("outsider")});
  const AccountEntry* a = t.ledger().account(test_id("outsider"));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->id, test_id("outsider"));
  ASSERT_EQ(a->signers.size(), 1u);
  EXPECT_EQ(a->signers[0].key, test_key("outsider").public_key());
  EXPECT_EQ(a->signers[0].weight, 1);
  EXPECT_EQ(a->threshold, 1);
  EXPECT_EQ(t.ledger().account_count(), before + 1);
}

TEST_F(CreateAccount, RejectsAnExistingAccount) {
  expect_op_failed("bank1", {op::create_account("bank1")}, 0, ResultCode::op_account_exists);
}

TEST_F(CreateAccount, RejectsAKeyThatDoesNotDeriveTheSource) {
  // Signed by the key being registered, as precheck demands, but for someone else's id.
  expect_rejected("outsider", {op::create_account("intruder")},
                  outcome_failed(0, ResultCode::op_key_mismatch), {.signers = {"intruder"}});
  EXPECT_EQ(t.ledger().account(test_id("outsider")), nullptr);
}

TEST_F(CreateAccount, MustBeSignedByTheRegisteredKeyAlone) {
  expect_rejected("outsider", {op::create_account("outsider")},
                  outcome_rejected(ResultCode::tx_unknown_signer), {.signers = {"bank1"}});
  expect_rejected("outsider", {op::create_account("outsider")},
                  outcome_rejected(ResultCode::tx_unknown_signer),
                  {.signers = {"outsider", "bank1"}});
}

TEST_F(CreateAccount, MustBeTheOnlyOperation) {
  expect_rejected("outsider", {op::create_account("outsider"), op::open_holding(usd, 5)},
                  outcome_malformed(0, ResultCode::op_create_account_not_first));
  expect_rejected("bank1", {op::transfer("bank2", usd, 1), op::create_account("bank1")},
                  outcome_malformed(1, ResultCode::op_create_account_not_first));
}

using SetSigners = LedgerFixture;

TEST_F(SetSigners, ReplacesTheSignerList) {
  expect_ok("bank1", {op::set_signers({{"maker", 1}, {"checker", 2}}, 3)});
  const AccountEntry* a = t.ledger().account(test_id("bank1"));
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->signers.size(), 2u);
  EXPECT_EQ(a->signers[0].key, test_key("maker").public_key());
  EXPECT_EQ(a->signers[0].weight, 1);
  EXPECT_EQ(a->signers[1].key, test_key("checker").public_key());
  EXPECT_EQ(a->signers[1].weight, 2);
  EXPECT_EQ(a->threshold, 3);
}

TEST_F(SetSigners, RejectsInvalidListsBeforeApplying) {
  expect_rejected("bank1", {op::set_signers({{"maker", 1}}, 2)},
                  outcome_malformed(0, ResultCode::op_invalid_signers));
  expect_rejected("bank1", {op::set_signers({}, 1)},
                  outcome_malformed(0, ResultCode::op_invalid_signers));
}

using CreateAsset = LedgerFixture;

TEST_F(CreateAsset, CreatesAnEmptyAsset) {
  size_t before = t.ledger().asset_count();
  expect_ok("cb", {op::create_asset("EUR", 18, asset_flags_all)});
  const AssetEntry* a = t.ledger().asset(asset("EUR", "cb"));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->scale, 18);
  EXPECT_EQ(a->flags, asset_flags_all);
  EXPECT_EQ(a->supply, 0);
  EXPECT_EQ(t.ledger().asset_count(), before + 1);
}

TEST_F(CreateAsset, SameCodeFromAnotherIssuerIsAnotherAsset) {
  t.create_account("cb2");
  expect_ok("cb2", {op::create_asset("USD", 2)});
  EXPECT_NE(t.ledger().asset(asset("USD", "cb2")), nullptr);
  EXPECT_EQ(supply(usd), kInitial);
  EXPECT_EQ(supply(asset("USD", "cb2")), 0);
}

TEST_F(CreateAsset, RejectsAnExistingCode) {
  expect_op_failed("cb", {op::create_asset("USD", 0)}, 0, ResultCode::op_asset_exists);
  // Also when the duplicate is created earlier in the same transaction.
  expect_op_failed("cb", {op::create_asset("GBP", 2), op::create_asset("GBP", 2)}, 1,
                   ResultCode::op_asset_exists);
  EXPECT_EQ(t.ledger().asset(asset("GBP", "cb")), nullptr);
}

TEST_F(CreateAsset, RejectsBadScaleAndFlagsBeforeApplying) {
  expect_rejected("cb", {op::create_asset("EUR", 19)},
                  outcome_malformed(0, ResultCode::op_invalid_scale));
  expect_rejected("cb", {op::create_asset("EUR", 2, 0x10)},
                  outcome_malformed(0, ResultCode::op_invalid_flags));
}

using OpenHolding = LedgerFixture;

TEST_F(OpenHolding, OpensAnAuthorizedEmptyHolding) {
  expect_ok("bank3", {op::open_holding(usd, 500)});
  const HoldingEntry* h = t.ledger().holding(test_id("bank3"), usd);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->balance, 0);
  EXPECT_EQ(h->limit, 500);
  EXPECT_TRUE(h->authorized());
  EXPECT_FALSE(h->frozen());
  auto listed = t.ledger().holdings_of(test_id("bank3"));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].asset, usd);
}

TEST_F(OpenHolding, StartsUnauthorizedWhenTheAssetRequiresAuthorization) {
  AssetId gated = t.create_asset("cb", "KYC", 2, asset_flag_authorization_required);
  expect_ok("bank3", {op::open_holding(gated, 500)});
  const HoldingEntry* h = t.ledger().holding(test_id("bank3"), gated);
  ASSERT_NE(h, nullptr);
  EXPECT_FALSE(h->authorized());
}

TEST_F(OpenHolding, ChangesTheLimitOfAnExistingHolding) {
  size_t holdings = t.ledger().holding_count();
  expect_ok("bank1", {op::open_holding(usd, kInitial)});
  EXPECT_EQ(t.ledger().holding(test_id("bank1"), usd)->limit, kInitial);
  EXPECT_EQ(balance("bank1", usd), kInitial);
  EXPECT_EQ(t.ledger().holding_count(), holdings);
  EXPECT_EQ(t.ledger().holdings_of(test_id("bank1")).size(), 1u);
}

TEST_F(OpenHolding, RejectsALimitBelowTheBalance) {
  expect_op_failed("bank1", {op::open_holding(usd, kInitial - 1)}, 0,
                   ResultCode::op_limit_below_balance);
}

TEST_F(OpenHolding, RejectsNonPositiveLimitsBeforeApplying) {
  expect_rejected("bank3", {op::open_holding(usd, 0)},
                  outcome_malformed(0, ResultCode::op_invalid_limit));
  expect_rejected("bank3", {op::open_holding(usd, -5)},
                  outcome_malformed(0, ResultCode::op_invalid_limit));
}

TEST_F(OpenHolding, RejectsAnUnknownAsset) {
  expect_op_failed("bank3", {op::open_holding(asset("EUR", "cb"), 5)}, 0,
                   ResultCode::op_asset_not_found);
  expect_op_failed("bank3", {op::open_holding(asset("USD", "bank2"), 5)}, 0,
                   ResultCode::op_asset_not_found);
}

TEST_F(OpenHolding, RejectsTheIssuer) {
  expect_op_failed("cb", {op::open_holding(usd, 5)}, 0, ResultCode::op_issuer_cannot_hold);
}

TEST_F(OpenHolding, RejectsMoreThanTheMaximumNumberOfHoldings) {
  std::vector<Operation> create;
  std::vector<Operation> open;
  for (uint32_t i = 0; i <= account_holdings_max; ++i) {
    std::string c = "H" + std::to_string(i);
    create.push_back(op::create_asset(c, 0));
    if (i < account_holdings_max) open.push_back(op::open_holding(asset(c, "cb"), 1));
  }
  expect_ok("cb", create);
  expect_ok("bank3", open);
  EXPECT_EQ(t.ledger().holdings_of(test_id("bank3")).size(), account_holdings_max);
  std::string last = "H" + std::to_string(account_holdings_max);
  expect_op_failed("bank3", {op::open_holding(asset(last, "cb"), 1)}, 0,
                   ResultCode::op_too_many_holdings);
  // Changing the limit of an existing holding is still allowed at the maximum.
  expect_ok("bank3", {op::open_holding(asset("H0", "cb"), 7)});
}

class Authorize : public LedgerFixture {
 protected:
  void SetUp() override {
    LedgerFixture::SetUp();
    gated = t.create_asset("cb", "KYC", 2, asset_flag_authorization_required);
    assets.push_back(gated);
    t.open_holding("bank1", gated, kLimit);
  }
  AssetId gated;
};

TEST_F(Authorize, SetsAndClearsTheFlag) {
  expect_ok("cb", {op::authorize("bank1", "KYC")});
  EXPECT_TRUE(t.ledger().holding(test_id("bank1"), gated)->authorized());
  expect_ok("cb", {op::authorize("bank1", "KYC", false)});
  EXPECT_FALSE(t.ledger().holding(test_id("bank1"), gated)->authorized());
}

TEST_F(Authorize, RejectsAnAssetThatDoesNotRequireIt) {
  expect_op_failed("cb", {op::authorize("bank1", "USD")}, 0,
                   ResultCode::op_authorization_not_required);
}

TEST_F(Authorize, RejectsUnknownAssetsAccountsAndHoldings) {
  expect_op_failed("cb", {op::authorize("bank1", "NOPE")}, 0, ResultCode::op_asset_not_found);
  // Only the issuer finds the asset under its code.
  expect_op_failed("bank2", {op::authorize("bank1", "KYC")}, 0, ResultCode::op_asset_not_found);
  expect_op_failed("cb", {op::authorize("outsider", "KYC")}, 0, ResultCode::op_account_not_found);
  expect_op_failed("cb", {op::authorize("bank2", "KYC")}, 0, ResultCode::op_holding_not_found);
}

using Freeze = LedgerFixture;

TEST_F(Freeze, SetsAndClearsTheFlag) {
  expect_ok("cb", {op::freeze("bank1", "USD")});
  EXPECT_TRUE(t.ledger().holding(test_id("bank1"), usd)->frozen());
  EXPECT_TRUE(t.ledger().holding(test_id("bank1"), usd)->authorized());
  expect_ok("cb", {op::freeze("bank1", "USD", false)});
  EXPECT_FALSE(t.ledger().holding(test_id("bank1"), usd)->frozen());
  EXPECT_EQ(balance("bank1", usd), kInitial);
}

TEST_F(Freeze, RejectsAnAssetThatIsNotFreezable) {
  AssetId plain = t.create_asset("cb", "PLN", 2);
  assets.push_back(plain);
  t.open_holding("bank1", plain, kLimit);
  expect_op_failed("cb", {op::freeze("bank1", "PLN")}, 0, ResultCode::op_freeze_disabled);
}

TEST_F(Freeze, RejectsUnknownAssetsAccountsAndHoldings) {
  expect_op_failed("cb", {op::freeze("bank1", "NOPE")}, 0, ResultCode::op_asset_not_found);
  expect_op_failed("bank2", {op::freeze("bank1", "USD")}, 0, ResultCode::op_asset_not_found);
  expect_op_failed("cb", {op::freeze("outsider", "USD")}, 0, ResultCode::op_account_not_found);
  expect_op_failed("cb", {op::freeze("bank3", "USD")}, 0, ResultCode::op_holding_not_found);
}

using Issue = LedgerFixture;

TEST_F(Issue, CreditsTheHolderAndGrowsSupply) {
  expect_ok("cb", {op::issue("bank2", "USD", 2'500), op::issue("bank1", "USD", 1)});
  EXPECT_EQ(balance("bank2", usd), 2'500);
  EXPECT_EQ(balance("bank1", usd), kInitial + 1);
  EXPECT_EQ(supply(usd), kInitial + 2'501);
}

TEST_F(Issue, FillsALimitExactlyButNotBeyond) {
  expect_ok("cb", {op::issue("bank2", "USD", kLimit)});
  EXPECT_EQ(balance("bank2", usd), kLimit);
  expect_op_failed("cb", {op::issue("bank2", "USD", 1)}, 0, ResultCode::op_limit_exceeded);
  expect_op_failed("cb", {op::issue("bank1", "USD", kMax)}, 0, ResultCode::op_limit_exceeded);
}

TEST_F(Issue, RejectsNonPositiveAmountsBeforeApplying) {
  expect_rejected("cb", {op::issue("bank2", "USD", 0)},
                  outcome_malformed(0, ResultCode::op_invalid_amount));
  expect_rejected("cb", {op::issue("bank2", "USD", -100)},
                  outcome_malformed(0, ResultCode::op_invalid_amount));
}

TEST_F(Issue, RejectsUnknownAssetsAccountsAndHoldings) {
  expect_op_failed("cb", {op::issue("bank2", "EUR", 1)}, 0, ResultCode::op_asset_not_found);
  expect_op_failed("bank1", {op::issue("bank2", "USD", 1)}, 0, ResultCode::op_asset_not_found);
  expect_op_failed("cb", {op::issue("outsider", "USD", 1)}, 0, ResultCode::op_account_not_found);
  expect_op_failed("cb", {op::issue("bank3", "USD", 1)}, 0, ResultCode::op_holding_not_found);
}

TEST_F(Issue, RejectsTheIssuerItself) {
  expect_op_failed("cb", {op::issue("cb", "USD", 1)}, 0, ResultCode::op_issuer_cannot_hold);
}

TEST_F(Issue, RejectsFrozenAndUnauthorizedHoldings) {
  expect_ok("cb", {op::freeze("bank1", "USD")});
  expect_op_failed("cb", {op::issue("bank1", "USD", 1)}, 0, ResultCode::op_frozen);

  AssetId gated = t.create_asset("cb", "KYC", 2, asset_flag_authorization_required);
  assets.push_back(gated);
  t.open_holding("bank2", gated, kLimit);
  expect_op_failed("cb", {op::issue("bank2", "KYC", 1)}, 0, ResultCode::op_not_authorized);
}

TEST_F(Issue, RejectsSupplyOverflow) {
  expect_ok("bank1", {op::open_holding(usd, kMax)});
  expect_ok("bank2", {op::open_holding(usd, kMax)});
  expect_ok("cb", {op::issue("bank1", "USD", kMax - kInitial)});
  EXPECT_EQ(supply(usd), kMax);
  EXPECT_EQ(balance("bank1", usd), kMax);
  expect_op_failed("cb", {op::issue("bank2", "USD", 1)}, 0, ResultCode::op_supply_overflow);
}

using Redeem = LedgerFixture;

TEST_F(Redeem, DebitsTheHolderAndShrinksSupply) {
  expect_ok("bank1", {op::redeem(usd, 4'000)});
  EXPECT_EQ(balance("bank1", usd), kInitial - 4'000);
  EXPECT_EQ(supply(usd), kInitial - 4'000);
  expect_ok("bank1", {op::redeem(usd, kInitial - 4'000)});
  EXPECT_EQ(balance("bank1", usd), 0);
  EXPECT_EQ(supply(usd), 0);
}

TEST_F(Redeem, RejectsMoreThanTheBalance) {
  expect_op_failed("bank1", {op::redeem(usd, kInitial + 1)}, 0,
                   ResultCode::op_insufficient_balance);
  expect_op_failed("bank2", {op::redeem(usd, 1)}, 0, ResultCode::op_insufficient_balance);
}

TEST_F(Redeem, RejectsNonPositiveAmountsBeforeApplying) {
  expect_rejected("bank1", {op::redeem(usd, 0)},
                  outcome_malformed(0, ResultCode::op_invalid_amount));
}

TEST_F(Redeem, RejectsUnknownAssetsHoldingsAndTheIssuer) {
  expect_op_failed("bank1", {op::redeem(asset("EUR", "cb"), 1)}, 0, ResultCode::op_asset_not_found);
  expect_op_failed("bank3", {op::redeem(usd, 1)}, 0, ResultCode::op_holding_not_found);
  expect_op_failed("cb", {op::redeem(usd, 1)}, 0, ResultCode::op_issuer_cannot_hold);
}

TEST_F(Redeem, RejectsAFrozenHolding) {
  expect_ok("cb", {op::freeze("bank1", "USD")});
  expect_op_failed("bank1", {op::redeem(usd, 1)}, 0, ResultCode::op_frozen);
}

using Transfer = LedgerFixture;

TEST_F(Transfer, MovesUnitsBetweenHolders) {
  expect_ok("bank1", {op::transfer("bank2", usd, 3'000), op::transfer("bank2", usd, 1)});
  EXPECT_EQ(balance("bank1", usd), kInitial - 3'001);
  EXPECT_EQ(balance("bank2", usd), 3'001);
  EXPECT_EQ(supply(usd), kInitial);
  // The whole balance may move.
  expect_ok("bank1", {op::transfer("bank2", usd, kInitial - 3'001)});
  EXPECT_EQ(balance("bank1", usd), 0);
}

TEST_F(Transfer, ToTheIssuerRedeems) {
  expect_ok("bank1", {op::transfer("cb", usd, 1'000)});
  EXPECT_EQ(balance("bank1", usd), kInitial - 1'000);
  EXPECT_EQ(supply(usd), kInitial - 1'000);
  expect_op_failed("bank1", {op::transfer("cb", usd, kInitial)}, 0,
                   ResultCode::op_insufficient_balance);
}

TEST_F(Transfer, FromTheIssuerIssues) {
  expect_ok("cb", {op::transfer("bank2", usd, 700)});
  EXPECT_EQ(balance("bank2", usd), 700);
  EXPECT_EQ(supply(usd), kInitial + 700);
  expect_op_failed("cb", {op::transfer("bank2", usd, kLimit)}, 0, ResultCode::op_limit_exceeded);
}

TEST_F(Transfer, RejectsSelfTransfers) {
  expect_op_failed("bank1", {op::transfer("bank1", usd, 1)}, 0, ResultCode::op_self_transfer);
  expect_op_failed("cb", {op::transfer("cb", usd, 1)}, 0, ResultCode::op_self_transfer);
}

TEST_F(Transfer, RejectsUnknownAssetsAccountsAndHoldings) {
  expect_op_failed("bank1", {op::transfer("bank2", asset("EUR", "cb"), 1)}, 0,
                   ResultCode::op_asset_not_found);
  expect_op_failed("bank1", {op::transfer("outsider", usd, 1)}, 0,
                   ResultCode::op_account_not_found);
  expect_op_failed("bank1", {op::transfer("bank3", usd, 1)}, 0, ResultCode::op_holding_not_found);
  expect_op_failed("bank3", {op::transfer("bank1", usd, 1)}, 0, ResultCode::op_holding_not_found);
}

TEST_F(Transfer, RejectsFrozenHoldingsOnEitherSide) {
  expect_ok("cb", {op::freeze("bank2", "USD")});
  expect_op_failed("bank1", {op::transfer("bank2", usd, 1)}, 0, ResultCode::op_frozen);
  expect_ok("cb", {op::freeze("bank2", "USD", false)});
  expect_ok("bank1", {op::transfer("bank2", usd, 1)});
  EXPECT_EQ(balance("bank2", usd), 1);
}

TEST_F(Transfer, RejectsFrozenSender) {
  expect_ok("cb", {op::freeze("bank1", "USD")});
  expect_op_failed("bank1", {op::transfer("bank2", usd, 1)}, 0, ResultCode::op_frozen);
}

TEST_F(Transfer, RejectsUnauthorizedHoldingsOnEitherSide) {
  AssetId gated = t.create_asset("cb", "KYC", 2, asset_flag_authorization_required);
  assets.push_back(gated);
  t.open_holding("bank1", gated, kLimit);
  t.open_holding("bank2", gated, kLimit);
  expect_ok("cb", {op::authorize("bank1", "KYC"), op::issue("bank1", "KYC", 100)});
  expect_op_failed("bank1", {op::transfer("bank2", gated, 1)}, 0, ResultCode::op_not_authorized);
  expect_ok("cb", {op::authorize("bank2", "KYC"), op::authorize("bank1", "KYC", false)});
  expect_op_failed("bank1", {op::transfer("bank2", gated, 1)}, 0, ResultCode::op_not_authorized);
}

TEST_F(Transfer, RejectsInsufficientBalanceAndLimit) {
  expect_op_failed("bank1", {op::transfer("bank2", usd, kInitial + 1)}, 0,
                   ResultCode::op_insufficient_balance);
  expect_ok("bank2", {op::open_holding(usd, 50)});
  expect_ok("bank1", {op::transfer("bank2", usd, 50)});
  expect_op_failed("bank1", {op::transfer("bank2", usd, 1)}, 0, ResultCode::op_limit_exceeded);
}

TEST_F(Transfer, RejectsNonPositiveAmountsBeforeApplying) {
  expect_rejected("bank1", {op::transfer("bank2", usd, 0)},
                  outcome_malformed(0, ResultCode::op_invalid_amount));
  expect_rejected("bank1", {op::transfer("bank2", usd, std::numeric_limits<Amount>::min())},
                  outcome_malformed(0, ResultCode::op_invalid_amount));
}

using Clawback = LedgerFixture;

TEST_F(Clawback, TakesUnitsBackAndShrinksSupply) {
  expect_ok("cb", {op::clawback("bank1", "USD", 2'500)});
  EXPECT_EQ(balance("bank1", usd), kInitial - 2'500);
  EXPECT_EQ(supply(usd), kInitial - 2'500);
}

TEST_F(Clawback, WorksOnAFrozenHolding) {
  expect_ok("cb", {op::freeze("bank1", "USD"), op::clawback("bank1", "USD", kInitial)});
  EXPECT_EQ(balance("bank1", usd), 0);
  EXPECT_EQ(supply(usd), 0);
}

TEST_F(Clawback, RejectsAnAssetWithoutClawback) {
  AssetId plain = t.create_asset("cb", "PLN", 2);
  assets.push_back(plain);
  t.open_holding("bank1", plain, kLimit);
  t.issue("bank1", plain, 10);
  expect_op_failed("cb", {op::clawback("bank1", "PLN", 1)}, 0, ResultCode::op_clawback_disabled);
}

TEST_F(Clawback, RejectsUnknownAssetsAccountsHoldingsAndExcess) {
  expect_op_failed("cb", {op::clawback("bank1", "EUR", 1)}, 0, ResultCode::op_asset_not_found);
  expect_op_failed("bank2", {op::clawback("bank1", "USD", 1)}, 0, ResultCode::op_asset_not_found);
  expect_op_failed("cb", {op::clawback("outsider", "USD", 1)}, 0, ResultCode::op_account_not_found);
  expect_op_failed("cb", {op::clawback("bank3", "USD", 1)}, 0, ResultCode::op_holding_not_found);
  expect_op_failed("cb", {op::clawback("bank1", "USD", kInitial + 1)}, 0,
                   ResultCode::op_insufficient_balance);
}

TEST_F(Clawback, RejectsNonPositiveAmountsBeforeApplying) {
  expect_rejected("cb", {op::clawback("bank1", "USD", -1)},
                  outcome_malformed(0, ResultCode::op_invalid_amount));
}

// The ledger repeats the amount, limit, scale and flag checks itself, so a caller that skips
// check_stateless still cannot create negative balances or invalid assets.
TEST_F(LedgerFixture, ApplyRechecksWhatStatelessChecksCover) {
  struct Case {
    std::string source;
    Operation op;
    ResultCode code;
  };
  const std::vector<Case> cases = {
      {"cb", op::issue("bank2", "USD", 0), ResultCode::op_invalid_amount},
      {"cb", op::issue("bank2", "USD", -7), ResultCode::op_invalid_amount},
      {"bank1", op::redeem(usd, -1), ResultCode::op_invalid_amount},
      {"bank1", op::transfer("bank2", usd, -1), ResultCode::op_invalid_amount},
      {"cb", op::clawback("bank1", "USD", -1), ResultCode::op_invalid_amount},
      {"bank3", op::open_holding(usd, 0), ResultCode::op_invalid_limit},
      {"cb", op::create_asset("EUR", 19), ResultCode::op_invalid_scale},
      {"cb", op::create_asset("EUR", 2, 0x80), ResultCode::op_invalid_flags},
  };
  for (const auto& c : cases) {
    test::StateView before = view();
    Transaction tx = t.make_tx(c.source, {c.op});
    t.begin_block();
    TxOutcome out = t.ledger().apply(tx);
    t.end_block();
    EXPECT_EQ(out, outcome_failed(0, c.code)) << op_type_name(op_type(c.op));
    EXPECT_EQ(view(), before);
  }
  EXPECT_EQ(balance("bank2", usd), 0);
}

using TxChecks = LedgerFixture;

TEST_F(TxChecks, RejectsAnUnknownSource) {
  expect_rejected("outsider", {op::open_holding(usd, 5)},
                  outcome_rejected(ResultCode::tx_source_not_found));
}

TEST_F(TxChecks, RejectsExpiredTransactions) {
  t.advance(5);
  uint64_t next = t.height() + 1;
  expect_rejected("bank1", {op::transfer("bank2", usd, 1)},
                  outcome_rejected(ResultCode::tx_expired), {.valid_until = next - 1});
  // The last height of the window is still valid.
  next = t.height() + 1;
  expect_ok("bank1", {op::transfer("bank2", usd, 1)}, {.valid_until = next});
}

TEST_F(TxChecks, RejectsValidityWindowsThatReachTooFar) {
  uint64_t next = t.height() + 1;
  expect_rejected("bank1", {op::transfer("bank2", usd, 1)},
                  outcome_rejected(ResultCode::tx_validity_too_long),
                  {.valid_until = next + tx_validity_blocks_max + 1});
  expect_ok("bank1", {op::transfer("bank2", usd, 1)},
            {.valid_until = next + tx_validity_blocks_max});
}

TEST_F(TxChecks, RejectsTheWrongNetworkAndBadSignatures) {
  expect_rejected("bank1", {op::transfer("bank2", usd, 1)},
                  outcome_rejected(ResultCode::tx_wrong_network),
                  {.network_id = sha256(as_bytes("mainnet"))});
  Transaction tx = t.make_tx("bank1", {op::transfer("bank2", usd, 1)});
  tx.signatures[0].signature.bytes[0] ^= 1;
  EXPECT_EQ(t.submit(tx), outcome_rejected(ResultCode::tx_bad_signature));
  EXPECT_FALSE(t.ledger().is_replay_id_live(tx.id));
  EXPECT_EQ(balance("bank2", usd), 0);
}

TEST_F(TxChecks, RejectsEmptyAndOversizedTransactions) {
  expect_rejected("bank1", {}, outcome_rejected(ResultCode::tx_no_operations));
  std::vector<Operation> ops(tx_ops_max + 1, op::transfer("bank2", usd, 1));
  expect_rejected("bank1", ops, outcome_rejected(ResultCode::tx_too_many_operations));
}

TEST_F(TxChecks, ReportsEveryOtherOperationAsNotApplied) {
  TxOutcome out = t.submit("bank1", {op::transfer("bank2", usd, 1), op::transfer("bank3", usd, 1),
                                     op::transfer("bank2", usd, 1)});
  EXPECT_EQ(out, outcome_failed(1, ResultCode::op_holding_not_found));
  EXPECT_EQ(out.op_result(0), ResultCode::not_applied);
  EXPECT_EQ(out.op_result(1), ResultCode::op_holding_not_found);
  EXPECT_EQ(out.op_result(2), ResultCode::not_applied);
  EXPECT_EQ(outcome_ok().op_result(0), ResultCode::ok);
  EXPECT_EQ(outcome_rejected(ResultCode::tx_duplicate).op_result(0), ResultCode::not_applied);
}

}  // namespace
}  // namespace corridor::ledger
