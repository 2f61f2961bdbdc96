#include "base/amount.h"

#include <cstdlib>

namespace corridor {

Result<Amount> parse_amount(std::string_view text, uint8_t scale) {
  if (scale > asset_scale_max)
    return invalid_argument("scale above " + std::to_string(asset_scale_max));
  if (text.empty()) return invalid_argument("empty amount");
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty())
    return invalid_argument("amount '" + std::string(text) + "' has no integer part");
  if (dot != std::string_view::npos && frac.empty())
    return invalid_argument("amount '" + std::string(text) + "' ends with a decimal point");
  if (frac.size() > scale)
    return invalid_argument("amount '" + std::string(text) + "' has more than " +
                            std::to_string(scale) + " fractional digits");
  Amount value = 0;
  auto push_digit = [&](char c) -> bool {
    if (c < '0' || c > '9') return false;
    Amount r;
    if (__builtin_mul_overflow(value, Amount{10}, &r)) return false;
    if (__builtin_add_overflow(r, Amount{c - '0'}, &r)) return false;
    value = r;
    return true;
  };
  std::string_view digits_error = "amount '";
  for (char c : whole)
    if (!push_digit(c))
      return invalid_argument(std::string(digits_error) + std::string(text) +
                              "' is not a non-negative decimal number within range");
  for (char c : frac)
    if (!push_digit(c))
      return invalid_argument(std::string(digits_error) + std::string(text) +
                              "' is not a non-negative decimal number within range");
  for (size_t i = frac.size(); i < scale; ++i)
    if (!push_digit('0'))
      return invalid_argument("amount '" + std::string(text) + "' is out of range");
  return value;
}

std::string format_amount(Amount amount, uint8_t scale) {
  bool negative = amount < 0;
  // Work in unsigned so that INT64_MIN formats without overflow.
  uint64_t mag = negative ? (~static_cast<uint64_t>(amount) + 1) : static_cast<uint64_t>(amount);
  std::string digits = std::to_string(mag);
  if (scale > 0) {
    if (digits.size() <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
    digits.insert(digits.size() - scale, ".");
  }
  return negative ? "-" + digits : digits;
}

}  // namespace corridor
