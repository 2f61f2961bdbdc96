// The node's record of signatures verified at admission: exact matches only, taken once,
// expired with the validity window, bounded.
#include "node/verified_signatures.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace corridor::node {
namespace {

using test::test_key;

TEST(VerifiedSignaturesTest, MatchesOnlyTheExactSignaturesAndOnlyOnce) {
  VerifiedSignatures v;
  const ledger::Transaction tx = test::signed_registration("alice", 1, 100);
  v.add(tx);
  // The same body with another signature list (here one more signature) is not a match.
  ledger::Transaction other = tx;
  other.sign(test_key("bob"));
  EXPECT_FALSE(v.take(other));
  EXPECT_TRUE(v.take(tx));
  EXPECT_FALSE(v.take(tx)) << "an entry is used once";
  EXPECT_EQ(v.size(), 0u);
}

TEST(VerifiedSignaturesTest, EntriesExpireWithTheirValidityWindow) {
  VerifiedSignatures v;
  const ledger::Transaction early = test::signed_registration("alice", 1, 10);
  const ledger::Transaction late = test::signed_registration("bob", 2, 20);
  v.add(early);
  v.add(late);
  v.expire(10);  // Height 10 may still apply a transaction valid until 10.
  EXPECT_EQ(v.size(), 2u);
  v.expire(11);
  EXPECT_EQ(v.size(), 1u);
  EXPECT_FALSE(v.take(early));
  EXPECT_TRUE(v.take(late));
  v.expire(1'000);
  EXPECT_EQ(v.size(), 0u);
}

TEST(VerifiedSignaturesTest, StaysBounded) {
  VerifiedSignatures v;
  for (uint64_t i = 0; i < VerifiedSignatures::entries_max + 10; ++i) {
    ledger::Transaction tx;
    tx.nonce = i;
    tx.valid_until_height = 5;
    // A distinct id without signing: the record keys on the id alone.
    for (size_t k = 0; k < 8; ++k) tx.id.bytes[k] = static_cast<uint8_t>(i >> (8 * k));
    v.add(tx);
  }
  EXPECT_EQ(v.size(), VerifiedSignatures::entries_max);
  v.expire(6);
  EXPECT_EQ(v.size(), 0u);
}

}  // namespace
}  // namespace corridor::node
