// A ledger with a central bank "cb" issuing USD (scale 2, freezable, clawback) to two banks,
// shared by the ledger test files.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "support/test_support.h"

namespace corridor::ledger {

class LedgerFixture : public ::testing::Test {
 protected:
  static constexpr Amount kLimit = 1'000'000;
  static constexpr Amount kInitial = 10'000;

  void SetUp() override {
    t.create_accounts({"cb", "bank1", "bank2", "bank3"});
    usd = t.create_asset("cb", "USD", 2, asset_flag_freezable | asset_flag_clawback_enabled);
    assets.push_back(usd);
    t.open_holding("bank1", usd, kLimit);
    t.open_holding("bank2", usd, kLimit);
    t.issue("bank1", usd, kInitial);
  }

  test::StateView view() const { return test::view_state(t.ledger(), names, assets); }

  // Submits a transaction that must fail with `expected` and checks that it changed nothing:
  // not the entries, not the counts, and the state root only by the replay id it consumed.
  void expect_rejected(std::string_view source, std::vector<Operation> ops, TxOutcome expected,
                       const test::TxOptions& options = {}) {
    test::StateView before = view();
    const std::map<Bytes, Bytes> entries_before = t.stored_entries();
    TxOutcome out = t.submit(source, std::move(ops), options);
    EXPECT_EQ(out, expected);
    EXPECT_EQ(view(), before);
    expect_entries_unchanged(entries_before);
  }
  // No stored entry changed, and the ledger's state tree holds exactly the stored entries and
  // the live replay ids (a rolled-back change left no leaf behind).
  void expect_entries_unchanged(const std::map<Bytes, Bytes>& entries_before) {
    EXPECT_EQ(t.stored_entries(), entries_before);
    EXPECT_EQ(t.ledger().state_root(), t.stored_state_root());
  }
  void expect_op_failed(std::string_view source, std::vector<Operation> ops, uint32_t index,
                        ResultCode code) {
    expect_rejected(source, std::move(ops), test::outcome_failed(index, code));
  }
  void expect_ok(std::string_view source, std::vector<Operation> ops,
                 const test::TxOptions& options = {}) {
    EXPECT_EQ(t.submit(source, std::move(ops), options), test::outcome_ok());
  }
  Amount balance(std::string_view holder, const AssetId& a) const {
    auto b = t.balance(holder, a);
    EXPECT_TRUE(b.has_value()) << holder << " has no holding of " << a.code.str();
    return b.value_or(-1);
  }
  Amount supply(const AssetId& a) const {
    auto s = t.supply(a);
    EXPECT_TRUE(s.has_value()) << "no asset " << a.code.str();
    return s.value_or(-1);
  }

  test::TestLedger t;
  AssetId usd;
  std::vector<std::string> names = {"cb", "bank1", "bank2", "bank3", "cb2", "outsider"};
  std::vector<AssetId> assets;
};

}  // namespace corridor::ledger
