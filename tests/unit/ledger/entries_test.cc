#include <gtest/gtest.h>

#include "base/encoding.h"
#include "ledger/entries.h"
#include "support/test_support.h"

namespace corridor::ledger {
namespace {

using test::asset;
using test::test_id;

TEST(EntryKeys, LayoutIsKindThenIds) {
  AssetId usd = asset("USD", "cb");
  Bytes account, asset_key, holding;
  encode_account_key(test_id("bank"), account);
  encode_asset_key(usd, asset_key);
  encode_holding_key(test_id("bank"), usd, holding);
  EXPECT_EQ(to_hex(account), "01" + test_id("bank").hex());
  EXPECT_EQ(to_hex(asset_key), "02" + test_id("cb").hex() + "03555344");
  EXPECT_EQ(to_hex(holding), "03" + test_id("bank").hex() + test_id("cb").hex() + "03555344");

  auto k = decode_entry_key(holding);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->kind, EntryKind::holding);
  EXPECT_EQ(k->account, test_id("bank"));
  EXPECT_EQ(k->asset, usd);
  auto a = decode_entry_key(asset_key);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, EntryKind::asset);
  EXPECT_EQ(a->asset, usd);
  auto c = decode_entry_key(account);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->kind, EntryKind::account);
  EXPECT_EQ(c->account, test_id("bank"));
}

TEST(EntryKeys, DecodingRejectsMalformedKeys) {
  Bytes holding;
  encode_holding_key(test_id("bank"), asset("USD", "cb"), holding);
  for (size_t len = 0; len < holding.size(); ++len) {
    Bytes prefix(holding.begin(), holding.begin() + static_cast<std::ptrdiff_t>(len));
    EXPECT_FALSE(decode_entry_key(prefix).ok()) << len;
  }
  Bytes trailing = holding;
  trailing.push_back(0);
  EXPECT_FALSE(decode_entry_key(trailing).ok());
  Bytes bad_code = holding;
  bad_code.back() = 'd';
  EXPECT_FALSE(decode_entry_key(bad_code).ok());
  for (uint8_t kind : {0, 250, 255}) {
    Bytes k = holding;
    k[0] = kind;
    auto r = decode_entry_key(k);
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("unknown entry kind"), std::string::npos);
  }
}

TEST(EntryValues, RoundTripAndLayout) {
  AccountEntry acct;
  acct.id = test_id("bank");
  acct.signers = {{test::test_key("m").public_key(), 1}, {test::test_key("c").public_key(), 300}};
  acct.threshold = 2;
  Bytes av;
  encode_account_value(acct, av);
  EXPECT_EQ(to_hex(av), "02" + test::test_key("m").public_key().hex() + "0100" +
                            test::test_key("c").public_key().hex() + "2c01" + "0200");
  auto acct2 = decode_account_value(acct.id, av);
  ASSERT_TRUE(acct2.ok());
  EXPECT_EQ(acct2->id, acct.id);
  EXPECT_EQ(acct2->signers, acct.signers);
  EXPECT_EQ(acct2->threshold, 2);

  AssetEntry as;
  as.id = asset("USD", "cb");
  as.scale = 2;
  as.flags = 5;
  as.supply = 0x0102;
  Bytes sv;
  encode_asset_value(as, sv);
  EXPECT_EQ(to_hex(sv),
            "0205"
            "0201000000000000");
  auto as2 = decode_asset_value(as.id, sv);
  ASSERT_TRUE(as2.ok());
  EXPECT_EQ(as2->id, as.id);
  EXPECT_EQ(as2->scale, 2);
  EXPECT_EQ(as2->flags, 5);
  EXPECT_EQ(as2->supply, 0x0102);

  HoldingEntry h{-1, 7, holding_flag_authorized | holding_flag_frozen, true};
  Bytes hv;
  encode_holding_value(h, hv);
  // The dirty flag is bookkeeping, not state: it is not encoded.
  EXPECT_EQ(to_hex(hv),
            "ffffffffffffffff"
            "0700000000000000"
            "03");
  auto h2 = decode_holding_value(hv);
  ASSERT_TRUE(h2.ok());
  EXPECT_EQ(h2->balance, -1);
  EXPECT_EQ(h2->limit, 7);
  EXPECT_TRUE(h2->authorized());
  EXPECT_TRUE(h2->frozen());
  EXPECT_FALSE(h2->dirty);
}

TEST(EntryValues, DecodingRejectsTruncationTrailingBytesAndTooManySigners) {
  HoldingEntry h{5, 7, 1, false};
  Bytes hv;
  encode_holding_value(h, hv);
  for (size_t len = 0; len < hv.size(); ++len)
    EXPECT_FALSE(decode_holding_value(ByteView(hv).first(len)).ok()) << len;
  hv.push_back(0);
  EXPECT_FALSE(decode_holding_value(hv).ok());

  AssetEntry as;
  Bytes sv;
  encode_asset_value(as, sv);
  sv.push_back(1);
  EXPECT_FALSE(decode_asset_value(as.id, sv).ok());

  AccountEntry acct;
  for (int i = 0; i < 9; ++i)
    acct.signers.push_back({test::test_key(std::to_string(i)).public_key(), 1});
  Bytes av;
  encode_account_value(acct, av);
  auto r = decode_account_value(acct.id, av);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("too many signers"), std::string::npos);
  Bytes empty;
  EXPECT_FALSE(decode_account_value(acct.id, empty).ok());
}

}  // namespace
}  // namespace corridor::ledger
