#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "ledger/limits.h"
#include "ledger/transaction.h"
#include "support/test_support.h"

namespace corridor::ledger {
namespace {

using test::asset;
using test::test_id;
using test::test_key;

// Offsets into an envelope: version, network id, source, nonce, valid_until_height, op count.
constexpr size_t kOpCountOffset = 1 + 32 + 20 + 8 + 8;
constexpr size_t kFirstOpOffset = kOpCountOffset + 4;

Transaction make_tx(std::vector<Operation> ops, std::string_view signer = "alice") {
  Transaction tx;
  tx.network_id = test::test_network_id();
  tx.source = test_id("alice");
  tx.nonce = 0x0102030405060708ULL;
  tx.valid_until_height = 1000;
  tx.ops = std::move(ops);
  tx.sign(test_key(signer));
  return tx;
}

// One operation of every type, with field values that exercise the encoding: a negative
// amount, the largest amount, both booleans.
std::vector<Operation> one_of_each() {
  return {
      CreateAccountOp{test_key("alice").public_key()},
      SetSignersOp{{{test_key("alice").public_key(), 1}, {test_key("bob").public_key(), 2}}, 3},
      CreateAssetOp{test::code("USD"), 2, 7},
      OpenHoldingOp{asset("USD", "bob"), 1'000'000},
      AuthorizeHoldingOp{test_id("bob"), test::code("USD"), true},
      FreezeHoldingOp{test_id("bob"), test::code("USD"), false},
      IssueOp{test_id("bob"), test::code("USD"), 250},
      RedeemOp{asset("USD", "bob"), 5},
      TransferOp{test_id("carol"), asset("USD", "bob"), -1},
      ClawbackOp{test_id("bob"), test::code("USD"), std::numeric_limits<Amount>::max()},
  };
}

void expect_same_tx(const Transaction& a, const Transaction& b) {
  EXPECT_EQ(a.network_id, b.network_id);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.nonce, b.nonce);
  EXPECT_EQ(a.valid_until_height, b.valid_until_height);
  EXPECT_TRUE(a.ops == b.ops);
  EXPECT_EQ(a.signatures, b.signatures);
  EXPECT_EQ(a.id, b.id);
}

Status decode_status(const Bytes& envelope) {
  return decode_transaction(envelope).status();
}

void expect_rejected(const Bytes& envelope, std::string_view reason) {
  Status st = decode_status(envelope);
  EXPECT_EQ(st.code(), StatusCode::invalid_argument) << st.to_string();
  EXPECT_NE(st.message().find(reason), std::string::npos)
      << "expected '" << reason << "' in: " << st.message();
}

// The exact bytes of a fixed transaction, computed independently with Python (hashlib and
// the cryptography package's Ed25519) from the layout in transaction.cc. Any change to the
// encoding of an operation, the body, the id or the signing message changes these bytes.
TEST(TransactionEncoding, KnownAnswer) {
  Transaction tx = make_tx(one_of_each());
  const std::string expected_hex =
      "019d5f07c20e93d6be40984da8ce154375077be09818ec0fa735ab292a7ce64d03f2b6fe1b5eecc362d76261e2a3"
      "ad64"
      "518cc407750807060504030201e8030000000000000a00000001d5bf4a3fcce717b0388bcc2749ebc148ad9969b2"
      "3f45"
      "ee1b605fd58778576ac40202d5bf4a3fcce717b0388bcc2749ebc148ad9969b23f45ee1b605fd58778576ac40100"
      "ecc1"
      "b58727f3f12b3194881a9ecb9de0b28ce7b207230d8e930fe1bce75e256c02000300030355534402070403555344"
      "96d5"
      "805ef6dd3480c05defce62a24854cfd64e2f40420f00000000000596d5805ef6dd3480c05defce62a24854cfd64e"
      "2f03"
      "555344010696d5805ef6dd3480c05defce62a24854cfd64e2f03555344000796d5805ef6dd3480c05defce62a248"
      "54cf"
      "d64e2f03555344fa00000000000000080355534496d5805ef6dd3480c05defce62a24854cfd64e2f050000000000"
      "0000"
      "090f4663eea80c037c9d49e5b2d90a35d897dfb22c0355534496d5805ef6dd3480c05defce62a24854cfd64e2fff"
      "ffff"
      "ffffffffff0a96d5805ef6dd3480c05defce62a24854cfd64e2f03555344ffffffffffffff7f01d5bf4a3fcce717"
      "b038"
      "8bcc2749ebc148ad9969b23f45ee1b605fd58778576ac498d0e4fb3160fea0a5bbde0aa86d4bd5012f79f4c35481"
      "06ca"
      "edaffd2c61d871df54f83eda163246ffd9915b4458f0651b2011c0ec323774332ca2a6c2047202";
  Bytes envelope = encode_transaction(tx);
  EXPECT_EQ(envelope.size(), 519u);
  EXPECT_EQ(to_hex(envelope), expected_hex);
  EXPECT_EQ(tx.id.hex(), "a0deea69a449a4a8170975f3b4b72ddb59714fd61c64e76854a47650815080d2");

  auto decoded = decode_transaction(envelope);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  expect_same_tx(*decoded, tx);
}

TEST(TransactionEncoding, IdCoversTheBodyButNotTheSignatures) {
  Transaction tx = make_tx({IssueOp{test_id("bob"), test::code("USD"), 1}});
  Hash256 id = tx.id;
  Bytes body;
  encode_tx_body(tx, body);
  EXPECT_EQ(sha256(body), id);
  tx.sign(test_key("bob"));
  EXPECT_EQ(tx.id, id);
  EXPECT_EQ(tx.signatures.size(), 2u);
  tx.nonce += 1;
  tx.compute_id();
  EXPECT_NE(tx.id, id);
  // Signers sign the domain-separated id, not the bare id.
  Bytes msg = tx_signing_message(id);
  EXPECT_EQ(std::string(msg.begin(), msg.begin() + 14), "corridor.tx.v1");
  EXPECT_EQ(msg.size(), 14u + 32u);
}

TEST(TransactionEncoding, RoundTripsEveryOperationType) {
  for (const Operation& op : one_of_each()) {
    Transaction tx = make_tx({op});
    auto decoded = decode_transaction(encode_transaction(tx));
    ASSERT_TRUE(decoded.ok()) << op_type_name(op_type(op)) << ": " << decoded.status().to_string();
    SCOPED_TRACE(std::string(op_type_name(op_type(op))));
    expect_same_tx(*decoded, tx);
    EXPECT_EQ(op_type(decoded->ops[0]), op_type(op));
  }
}

TEST(TransactionEncoding, RoundTripsBoundaryValues) {
  Transaction tx = make_tx({
      CreateAssetOp{test::code("ABCDEFGHIJKL"), 18, 0},
      SetSignersOp{{}, 0},
      OpenHoldingOp{asset("Z", "bob"), std::numeric_limits<Amount>::min()},
      AuthorizeHoldingOp{test_id("bob"), test::code("U"), false},
      FreezeHoldingOp{test_id("bob"), test::code("U"), true},
      IssueOp{test_id("bob"), test::code("U"), 0},
  });
  tx.nonce = UINT64_MAX;
  tx.valid_until_height = 0;
  tx.signatures.clear();
  tx.sign(test_key("alice"));
  for (const char* name : {"s1", "s2", "s3", "s4", "s5", "s6", "s7"}) tx.sign(test_key(name));
  ASSERT_EQ(tx.signatures.size(), tx_signatures_max);
  auto decoded = decode_transaction(encode_transaction(tx));
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  expect_same_tx(*decoded, tx);
}

TEST(TransactionEncoding, RoundTripsTheLargestBatch) {
  std::vector<Operation> ops(tx_ops_max, TransferOp{test_id("bob"), asset("USD", "cb"), 1});
  Transaction tx = make_tx(std::move(ops));
  Bytes envelope = encode_transaction(tx);
  EXPECT_LE(envelope.size(), tx_bytes_max);
  auto decoded = decode_transaction(envelope);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->ops.size(), tx_ops_max);
  EXPECT_EQ(decoded->id, tx.id);
}

// create_asset with a one-character code is five bytes, the smallest valid operation. A batch of
// them (an issuer setting up its assets) is a valid transaction and must decode.
TEST(TransactionEncoding, DecodesABatchOfTheSmallestOperations) {
  std::vector<Operation> ops;
  for (char c = 'A'; c <= 'Z'; ++c)
    ops.push_back(CreateAssetOp{test::code(std::string(1, c)), 2, 0});
  Transaction tx = make_tx(ops);
  ASSERT_EQ(check_stateless(tx, test::test_network_id()).code, ResultCode::ok);
  auto decoded = decode_transaction(encode_transaction(tx));
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->ops.size(), 26u);
}

TEST(TransactionDecoding, EveryTruncationIsRejected) {
  Bytes envelope = encode_transaction(make_tx(one_of_each()));
  for (size_t len = 0; len < envelope.size(); ++len) {
    // A separate allocation of exactly len bytes, so that AddressSanitizer sees any overread.
    Bytes prefix(envelope.begin(), envelope.begin() + static_cast<std::ptrdiff_t>(len));
    Status st = decode_status(prefix);
    EXPECT_EQ(st.code(), StatusCode::invalid_argument) << "prefix of " << len << " bytes";
  }
}

TEST(TransactionDecoding, RejectsTrailingBytes) {
  Bytes envelope = encode_transaction(make_tx(one_of_each()));
  envelope.push_back(0);
  expect_rejected(envelope, "1 trailing bytes");
}

TEST(TransactionDecoding, RejectsAnUnknownVersion) {
  Bytes envelope = encode_transaction(make_tx(one_of_each()));
  envelope[0] = 2;
  expect_rejected(envelope, "unsupported transaction version 2");
}

TEST(TransactionDecoding, RejectsUnknownOperationTypes) {
  Bytes envelope = encode_transaction(make_tx({IssueOp{test_id("bob"), test::code("USD"), 1}}));
  ASSERT_EQ(envelope[kFirstOpOffset], static_cast<uint8_t>(OpType::issue));
  for (uint8_t type : {0, 250, 255}) {
    Bytes bad = envelope;
    bad[kFirstOpOffset] = type;
    expect_rejected(bad, "unknown operation type " + std::to_string(type));
  }
}

TEST(TransactionDecoding, RejectsNonCanonicalBooleans) {
  for (const Operation& op :
       {Operation{AuthorizeHoldingOp{test_id("bob"), test::code("USD"), true}},
        Operation{FreezeHoldingOp{test_id("bob"), test::code("USD"), true}}}) {
    Bytes envelope = encode_transaction(make_tx({op}));
    // The boolean is the operation's last byte: type, holder (20), code (1 + 3), flag.
    size_t flag = kFirstOpOffset + 1 + 20 + 4;
    ASSERT_EQ(envelope[flag], 1);
    for (uint8_t v : {2, 0x80, 0xff}) {
      Bytes bad = envelope;
      bad[flag] = v;
      expect_rejected(bad, "boolean byte must be 0 or 1");
    }
  }
}

TEST(TransactionDecoding, RejectsInvalidAssetCodes) {
  Bytes envelope = encode_transaction(make_tx({IssueOp{test_id("bob"), test::code("USD"), 1}}));
  // type, recipient (20), then the code's length byte and characters.
  size_t code_len = kFirstOpOffset + 1 + 20;
  ASSERT_EQ(envelope[code_len], 3);
  Bytes lower = envelope;
  lower[code_len + 1] = 'u';
  expect_rejected(lower, "may hold only A-Z and 0-9");
  Bytes space = envelope;
  space[code_len + 2] = ' ';
  expect_rejected(space, "may hold only A-Z and 0-9");
  // A length of zero leaves "USD" to be read as the amount, but the empty code fails first.
  Bytes empty = envelope;
  empty[code_len] = 0;
  expect_rejected(empty, "asset code must be 1 to 12 characters");

  // A 13-character code, written by hand because AssetCode cannot hold one.
  Bytes body;
  Writer w(body);
  w.u8(tx_version);
  w.fixed(test::test_network_id());
  w.fixed(test_id("alice"));
  w.u64(1);
  w.u64(10);
  w.u32(1);
  w.u8(static_cast<uint8_t>(OpType::create_asset));
  w.short_string("ABCDEFGHIJKLM");
  w.u8(2);
  w.u8(0);
  // One signature's worth of bytes, so that only the code can be wrong.
  w.u8(1);
  w.raw(Bytes(96, 0));
  expect_rejected(body, "asset code must be 1 to 12 characters");
}

TEST(TransactionDecoding, RejectsOperationCountsAboveTheLimit) {
  Bytes envelope = encode_transaction(make_tx({IssueOp{test_id("bob"), test::code("USD"), 1}}));
  auto set_count = [&](uint32_t n) {
    Bytes bad = envelope;
    for (int i = 0; i < 4; ++i) bad[kOpCountOffset + i] = static_cast<uint8_t>(n >> (8 * i));
    return bad;
  };
  expect_rejected(set_count(tx_ops_max + 1), "operations exceed the limit of 10000");
  expect_rejected(set_count(UINT32_MAX), "operations exceed the limit");
  // Within the limit, but the remaining bytes cannot hold that many operations.
  expect_rejected(set_count(tx_ops_max), "exceeds what the bytes can hold");
  expect_rejected(set_count(1000), "exceeds what the bytes can hold");
  // One operation more than encoded: the signatures are read as an operation, and whatever
  // they decode to, the envelope is rejected.
  expect_rejected(set_count(2), "transaction: ");

  std::vector<Operation> ops(tx_ops_max + 1, IssueOp{test_id("bob"), test::code("USD"), 1});
  expect_rejected(encode_transaction(make_tx(ops)), "operations exceed the limit of 10000");
}

TEST(TransactionDecoding, RejectsTooManySignaturesAndSigners) {
  Transaction tx = make_tx({IssueOp{test_id("bob"), test::code("USD"), 1}});
  for (int i = 0; i < 8; ++i) tx.sign(test_key("extra" + std::to_string(i)));
  ASSERT_EQ(tx.signatures.size(), 9u);
  expect_rejected(encode_transaction(tx), "9 signatures exceed the limit of 8");

  SetSignersOp nine;
  for (int i = 0; i < 9; ++i) nine.signers.push_back({test_key(std::to_string(i)).public_key(), 1});
  nine.threshold = 1;
  expect_rejected(encode_transaction(make_tx({nine})), "signer list of 9 exceeds 8");
}

TEST(TransactionDecoding, RejectsOversizeEnvelopes) {
  Bytes huge(tx_bytes_max + 1, 0);
  expect_rejected(huge, "exceeds the limit of 1048576");
  // The size check comes first: a valid envelope padded past the limit is rejected for size.
  Bytes padded = encode_transaction(make_tx(one_of_each()));
  padded.resize(tx_bytes_max + 1, 0);
  expect_rejected(padded, "bytes exceeds the limit");
}

TEST(TransactionDecoding, RejectsEmptyInput) {
  expect_rejected(Bytes{}, "truncated");
}

}  // namespace
}  // namespace corridor::ledger
