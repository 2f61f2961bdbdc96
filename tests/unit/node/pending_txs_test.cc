// The BFT orderer's pending transactions: a proposal's or a committed block's envelope is taken
// decoded from admission only when its bytes are identical; the same id under other bytes is
// decoded from the block. Readers produce exactly what decoding the payload would.
#include "node/pending_txs.h"

#include <gtest/gtest.h>

#include "ledger/payload.h"
#include "support/test_support.h"

namespace corridor::node {
namespace {

// Adds a transaction as the orderer does: decoded from its envelope.
Bytes add(PendingTxs& pending, const ledger::Transaction& tx) {
  Bytes envelope = ledger::encode_transaction(tx);
  auto decoded = ledger::decode_transaction(envelope);
  EXPECT_TRUE(decoded.ok());
  EXPECT_TRUE(pending.add(std::move(decoded).value(), envelope));
  return envelope;
}

TEST(PendingTxsTest, IdenticalEnvelopesAreTakenDecodedNotDecodedAgain) {
  PendingTxs pending;
  const ledger::Transaction a = test::signed_registration("alice", 1);
  const ledger::Transaction b = test::signed_registration("bob", 2);
  const Bytes ea = add(pending, a);
  const Bytes eb = add(pending, b);
  EXPECT_FALSE(pending.add(a, ea)) << "one entry per id";
  EXPECT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending.decoded_ops(), 2u);

  const Bytes payload = ledger::encode_payload({eb});
  auto ids = pending.payload_ids(payload);
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(*ids, std::vector<Hash256>{b.id});
  EXPECT_EQ(pending.counters().envelopes_matched, 1u);

  auto txs = pending.take_payload(payload);
  ASSERT_TRUE(txs.has_value());
  ASSERT_EQ(txs->size(), 1u);
  EXPECT_EQ((*txs)[0].tx.id, b.id);
  EXPECT_EQ((*txs)[0].tx.signatures, b.signatures);
  EXPECT_EQ((*txs)[0].envelope, eb);
  EXPECT_EQ(pending.counters().envelopes_matched, 2u);
  EXPECT_EQ(pending.counters().envelopes_decoded, 0u);
  EXPECT_FALSE(pending.contains(b.id));
  EXPECT_TRUE(pending.contains(a.id));
  EXPECT_EQ(pending.decoded_ops(), 1u);
}

TEST(PendingTxsTest, TheSameIdUnderOtherBytesIsDecodedFromTheBlock) {
  PendingTxs pending;
  const ledger::Transaction held = test::signed_registration("alice", 1);
  add(pending, held);
  // A Byzantine leader's block carries the same body (same id) with a signature that does not
  // verify: the node must execute these bytes, not the transaction it admitted.
  ledger::Transaction forged = held;
  forged.signatures[0].signature.bytes[7] ^= 0x01;
  const Bytes forged_envelope = ledger::encode_transaction(forged);
  ASSERT_EQ(forged.id, held.id);
  const Bytes payload = ledger::encode_payload({forged_envelope});

  auto ids = pending.payload_ids(payload);
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(*ids, std::vector<Hash256>{held.id});
  EXPECT_EQ(pending.counters().envelopes_matched, 0u);
  EXPECT_EQ(pending.counters().envelopes_decoded, 1u);

  auto txs = pending.take_payload(payload);
  ASSERT_TRUE(txs.has_value());
  ASSERT_EQ(txs->size(), 1u);
  EXPECT_EQ((*txs)[0].tx.signatures, forged.signatures);
  EXPECT_NE((*txs)[0].tx.signatures, held.signatures);
  EXPECT_EQ((*txs)[0].envelope, forged_envelope);
  EXPECT_EQ(pending.counters().envelopes_matched, 0u);
  EXPECT_EQ(pending.counters().envelopes_decoded, 2u);
  // The block applies (or refuses) that id: the admitted copy is void.
  EXPECT_FALSE(pending.contains(held.id));
  EXPECT_EQ(pending.size(), 0u);
  EXPECT_EQ(pending.decoded_ops(), 0u);
}

TEST(PendingTxsTest, ReadsExactlyWhatDecodingThePayloadReads) {
  PendingTxs pending;
  const ledger::Transaction a = test::signed_registration("alice", 1);
  const ledger::Transaction b = test::signed_registration("bob", 2);
  const ledger::Transaction c = test::signed_registration("carol", 3);
  const Bytes ea = add(pending, a);
  const Bytes ec = add(pending, c);
  const Bytes eb = ledger::encode_transaction(b);  // Not held.
  const Bytes garbage{0xff, 0x01, 0x02};
  // Held, not held, undecodable, a held one twice (a Byzantine leader's repetition).
  const Bytes payload = ledger::encode_payload({ea, eb, garbage, ec, ec});
  auto expected = ledger::decode_payload_txs(payload);
  ASSERT_TRUE(expected.has_value());
  auto ids = pending.payload_ids(payload);
  ASSERT_TRUE(ids.has_value());
  auto txs = pending.take_payload(payload);
  ASSERT_TRUE(txs.has_value());
  ASSERT_EQ(txs->size(), expected->size());
  ASSERT_EQ(ids->size(), expected->size());
  for (size_t i = 0; i < txs->size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ((*ids)[i], (*expected)[i].tx.id);
    EXPECT_EQ((*txs)[i].tx.id, (*expected)[i].tx.id);
    EXPECT_EQ((*txs)[i].tx.signatures, (*expected)[i].tx.signatures);
    EXPECT_EQ(ledger::encode_transaction((*txs)[i].tx),
              ledger::encode_transaction((*expected)[i].tx));
    EXPECT_EQ((*txs)[i].envelope, (*expected)[i].envelope);
  }
  EXPECT_EQ(pending.size(), 0u);

  // A malformed list is nullopt for every reader (it executes as an empty block).
  Bytes truncated = payload;
  truncated.pop_back();
  EXPECT_FALSE(ledger::decode_payload_txs(truncated).has_value());
  EXPECT_FALSE(pending.payload_ids(truncated).has_value());
  EXPECT_FALSE(pending.take_payload(truncated).has_value());
}

TEST(PendingTxsTest, DecodedFormsStayWithinTheirBoundAndTheRestIsDecodedAtCommit) {
  PendingTxs pending(/*decoded_ops_limit=*/2);
  const ledger::Transaction a = test::signed_registration("alice", 1);
  const ledger::Transaction b = test::signed_registration("bob", 2);
  const ledger::Transaction c = test::signed_registration("carol", 3);
  add(pending, a);
  add(pending, b);
  const Bytes ec = add(pending, c);
  EXPECT_EQ(pending.decoded_ops(), 2u);
  ASSERT_NE(pending.find_id(c.id), nullptr);
  EXPECT_FALSE(pending.find_id(c.id)->tx.has_value()) << "past the bound: envelope only";
  // Its id is still found by its bytes.
  auto ids = pending.payload_ids(ledger::encode_payload({ec}));
  ASSERT_TRUE(ids.has_value());
  EXPECT_EQ(*ids, std::vector<Hash256>{c.id});
  auto txs = pending.take_payload(ledger::encode_payload({ec}));
  ASSERT_TRUE(txs.has_value());
  ASSERT_EQ(txs->size(), 1u);
  EXPECT_EQ((*txs)[0].tx.id, c.id);
  EXPECT_EQ(pending.counters().envelopes_decoded, 1u);
  EXPECT_FALSE(pending.contains(c.id));
  // Expiry frees decoded room.
  pending.erase_if([&](const PendingTxs::Entry& e) { return e.id == a.id; });
  EXPECT_EQ(pending.decoded_ops(), 1u);
  pending.erase(b.id);
  EXPECT_EQ(pending.decoded_ops(), 0u);
  EXPECT_TRUE(pending.empty());
}

}  // namespace
}  // namespace corridor::node
