// OpenSSL 3 marks the SHA256_* context API deprecated in favour of EVP, whose per-call
// allocation and dispatch cost several times the hash itself for the 65-byte inputs of the
// Merkle tree. The context API is still shipped and maintained, so we use it deliberately.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "base/hash.h"

#include <openssl/sha.h>

namespace corridor {

static_assert(sizeof(SHA256_CTX) <= 128);

Hash256 sha256(ByteView data) {
  Hash256 out;
  SHA256(data.data(), data.size(), out.data());
  return out;
}

Sha256::Sha256() { SHA256_Init(reinterpret_cast<SHA256_CTX*>(state_)); }
Sha256::~Sha256() = default;

void Sha256::update(ByteView data) {
  SHA256_Update(reinterpret_cast<SHA256_CTX*>(state_), data.data(), data.size());
}

Hash256 Sha256::finish() {
  Hash256 out;
  SHA256_Final(out.data(), reinterpret_cast<SHA256_CTX*>(state_));
  return out;
}

Hash256 sha256_node(uint8_t tag, const Hash256& left, const Hash256& right) {
  uint8_t buf[65];
  buf[0] = tag;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  Hash256 out;
  SHA256(buf, sizeof buf, out.data());
  return out;
}

}  // namespace corridor
