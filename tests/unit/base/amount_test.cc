#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "base/amount.h"

namespace corridor {
namespace {

constexpr Amount kMax = std::numeric_limits<Amount>::max();
constexpr Amount kMin = std::numeric_limits<Amount>::min();

Amount parse_ok(std::string_view text, uint8_t scale) {
  auto r = parse_amount(text, scale);
  EXPECT_TRUE(r.ok()) << text << " scale " << int{scale} << ": " << r.status().to_string();
  return r.ok() ? *r : -1;
}

void expect_rejected(std::string_view text, uint8_t scale) {
  auto r = parse_amount(text, scale);
  EXPECT_FALSE(r.ok()) << "'" << text << "' at scale " << int{scale} << " parsed as "
                       << (r.ok() ? *r : 0);
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), StatusCode::invalid_argument) << text;
  }
}

TEST(ParseAmount, ScalesIntoMinorUnits) {
  EXPECT_EQ(parse_ok("1250", 2), 125000);
  EXPECT_EQ(parse_ok("1250.5", 2), 125050);
  EXPECT_EQ(parse_ok("1250.05", 2), 125005);
  EXPECT_EQ(parse_ok("0.01", 2), 1);
  EXPECT_EQ(parse_ok("0", 2), 0);
  EXPECT_EQ(parse_ok("0", 0), 0);
  EXPECT_EQ(parse_ok("42", 0), 42);
  EXPECT_EQ(parse_ok("007.10", 3), 7100);
  EXPECT_EQ(parse_ok("1", 18), 1'000'000'000'000'000'000);
  EXPECT_EQ(parse_ok("0.000000000000000001", 18), 1);
}

TEST(ParseAmount, RejectsOverPrecision) {
  expect_rejected("0.001", 2);
  expect_rejected("1.0", 0);
  expect_rejected("1.00", 1);
  expect_rejected("0.0000000000000000001", 18);
}

TEST(ParseAmount, RejectsSignsAndNonDigits) {
  expect_rejected("-1", 2);
  expect_rejected("-0", 2);
  expect_rejected("+1", 2);
  expect_rejected("1e3", 2);
  expect_rejected("1,000", 2);
  expect_rejected(" 1", 2);
  expect_rejected("1 ", 2);
  expect_rejected("0x10", 2);
  expect_rejected("1.-5", 2);
  expect_rejected("1..5", 3);
  expect_rejected("1.2.3", 4);
  expect_rejected("abc", 2);
}

TEST(ParseAmount, RejectsEmptyParts) {
  expect_rejected("", 2);
  expect_rejected(".", 2);
  expect_rejected(".5", 2);
  expect_rejected("5.", 2);
  expect_rejected("5.", 0);
}

TEST(ParseAmount, AcceptsTheLargestInt64AndRejectsOneMore) {
  EXPECT_EQ(parse_ok("9223372036854775807", 0), kMax);
  expect_rejected("9223372036854775808", 0);
  EXPECT_EQ(parse_ok("92233720368547758.07", 2), kMax);
  expect_rejected("92233720368547758.08", 2);
  // The overflow may come from the implicit trailing zeros of a short fraction.
  EXPECT_EQ(parse_ok("92233720368547758", 2), 9223372036854775800);
  expect_rejected("92233720368547759", 2);
  EXPECT_EQ(parse_ok("9.223372036854775807", 18), kMax);
  expect_rejected("9.223372036854775808", 18);
  expect_rejected("10", 18);
  expect_rejected("99999999999999999999999999999", 0);
}

TEST(ParseAmount, RejectsScaleAboveMaximum) {
  expect_rejected("1", 19);
  expect_rejected("0", 255);
}

TEST(FormatAmount, PadsToExactlyScaleDigits) {
  EXPECT_EQ(format_amount(125050, 2), "1250.50");
  EXPECT_EQ(format_amount(5, 2), "0.05");
  EXPECT_EQ(format_amount(0, 2), "0.00");
  EXPECT_EQ(format_amount(0, 0), "0");
  EXPECT_EQ(format_amount(42, 0), "42");
  EXPECT_EQ(format_amount(1, 18), "0.000000000000000001");
  EXPECT_EQ(format_amount(-5, 2), "-0.05");
  EXPECT_EQ(format_amount(-125000, 2), "-1250.00");
}

TEST(FormatAmount, ExtremeValues) {
  EXPECT_EQ(format_amount(kMax, 0), "9223372036854775807");
  EXPECT_EQ(format_amount(kMax, 2), "92233720368547758.07");
  EXPECT_EQ(format_amount(kMax, 18), "9.223372036854775807");
  EXPECT_EQ(format_amount(kMin, 0), "-9223372036854775808");
  EXPECT_EQ(format_amount(kMin, 2), "-92233720368547758.08");
}

TEST(Amount, FormatThenParseRoundTrips) {
  const Amount values[] = {0, 1, 9, 10, 99, 100, 101, 123456789, 1'000'000'000'000, kMax - 1, kMax};
  for (uint8_t scale : {0, 1, 2, 6, 8, 18})
    for (Amount v : values) {
      std::string text = format_amount(v, scale);
      EXPECT_EQ(parse_ok(text, scale), v) << text;
    }
}

TEST(CheckedArithmetic, DetectsOverflowAtTheEdges) {
  EXPECT_EQ(checked_add(kMax - 1, 1), kMax);
  EXPECT_EQ(checked_add(kMax, 1), std::nullopt);
  EXPECT_EQ(checked_add(kMin, -1), std::nullopt);
  EXPECT_EQ(checked_add(kMax, kMin), -1);
  EXPECT_EQ(checked_sub(kMin + 1, 1), kMin);
  EXPECT_EQ(checked_sub(kMin, 1), std::nullopt);
  EXPECT_EQ(checked_sub(0, kMin), std::nullopt);
  EXPECT_EQ(checked_sub(-1, kMin), kMax);
}

}  // namespace
}  // namespace corridor
