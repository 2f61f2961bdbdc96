// Ed25519 keys and signatures (libsodium), and the account ids derived from public keys.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/hash.h"

namespace corridor {

struct PublicKeyTag {};
struct SignatureTag {};
struct SeedTag {};
struct AccountIdTag {};
using PublicKey = FixedBytes<32, PublicKeyTag>;
using Signature = FixedBytes<64, SignatureTag>;
using Seed = FixedBytes<32, SeedTag>;

// An account id is the first 20 bytes of SHA-256("corridor.account.v1" || public key): short
// enough to repeat in every operation of a large batch, long enough (160 bits) that no one can
// find a key for an id someone else already uses. Its text form is 40 lowercase hex digits.
using AccountId = FixedBytes<20, AccountIdTag>;

AccountId account_id_from_public_key(const PublicKey& key);

// Must be called once before any other crypto function; safe to call again.
void crypto_init();

// An Ed25519 key pair. The secret is held as libsodium's 64-byte expanded form; the 32-byte
// seed is what is written to key files.
class KeyPair {
 public:
  static KeyPair generate();
  static KeyPair from_seed(const Seed& seed);

  const PublicKey& public_key() const { return public_key_; }
  const Seed& seed() const { return seed_; }
  AccountId account_id() const { return account_id_from_public_key(public_key_); }
  Signature sign(ByteView message) const;

 private:
  KeyPair() = default;
  Seed seed_;
  PublicKey public_key_;
  unsigned char secret_[64] = {};
};

// True when `sig` is a valid Ed25519 signature of `message` by `key`. Rejects small-order keys
// and non-canonical signatures, as libsodium's verification does.
bool verify_signature(const PublicKey& key, ByteView message, const Signature& sig);

}  // namespace corridor
