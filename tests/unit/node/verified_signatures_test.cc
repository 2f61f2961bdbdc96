// The node's record of signatures verified at admission, or vouched for by f + 1 validators:
// exact matches only, taken once, expired with the validity window, bounded.
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
  EXPECT_FALSE(v.take(other, 0, 0));
  EXPECT_TRUE(v.take(tx, 0, 0));
  EXPECT_FALSE(v.take(tx, 0, 0)) << "an entry is used once";
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
  EXPECT_FALSE(v.take(early, 0, 0));
  EXPECT_TRUE(v.take(late, 0, 0));
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

TEST(VerifiedSignaturesTest, VouchedForByEnoughValidatorsOfTheEpochCounts) {
  VerifiedSignatures v;
  const ledger::Transaction tx = test::signed_registration("alice", 1, 100);
  const Hash256 digest = VerifiedSignatures::signatures_digest(tx);
  constexpr uint64_t epoch = 3;
  // One voucher of the two needed (f = 1 of four validators): not enough.
  v.vouch(tx.id, digest, tx.valid_until_height, epoch, 0);
  EXPECT_FALSE(v.take(tx, epoch, 2));
  // The same voucher again adds nothing.
  v.vouch(tx.id, digest, tx.valid_until_height, epoch, 0);
  EXPECT_FALSE(v.take(tx, epoch, 2));
  // Vouches of another epoch do not count towards this one's.
  EXPECT_FALSE(v.take(tx, epoch + 1, 1));
  v.vouch(tx.id, digest, tx.valid_until_height, epoch, 2);
  EXPECT_TRUE(v.take(tx, epoch, 2));
  EXPECT_EQ(v.size(), 0u);
}

TEST(VerifiedSignaturesTest, AVouchNamesExactlyTheSignaturesItWasGiven) {
  VerifiedSignatures v;
  const ledger::Transaction tx = test::signed_registration("alice", 1, 100);
  ledger::Transaction other = tx;
  other.sign(test_key("bob"));
  EXPECT_NE(VerifiedSignatures::signatures_digest(tx),
            VerifiedSignatures::signatures_digest(other));
  // Two validators vouch for `other`'s signatures; a block carrying `tx` (same id, other
  // signatures) must verify it.
  const Hash256 digest = VerifiedSignatures::signatures_digest(other);
  v.vouch(tx.id, digest, tx.valid_until_height, 1, 0);
  v.vouch(tx.id, digest, tx.valid_until_height, 1, 1);
  EXPECT_FALSE(v.take(tx, 1, 2));
  // A vouch for other signatures than the entry's is ignored, so a faulty validator cannot
  // lend its vouch to another signature list.
  v.vouch(tx.id, VerifiedSignatures::signatures_digest(tx), tx.valid_until_height, 1, 2);
  EXPECT_FALSE(v.take(tx, 1, 1));
  EXPECT_TRUE(v.take(other, 1, 2));
}

TEST(VerifiedSignaturesTest, OwnVerificationNeedsNoVouchersAndReplacesOtherSignatures) {
  VerifiedSignatures v;
  const ledger::Transaction tx = test::signed_registration("alice", 1, 100);
  ledger::Transaction other = tx;
  other.sign(test_key("bob"));
  v.vouch(tx.id, VerifiedSignatures::signatures_digest(other), tx.valid_until_height, 1, 0);
  // Verified here: the entry now names these signatures, and the vouches for others are gone.
  v.add(tx);
  EXPECT_FALSE(v.take(other, 1, 1));
  EXPECT_TRUE(v.take(tx, 1, 2));
}

}  // namespace
}  // namespace corridor::node
