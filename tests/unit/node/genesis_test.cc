// Genesis files: written and read back to the same ledger block 0, which installs exactly the
// listed validators; anything else is refused with a clear message.
#include "node/genesis.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node/chain_store.h"
#include "support/test_support.h"

namespace corridor::node {
namespace {

using ::testing::HasSubstr;

Genesis sample(uint64_t state_root_interval_blocks = 1) {
  std::vector<GenesisPeer> validators;
  for (int i = 0; i < 4; ++i)
    validators.push_back({"v" + std::to_string(i),
                          test::test_key("gv" + std::to_string(i)).public_key(), "127.0.0.1",
                          static_cast<uint16_t>(26'100 + i)});
  std::vector<GenesisPeer> observers{
      {"o0", test::test_key("go0").public_key(), "127.0.0.1", 26'104}};
  return make_genesis("genesis-test", validators, observers, test::test_key("operator"),
                      state_root_interval_blocks);
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

// The state root interval travels in the file, and the network id commits to it: block 0's
// transactions are signed for that id, so a file whose interval was edited afterwards no longer
// matches its own transactions' network (each node checks them when it executes block 0).
TEST(Genesis, CarriesTheStateRootIntervalThatTheNetworkIdCommitsTo) {
  Genesis g = sample(8);
  auto parsed = parse_genesis(genesis_to_toml(g));
  ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->state_root_interval_blocks, 8u);
  auto block = genesis_ledger_block(*parsed);
  ASSERT_TRUE(block.ok());
  for (const auto& tx : block->txs) EXPECT_EQ(tx.network_id, network_id_for("genesis-test", 8));
  EXPECT_EQ(network_id_for("genesis-test", 1), network_id_for_name("genesis-test"));
  EXPECT_NE(network_id_for("genesis-test", 8), network_id_for_name("genesis-test"));
  EXPECT_NE(network_id_for("genesis-test", 8), network_id_for("genesis-test", 4));
  // A file without the key is an interval of 1 (files written before it existed).
  std::string text = genesis_to_toml(sample());
  const auto at = text.find("state_root_interval_blocks = 1\n");
  ASSERT_NE(at, std::string::npos);
  text.erase(at, std::string("state_root_interval_blocks = 1\n").size());
  auto old = parse_genesis(text);
  ASSERT_TRUE(old.ok()) << old.status().to_string();
  EXPECT_EQ(old->state_root_interval_blocks, 1u);
  // Out of range.
  for (const char* bad : {"0", "65", "-1"}) {
    std::string t = genesis_to_toml(sample());
    t.replace(t.find("state_root_interval_blocks = 1"), 30,
              std::string("state_root_interval_blocks = ") + bad);
    EXPECT_THAT(parse_genesis(t).status().message(), HasSubstr("state_root_interval_blocks"))
        << bad;
  }
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
