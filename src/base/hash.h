// SHA-256, the one hash function of the protocol: transaction ids, block hashes, the state tree.
// It runs on OpenSSL's implementation, which uses the CPU's SHA extensions where present.
#pragma once

#include "base/bytes.h"

namespace corridor {

struct Hash256Tag {};
using Hash256 = FixedBytes<32, Hash256Tag>;

Hash256 sha256(ByteView data);

// Incremental hashing for data that is not contiguous in memory.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(ByteView data);
  void update(std::string_view s) { update(as_bytes(s)); }
  Hash256 finish();

 private:
  alignas(16) unsigned char state_[128];  // Holds an OpenSSL SHA256_CTX (112 bytes).
};

// Hash of two 32-byte children with a one-byte domain tag, used by Merkle trees.
Hash256 sha256_node(uint8_t tag, const Hash256& left, const Hash256& right);

}  // namespace corridor
