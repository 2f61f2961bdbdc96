#include <gtest/gtest.h>

#include "base/keys.h"
#include "support/test_support.h"

namespace corridor {
namespace {

Seed rfc8032_seed() {
  auto s = Seed::from_hex_text("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  CORRIDOR_ASSERT(s.ok());
  return *s;
}

// RFC 8032 section 7.1, TEST 1: the empty message.
TEST(Ed25519, Rfc8032TestVector1) {
  KeyPair kp = KeyPair::from_seed(rfc8032_seed());
  EXPECT_EQ(kp.seed(), rfc8032_seed());
  EXPECT_EQ(kp.public_key().hex(),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  Signature sig = kp.sign({});
  EXPECT_EQ(sig.hex(),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc6"
            "1e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(verify_signature(kp.public_key(), {}, sig));
}

TEST(Ed25519, VerificationRejectsAnyChange) {
  KeyPair kp = KeyPair::from_seed(rfc8032_seed());
  Bytes msg = {1, 2, 3};
  Signature sig = kp.sign(msg);
  ASSERT_TRUE(verify_signature(kp.public_key(), msg, sig));
  Bytes other_msg = {1, 2, 4};
  EXPECT_FALSE(verify_signature(kp.public_key(), other_msg, sig));
  for (size_t i : {0, 31, 32, 63}) {
    Signature bad = sig;
    bad.bytes[i] ^= 0x01;
    EXPECT_FALSE(verify_signature(kp.public_key(), msg, bad)) << "byte " << i;
  }
  KeyPair other = test::test_key("someone else");
  EXPECT_FALSE(verify_signature(other.public_key(), msg, sig));
  // The all-zero key is of small order and never verifies.
  EXPECT_FALSE(verify_signature(PublicKey{}, msg, Signature{}));
}

TEST(Ed25519, GeneratedKeysDifferAndSign) {
  KeyPair a = KeyPair::generate();
  KeyPair b = KeyPair::generate();
  EXPECT_NE(a.public_key(), b.public_key());
  Bytes msg = {9};
  EXPECT_TRUE(verify_signature(a.public_key(), msg, a.sign(msg)));
  EXPECT_EQ(KeyPair::from_seed(a.seed()).public_key(), a.public_key());
}

// Pins the derivation: the first 20 bytes of SHA-256("corridor.account.v1" || public key),
// computed independently with Python's hashlib for the RFC 8032 key above.
TEST(AccountId, DerivationKnownAnswer) {
  KeyPair kp = KeyPair::from_seed(rfc8032_seed());
  EXPECT_EQ(account_id_from_public_key(kp.public_key()).hex(),
            "a37055e2017ed7fd492c474dad3961189fc67f44");
  EXPECT_EQ(kp.account_id(), account_id_from_public_key(kp.public_key()));
}

// The named test keys are part of every pinned test and scenario; they must never change.
TEST(TestKeys, AreDeterministicAndPinned) {
  EXPECT_EQ(test::test_key("alice").public_key().hex(),
            "d5bf4a3fcce717b0388bcc2749ebc148ad9969b23f45ee1b605fd58778576ac4");
  EXPECT_EQ(test::test_id("alice").hex(), "f2b6fe1b5eecc362d76261e2a3ad64518cc40775");
  EXPECT_EQ(test::test_id("bob").hex(), "96d5805ef6dd3480c05defce62a24854cfd64e2f");
  EXPECT_EQ(test::test_key("alice").public_key(), test::test_key("alice").public_key());
  EXPECT_NE(test::test_id("alice"), test::test_id("Alice"));
}

}  // namespace
}  // namespace corridor
