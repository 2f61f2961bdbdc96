#include "ledger/price.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace corridor::ledger {
namespace {

constexpr int64_t max = std::numeric_limits<int64_t>::max();

TEST(Price, ValidationNamesEachReason) {
  EXPECT_EQ(check_price({1, 1}), PriceError::ok);
  EXPECT_EQ(check_price({max, 1}), PriceError::ok);
  EXPECT_EQ(check_price({1, max}), PriceError::ok);
  EXPECT_EQ(check_price({0, 1}), PriceError::zero);
  EXPECT_EQ(check_price({1, 0}), PriceError::zero);
  EXPECT_EQ(check_price({}), PriceError::zero);
  EXPECT_EQ(check_price({-1, 1}), PriceError::negative);
  EXPECT_EQ(check_price({1, std::numeric_limits<int64_t>::min()}), PriceError::negative);
  EXPECT_EQ(price_error_name(PriceError::over_precise), "over_precise");
}

TEST(Price, ComparesByValueWithoutOverflow) {
  EXPECT_EQ(compare_prices({1, 2}, {2, 4}), std::strong_ordering::equal);
  EXPECT_TRUE(same_value({3, 9}, {1, 3}));
  EXPECT_FALSE(Price({1, 2}) == Price({2, 4}));
  EXPECT_EQ(compare_prices({1, 3}, {1, 2}), std::strong_ordering::less);
  EXPECT_EQ(compare_prices({2, 1}, {1, 1}), std::strong_ordering::greater);
  // x / (x - 1) falls as x grows; the cross products are near 2^126, where int64 wraps and a
  // double cannot tell the two apart.
  EXPECT_EQ(compare_prices({max, max - 1}, {max - 1, max - 2}), std::strong_ordering::less);
  EXPECT_EQ(compare_prices({max, 1}, {max - 1, 1}), std::strong_ordering::greater);
  EXPECT_EQ(compare_prices({1, max}, {1, max - 1}), std::strong_ordering::less);
  EXPECT_EQ(compare_prices({max, max}, {1, 1}), std::strong_ordering::equal);
}

TEST(Price, ReduceAndInvert) {
  EXPECT_EQ(reduce({10, 4}), (Price{5, 2}));
  EXPECT_EQ(reduce({7, 7}), (Price{1, 1}));
  EXPECT_EQ(reduce({max, max}), (Price{1, 1}));
  EXPECT_EQ(invert({5, 2}), (Price{2, 5}));
}

TEST(Price, CrossingOfOppositeOffers) {
  // Resting sells S at 3/2 B per S; an incoming offer selling B wants at least 2/3 S per B.
  EXPECT_TRUE(prices_cross({3, 2}, {2, 3}));
  EXPECT_TRUE(prices_cross({3, 2}, {1, 2}));   // Wants only 1/2 S per B: crosses.
  EXPECT_FALSE(prices_cross({3, 2}, {3, 4}));  // Wants 3/4 S per B, more than is offered.
  EXPECT_TRUE(prices_cross({max, max - 1}, {max - 1, max}));
  EXPECT_FALSE(prices_cross({max, max - 1}, {max - 1, max - 2}));
}

TEST(Price, ConversionsRoundAsAsked) {
  // 10 units at 1/3 B per S: 3.33... B.
  EXPECT_EQ(buying_amount(10, {1, 3}, Rounding::down), 3);
  EXPECT_EQ(buying_amount(10, {1, 3}, Rounding::up), 4);
  EXPECT_EQ(buying_amount(9, {1, 3}, Rounding::up), 3);
  EXPECT_EQ(buying_amount(0, {1, 3}, Rounding::up), 0);
  EXPECT_EQ(selling_amount(10, {3, 1}, Rounding::down), 3);
  EXPECT_EQ(selling_amount(10, {3, 1}, Rounding::up), 4);
  // Products beyond int64 are exact in the intermediate.
  EXPECT_EQ(buying_amount(max, {max, max}, Rounding::down), max);
  EXPECT_EQ(buying_amount(max, {max - 1, max}, Rounding::up), max - 1);
  // (max - 1)(max - 2) / max = max - 3 + 2 / max.
  EXPECT_EQ(buying_amount(max - 1, {max - 2, max}, Rounding::down), max - 3);
  EXPECT_EQ(buying_amount(max - 1, {max - 2, max}, Rounding::up), max - 2);
  // Results beyond int64 are refused.
  EXPECT_EQ(buying_amount(max, {2, 1}, Rounding::down), std::nullopt);
  EXPECT_EQ(buying_amount(max / 2 + 1, {2, 1}, Rounding::down), std::nullopt);
  EXPECT_EQ(buying_amount(max / 2, {2, 1}, Rounding::down), max - 1);
  EXPECT_EQ(selling_amount(max, {1, max}, Rounding::up), std::nullopt);
}

TEST(Price, OfferTermsMustNotOverflowTheProceeds) {
  EXPECT_EQ(check_offer_terms(1'000, {3, 2}), PriceError::ok);
  EXPECT_EQ(check_offer_terms(max, {1, 1}), PriceError::ok);
  EXPECT_EQ(check_offer_terms(max, {2, 1}), PriceError::overflow);
  // ceil(max * (max - 1) / (max - 2)) is just above max.
  EXPECT_EQ(check_offer_terms(max, {max - 1, max - 2}), PriceError::overflow);
  EXPECT_EQ(check_offer_terms(1, {0, 1}), PriceError::zero);
  EXPECT_EQ(check_offer_terms(1, {1, -1}), PriceError::negative);
}

PriceParse parse(const std::string& s) {
  return parse_price(s);
}

TEST(Price, ParsesDecimalsAndFractions) {
  EXPECT_EQ(parse("1.0850").price, (Price{217, 200}));
  EXPECT_EQ(parse("217/200").price, (Price{217, 200}));
  EXPECT_EQ(parse("434/400").price, (Price{217, 200}));
  EXPECT_EQ(parse("150").price, (Price{150, 1}));
  EXPECT_EQ(parse("0.5").price, (Price{1, 2}));
  EXPECT_EQ(parse("9223372036854775807").price, (Price{max, 1}));
  EXPECT_EQ(parse("1/9223372036854775807").price, (Price{1, max}));
  EXPECT_EQ(parse("1.000000000000000001").price,
            (Price{1'000'000'000'000'000'001, 1'000'000'000'000'000'000}));
  EXPECT_EQ(parse("0.000000000000000001").price, (Price{1, 1'000'000'000'000'000'000}));
}

TEST(Price, RejectsBadTextWithItsOwnReason) {
  EXPECT_EQ(parse("").error, PriceError::malformed);
  EXPECT_EQ(parse("abc").error, PriceError::malformed);
  EXPECT_EQ(parse("1.").error, PriceError::malformed);
  EXPECT_EQ(parse(".5").error, PriceError::malformed);
  EXPECT_EQ(parse("1/").error, PriceError::malformed);
  EXPECT_EQ(parse("1/2/3").error, PriceError::malformed);
  EXPECT_EQ(parse("1.5/2").error, PriceError::malformed);
  EXPECT_EQ(parse("1e5").error, PriceError::malformed);
  EXPECT_EQ(parse("+1").error, PriceError::malformed);
  EXPECT_EQ(parse("0").error, PriceError::zero);
  EXPECT_EQ(parse("0.000").error, PriceError::zero);
  EXPECT_EQ(parse("0/5").error, PriceError::zero);
  EXPECT_EQ(parse("5/0").error, PriceError::zero);
  EXPECT_EQ(parse("-1.5").error, PriceError::negative);
  EXPECT_EQ(parse("-3/2").error, PriceError::negative);
  EXPECT_EQ(parse("9223372036854775808").error, PriceError::overflow);
  EXPECT_EQ(parse("1/99999999999999999999999999999999999999999").error, PriceError::overflow);
  EXPECT_EQ(parse("9223372036854775807.5").error, PriceError::overflow);
  EXPECT_EQ(parse("1.0000000000000000001").error, PriceError::over_precise);
  EXPECT_EQ(parse("0.0000000000000000000").error, PriceError::over_precise);
}

TEST(Price, ScalesMajorUnitsToMinorUnits) {
  // 1.0850 USD (scale 2) per EUR (scale 2): the scales cancel.
  EXPECT_EQ(scale_price({217, 200}, 2, 2).price, (Price{217, 200}));
  // 150 JPY (scale 0) per USD (scale 2): 150 yen per 100 cents.
  EXPECT_EQ(scale_price({150, 1}, 2, 0).price, (Price{3, 2}));
  // 1 USD (scale 2) per 0.0001 of an 18-decimal asset: 100 cents per 10^14 minor units.
  EXPECT_EQ(scale_price({10'000, 1}, 18, 2).price, (Price{1, 1'000'000'000'000}));
  EXPECT_EQ(scale_price({max, 1}, 0, 18).error, PriceError::overflow);
  EXPECT_EQ(scale_price({1, max}, 18, 0).error, PriceError::overflow);
  EXPECT_EQ(scale_price({0, 1}, 2, 2).error, PriceError::zero);
}

}  // namespace
}  // namespace corridor::ledger
