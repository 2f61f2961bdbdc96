// Compact proposals: a payload named partly by transaction ids expands, from the envelopes a
// peer holds, to exactly the payload the leader proposed; a missing id is counted and yields no
// payload; malformed compact forms are refused with an error.
#include "node/compact_proposal.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/encoding.h"
#include "ledger/limits.h"
#include "ledger/payload.h"
#include "support/test_support.h"

namespace corridor::node {
namespace {

struct Held {
  std::map<Hash256, Bytes> by_id;

  void hold(const ledger::Transaction& tx) { by_id[tx.id] = ledger::encode_transaction(tx); }
  EnvelopeIdLookup id_of() const {
    return [this](ByteView envelope) -> std::optional<Hash256> {
      for (const auto& [id, e] : by_id)
        if (std::ranges::equal(e, envelope)) return id;
      return std::nullopt;
    };
  }
  EnvelopeLookup envelope_of() const {
    return [this](const Hash256& id) -> std::optional<ByteView> {
      auto it = by_id.find(id);
      if (it == by_id.end()) return std::nullopt;
      return ByteView(it->second);
    };
  }
};

Held holding(std::initializer_list<ledger::Transaction> txs) {
  Held held;
  for (const ledger::Transaction& tx : txs) held.hold(tx);
  return held;
}

TEST(CompactProposal, ExpandsToTheProposedPayloadByteForByte) {
  const ledger::Transaction a = test::signed_registration("alice", 1);
  const ledger::Transaction b = test::signed_registration("bob", 2);
  const ledger::Transaction c = test::signed_registration("carol", 3);
  const Bytes payload =
      ledger::encode_payload({ledger::encode_transaction(a), ledger::encode_transaction(b),
                              ledger::encode_transaction(c)});

  // The leader holds a and c (b reached it some other way): b travels whole.
  const Held leader = holding({a, c});
  auto compact = compact_payload(payload, leader.id_of());
  ASSERT_TRUE(compact.has_value());
  EXPECT_EQ(compact->ids, 2u);
  EXPECT_LT(compact->bytes.size(), payload.size());

  const Held peer = holding({a, c});
  auto expanded = expand_payload(compact->bytes, peer.envelope_of());
  ASSERT_TRUE(expanded.ok()) << expanded.status().to_string();
  EXPECT_EQ(expanded->ids, 2u);
  EXPECT_EQ(expanded->missing, 0u);
  EXPECT_EQ(expanded->payload, payload);

  // An empty payload stays empty.
  auto empty = compact_payload(ledger::encode_payload({}), leader.id_of());
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->ids, 0u);
  auto back = expand_payload(empty->bytes, peer.envelope_of());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->payload, ledger::encode_payload({}));
}

TEST(CompactProposal, AMissingTransactionIsCountedAndGivesNoPayload) {
  const ledger::Transaction a = test::signed_registration("alice", 1);
  const ledger::Transaction b = test::signed_registration("bob", 2);
  const Bytes payload =
      ledger::encode_payload({ledger::encode_transaction(a), ledger::encode_transaction(b)});
  const Held leader = holding({a, b});
  auto compact = compact_payload(payload, leader.id_of());
  ASSERT_TRUE(compact.has_value());
  EXPECT_EQ(compact->ids, 2u);

  const Held peer = holding({b});
  auto expanded = expand_payload(compact->bytes, peer.envelope_of());
  ASSERT_TRUE(expanded.ok());
  EXPECT_EQ(expanded->missing, 1u);
  EXPECT_TRUE(expanded->payload.empty());
}

TEST(CompactProposal, OtherBytesUnderTheSameIdExpandToAnotherPayload) {
  // The id does not cover signatures: a peer holding the same transaction signed otherwise
  // rebuilds other bytes, which the block id check (in the orderer) then tells apart.
  const ledger::Transaction a = test::signed_registration("alice", 1);
  ledger::Transaction other = a;
  ASSERT_FALSE(other.signatures.empty());
  other.signatures[0].signature.data()[0] ^= 1;
  ASSERT_EQ(other.id, a.id);
  const Bytes payload = ledger::encode_payload({ledger::encode_transaction(a)});
  const Held leader = holding({a});
  auto compact = compact_payload(payload, leader.id_of());
  ASSERT_TRUE(compact.has_value());

  const Held peer = holding({other});
  auto expanded = expand_payload(compact->bytes, peer.envelope_of());
  ASSERT_TRUE(expanded.ok());
  EXPECT_EQ(expanded->missing, 0u);
  EXPECT_NE(expanded->payload, payload);
}

// A compact form: the count, then the given bytes.
Bytes compact_form(uint32_t count, std::initializer_list<uint8_t> rest, size_t zeros = 0) {
  Bytes b;
  Writer w(b);
  w.u32(count);
  for (uint8_t byte : rest) w.u8(byte);
  w.raw(Bytes(zeros, 0));
  return b;
}

TEST(CompactProposal, MalformedFormsAreRefused) {
  const Held none;
  Bytes oversized_envelope = compact_form(1, {compact_entry_envelope});
  Writer(oversized_envelope).u32(static_cast<uint32_t>(ledger::tx_bytes_max + 1));
  const std::vector<std::pair<std::string, Bytes>> cases = {
      {"truncated count", Bytes{1, 0}},
      {"count above the block's limit", compact_form(ledger::block_txs_max + 1, {})},
      {"unknown tag", compact_form(1, {7})},
      {"truncated id", compact_form(1, {compact_entry_id}, 31)},
      {"envelope above a transaction's limit", oversized_envelope},
      {"bytes after the last entry", compact_form(0, {0})},
  };
  for (const auto& [what, bytes] : cases)
    EXPECT_FALSE(expand_payload(bytes, none.envelope_of()).ok()) << what;
  // A payload that is not a well-formed list has no compact form.
  Held leader;
  EXPECT_FALSE(compact_payload(Bytes{5, 0, 0, 0}, leader.id_of()).has_value());
}

}  // namespace
}  // namespace corridor::node
