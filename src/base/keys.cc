#include "base/keys.h"

#include <sodium.h>

#include <cstring>

namespace corridor {

void crypto_init() {
  static const int rc = sodium_init();
  CORRIDOR_ASSERT_MSG(rc >= 0, "libsodium failed to initialise");
}

AccountId account_id_from_public_key(const PublicKey& key) {
  Sha256 h;
  h.update(std::string_view("corridor.account.v1"));
  h.update(key.view());
  Hash256 digest = h.finish();
  AccountId id;
  std::memcpy(id.data(), digest.data(), AccountId::size());
  return id;
}

KeyPair KeyPair::generate() {
  crypto_init();
  Seed seed;
  randombytes_buf(seed.data(), seed.size());
  return from_seed(seed);
}

KeyPair KeyPair::from_seed(const Seed& seed) {
  crypto_init();
  KeyPair kp;
  kp.seed_ = seed;
  crypto_sign_seed_keypair(kp.public_key_.data(), kp.secret_, seed.data());
  return kp;
}

Signature KeyPair::sign(ByteView message) const {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_);
  return sig;
}

bool verify_signature(const PublicKey& key, ByteView message, const Signature& sig) {
  return crypto_sign_verify_detached(sig.data(), message.data(), message.size(), key.data()) == 0;
}

}  // namespace corridor
