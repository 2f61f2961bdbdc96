#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/asset_code.h"

namespace corridor {
namespace {

TEST(AssetCode, AcceptsOneToTwelveUppercaseLettersAndDigits) {
  for (std::string_view ok : {"U", "USD", "EUR2", "0", "ABCDEFGHIJKL", "123456789012", "XAU"}) {
    auto c = AssetCode::parse(ok);
    ASSERT_TRUE(c.ok()) << ok << ": " << c.status().to_string();
    EXPECT_EQ(c->str(), ok);
    EXPECT_EQ(c->size(), ok.size());
    EXPECT_FALSE(c->empty());
    EXPECT_EQ(AssetCode::from_text(ok), *c);
  }
}

TEST(AssetCode, RejectsEmptyTooLongAndOtherCharacters) {
  for (std::string_view bad : {"", "ABCDEFGHIJKLM", "usd", "US D", "US-D", "USD:", "É"}) {
    auto c = AssetCode::parse(bad);
    EXPECT_FALSE(c.ok()) << "'" << bad << "'";
    EXPECT_EQ(c.status().code(), StatusCode::invalid_argument);
    EXPECT_EQ(AssetCode::from_text(bad), std::nullopt) << "'" << bad << "'";
  }
  EXPECT_FALSE(AssetCode::parse(std::string_view("US\0D", 4)).ok());
  EXPECT_EQ(AssetCode::from_text(std::string_view("US\0D", 4)), std::nullopt);
}

TEST(AssetCode, DefaultIsEmptyAndOrderingFollowsText) {
  AssetCode empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.str(), "");
  EXPECT_EQ(*AssetCode::parse("USD"), *AssetCode::parse("USD"));
  EXPECT_NE(*AssetCode::parse("USD"), *AssetCode::parse("USDC"));
  EXPECT_LT(*AssetCode::parse("EUR"), *AssetCode::parse("USD"));
}

TEST(AssetId, TextFormRoundTrips) {
  std::string issuer(40, '0');
  issuer[39] = 'f';
  auto id = AssetId::parse("USD:" + issuer);
  ASSERT_TRUE(id.ok()) << id.status().to_string();
  EXPECT_EQ(id->code.str(), "USD");
  EXPECT_EQ(id->issuer.bytes[19], 0x0f);
  EXPECT_EQ(id->to_string(), "USD:" + issuer);
  auto upper = AssetId::parse("USD:" + std::string(40, 'A'));
  ASSERT_TRUE(upper.ok());
  // Text is canonicalised to lowercase hex.
  EXPECT_EQ(upper->to_string(), "USD:" + std::string(40, 'a'));
}

TEST(AssetId, RejectsMalformedText) {
  std::string issuer(40, 'a');
  for (const std::string& bad : std::vector<std::string>{
           "USD", "USD" + issuer, ":" + issuer, "usd:" + issuer, "USD:", "USD:" + issuer.substr(2),
           "USD:" + issuer + "00", "USD:" + issuer.substr(1) + "g", "USD::" + issuer}) {
    auto id = AssetId::parse(bad);
    EXPECT_FALSE(id.ok()) << bad;
    EXPECT_EQ(id.status().code(), StatusCode::invalid_argument) << bad;
  }
}

TEST(AssetId, SameCodeDifferentIssuersAreDifferentAssets) {
  auto a = AssetId::parse("USD:" + std::string(40, 'a'));
  auto b = AssetId::parse("USD:" + std::string(40, 'b'));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_LT(*a, *b);
}

TEST(ParseAccountId, ReportsWhatWasWrong) {
  auto r = parse_account_id("abc");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("account id"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace corridor
