#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "ledger/block.h"
#include "ledger/ledger.h"
#include "ledger/limits.h"
#include "ledger/payload.h"
#include "ledger/transaction.h"
#include "support/test_support.h"

namespace corridor::ledger {
namespace {

using test::asset;
using test::test_id;
using test::test_key;
namespace op = test::op;

Transaction signed_tx(std::vector<Operation> ops, std::vector<std::string> signers = {"alice"}) {
  Transaction tx;
  tx.network_id = test::test_network_id();
  tx.source = test_id("alice");
  tx.nonce = 1;
  tx.valid_until_height = 100;
  tx.ops = std::move(ops);
  for (const auto& s : signers) tx.sign(test_key(s));
  return tx;
}

StatelessCheck check(const Transaction& tx) {
  return check_stateless(tx, test::test_network_id());
}

void expect_ok(const Transaction& tx) {
  StatelessCheck c = check(tx);
  EXPECT_EQ(c.code, ResultCode::ok)
      << result_code_name(c.code) << " op " << c.op_index << " " << result_code_name(c.op_code);
}

void expect_tx_code(const Transaction& tx, ResultCode code) {
  StatelessCheck c = check(tx);
  EXPECT_EQ(c.code, code);
  EXPECT_EQ(c.op_code, ResultCode::ok);
}

void expect_op_code(const Transaction& tx, uint32_t index, ResultCode op_code) {
  StatelessCheck c = check(tx);
  EXPECT_EQ(c.code, ResultCode::tx_malformed);
  EXPECT_EQ(c.op_index, index);
  EXPECT_EQ(c.op_code, op_code);
}

const AssetId usd = asset("USD", "cb");

TEST(CheckStateless, AcceptsAWellFormedTransaction) {
  expect_ok(signed_tx({op::transfer("bob", usd, 1), op::redeem(usd, 5), op::issue("bob", "USD", 1),
                       op::clawback("bob", "USD", 1), op::open_holding(usd, 1),
                       op::create_asset("EUR", 18, asset_flags_all),
                       op::set_signers({{"alice", 1}}, 1)}));
  expect_ok(signed_tx({op::create_account("alice")}));
}

TEST(CheckStateless, RejectsTheWrongNetwork) {
  Transaction tx = signed_tx({op::transfer("bob", usd, 1)});
  Hash256 other = sha256(as_bytes("another network"));
  EXPECT_EQ(check_stateless(tx, other).code, ResultCode::tx_wrong_network);
  // The network check comes before anything else, even an empty transaction.
  Transaction empty = signed_tx({});
  EXPECT_EQ(check_stateless(empty, other).code, ResultCode::tx_wrong_network);
}

TEST(CheckStateless, RejectsNoOperationsAndTooMany) {
  expect_tx_code(signed_tx({}), ResultCode::tx_no_operations);
  std::vector<Operation> max(tx_ops_max, op::transfer("bob", usd, 1));
  expect_ok(signed_tx(max));
  max.push_back(op::transfer("bob", usd, 1));
  expect_tx_code(signed_tx(max), ResultCode::tx_too_many_operations);
}

TEST(CheckStateless, RejectsNonPositiveAmounts) {
  for (Amount bad : {Amount{0}, Amount{-1}, std::numeric_limits<Amount>::min()}) {
    SCOPED_TRACE(bad);
    expect_op_code(signed_tx({op::issue("bob", "USD", bad)}), 0, ResultCode::op_invalid_amount);
    expect_op_code(signed_tx({op::redeem(usd, bad)}), 0, ResultCode::op_invalid_amount);
    expect_op_code(signed_tx({op::transfer("bob", usd, 5), op::transfer("bob", usd, bad)}), 1,
                   ResultCode::op_invalid_amount);
    expect_op_code(signed_tx({op::clawback("bob", "USD", bad)}), 0, ResultCode::op_invalid_amount);
    expect_op_code(signed_tx({op::open_holding(usd, bad)}), 0, ResultCode::op_invalid_limit);
  }
}

TEST(CheckStateless, ReportsTheFirstBadOperation) {
  expect_op_code(signed_tx({op::transfer("bob", usd, 1), op::transfer("bob", usd, 1),
                            op::open_holding(usd, 0), op::transfer("bob", usd, 0)}),
                 2, ResultCode::op_invalid_limit);
}

TEST(CheckStateless, RejectsInvalidAssetDefinitions) {
  expect_ok(signed_tx({op::create_asset("USD", asset_scale_max, asset_flags_all)}));
  expect_op_code(signed_tx({op::create_asset("USD", asset_scale_max + 1, 0)}), 0,
                 ResultCode::op_invalid_scale);
  expect_op_code(signed_tx({op::create_asset("USD", 2, 0x08)}), 0, ResultCode::op_invalid_flags);
  expect_op_code(signed_tx({op::create_asset("USD", 2, 0xff)}), 0, ResultCode::op_invalid_flags);
}

TEST(CheckStateless, RejectsInvalidSignerLists) {
  expect_ok(signed_tx({op::set_signers({{"m", 1}, {"c", 1}}, 2)}));
  expect_ok(signed_tx({op::set_signers({{"m", 65535}}, 65535)}));
  auto invalid = [](ledger::SetSignersOp s) {
    expect_op_code(signed_tx({s}), 0, ResultCode::op_invalid_signers);
  };
  invalid(op::set_signers({}, 1));
  invalid(op::set_signers({{"m", 1}}, 0));
  invalid(op::set_signers({{"m", 0}, {"c", 2}}, 1));
  invalid(op::set_signers({{"m", 1}, {"m", 1}}, 1));
  invalid(op::set_signers({{"m", 1}, {"c", 1}}, 3));
  std::vector<std::pair<std::string, uint16_t>> nine;
  for (int i = 0; i < 9; ++i) nine.emplace_back("s" + std::to_string(i), 1);
  invalid(op::set_signers(nine, 1));
  // Weights add up beyond 16 bits without wrapping.
  expect_ok(signed_tx({op::set_signers({{"m", 65535}, {"c", 65535}}, 65535)}));
}

TEST(CheckStateless, CreateAccountMustBeAlone) {
  expect_op_code(signed_tx({op::create_account("alice"), op::transfer("bob", usd, 1)}), 0,
                 ResultCode::op_create_account_not_first);
  expect_op_code(signed_tx({op::transfer("bob", usd, 1), op::create_account("alice")}), 1,
                 ResultCode::op_create_account_not_first);
}

TEST(CheckStateless, RejectsMissingTooManyAndDuplicateSignatures) {
  expect_tx_code(signed_tx({op::transfer("bob", usd, 1)}, {}), ResultCode::tx_malformed);
  expect_tx_code(signed_tx({op::transfer("bob", usd, 1)}, {"alice", "alice"}),
                 ResultCode::tx_malformed);
  expect_ok(signed_tx({op::transfer("bob", usd, 1)},
                      {"alice", "s1", "s2", "s3", "s4", "s5", "s6", "s7"}));
  expect_tx_code(signed_tx({op::transfer("bob", usd, 1)},
                           {"alice", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"}),
                 ResultCode::tx_malformed);
}

TEST(CheckStateless, RejectsBadSignatures) {
  Transaction tx = signed_tx({op::transfer("bob", usd, 1)}, {"alice", "bob"});
  expect_ok(tx);
  Transaction flipped = tx;
  flipped.signatures[1].signature.bytes[10] ^= 0x04;
  expect_tx_code(flipped, ResultCode::tx_bad_signature);
  // Without verification the same transaction passes: the node uses this for transactions
  // whose signatures it already verified at admission.
  EXPECT_EQ(check_stateless(flipped, test::test_network_id(), false).code, ResultCode::ok);

  // A signature over another body: the body changed after signing.
  Transaction changed = tx;
  changed.nonce += 1;
  changed.compute_id();
  expect_tx_code(changed, ResultCode::tx_bad_signature);

  // A signature attributed to the wrong key.
  Transaction swapped = tx;
  std::swap(swapped.signatures[0].key, swapped.signatures[1].key);
  expect_tx_code(swapped, ResultCode::tx_bad_signature);
}

}  // namespace
}  // namespace corridor::ledger

namespace corridor::ledger {
namespace {

// A transaction of who's account (nonce 1, valid up to height 100) carrying ops, signed by it.
Transaction signed_by(std::string_view who, std::vector<Operation> ops) {
  Transaction tx;
  tx.network_id = test::test_network_id();
  tx.source = test_id(who);
  tx.nonce = 1;
  tx.valid_until_height = 100;
  tx.ops = std::move(ops);
  tx.sign(test_key(who));
  return tx;
}

// execute_block skips signature verification only for transactions the caller names as
// verified already; every other stateless check still runs for them.
TEST(ExecuteBlockPreverified, SkipsOnlyTheNamedTransactionsSignatures) {
  auto make = [](std::string_view who, bool corrupt) {
    Transaction tx = signed_by(who, {test::op::create_account(who)});
    if (corrupt) tx.signatures[0].signature.bytes[0] ^= 1;
    return tx;
  };
  auto run = [&](const std::vector<uint8_t>* preverified) {
    Ledger ledger;
    Block block;
    block.header.height = 1;
    block.txs = {make("alice", /*corrupt=*/true), make("bob", /*corrupt=*/true)};
    return execute_block(ledger, block, test::test_network_id(), 1, true, preverified)
        .result.outcomes;
  };
  auto plain = run(nullptr);
  EXPECT_EQ(plain[0].code, ResultCode::tx_bad_signature);
  EXPECT_EQ(plain[1].code, ResultCode::tx_bad_signature);
  const std::vector<uint8_t> first{1, 0};
  auto skipped = run(&first);
  EXPECT_EQ(skipped[0].code, ResultCode::ok) << result_code_name(skipped[0].code);
  EXPECT_EQ(skipped[1].code, ResultCode::tx_bad_signature);
}

// Threads are started only for signatures left to verify: a block whose transactions were all
// verified at admission runs on the executor alone, and one with enough unverified signatures
// spreads them, with the same outcomes either way.
TEST(ExecuteBlockPreverified, StartsThreadsOnlyForSignaturesLeftToVerify) {
  constexpr size_t tx_count = 12;
  Block block;
  block.header.height = 1;
  for (size_t i = 0; i < tx_count; ++i) {
    const std::string who = "bank-" + std::to_string(i);
    block.txs.push_back(signed_by(who, {test::op::create_account(who)}));
  }
  auto run = [&](size_t preverified_count) {
    std::vector<uint8_t> preverified(tx_count, 0);
    std::fill_n(preverified.begin(), preverified_count, 1);
    Ledger ledger;
    return execute_block(ledger, block, test::test_network_id(), 2, true, &preverified);
  };
  const ExecutedBlock all_left = run(0);
  const ExecutedBlock few_left = run(tx_count - 7);
  const ExecutedBlock none_left = run(tx_count);
  EXPECT_EQ(all_left.verify_workers, 2u);
  EXPECT_EQ(few_left.verify_workers, 1u);
  EXPECT_EQ(none_left.verify_workers, 1u);
  for (const ExecutedBlock* e : {&all_left, &few_left, &none_left}) {
    ASSERT_EQ(e->result.outcomes.size(), tx_count);
    for (const TxOutcome& o : e->result.outcomes)
      EXPECT_EQ(o.code, ResultCode::ok) << result_code_name(o.code);
    EXPECT_EQ(e->result.state_root, all_left.result.state_root);
  }

  // Many operations under few signatures, all verified at admission (batch-signed transfers):
  // nothing is left worth a thread, whatever the operation count.
  Block batch_signed;
  batch_signed.header.height = 1;
  for (const std::string_view who : {"issuer-a", "issuer-b"})
    batch_signed.txs.push_back(
        signed_by(who, std::vector<Operation>(tx_ops_max, test::op::issue("bank-0", "USD", 1))));
  const std::vector<uint8_t> both(batch_signed.txs.size(), 1);
  Ledger ledger;
  EXPECT_EQ(
      execute_block(ledger, batch_signed, test::test_network_id(), 2, true, &both).verify_workers,
      1u);
}

// A block's encoding carries its transaction list in the payload encoding, so the payload a
// consensus block was committed with comes back from the ledger block without decoding.
TEST(BlockPayload, IsThePayloadOfTheBlocksEnvelopes) {
  Block block;
  block.header.height = 7;
  block.txs = {signed_tx({op::transfer("bob", usd, 1)}),
               signed_tx({op::transfer("carol", usd, 2)})};
  block.header.tx_count = 2;
  block.header.tx_root = compute_tx_root(block.txs);
  std::vector<Bytes> envelopes;
  for (const auto& tx : block.txs) envelopes.push_back(encode_transaction(tx));
  auto payload = block_payload(encode_block(block));
  ASSERT_TRUE(payload.ok()) << payload.status().to_string();
  EXPECT_EQ(*payload, encode_payload(envelopes));

  Block empty;
  auto none = block_payload(encode_block(empty));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, encode_payload({}));

  // A damaged header is refused; the list itself is checked by whoever holds its hash.
  Bytes bad = encode_block(block);
  bad[0] ^= 0xff;
  EXPECT_FALSE(block_payload(bad).ok());
  EXPECT_FALSE(block_payload(ByteView(encode_block(block)).first(20)).ok());
}

}  // namespace
}  // namespace corridor::ledger
