// Prices of FX offers as exact rationals of two int64 integers, and the conversions between
// amounts that a crossing needs, each with an explicit rounding direction. There is no floating
// point: validators must compute bit-identical fills. docs/fx.md states the rounding rules.
//
// Convention: an offer sells asset S and buys asset B. Its price {n, d} means the owner wants
// n minor units of B for every d minor units of S, so the price is "B per S" and a lower price
// is a better one for a taker. Both components are positive int64 values; every product of an
// amount and a component is formed in __int128, where it cannot overflow (2^63 * 2^63 < 2^127).
//
// int64 components rather than Stellar's int32: asset scales differ by up to 18 decimal places
// (ledger/limits.h), so a price in minor units may need a ratio near 10^18 before any
// significant digits; 31-bit components cannot express that.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/amount.h"

namespace corridor::ledger {

struct Price {
  int64_t n = 0;  // Units of the buying asset...
  int64_t d = 0;  // ...wanted for this many units of the selling asset.

  // Component-wise: 1/2 and 2/4 are different encodings of one value. Use same_value() or
  // compare_prices() for the value; reduce() gives the one canonical encoding.
  friend bool operator==(const Price&, const Price&) = default;
};

// Why a price or an offer's terms are invalid. The ledger maps each reason to its own result
// code (docs/fx.md lists the proposed names); `ok` is the only accepted value.
enum class PriceError : uint8_t {
  ok = 0,
  zero = 1,          // A component is zero.
  negative = 2,      // A component is negative.
  malformed = 3,     // Text that is not a decimal or a fraction.
  overflow = 4,      // A value that does not fit an int64 (text, scaling, or an offer's value).
  over_precise = 5,  // Decimal text with more than price_fraction_digits_max fractional digits.
};
std::string_view price_error_name(PriceError e);

// zero, negative or ok.
PriceError check_price(Price p);

// Checks an offer's terms: the price, and that selling `amount` at it is worth an amount of the
// buying asset that fits an int64 (ceil(amount * n / d) <= INT64_MAX), so that no fill of the
// offer can overflow the owner's proceeds. A non-positive amount is the caller's own error
// (the ledger's op_invalid_amount) and is not judged here.
PriceError check_offer_terms(Amount amount, Price p);

// Orders valid prices by value, by cross-multiplication in __int128.
std::strong_ordering compare_prices(Price a, Price b);
inline bool same_value(Price a, Price b) {
  return compare_prices(a, b) == std::strong_ordering::equal;
}

// The canonical encoding: both components divided by their greatest common divisor.
Price reduce(Price p);
// The price of the opposite side: {d, n}.
inline Price invert(Price p) {
  return {p.d, p.n};
}

// Whether an offer selling S at `resting` (B per S) crosses an offer selling B at `incoming`
// (S per B): the two cross when resting * incoming <= 1, that is resting.n * incoming.n <=
// resting.d * incoming.d.
bool prices_cross(Price resting, Price incoming);

enum class Rounding : uint8_t { down, up };

// amount * p.n / p.d: the buying asset that `amount` of the selling asset is worth at p.
// `amount` must be non-negative and p valid (asserted); nullopt if the result exceeds int64.
std::optional<Amount> buying_amount(Amount selling, Price p, Rounding r);
// amount * p.d / p.n: the selling asset that `amount` of the buying asset is worth at p.
std::optional<Amount> selling_amount(Amount buying, Price p, Rounding r);

// Parses "1.0850" (a decimal) or "217/200" (a fraction) into a reduced price. The text is a
// price in whatever units the caller means; scale_price() converts major units to minor ones.
struct PriceParse {
  PriceError error = PriceError::ok;
  Price price;
};
PriceParse parse_price(std::string_view text);

// Converts a price in major units (for example 1.0850 USD per EUR) to minor units of assets
// with the given scales: n * 10^buying_scale / (d * 10^selling_scale), reduced. overflow if a
// component of the result does not fit an int64.
PriceParse scale_price(Price major, uint8_t selling_scale, uint8_t buying_scale);

}  // namespace corridor::ledger
