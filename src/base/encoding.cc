#include "base/encoding.h"

namespace corridor {

void Writer::short_string(std::string_view s) {
  CORRIDOR_ASSERT(s.size() <= 255);
  u8(static_cast<uint8_t>(s.size()));
  raw(as_bytes(s));
}

void Writer::var_bytes(ByteView b) {
  CORRIDOR_ASSERT(b.size() <= UINT32_MAX);
  u32(static_cast<uint32_t>(b.size()));
  raw(b);
}

bool Reader::u8(uint8_t& v) {
  ByteView b;
  if (!raw(1, b)) return false;
  v = b[0];
  return true;
}

bool Reader::raw(size_t n, ByteView& out) {
  if (!ok()) return false;
  if (n > remaining()) {
    return fail("truncated: needed " + std::to_string(n) + " bytes at offset " +
                std::to_string(pos_) + ", " + std::to_string(remaining()) + " left");
  }
  out = in_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool Reader::short_string(std::string& s) {
  uint8_t len;
  if (!u8(len)) return false;
  ByteView b;
  if (!raw(len, b)) return false;
  s.assign(reinterpret_cast<const char*>(b.data()), b.size());
  return true;
}

bool Reader::var_bytes(ByteView& out, size_t max_len) {
  uint32_t len;
  if (!u32(len)) return false;
  if (len > max_len)
    return fail("byte string of " + std::to_string(len) + " bytes exceeds the limit of " +
                std::to_string(max_len));
  return raw(len, out);
}

bool Reader::fail(std::string reason) {
  if (ok()) error_ = std::move(reason);
  return false;
}

Status Reader::status(std::string_view what) const {
  if (ok()) return Status();
  return invalid_argument(std::string(what) + ": " + error_);
}

Status Reader::finish(std::string_view what) const {
  if (!ok()) return status(what);
  if (remaining() != 0)
    return invalid_argument(std::string(what) + ": " + std::to_string(remaining()) +
                            " trailing bytes");
  return Status();
}

}  // namespace corridor
