// Genesis files: written and read back to the same ledger block 0, which installs exactly the
// listed validators; anything else is refused with a clear message.
#include "node/genesis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/test_support.h"

namespace corridor::node {
namespace {

using ::testing::HasSubstr;

Genesis sample() {
  std::vector<GenesisPeer> validators;
  for (int i = 0; i < 4; ++i)
    validators.push_back({"v" + std::to_string(i),
                          test::test_key("gv" + std::to_string(i)).public_key(), "127.0.0.1",
                          static_cast<uint16_t>(26'100 + i)});
  std::vector<GenesisPeer> observers{
      {"o0", test::test_key("go0").public_key(), "127.0.0.1", 26'104}};
  return make_genesis("genesis-test", validators, observers, test::test_key("operator"));
}

TEST(Genesis, RoundTripsThroughTomlToTheSameBlock) {
  Genesis g = sample();
  auto parsed = parse_genesis(genesis_to_toml(g));
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->network_name, "genesis-test");
  ASSERT_EQ(parsed->validators.size(), 4u);
  ASSERT_EQ(parsed->observers.size(), 1u);
  EXPECT_EQ(parsed->validators[2].key, g.validators[2].key);
  EXPECT_EQ(parsed->validators[2].port, 26'102);
  auto a = genesis_ledger_block(g);
  auto b = genesis_ledger_block(*parsed);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->header.hash(), b->header.hash());
  EXPECT_EQ(a->header.height, 0u);
}

TEST(Genesis, RefusesABlockThatInstallsOtherValidators) {
  Genesis g = sample();
  g.validators.pop_back();
  auto r = parse_genesis(genesis_to_toml(g));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("installs other validators"));
}

TEST(Genesis, RefusesMalformedFiles) {
  EXPECT_THAT(parse_genesis("network_name = \"x\"\n").status().message(),
              HasSubstr("no validators"));
  EXPECT_THAT(parse_genesis("network_name = \n").status().message(), HasSubstr("line 1"));
  Genesis g = sample();
  g.transactions[1] = {1, 2, 3};
  EXPECT_THAT(parse_genesis(genesis_to_toml(g)).status().message(),
              HasSubstr("genesis transaction 1"));
}

}  // namespace
}  // namespace corridor::node
