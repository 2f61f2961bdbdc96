// OpenSSL 3 marks the SHA256_* context API deprecated in favour of EVP, whose per-call
// allocation and dispatch cost several times the hash itself for the 65-byte inputs of the
// Merkle tree. The context API is still shipped and maintained, so we use it deliberately.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "base/hash.h"

#include <openssl/sha.h>

namespace corridor {

static_assert(sizeof(SHA256_CTX) <= 128);

// OpenSSL 3's one-shot SHA256() fetches the algorithm through EVP on every call, which costs
// more than hashing a 65-byte tree node; the context functions go straight to the
// (SHA-extension accelerated) block function.
Hash256 sha256(ByteView data) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  Hash256 out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

Sha256::Sha256() {
  SHA256_Init(reinterpret_cast<SHA256_CTX*>(state_));
}
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
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, buf, sizeof buf);
  Hash256 out;
  SHA256_Final(out.data(), &ctx);
  return out;
}

}  // namespace corridor
