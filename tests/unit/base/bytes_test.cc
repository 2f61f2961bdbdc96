#include <gtest/gtest.h>

#include "base/bytes.h"
#include "base/hash.h"
#include "base/keys.h"

namespace corridor {
namespace {

TEST(Prefixed, PutsThePrefixBeforeTheRest) {
  const Bytes rest{0x01, 0x02, 0xff};
  EXPECT_EQ(prefixed('K', rest), (Bytes{'K', 0x01, 0x02, 0xff}));
  EXPECT_EQ(prefixed('H', ByteView{}), (Bytes{'H'}));
}

TEST(Hex, EncodesLowercaseTwoDigitsPerByte) {
  Bytes b = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  EXPECT_EQ(to_hex(b), "00017f80abff");
  EXPECT_EQ(to_hex(Bytes{}), "");
}

TEST(Hex, DecodesEitherCase) {
  auto lower = from_hex("00017f80abff");
  ASSERT_TRUE(lower.ok()) << lower.status().to_string();
  EXPECT_EQ(*lower, (Bytes{0x00, 0x01, 0x7f, 0x80, 0xab, 0xff}));
  auto upper = from_hex("DEADBEEF");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*upper, (Bytes{0xde, 0xad, 0xbe, 0xef}));
  auto empty = from_hex("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(Hex, RejectsOddLengthAndNonHexCharacters) {
  EXPECT_EQ(from_hex("abc").status().code(), StatusCode::invalid_argument);
  for (std::string_view bad : {"0g", "g0", " 0", "0x", "-1", "zz", "0\n"}) {
    auto r = from_hex(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::invalid_argument) << bad;
  }
  // The offset in the message points at the pair holding the bad character.
  EXPECT_NE(from_hex("0011zz").status().message().find("offset 4"), std::string::npos);
}

TEST(Hex, RoundTripsEveryByteValue) {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  auto back = from_hex(to_hex(all));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, all);
}

TEST(FixedBytes, FromHexTextRequiresExactLength) {
  std::string h40(40, 'a');
  auto id = AccountId::from_hex_text(h40);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->hex(), h40);
  EXPECT_FALSE(AccountId::from_hex_text(std::string(38, 'a')).ok());
  EXPECT_FALSE(AccountId::from_hex_text(std::string(42, 'a')).ok());
  EXPECT_FALSE(AccountId::from_hex_text(std::string(39, 'a') + "x").ok());
  // A hash id does not accept an account id's length.
  EXPECT_FALSE(Hash256::from_hex_text(h40).ok());
}

TEST(FixedBytes, ZeroOrderingAndEquality) {
  Hash256 zero;
  EXPECT_TRUE(zero.is_zero());
  Hash256 one;
  one.bytes[31] = 1;
  EXPECT_FALSE(one.is_zero());
  EXPECT_LT(zero, one);
  Hash256 high;
  high.bytes[0] = 1;
  // Ordering is lexicographic from the first byte, like the hex text.
  EXPECT_LT(one, high);
  EXPECT_NE(one, high);
  EXPECT_EQ(Hash256::from_view(one.view()), one);
}

}  // namespace
}  // namespace corridor
