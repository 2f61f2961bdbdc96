// The canonical binary encoding (docs/protocol.md): fixed-width little-endian integers, byte
// strings with explicit lengths, no padding, no optional fields. Every value has exactly one
// encoding, so hashes and signatures over encodings are well defined.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace corridor {

// Big-endian u64, for storage keys: bytewise key order is then numeric order (heights).
inline void put_be64(Bytes& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
// Reads the first eight bytes of b as a big-endian u64; b must hold at least eight.
inline uint64_t get_be64(ByteView b) {
  CORRIDOR_ASSERT(b.size() >= 8);
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}

class Writer {
 public:
  explicit Writer(Bytes& out) : out_(out) {}

  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { put_le(v); }
  void u32(uint32_t v) { put_le(v); }
  void u64(uint64_t v) { put_le(v); }
  void i64(int64_t v) { put_le(static_cast<uint64_t>(v)); }
  void raw(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  template <size_t N, typename Tag>
  void fixed(const FixedBytes<N, Tag>& v) {
    raw(v.view());
  }
  // A string of at most 255 bytes: one length byte, then the bytes.
  void short_string(std::string_view s);
  // A byte string of at most 2^32-1 bytes: a u32 length, then the bytes.
  void var_bytes(ByteView b);

  size_t size() const { return out_.size(); }

 private:
  template <typename T>
  void put_le(T v) {
    uint8_t buf[sizeof(T)];
    for (size_t i = 0; i < sizeof(T); ++i) buf[i] = static_cast<uint8_t>(v >> (8 * i));
    out_.insert(out_.end(), buf, buf + sizeof(T));
  }
  Bytes& out_;
};

// Reads the canonical encoding with bounds checks. Every read returns false on a short
// buffer and latches the error; callers check ok() or use finish().
class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}

  bool u8(uint8_t& v);
  bool u16(uint16_t& v) { return get_le(v); }
  bool u32(uint32_t& v) { return get_le(v); }
  bool u64(uint64_t& v) { return get_le(v); }
  bool i64(int64_t& v) {
    uint64_t u;
    if (!get_le(u)) return false;
    v = static_cast<int64_t>(u);
    return true;
  }
  bool raw(size_t n, ByteView& out);
  template <size_t N, typename Tag>
  bool fixed(FixedBytes<N, Tag>& v) {
    ByteView b;
    if (!raw(N, b)) return false;
    std::memcpy(v.data(), b.data(), N);
    return true;
  }
  bool short_string(std::string& s);
  // Reads a u32-length byte string of at most max_len bytes.
  bool var_bytes(ByteView& out, size_t max_len);

  // Marks the input as malformed with a reason (for semantic checks made by the caller).
  bool fail(std::string reason);

  bool ok() const { return error_.empty(); }
  size_t offset() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }
  // The Status of the whole read: requires no error and every byte consumed.
  Status finish(std::string_view what) const;
  Status status(std::string_view what) const;

 private:
  template <typename T>
  bool get_le(T& v) {
    ByteView b;
    if (!raw(sizeof(T), b)) return false;
    T r = 0;
    for (size_t i = 0; i < sizeof(T); ++i) r |= static_cast<T>(static_cast<T>(b[i]) << (8 * i));
    v = r;
    return true;
  }
  ByteView in_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace corridor
