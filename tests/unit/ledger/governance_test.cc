// Validator-set governance: the genesis block installs the first set, and each later change
// needs the next epoch number and approvals from a quorum (n - f) of the current validators.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ledger/entries.h"
#include "ledger/ledger.h"
#include "support/test_support.h"

namespace corridor::ledger {
namespace {

using test::test_key;
using test::test_network_id;

std::vector<PublicKey> keys_of(const std::vector<std::string>& names) {
  std::vector<PublicKey> out;
  for (const auto& n : names) out.push_back(test_key(n).public_key());
  return out;
}

class GovernanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Genesis: the operator's account, then the first validator set.
    ledger_.begin_block(0);
    Transaction create = make_tx({CreateAccountOp{test_key("operator").public_key()}});
    ASSERT_EQ(apply(create).code, ResultCode::ok);
    ASSERT_EQ(apply(make_tx({SetValidatorsOp{0, keys_of(genesis_names_), {}}})).code,
              ResultCode::ok);
    ledger_.end_block();
    ASSERT_TRUE(ledger_.check_invariants().ok());
  }

  Transaction make_tx(std::vector<Operation> ops) {
    Transaction tx;
    tx.network_id = test_network_id();
    tx.source = test::test_id("operator");
    tx.nonce = nonce_++;
    tx.valid_until_height = ledger_.height() + 100;
    tx.ops = std::move(ops);
    tx.sign(test_key("operator"));
    return tx;
  }
  TxOutcome apply(const Transaction& tx) {
    StatelessCheck check = check_stateless(tx, test_network_id());
    if (check.code != ResultCode::ok) return {check.code, check.op_index, check.op_code};
    return ledger_.apply(tx);
  }
  // Applies one transaction in a block of its own.
  TxOutcome submit(const Transaction& tx) {
    ledger_.begin_block(ledger_.height() + 1);
    TxOutcome out = apply(tx);
    last_delta_ = ledger_.end_block();
    EXPECT_TRUE(ledger_.check_invariants().ok());
    return out;
  }
  SetValidatorsOp change(uint64_t epoch, const std::vector<std::string>& next,
                         const std::vector<std::string>& approvers) {
    SetValidatorsOp op{epoch, keys_of(next), {}};
    Bytes msg = validator_set_approval_message(test_network_id(), epoch, op.validators);
    for (const auto& a : approvers)
      op.approvals.push_back({test_key(a).public_key(), test_key(a).sign(msg)});
    return op;
  }
  // A refused change leaves the set and every entry as they were; at most the transaction's
  // replay id is consumed (in the state root as well).
  void expect_unchanged_after(const Transaction& tx, TxOutcome expected) {
    ValidatorSetEntry before = *ledger_.validator_set();
    EXPECT_EQ(submit(tx), expected);
    EXPECT_EQ(*ledger_.validator_set(), before);
    EXPECT_TRUE(last_delta_.changes.empty());
    EXPECT_LE(last_delta_.ids_added.size(), 1u);
  }

  Ledger ledger_;
  StateDelta last_delta_;
  uint64_t nonce_ = 1;
  std::vector<std::string> genesis_names_ = {"v0", "v1", "v2", "v3"};
};

TEST_F(GovernanceTest, GenesisInstallsTheFirstSet) {
  ASSERT_TRUE(ledger_.validator_set().has_value());
  EXPECT_EQ(ledger_.validator_set()->epoch, 0u);
  EXPECT_EQ(ledger_.validator_set()->validators, keys_of(genesis_names_));
}

TEST_F(GovernanceTest, QuorumOfCurrentValidatorsAddsRemovesAndRotates) {
  // Add v4 with three of four approvals (n = 4, f = 1, quorum 3).
  EXPECT_EQ(submit(make_tx({change(1, {"v0", "v1", "v2", "v3", "v4"}, {"v0", "v2", "v3"})})),
            test::outcome_ok());
  EXPECT_EQ(ledger_.validator_set()->epoch, 1u);
  EXPECT_EQ(ledger_.validator_set()->validators.size(), 5u);
  // Rotate v1's key to v1b: with five validators (f = 1) four must approve.
  EXPECT_EQ(submit(make_tx({change(2, {"v0", "v1b", "v2", "v3", "v4"}, {"v1", "v2", "v3", "v4"})})),
            test::outcome_ok());
  // Remove v4; the rotated key approves, the old one no longer counts.
  EXPECT_EQ(submit(make_tx({change(3, {"v0", "v1b", "v2", "v3"}, {"v0", "v1b", "v2", "v4"})})),
            test::outcome_ok());
  EXPECT_EQ(ledger_.validator_set()->epoch, 3u);
  EXPECT_EQ(ledger_.validator_set()->validators, keys_of({"v0", "v1b", "v2", "v3"}));
}

TEST_F(GovernanceTest, RefusalsChangeNothing) {
  // Two approvals of four are not a quorum.
  expect_unchanged_after(make_tx({change(1, {"v0", "v1", "v2"}, {"v0", "v1"})}),
                         test::outcome_failed(0, ResultCode::op_insufficient_approvals));
  // The epoch must be the next one: neither the current nor one further.
  expect_unchanged_after(make_tx({change(0, {"v0", "v1", "v2"}, {"v0", "v1", "v2"})}),
                         test::outcome_failed(0, ResultCode::op_wrong_epoch));
  expect_unchanged_after(make_tx({change(2, {"v0", "v1", "v2"}, {"v0", "v1", "v2"})}),
                         test::outcome_failed(0, ResultCode::op_wrong_epoch));
  // An approval by a key outside the current set.
  expect_unchanged_after(make_tx({change(1, {"v0", "v1", "v2"}, {"v0", "v1", "mallory"})}),
                         test::outcome_failed(0, ResultCode::op_unknown_approver));
}

TEST_F(GovernanceTest, StatelessRefusals) {
  auto malformed = [](ResultCode code) { return TxOutcome{ResultCode::tx_malformed, 0, code}; };
  // A signature over another epoch's change does not verify for this one.
  SetValidatorsOp op = change(1, {"v0", "v1", "v2"}, {"v0", "v1", "v2"});
  op.approvals[1] = change(2, {"v0", "v1", "v2"}, {"v1"}).approvals[0];
  expect_unchanged_after(make_tx({op}), malformed(ResultCode::op_invalid_approval));
  // Signed for another network.
  SetValidatorsOp other = change(1, {"v0", "v1", "v2"}, {"v0", "v1", "v2"});
  Bytes wrong_net = validator_set_approval_message(sha256(as_bytes("other")), 1, other.validators);
  other.approvals[0].signature = test_key("v0").sign(wrong_net);
  expect_unchanged_after(make_tx({other}), malformed(ResultCode::op_invalid_approval));
  // Duplicate keys, duplicate approvers, an empty set.
  expect_unchanged_after(make_tx({change(1, {"v0", "v0", "v2"}, {"v0", "v1", "v2"})}),
                         malformed(ResultCode::op_invalid_validators));
  expect_unchanged_after(make_tx({change(1, {"v0", "v1", "v2"}, {"v0", "v0", "v2"})}),
                         malformed(ResultCode::op_invalid_validators));
  expect_unchanged_after(make_tx({change(1, {}, {"v0", "v1", "v2"})}),
                         malformed(ResultCode::op_invalid_validators));
  // Governance stands alone in its transaction.
  TxOutcome alone{ResultCode::tx_malformed, 1, ResultCode::op_governance_not_alone};
  expect_unchanged_after(make_tx({SetSignersOp{{{test_key("operator").public_key(), 1}}, 1},
                                  change(1, {"v0", "v1", "v2"}, {"v0", "v1", "v2"})}),
                         alone);
}

TEST_F(GovernanceTest, NoSecondGenesisSet) {
  Ledger fresh;
  fresh.begin_block(0);
  fresh.end_block();
  fresh.begin_block(1);
  Transaction create = make_tx({CreateAccountOp{test_key("operator").public_key()}});
  ASSERT_EQ(check_stateless(create, test_network_id()).code, ResultCode::ok);
  ASSERT_EQ(fresh.apply(create).code, ResultCode::ok);
  Transaction late = make_tx({SetValidatorsOp{0, keys_of({"v0"}), {}}});
  late.valid_until_height = 50;
  late.signatures.clear();
  late.sign(test_key("operator"));
  EXPECT_EQ(fresh.apply(late), test::outcome_failed(0, ResultCode::op_wrong_epoch));
  EXPECT_FALSE(fresh.validator_set().has_value());
}

TEST_F(GovernanceTest, EncodingRoundTripsAndSurvivesReload) {
  Transaction tx = make_tx({change(1, {"v0", "v1", "v2", "v4"}, {"v0", "v1", "v3"})});
  auto decoded = decode_transaction(encode_transaction(tx));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->ops, tx.ops);
  EXPECT_EQ(decoded->id, tx.id);

  Bytes key, value;
  encode_validator_set_key(key);
  encode_validator_set_value(*ledger_.validator_set(), value);
  auto entry_key = decode_entry_key(key);
  ASSERT_TRUE(entry_key.ok());
  EXPECT_EQ(entry_key->kind, EntryKind::validator_set);
  auto back = decode_validator_set_value(value);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *ledger_.validator_set());
  // A value with no validators, or trailing bytes, is corrupt.
  Bytes empty = value;
  empty[8] = 0;
  empty[9] = 0;
  EXPECT_FALSE(decode_validator_set_value(empty).ok());
  Bytes trailing = value;
  trailing.push_back(0);
  EXPECT_FALSE(decode_validator_set_value(trailing).ok());
}

}  // namespace
}  // namespace corridor::ledger
