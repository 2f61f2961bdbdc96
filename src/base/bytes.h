// Byte strings, fixed-size byte arrays and their hexadecimal text form.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace corridor {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string to_hex(ByteView bytes);
// A store key: one prefix byte, then `rest`. Sized first and then filled, because GCC 12 at
// -O2 falsely reports appending to a fresh one-byte vector as an overflow (GCC bug 107852),
// which -Werror turns into a failed build; every prefixed key is built here for that reason.
Bytes prefixed(uint8_t prefix, ByteView rest);
// Accepts lowercase or uppercase hex of even length; anything else is invalid_argument.
Result<Bytes> from_hex(std::string_view hex);

// A fixed-size byte array with value semantics, ordering and hex text. Tag keeps
// AccountId, Hash256 and keys distinct types even where their sizes match.
template <size_t N, typename Tag>
struct FixedBytes {
  static constexpr size_t size_bytes = N;
  std::array<uint8_t, N> bytes{};

  const uint8_t* data() const { return bytes.data(); }
  uint8_t* data() { return bytes.data(); }
  static constexpr size_t size() { return N; }
  ByteView view() const { return {bytes.data(), N}; }
  bool is_zero() const {
    for (uint8_t b : bytes)
      if (b != 0) return false;
    return true;
  }
  std::string hex() const { return to_hex(view()); }

  static Result<FixedBytes> from_hex_text(std::string_view text) {
    if (text.size() != 2 * N)
      return invalid_argument("expected " + std::to_string(2 * N) + " hex characters, got " +
                              std::to_string(text.size()));
    auto raw = from_hex(text);
    if (!raw.ok()) return raw.status();
    FixedBytes out;
    std::memcpy(out.bytes.data(), raw->data(), N);
    return out;
  }
  static FixedBytes from_view(ByteView v) {
    CORRIDOR_ASSERT(v.size() == N);
    FixedBytes out;
    std::memcpy(out.bytes.data(), v.data(), N);
    return out;
  }

  friend bool operator==(const FixedBytes&, const FixedBytes&) = default;
  friend auto operator<=>(const FixedBytes&, const FixedBytes&) = default;
};

// Hash functor for FixedBytes keys whose contents are already uniformly distributed
// (hashes, account ids derived from hashes): the first eight bytes are enough.
struct FixedBytesHasher {
  template <size_t N, typename Tag>
  size_t operator()(const FixedBytes<N, Tag>& v) const {
    static_assert(N >= 8);
    uint64_t h;
    std::memcpy(&h, v.bytes.data(), 8);
    return static_cast<size_t>(h);
  }
};

}  // namespace corridor
