// Amounts are signed 64-bit integers of an asset's minor unit (cents for a scale of 2). There is
// no floating point anywhere in the protocol: text is parsed to integers with the asset's scale
// and every sum is checked for overflow.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace corridor {

using Amount = int64_t;

// The largest scale an asset may declare: 10^18 is the largest power of ten in an int64.
inline constexpr uint8_t asset_scale_max = 18;

// Checked arithmetic: nullopt on overflow.
inline std::optional<Amount> checked_add(Amount a, Amount b) {
  Amount r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}
inline std::optional<Amount> checked_sub(Amount a, Amount b) {
  Amount r;
  if (__builtin_sub_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// Parses a decimal text amount ("1250", "1250.5", "0.01") into minor units of the given scale.
// Rejects signs, exponents, empty parts, more fractional digits than the scale allows
// ("over-precise") and values that do not fit in an int64.
Result<Amount> parse_amount(std::string_view text, uint8_t scale);

// Formats minor units as decimal text with exactly `scale` fractional digits.
std::string format_amount(Amount amount, uint8_t scale);

}  // namespace corridor
