// The ledger's state as others see it: holding proofs against the state root, the deltas handed
// to storage, and loading a ledger back from those deltas.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ledger/entries.h"
#include "ledger/ledger.h"
#include "ledger/state_store.h"
#include "support/test_support.h"
#include "unit/ledger/ledger_fixture.h"

namespace corridor::ledger {
namespace {

using test::asset;
using test::outcome_ok;
using test::outcome_rejected;
using test::test_id;
namespace op = test::op;

using HoldingProofs = LedgerFixture;

TEST_F(HoldingProofs, VerifyAgainstTheStateRoot) {
  for (const char* holder : {"bank1", "bank2"}) {
    auto proof = t.ledger().prove_holding(test_id(holder), usd);
    ASSERT_TRUE(proof.has_value()) << holder;
    EXPECT_TRUE(verify_holding_proof(t.ledger().state_root(), *proof)) << holder;
    auto value = decode_holding_value(proof->entry_value);
    ASSERT_TRUE(value.ok());
    EXPECT_EQ(value->balance, *t.balance(holder, usd));
    EXPECT_EQ(value->limit, kLimit);
    auto key = decode_entry_key(proof->entry_key);
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(key->kind, EntryKind::holding);
    EXPECT_EQ(key->account, test_id(holder));
    EXPECT_EQ(key->asset, usd);
  }
}

TEST_F(HoldingProofs, FailWhenAnythingIsTampered) {
  auto proof = t.ledger().prove_holding(test_id("bank1"), usd);
  ASSERT_TRUE(proof.has_value());
  Hash256 root = t.ledger().state_root();
  ASSERT_TRUE(verify_holding_proof(root, *proof));

  // A richer balance.
  HoldingProof richer = *proof;
  HoldingEntry h = *decode_holding_value(proof->entry_value);
  h.balance += 1;
  richer.entry_value.clear();
  encode_holding_value(h, richer.entry_value);
  EXPECT_FALSE(verify_holding_proof(root, richer));
  // Somebody else's holding.
  HoldingProof other_holder = *proof;
  other_holder.entry_key.clear();
  encode_holding_key(test_id("bank2"), usd, other_holder.entry_key);
  EXPECT_FALSE(verify_holding_proof(root, other_holder));
  // A changed sibling.
  ASSERT_FALSE(proof->proof.siblings.empty());
  for (size_t d = 0; d < proof->proof.siblings.size(); ++d) {
    HoldingProof bad = *proof;
    bad.proof.siblings[d].bytes[31] ^= 0x40;
    EXPECT_FALSE(verify_holding_proof(root, bad)) << "sibling " << d;
  }
  // Bytes that do not decode as a holding are refused before any hashing.
  HoldingProof trailing = *proof;
  trailing.entry_value.push_back(0);
  EXPECT_FALSE(verify_holding_proof(root, trailing));
  HoldingProof account_key = *proof;
  account_key.entry_key.clear();
  encode_account_key(test_id("bank1"), account_key.entry_key);
  EXPECT_FALSE(verify_holding_proof(root, account_key));
  // Another root.
  Hash256 other_root = root;
  other_root.bytes[0] ^= 1;
  EXPECT_FALSE(verify_holding_proof(other_root, *proof));
}

TEST_F(HoldingProofs, AnOldProofFailsAgainstANewRoot) {
  auto proof = t.ledger().prove_holding(test_id("bank1"), usd);
  ASSERT_TRUE(proof.has_value());
  Hash256 old_root = t.ledger().state_root();
  ASSERT_EQ(t.submit("bank1", {op::transfer("bank2", usd, 1)}), outcome_ok());
  EXPECT_FALSE(verify_holding_proof(t.ledger().state_root(), *proof));
  EXPECT_TRUE(verify_holding_proof(old_root, *proof));
  auto fresh = t.ledger().prove_holding(test_id("bank1"), usd);
  ASSERT_TRUE(fresh.has_value());
  EXPECT_TRUE(verify_holding_proof(t.ledger().state_root(), *fresh));
}

TEST_F(HoldingProofs, AreAbsentForMissingHoldings) {
  EXPECT_FALSE(t.ledger().prove_holding(test_id("bank3"), usd).has_value());
  EXPECT_FALSE(t.ledger().prove_holding(test_id("outsider"), usd).has_value());
  EXPECT_FALSE(t.ledger().prove_holding(test_id("bank1"), asset("EUR", "cb")).has_value());
  // A holding opened in a block that has not ended is not in the tree yet.
  t.begin_block();
  ASSERT_EQ(t.apply(t.make_tx("bank3", {op::open_holding(usd, 5)})), outcome_ok());
  EXPECT_FALSE(t.ledger().prove_holding(test_id("bank3"), usd).has_value());
  t.end_block();
  auto proof = t.ledger().prove_holding(test_id("bank3"), usd);
  ASSERT_TRUE(proof.has_value());
  EXPECT_TRUE(verify_holding_proof(t.ledger().state_root(), *proof));
}

// prove_holding promises a proof against state_root(). While a block is open, state_root() still
// describes the last ended block, so a holding changed in the open block has no proof until the
// block ends; one whose change was rolled back keeps its proof.
TEST_F(HoldingProofs, MidBlockProofsOfChangedHoldingsWaitForTheBlockEnd) {
  t.begin_block();
  ASSERT_EQ(t.apply(t.make_tx("bank1", {op::transfer("bank2", usd, 1)})), outcome_ok());
  EXPECT_FALSE(t.ledger().prove_holding(test_id("bank1"), usd).has_value())
      << "a proof of the uncommitted balance, which no root matches";
  ASSERT_EQ(t.apply(t.make_tx("bank2", {op::redeem(usd, 1), op::redeem(usd, 1)})),
            test::outcome_failed(1, ResultCode::op_insufficient_balance));
  // bank2's holding received the payment, and the failed transaction's rollback restores it to
  // that uncommitted state, not to the tree's.
  EXPECT_FALSE(t.ledger().prove_holding(test_id("bank2"), usd).has_value());
  t.end_block();
  for (const char* holder : {"bank1", "bank2"}) {
    auto proof = t.ledger().prove_holding(test_id(holder), usd);
    ASSERT_TRUE(proof.has_value()) << holder;
    EXPECT_TRUE(verify_holding_proof(t.ledger().state_root(), *proof)) << holder;
  }
  // In a new block, a change that is rolled back leaves the holding as it is in the tree.
  t.begin_block();
  ASSERT_EQ(t.apply(t.make_tx("bank2", {op::redeem(usd, 1), op::redeem(usd, 1)})),
            test::outcome_failed(1, ResultCode::op_insufficient_balance));
  auto untouched = t.ledger().prove_holding(test_id("bank2"), usd);
  ASSERT_TRUE(untouched.has_value());
  EXPECT_TRUE(verify_holding_proof(t.ledger().state_root(), *untouched));
  t.end_block();
}

// A fresh ledger B loaded with A's deltas, as a restarted node loads its storage, has A's state
// root and state, and goes on to execute the next block exactly as A does.
TEST(LedgerLoad, RoundTripsThroughTheDeltas) {
  test::TestLedger a;
  std::vector<StateDelta> deltas;
  // Applies one block; every transaction succeeds except those listed as expected to fail.
  auto record = [&](const std::vector<Transaction>& txs, std::vector<size_t> failing = {}) {
    a.begin_block();
    for (size_t i = 0; i < txs.size(); ++i) {
      bool should_fail = std::find(failing.begin(), failing.end(), i) != failing.end();
      TxOutcome out = a.apply(txs[i]);
      EXPECT_EQ(out.code == ResultCode::ok, !should_fail)
          << "block " << deltas.size() << " tx " << i << ": " << test::describe(out);
    }
    deltas.push_back(a.end_block());
  };
  record({a.make_tx("cb", {op::create_account("cb")}), a.make_tx("b1", {op::create_account("b1")}),
          a.make_tx("b2", {op::create_account("b2")})});
  AssetId usd = asset("USD", "cb");
  AssetId kyc = asset("KYC", "cb");
  record({a.make_tx("cb",
                    {op::create_asset("USD", 2, asset_flag_freezable | asset_flag_clawback_enabled),
                     op::create_asset("KYC", 0, asset_flag_authorization_required)}),
          a.make_tx("b1", {op::set_signers({{"b1-maker", 1}, {"b1-checker", 1}}, 2)})});
  record({a.make_tx("b1", {op::open_holding(usd, 1'000'000), op::open_holding(kyc, 50)},
                    {.signers = {"b1-maker", "b1-checker"}}),
          a.make_tx("b2", {op::open_holding(usd, 1'000'000)})});
  Transaction kept = a.make_tx("cb",
                               {op::issue("b1", "USD", 70'000), op::issue("b2", "USD", 1),
                                op::authorize("b1", "KYC"), op::issue("b1", "KYC", 9)},
                               {.valid_until = 1'000});
  record({kept, a.make_tx("cb", {op::issue("b2", "USD", 5), op::issue("nobody", "USD", 1)})}, {1});
  record({a.make_tx("b1", {op::transfer("b2", usd, 20'000), op::redeem(usd, 5'000)},
                    {.signers = {"b1-maker", "b1-checker"}}),
          a.make_tx("cb", {op::freeze("b2", "USD"), op::clawback("b2", "USD", 1)})});

  // What storage holds: the latest value of each key, iterated in key order.
  std::map<Bytes, Bytes> kv;
  std::map<Hash256, uint64_t> ids;
  for (const auto& d : deltas) {
    for (const auto& c : d.changes) kv[c.key] = c.value;
    for (const auto& id : d.ids_added) ids[id.id] = id.valid_until_height;
    for (const auto& id : d.ids_expired) ids.erase(id.id);
  }
  Ledger b;
  for (const auto& [key, value] : kv) ASSERT_TRUE(b.load_entry(key, value).ok());
  for (const auto& [id, until] : ids) b.load_replay_id({until, id});
  b.finish_load(a.height());

  EXPECT_EQ(b.state_root(), a.ledger().state_root());
  EXPECT_EQ(b.height(), a.height());
  EXPECT_TRUE(b.check_invariants().ok());
  EXPECT_EQ(b.account_count(), 3u);
  EXPECT_EQ(b.asset_count(), 2u);
  EXPECT_EQ(b.holding_count(), 3u);
  std::vector<std::string> names = {"cb", "b1", "b2"};
  EXPECT_EQ(test::view_state(b, names, {usd, kyc}),
            test::view_state(a.ledger(), names, {usd, kyc}));
  EXPECT_TRUE(b.is_replay_id_live(kept.id));
  EXPECT_EQ(b.holding(test_id("b2"), usd)->balance, 20'000);
  EXPECT_TRUE(b.holding(test_id("b2"), usd)->frozen());
  EXPECT_EQ(b.asset(usd)->supply, 70'000 + 1 - 5'000 - 1);

  // The next block has the same outcomes and root on both.
  std::vector<Transaction> next = {
      kept,
      a.make_tx("b1", {op::transfer("b2", usd, 1)}, {.signers = {"b1-maker", "b1-checker"}}),
      a.make_tx("cb", {op::freeze("b2", "USD", false), op::create_asset("EUR", 2)}),
      a.make_tx("b2", {op::transfer("b1", usd, 7)}),
  };
  a.begin_block();
  b.begin_block(a.height());
  for (const auto& tx : next) {
    TxOutcome in_a = a.apply(tx);
    TxOutcome in_b = b.apply(tx);
    EXPECT_EQ(in_a, in_b);
  }
  a.end_block();
  b.end_block();
  EXPECT_EQ(b.state_root(), a.ledger().state_root());
  EXPECT_EQ(a.apply(kept), outcome_rejected(ResultCode::tx_duplicate));
}

// The state root commits to the live replay ids, so a state handed over whole (state sync)
// cannot leave one out: an id changes the root from the block that consumes it until it expires.
TEST(LedgerReplayIds, AreInTheStateRootWhileLive) {
  test::TestLedger a;
  a.create_accounts({"cb", "b1"});
  a.advance(1);
  const Hash256 before = a.ledger().state_root();
  // A failing transaction changes no entry, only consumes its id.
  Transaction failing = a.make_tx("b1", {op::transfer("nobody", asset("USD", "cb"), 1)},
                                  {.valid_until = a.height() + 3});
  a.begin_block();
  EXPECT_EQ(a.apply(failing).code, ResultCode::tx_failed);
  StateDelta delta = a.end_block();
  EXPECT_TRUE(delta.changes.empty());
  ASSERT_EQ(delta.ids_added.size(), 1u);
  const Hash256 with_id = a.ledger().state_root();
  EXPECT_NE(with_id, before);

  // Loading the stored state gives the same root only with the id.
  auto load = [&](bool with_failing_id) {
    Ledger b;
    for (const auto& [key, value] : a.stored_entries()) EXPECT_TRUE(b.load_entry(key, value).ok());
    for (const auto& [id, until] : a.stored_replay_ids())
      if (with_failing_id || id != failing.id) b.load_replay_id({until, id});
    b.finish_load(a.height());
    return b.state_root();
  };
  EXPECT_EQ(load(true), with_id);
  EXPECT_EQ(load(false), before);
  // The same id with another validity window is another leaf.
  Ledger shifted;
  for (const auto& [key, value] : a.stored_entries())
    EXPECT_TRUE(shifted.load_entry(key, value).ok());
  for (const auto& [id, until] : a.stored_replay_ids())
    shifted.load_replay_id({id == failing.id ? until + 1 : until, id});
  shifted.finish_load(a.height());
  EXPECT_NE(shifted.state_root(), with_id);

  // The block above its last valid height drops the id, and the root with it.
  while (a.height() <= failing.valid_until_height) {
    EXPECT_EQ(a.ledger().state_root(), with_id);
    a.advance(1);
  }
  EXPECT_FALSE(a.ledger().is_replay_id_live(failing.id));
  EXPECT_EQ(a.ledger().state_root(), before);
}

// The replay id's key, as stored and as a state-tree key, round-trips; nothing else decodes.
TEST(LedgerReplayIds, KeysRoundTripAndRefuseOtherKeys) {
  const ReplayId id{0x0102030405060708, sha256(as_bytes("tx"))};
  const Bytes key = replay_id_key(id);
  ASSERT_EQ(key.size(), 1u + 8 + Hash256::size());
  EXPECT_EQ(key[0], replay_key_prefix);
  auto back = decode_replay_id_key(key);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->valid_until_height, id.valid_until_height);
  EXPECT_EQ(back->id, id.id);
  Bytes other_prefix = key;
  other_prefix[0] = 'S';
  EXPECT_FALSE(decode_replay_id_key(other_prefix).has_value());
  EXPECT_FALSE(decode_replay_id_key(ByteView(key).first(key.size() - 1)).has_value());
  Bytes longer = key;
  longer.push_back(0);
  EXPECT_FALSE(decode_replay_id_key(longer).has_value());
  EXPECT_FALSE(decode_replay_id_key(ByteView{}).has_value());
}

// The root does not depend on the order entries are loaded in, only on the entries, as long as
// every account comes before what refers to it.
TEST(LedgerLoad, TheRootDoesNotDependOnLoadOrderWithinAKind) {
  test::TestLedger a;
  std::vector<std::string> names;
  for (int i = 0; i < 12; ++i) names.push_back("acct" + std::to_string(i));
  a.create_accounts(names);
  AssetId x = a.create_asset("acct0", "X", 0);
  AssetId y = a.create_asset("acct1", "Y", 0);
  for (size_t i = 2; i < names.size(); ++i) {
    a.open_holding(names[i], x, 100);
    if (i % 2 == 0) a.open_holding(names[i], y, 100);
    a.issue(names[i], x, static_cast<Amount>(i));
  }
  std::vector<std::pair<Bytes, Bytes>> entries(a.stored_entries().begin(),
                                               a.stored_entries().end());
  std::vector<ReplayId> ids;
  for (const auto& [id, until] : a.stored_replay_ids()) ids.push_back({until, id});
  std::mt19937_64 rng(1);
  for (int round = 0; round < 5; ++round) {
    // Shuffle within each kind, keeping accounts, then assets, then holdings.
    std::shuffle(entries.begin(), entries.end(), rng);
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& l, const auto& r) { return l.first[0] < r.first[0]; });
    Ledger b;
    for (const auto& [key, value] : entries) ASSERT_TRUE(b.load_entry(key, value).ok());
    // Replay ids are leaves too, in any order and before or after the entries.
    std::shuffle(ids.begin(), ids.end(), rng);
    for (const ReplayId& id : ids) b.load_replay_id(id);
    b.finish_load(a.height());
    EXPECT_EQ(b.state_root(), a.ledger().state_root()) << "round " << round;
    EXPECT_TRUE(b.check_invariants().ok());
    EXPECT_EQ(test::view_state(b, names, {x, y}), test::view_state(a.ledger(), names, {x, y}));
  }
}

TEST(LedgerLoad, RejectsMalformedEntries) {
  Ledger l;
  Bytes account_key, account_value;
  encode_account_key(test_id("a"), account_key);
  AccountEntry acct;
  acct.signers = {{test::test_key("a").public_key(), 1}};
  encode_account_value(acct, account_value);

  EXPECT_EQ(l.load_entry(Bytes{}, account_value).code(), StatusCode::invalid_argument);
  Bytes unknown_kind = account_key;
  unknown_kind[0] = 9;
  EXPECT_EQ(l.load_entry(unknown_kind, account_value).code(), StatusCode::invalid_argument);
  Bytes short_key(account_key.begin(), account_key.end() - 1);
  EXPECT_EQ(l.load_entry(short_key, account_value).code(), StatusCode::invalid_argument);
  Bytes long_key = account_key;
  long_key.push_back(0);
  EXPECT_EQ(l.load_entry(long_key, account_value).code(), StatusCode::invalid_argument);
  Bytes short_value(account_value.begin(), account_value.end() - 1);
  EXPECT_EQ(l.load_entry(account_key, short_value).code(), StatusCode::invalid_argument);
  EXPECT_EQ(l.account_count(), 0u);

  ASSERT_TRUE(l.load_entry(account_key, account_value).ok());
  EXPECT_EQ(l.load_entry(account_key, account_value).code(), StatusCode::corruption);
  EXPECT_EQ(l.account_count(), 1u);
}

TEST(LedgerLoad, RejectsEntriesThatReferToMissingAccountsOrAssets) {
  Ledger l;
  AssetId usd = asset("USD", "cb");
  Bytes asset_key, asset_value, holding_key, holding_value;
  encode_asset_key(usd, asset_key);
  encode_asset_value(AssetEntry{usd, 2, 0, 0, 0, false}, asset_value);
  encode_holding_key(test_id("bank"), usd, holding_key);
  encode_holding_value(HoldingEntry{0, 10, holding_flag_authorized, false}, holding_value);
  EXPECT_EQ(l.load_entry(asset_key, asset_value).code(), StatusCode::corruption);

  Bytes cb_key, cb_value;
  encode_account_key(test_id("cb"), cb_key);
  encode_account_value(
      AccountEntry{test_id("cb"), {{test::test_key("cb").public_key(), 1}}, 1, {}, false},
      cb_value);
  ASSERT_TRUE(l.load_entry(cb_key, cb_value).ok());
  // The holder is missing.
  EXPECT_EQ(l.load_entry(holding_key, holding_value).code(), StatusCode::corruption);
  ASSERT_TRUE(l.load_entry(asset_key, asset_value).ok());
  EXPECT_EQ(l.load_entry(holding_key, holding_value).code(), StatusCode::corruption);
  EXPECT_EQ(l.holding_count(), 0u);
}

// Storage holds one value per key, so a second entry for the same key means corrupt storage;
// loading it must fail as it does for accounts, not leave two copies behind.
TEST(LedgerLoad, RejectsDuplicateAssetAndHoldingEntries) {
  test::TestLedger a;
  a.create_accounts({"cb", "bank"});
  AssetId usd = a.create_asset("cb", "USD", 2);
  a.open_holding("bank", usd, 100);
  a.issue("bank", usd, 40);
  Ledger b;
  for (const auto& [key, value] : a.stored_entries()) ASSERT_TRUE(b.load_entry(key, value).ok());
  for (const auto& [key, value] : a.stored_entries()) {
    if (key[0] == static_cast<uint8_t>(EntryKind::account)) continue;
    EXPECT_EQ(b.load_entry(key, value).code(), StatusCode::corruption)
        << "entry kind " << int{key[0]} << " loaded twice";
  }
  b.finish_load(a.height());
  EXPECT_EQ(b.asset_count(), 1u);
  EXPECT_EQ(b.holdings_of(test_id("bank")).size(), 1u);
  EXPECT_TRUE(b.check_invariants().ok()) << b.check_invariants().to_string();
}

TEST(LedgerDelta, CarriesCanonicalEncodingsOfChangedEntries) {
  test::TestLedger a;
  a.create_accounts({"cb", "bank"});
  AssetId usd = a.create_asset("cb", "USD", 2);
  a.open_holding("bank", usd, 100);
  a.begin_block();
  ASSERT_EQ(a.apply(a.make_tx("cb", {op::issue("bank", "USD", 40)})), outcome_ok());
  StateDelta d = a.end_block();
  // The issue changed the asset's supply and the holding's balance, nothing else.
  ASSERT_EQ(d.changes.size(), 2u);
  Bytes asset_key, holding_key;
  encode_asset_key(usd, asset_key);
  encode_holding_key(test_id("bank"), usd, holding_key);
  std::map<Bytes, Bytes> changed;
  for (const auto& c : d.changes) changed[c.key] = c.value;
  ASSERT_EQ(changed.count(asset_key), 1u);
  ASSERT_EQ(changed.count(holding_key), 1u);
  EXPECT_EQ(decode_asset_value(usd, changed[asset_key])->supply, 40);
  EXPECT_EQ(decode_holding_value(changed[holding_key])->balance, 40);
  // An empty block changes nothing.
  a.begin_block();
  StateDelta empty = a.end_block();
  EXPECT_TRUE(empty.changes.empty());
  EXPECT_TRUE(empty.ids_added.empty());
}

// A holding's tree key is hashed once and kept with the holding (end_block, load_entry). The
// root must stay the one recomputed from the stored entries: through a holding opened and
// rolled back in one transaction and then opened again at the same place, through many blocks
// that change it again, and after a restart from the store, whose holdings take their keys
// from the load.
TEST(LedgerHoldingTreeKeys, KeepTheRootOfTheStoredEntries) {
  test::TestLedger a;
  a.create_accounts({"cb", "b1", "b2"});
  const AssetId usd = a.create_asset("cb", "USD", 2);
  // The longest code gives the longest entry key (entry_key_size_max).
  const AssetId longest = a.create_asset("cb", "ABCDEFGHIJKL", 0);
  a.open_holding("b2", usd, 1'000'000);
  a.begin_block();
  EXPECT_EQ(
      a.apply(a.make_tx("b1", {op::open_holding(usd, 1'000), op::transfer("nobody", usd, 1)})).code,
      ResultCode::tx_failed);
  a.end_block();
  EXPECT_EQ(a.ledger().holding(test_id("b1"), usd), nullptr);
  EXPECT_EQ(a.ledger().state_root(), a.stored_state_root());
  a.open_holding("b1", usd, 1'000'000);
  a.open_holding("b1", longest, 1'000);
  a.open_holding("b2", longest, 1'000);
  a.issue("b1", usd, 500);
  a.issue("b1", longest, 7);
  auto transfers = [&](int blocks) {
    for (int i = 0; i < blocks; ++i) {
      EXPECT_EQ(a.submit("b1", {op::transfer("b2", usd, 3), op::transfer("b2", longest, 1)}),
                outcome_ok());
      EXPECT_EQ(a.submit("b2", {op::transfer("b1", usd, 1)}), outcome_ok());
      EXPECT_EQ(a.ledger().state_root(), a.stored_state_root()) << "block " << a.height();
    }
  };
  transfers(3);
  a.restart();
  transfers(3);
  EXPECT_EQ(*a.balance("b2", usd), 6 * 3 - 6 * 1);
  EXPECT_EQ(*a.balance("b2", longest), 6);
  // Proofs hash the key afresh, and verify against the root built from the kept keys.
  for (const AssetId& asset_id : {usd, longest}) {
    auto proof = a.ledger().prove_holding(test_id("b2"), asset_id);
    ASSERT_TRUE(proof.has_value());
    EXPECT_TRUE(verify_holding_proof(a.ledger().state_root(), *proof));
  }
  Bytes key;
  encode_holding_key(test_id("b1"), longest, key);
  EXPECT_EQ(key.size(), entry_key_size_max);
}

// The changes waiting for a checkpoint hold keys and small values in place and larger values
// apart: each kind merges by key, the last write standing, and comes back in key order.
TEST(StateDeltaAccumulator, MergesByKeyWithKeysAndValuesOfEverySize) {
  Bytes longest_key;
  encode_holding_key(test_id("b1"), asset("ABCDEFGHIJKL", "cb"), longest_key);
  ASSERT_EQ(longest_key.size(), entry_key_size_max);
  Bytes short_key;
  encode_counters_key(short_key);
  Bytes account_key;
  encode_account_key(test_id("b1"), account_key);
  const Bytes small_value(17, 1), large_value(200, 2), other_value(3, 3);
  StateDeltaAccumulator acc;
  StateDelta first;
  first.changes = {{longest_key, small_value}, {short_key, large_value}, {account_key, {}}};
  acc.add(first);
  StateDelta second;
  second.changes = {{longest_key, large_value}, {account_key, other_value}};
  acc.add(second);
  EXPECT_EQ(acc.size(), 3u);
  const StoreOverlay changes = acc.store_overlay();
  ASSERT_EQ(changes.size(), 3u);
  // Store keys are 'S' then the entry key, in key order: account (1), holding (3), counters (8).
  const auto value_of = [](const StoreOverlay& o, size_t i) -> std::optional<Bytes> {
    const auto v = o.at(i).value;
    return v ? std::optional<Bytes>(Bytes(v->begin(), v->end())) : std::nullopt;
  };
  const auto key_of = [](const StoreOverlay& o, size_t i) {
    return Bytes(o.key(i).begin(), o.key(i).end());
  };
  EXPECT_EQ(key_of(changes, 0), prefixed(store_prefix_state, account_key));
  EXPECT_EQ(value_of(changes, 0), other_value);
  EXPECT_EQ(key_of(changes, 1), prefixed(store_prefix_state, longest_key));
  EXPECT_EQ(value_of(changes, 1), large_value);
  EXPECT_EQ(key_of(changes, 2), prefixed(store_prefix_state, short_key));
  EXPECT_EQ(value_of(changes, 2), large_value);
  // A later deletion stands as a deletion.
  StateDelta third;
  third.changes = {{short_key, {}}, {longest_key, small_value}};
  acc.add(third);
  const StoreOverlay after = acc.store_overlay();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(value_of(after, 1), small_value);
  EXPECT_EQ(value_of(after, 2), std::nullopt);
  acc.clear();
  EXPECT_TRUE(acc.empty());
  EXPECT_TRUE(acc.store_overlay().empty());
}

// A node keeps the changes since its last checkpoint as layers, a new one begun at every
// snapshot, and merges them when it writes the checkpoint or serves the snapshot: the merge of
// the layers must be the accumulator that took every block in turn. Blocks change, delete and
// re-create entries of every value size and add and expire replay ids, across layer bounds.
TEST(StateDeltaAccumulator, MergedLayersAreTheAccumulatorOfEveryBlock) {
  std::mt19937_64 rng(20261130);
  std::vector<Bytes> keys;
  for (int i = 0; i < 40; ++i) {
    Bytes k;
    if (i % 2 == 0)
      encode_account_key(test_id("a" + std::to_string(i)), k);
    else
      encode_holding_key(test_id("h" + std::to_string(i)), asset("USD", "cb"), k);
    keys.push_back(std::move(k));
  }
  std::vector<ReplayId> ids;
  for (uint8_t i = 0; i < 30; ++i) ids.push_back({10u + i % 7, sha256(Bytes{i})});
  StateDeltaAccumulator whole;
  std::vector<std::shared_ptr<const StateDeltaAccumulator>> layers;
  auto current = std::make_shared<StateDeltaAccumulator>();
  for (int block = 0; block < 60; ++block) {
    StateDelta d;
    for (int c = 0; c < 12; ++c) {
      const size_t value_size = std::array<size_t, 4>{0, 3, 17, 200}[rng() % 4];
      d.changes.push_back({keys[rng() % keys.size()], Bytes(value_size, uint8_t(block))});
    }
    for (int r = 0; r < 3; ++r) {
      const ReplayId& id = ids[rng() % ids.size()];
      (rng() % 2 ? d.ids_added : d.ids_expired).push_back(id);
    }
    whole.add(d);
    current->add(d);
    // Layers of uneven lengths, as snapshots and checkpoints cut them.
    if (rng() % 5 == 0) {
      layers.push_back(std::move(current));
      current = std::make_shared<StateDeltaAccumulator>();
    }
  }
  layers.push_back(current);
  ASSERT_GE(layers.size(), 5u);
  const StoreOverlay expected = whole.store_overlay();
  const StoreOverlay merged = merge_state_layers(layers).store_overlay();
  ASSERT_EQ(merged.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("change " + std::to_string(i));
    EXPECT_TRUE(std::ranges::equal(merged.key(i), expected.key(i)));
    const auto m = merged.at(i).value, e = expected.at(i).value;
    ASSERT_EQ(m.has_value(), e.has_value());
    if (m) {
      EXPECT_TRUE(std::ranges::equal(*m, *e));
    }
  }
  EXPECT_EQ(merge_state_layers(std::vector<std::shared_ptr<const StateDeltaAccumulator>>{}).size(),
            0u);
}

// Replay ids ('R') come before ledger entries ('S') in the overlay, in key order: present
// ones with an empty value, expired ones as deletions.
TEST(StateDeltaAccumulator, OverlayPutsReplayIdsBeforeEntries) {
  StateDeltaAccumulator acc;
  StateDelta delta;
  Bytes account_key;
  encode_account_key(test_id("b1"), account_key);
  delta.changes = {{account_key, Bytes{4}}};
  const ReplayId late{90, sha256(Bytes{1})}, early{20, sha256(Bytes{2})},
      gone{10, sha256(Bytes{3})};
  delta.ids_added = {late, early};
  delta.ids_expired = {gone};
  acc.add(delta);
  const StoreOverlay o = acc.store_overlay();
  ASSERT_EQ(o.size(), 4u);
  const auto key_of = [&](size_t i) { return Bytes(o.key(i).begin(), o.key(i).end()); };
  EXPECT_EQ(key_of(0), replay_id_key(gone));
  EXPECT_FALSE(o.at(0).value.has_value());
  EXPECT_EQ(key_of(1), replay_id_key(early));
  ASSERT_TRUE(o.at(1).value.has_value());
  EXPECT_TRUE(o.at(1).value->empty());
  EXPECT_EQ(key_of(2), replay_id_key(late));
  EXPECT_EQ(key_of(3), prefixed(store_prefix_state, account_key));
}

// In each ledger the same state: a central bank issuing USD and EUR (scale 2), and `banks`
// holding both, with 500 USD each. Returns the two assets.
std::pair<AssetId, AssetId> set_up_banks(std::initializer_list<test::TestLedger*> ledgers,
                                         const std::vector<std::string>& banks) {
  AssetId usd, eur;
  for (test::TestLedger* t : ledgers) {
    t->create_account("cb");
    t->create_accounts(banks);
    usd = t->create_asset("cb", "USD", 2);
    eur = t->create_asset("cb", "EUR", 2);
    for (const auto& bank : banks) {
      t->open_holding(bank, usd, 1'000'000);
      t->open_holding(bank, eur, 1'000'000);
      t->issue(bank, usd, 50'000);
    }
  }
  return {usd, eur};
}

// One block: the planned transfers of 3 USD cents, then b1's offer of USD for EUR placed, or
// its offer `offer_id` cancelled, when asked. Returns the block's delta.
StateDelta planned_block(test::TestLedger& t,
                         const std::vector<std::pair<std::string, std::string>>& plan,
                         const AssetId& usd, const AssetId& eur, bool place, bool cancel,
                         uint64_t offer_id) {
  t.begin_block();
  for (const auto& [from, to] : plan)
    EXPECT_EQ(t.apply(t.make_tx(from, {op::transfer(to, usd, 3)})), test::outcome_ok());
  if (place) {
    EXPECT_EQ(t.apply(t.make_tx("b1", {op::place_offer(usd, eur, 100, 9, 10)})),
              test::outcome_ok());
  }
  if (cancel) {
    EXPECT_EQ(t.apply(t.make_tx("b1", {op::cancel_offer(offer_id)})), test::outcome_ok());
  }
  return t.end_block();
}

// A ledger that writes each block's changes into the buffers of the delta given back before
// (Ledger::recycle_delta, as a node's executor does) hands out the same deltas as one that
// allocates them afresh: through blocks with more and with fewer changes than the one before,
// empty blocks, and FX offers placed and cancelled (changes appended after the reused ones).
TEST(StateDeltaRecycling, RecycledDeltasAreTheSameAsFreshOnes) {
  test::TestLedger fresh, recycling;
  recycling.set_recycle_deltas(true);
  const std::vector<std::string> banks = {"b1", "b2", "b3", "b4", "b5", "b6"};
  const auto [usd, eur] = set_up_banks({&fresh, &recycling}, banks);
  const auto same = [](const StateDelta& a, const StateDelta& b) {
    ASSERT_EQ(a.changes.size(), b.changes.size());
    for (size_t i = 0; i < a.changes.size(); ++i) {
      EXPECT_EQ(a.changes[i].key, b.changes[i].key) << "change " << i;
      EXPECT_EQ(a.changes[i].value, b.changes[i].value) << "change " << i;
    }
    EXPECT_EQ(a.ids_added.size(), b.ids_added.size());
    EXPECT_EQ(a.ids_expired.size(), b.ids_expired.size());
  };
  std::mt19937_64 rng(11);
  uint64_t offer_id = 0;
  size_t grew = 0, shrank = 0, previous = 0;
  for (int block = 0; block < 60; ++block) {
    // 0 to 8 transfers, so a block has more or fewer changed holdings than the one before.
    const size_t transfers = rng() % 9;
    std::vector<std::pair<std::string, std::string>> plan;
    for (size_t i = 0; i < transfers; ++i) {
      const size_t from = rng() % banks.size();
      plan.emplace_back(banks[from], banks[(from + 1 + rng() % (banks.size() - 1)) % banks.size()]);
    }
    const bool place = block % 7 == 2, cancel = block % 7 == 5;
    StateDelta deltas[2];
    int side = 0;
    for (test::TestLedger* t : {&fresh, &recycling}) {
      deltas[side++] = planned_block(*t, plan, usd, eur, place, cancel, offer_id);
    }
    if (place) offer_id = fresh.ledger().next_offer_id() - 1;
    same(deltas[0], deltas[1]);
    EXPECT_EQ(fresh.ledger().state_root(), recycling.ledger().state_root());
    EXPECT_EQ(fresh.stored_entries(), recycling.stored_entries());
    const size_t n = deltas[0].changes.size();
    grew += n > previous;
    shrank += n < previous;
    previous = n;
  }
  // The run did what it is for: blocks both larger and smaller than the one before.
  EXPECT_GT(grew, 5u);
  EXPECT_GT(shrank, 5u);
}

// A ledger that holds its changed holdings for the host to take (Ledger::hold_holding_changes,
// as a node's ledger does until its checkpoints) gives the host the same state as one whose
// every delta carries them: the same roots after every block, deltas without a holding, and
// after each take the same stored entries, so a restart from either loads the same ledger.
// Through transfers, holdings opened along the way (whose tree keys the held ledger computes
// without encoding them into a delta) and FX offers (changes of other kinds in the deltas).
TEST(HeldHoldingChanges, TakenChangesStoreTheSameStateAsEveryDelta) {
  test::TestLedger every, held;
  held.hold_holding_changes(/*take_every_blocks=*/5);
  std::vector<std::string> banks = {"b1", "b2", "b3", "b4"};
  const auto [usd, eur] = set_up_banks({&every, &held}, banks);
  std::mt19937_64 rng(23);
  uint64_t offer_id = 0;
  size_t takes_compared = 0;
  for (int block = 0; block < 60; ++block) {
    if (block % 9 == 4) {
      // Two new banks open their holdings in one block, and are funded: their tree keys are
      // computed at that block's end.
      const std::string a = "n" + std::to_string(block), b = "m" + std::to_string(block);
      for (test::TestLedger* t : {&every, &held}) {
        t->create_accounts({a, b});
        t->begin_block();
        for (const auto& bank : {a, b})
          EXPECT_EQ(t->apply(t->make_tx(bank, {op::open_holding(usd, 1'000'000)})),
                    test::outcome_ok());
        t->end_block();
        t->issue(a, usd, 1'000);
        t->issue(b, usd, 1'000);
      }
      banks.push_back(a);
      banks.push_back(b);
    }
    std::vector<std::pair<std::string, std::string>> plan;
    for (size_t i = rng() % 7; i > 0; --i) {
      const size_t from = rng() % banks.size();
      plan.emplace_back(banks[from], banks[(from + 1 + rng() % (banks.size() - 1)) % banks.size()]);
    }
    const bool place = block % 7 == 2, cancel = block % 7 == 5;
    StateDelta held_delta;
    for (test::TestLedger* t : {&every, &held}) {
      StateDelta d = planned_block(*t, plan, usd, eur, place, cancel, offer_id);
      if (t == &held) held_delta = std::move(d);
    }
    if (place) offer_id = every.ledger().next_offer_id() - 1;
    ASSERT_EQ(every.height(), held.height());
    EXPECT_EQ(every.ledger().state_root(), held.ledger().state_root()) << "block " << block;
    for (const auto& c : held_delta.changes)
      EXPECT_NE(c.key.front(), static_cast<uint8_t>(EntryKind::holding)) << "block " << block;
    if (held.height() % 5 == 0) {
      EXPECT_EQ(held.ledger().held_holding_changes(), 0u);
      EXPECT_EQ(every.stored_entries(), held.stored_entries()) << "block " << block;
      ++takes_compared;
    }
  }
  EXPECT_GE(takes_compared, 10u);
  // Between takes the held ledger lists changed holdings, each once: from the block after a
  // take, two transfers between the same two holdings list two.
  while (held.height() % 5 != 0) {
    every.advance(1);
    held.advance(1);
  }
  for (test::TestLedger* t : {&every, &held}) {
    t->begin_block();
    for (int i = 0; i < 2; ++i)
      EXPECT_EQ(t->apply(t->make_tx("b1", {op::transfer("b2", usd, 1)})), test::outcome_ok());
    t->end_block();
  }
  EXPECT_EQ(held.ledger().held_holding_changes(), 2u);
  EXPECT_EQ(every.ledger().held_holding_changes(), 0u);
  // A restart loads each from its stored state (the held one takes first) with the same root.
  every.restart();
  held.restart();
  EXPECT_EQ(every.ledger().state_root(), held.ledger().state_root());
  EXPECT_EQ(every.stored_entries(), held.stored_entries());
}

TEST(LedgerQueries, HoldingsAreListedInAssetOrder) {
  test::TestLedger a;
  a.create_accounts({"cb", "bank"});
  std::vector<AssetId> ids;
  for (const char* c : {"ZZZ", "AAA", "MMM"}) ids.push_back(a.create_asset("cb", c, 0));
  for (const auto& id : ids) a.open_holding("bank", id, 10);
  auto listed = a.ledger().holdings_of(test_id("bank"));
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].asset.code.str(), "AAA");
  EXPECT_EQ(listed[1].asset.code.str(), "MMM");
  EXPECT_EQ(listed[2].asset.code.str(), "ZZZ");
  EXPECT_TRUE(a.ledger().holdings_of(test_id("nobody")).empty());
  EXPECT_TRUE(a.ledger().holdings_of(test_id("cb")).empty());
}

}  // namespace
}  // namespace corridor::ledger
