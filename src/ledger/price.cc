#include "ledger/price.h"

#include <limits>
#include <numeric>

#include "base/assert.h"
#include "ledger/limits.h"

namespace corridor::ledger {
namespace {

__extension__ using Int128 = __int128;
constexpr Int128 int64_max = std::numeric_limits<int64_t>::max();

Int128 gcd128(Int128 a, Int128 b) {
  while (b != 0) {
    Int128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

// Exact (a * mul) / div with the requested rounding, for a >= 0 and mul, div > 0.
std::optional<Amount> mul_div(Amount a, int64_t mul, int64_t div, Rounding r) {
  CORRIDOR_ASSERT_MSG(a >= 0, "price conversion of a negative amount");
  CORRIDOR_ASSERT_MSG(mul > 0 && div > 0, "price conversion at an invalid price");
  Int128 product = static_cast<Int128>(a) * mul;
  Int128 q = product / div;
  if (r == Rounding::up && product % div != 0) ++q;
  if (q > int64_max) return std::nullopt;
  return static_cast<Amount>(q);
}

// Parses a run of decimal digits into `out`; false when empty or not all digits. Overflow of
// int64 is reported separately through `overflow`.
bool parse_digits(std::string_view s, Int128& out, bool& overflow) {
  if (s.empty()) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
    // Keep accumulating digits to validate the text, but stop the value from growing past a
    // bound where it could wrap the __int128.
    if (out > int64_max) {
      overflow = true;
      out = int64_max + 1;
    }
  }
  return true;
}

PriceParse finish(Int128 n, Int128 d) {
  if (n == 0 || d == 0) return {PriceError::zero, {}};
  Int128 g = gcd128(n, d);
  n /= g;
  d /= g;
  if (n > int64_max || d > int64_max) return {PriceError::overflow, {}};
  return {PriceError::ok, {static_cast<int64_t>(n), static_cast<int64_t>(d)}};
}

}  // namespace

std::string_view price_error_name(PriceError e) {
  switch (e) {
    case PriceError::ok:
      return "ok";
    case PriceError::zero:
      return "zero";
    case PriceError::negative:
      return "negative";
    case PriceError::malformed:
      return "malformed";
    case PriceError::overflow:
      return "overflow";
    case PriceError::over_precise:
      return "over_precise";
  }
  return "unknown";
}

PriceError check_price(Price p) {
  if (p.n < 0 || p.d < 0) return PriceError::negative;
  if (p.n == 0 || p.d == 0) return PriceError::zero;
  return PriceError::ok;
}

PriceError check_offer_terms(Amount amount, Price p) {
  PriceError e = check_price(p);
  if (e != PriceError::ok) return e;
  CORRIDOR_ASSERT_MSG(amount > 0, "offer terms checked for a non-positive amount");
  if (!buying_amount(amount, p, Rounding::up)) return PriceError::overflow;
  return PriceError::ok;
}

std::strong_ordering compare_prices(Price a, Price b) {
  CORRIDOR_ASSERT(check_price(a) == PriceError::ok && check_price(b) == PriceError::ok);
  // a.n / a.d <=> b.n / b.d, with positive denominators, is a.n * b.d <=> b.n * a.d.
  Int128 left = static_cast<Int128>(a.n) * b.d;
  Int128 right = static_cast<Int128>(b.n) * a.d;
  return left <=> right;
}

Price reduce(Price p) {
  CORRIDOR_ASSERT(check_price(p) == PriceError::ok);
  int64_t g = std::gcd(p.n, p.d);
  return {p.n / g, p.d / g};
}

bool prices_cross(Price resting, Price incoming) {
  CORRIDOR_ASSERT(check_price(resting) == PriceError::ok &&
                  check_price(incoming) == PriceError::ok);
  return static_cast<Int128>(resting.n) * incoming.n <= static_cast<Int128>(resting.d) * incoming.d;
}

std::optional<Amount> buying_amount(Amount selling, Price p, Rounding r) {
  return mul_div(selling, p.n, p.d, r);
}

std::optional<Amount> selling_amount(Amount buying, Price p, Rounding r) {
  return mul_div(buying, p.d, p.n, r);
}

PriceParse parse_price(std::string_view text) {
  if (text.empty()) return {PriceError::malformed, {}};
  bool negative = text.front() == '-';
  if (negative) text.remove_prefix(1);
  bool overflow = false;
  PriceParse out;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    Int128 n = 0, d = 0;
    if (!parse_digits(text.substr(0, slash), n, overflow) ||
        !parse_digits(text.substr(slash + 1), d, overflow))
      return {PriceError::malformed, {}};
    if (overflow) return {PriceError::overflow, {}};
    out = finish(n, d);
  } else {
    size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    std::string_view frac =
        dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
    Int128 w = 0, f = 0;
    if (!parse_digits(whole, w, overflow)) return {PriceError::malformed, {}};
    if (dot != std::string_view::npos && !parse_digits(frac, f, overflow))
      return {PriceError::malformed, {}};
    if (frac.size() > price_fraction_digits_max) return {PriceError::over_precise, {}};
    if (overflow) return {PriceError::overflow, {}};
    Int128 d = 1;
    for (size_t i = 0; i < frac.size(); ++i) d *= 10;
    // w <= 2^63 and d <= 10^18, so w * d + f stays far inside an __int128.
    out = finish(w * d + f, d);
  }
  if (negative && out.error != PriceError::malformed) return {PriceError::negative, {}};
  return out;
}

PriceParse scale_price(Price major, uint8_t selling_scale, uint8_t buying_scale) {
  PriceError e = check_price(major);
  if (e != PriceError::ok) return {e, {}};
  CORRIDOR_ASSERT(selling_scale <= asset_scale_max && buying_scale <= asset_scale_max);
  // Only the difference of the scales matters: 10^min(scales) cancels out.
  Int128 n = major.n;
  Int128 d = major.d;
  for (int i = selling_scale; i < buying_scale; ++i) n *= 10;
  for (int i = buying_scale; i < selling_scale; ++i) d *= 10;
  return finish(n, d);
}

}  // namespace corridor::ledger
