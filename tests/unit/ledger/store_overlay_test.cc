#include "ledger/store_overlay.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "base/bytes.h"

namespace corridor::ledger {
namespace {

Bytes key_at(const StoreOverlay& o, size_t i) {
  return Bytes(o.key(i).begin(), o.key(i).end());
}

std::optional<Bytes> value_at(const StoreOverlay& o, size_t i) {
  const auto v = o.at(i).value;
  return v ? std::optional<Bytes>(Bytes(v->begin(), v->end())) : std::nullopt;
}

TEST(StoreOverlay, EmptyHasNoChanges) {
  const StoreOverlay o;
  EXPECT_TRUE(o.empty());
  EXPECT_EQ(o.size(), 0u);
  EXPECT_EQ(o.lower_bound(Bytes{'S'}), 0u);
}

// A present key with an empty value (a live replay id) is not a deleted key, and keys made of
// a prefix byte and the rest read back whole.
TEST(StoreOverlay, KeepsKeysValuesAndDeletionsApart) {
  StoreOverlay::Builder b;
  b.reserve(4, 64);
  b.add(Bytes{'R', 1}, Bytes{});
  b.add(Bytes{'R', 2}, std::nullopt);
  b.add('S', Bytes{0, 7}, Bytes{9, 9, 9});
  b.add('S', Bytes{1}, std::nullopt);
  const StoreOverlay o = std::move(b).finish();
  ASSERT_EQ(o.size(), 4u);
  EXPECT_EQ(key_at(o, 0), (Bytes{'R', 1}));
  EXPECT_EQ(value_at(o, 0), Bytes{});
  EXPECT_EQ(key_at(o, 1), (Bytes{'R', 2}));
  EXPECT_EQ(value_at(o, 1), std::nullopt);
  EXPECT_EQ(key_at(o, 2), (Bytes{'S', 0, 7}));
  EXPECT_EQ(value_at(o, 2), (Bytes{9, 9, 9}));
  EXPECT_EQ(key_at(o, 3), (Bytes{'S', 1}));
  EXPECT_EQ(value_at(o, 3), std::nullopt);
}

TEST(StoreOverlay, LowerBoundFindsTheFirstKeyNotBelow) {
  StoreOverlay::Builder b;
  for (uint8_t k = 10; k <= 50; k += 10) b.add(Bytes{'S', k}, Bytes{k});
  const StoreOverlay o = std::move(b).finish();
  EXPECT_EQ(o.lower_bound(Bytes{'R'}), 0u);
  EXPECT_EQ(o.lower_bound(Bytes{'S'}), 0u);
  EXPECT_EQ(o.lower_bound(Bytes{'S', 10}), 0u);
  EXPECT_EQ(o.lower_bound(Bytes{'S', 10, 0}), 1u);  // A longer key sorts above its prefix.
  EXPECT_EQ(o.lower_bound(Bytes{'S', 30}), 2u);
  EXPECT_EQ(o.lower_bound(Bytes{'S', 31}), 3u);
  EXPECT_EQ(o.lower_bound(Bytes{'S', 50}), 4u);
  EXPECT_EQ(o.lower_bound(Bytes{'T'}), 5u);
}

TEST(StoreOverlayDeathTest, KeysOutOfOrderOrRepeatedAreABug) {
  EXPECT_DEATH(
      {
        StoreOverlay::Builder b;
        b.add(Bytes{'S', 2}, Bytes{1});
        b.add(Bytes{'S', 1}, Bytes{1});
      },
      "out of order");
  EXPECT_DEATH(
      {
        StoreOverlay::Builder b;
        b.add('S', Bytes{2}, Bytes{1});
        b.add('S', Bytes{2}, std::nullopt);
      },
      "out of order");
}

}  // namespace
}  // namespace corridor::ledger
