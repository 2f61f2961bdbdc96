// parse_node_config and node_config_to_toml: the round trip of every field, and a clear
// invalid_argument for anything else (unknown names, wrong types, out-of-range values, bad TOML).
#include "node/config.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace corridor::node {
namespace {

using ::testing::HasSubstr;

// A configuration in which every field differs from its default.
NodeConfig all_fields_changed() {
  NodeConfig c;
  c.data_dir = "/var/lib/corridor/node-7";
  c.network_name = "corridor-test-net";
  c.storage = StorageEngine::memory;
  c.checkpoint_blocks = 128;
  c.checkpoint_offset_blocks = 64;
  c.background_write_mb_per_s = 20;
  c.block_interval_ms = 7;
  c.block_txs_max = 1'234;
  c.block_ops_max = 56'789;
  c.mempool_txs_max = 4'321;
  c.mempool_ops_max = 98'765;
  c.mempool_account_ops_per_s = 1'234;
  c.mempool_account_burst_ops = 54'321;
  c.verify_threads = 5;
  c.check_invariants = true;
  c.api_address = "0.0.0.0";
  c.api_port = 18'080;
  c.api_threads = 3;
  c.log_level = "debug";
  c.mode = NodeConfig::Mode::bft;
  c.key_file = "/etc/corridor/node.key";
  c.genesis_file = "/etc/corridor/genesis.toml";
  c.peer_address = "0.0.0.0";
  c.peer_port = 26'100;
  c.empty_block_delay_ms = 25;
  c.root_block_delay_ms = 7;
  c.round_timeout_ms = 700;
  c.state_sync_lag_blocks = 40;
  c.state_sync_snapshot_interval_blocks = 9;
  return c;
}

void expect_same(const NodeConfig& a, const NodeConfig& b) {
  EXPECT_EQ(a.data_dir, b.data_dir);
  EXPECT_EQ(a.network_name, b.network_name);
  EXPECT_EQ(a.storage, b.storage);
  EXPECT_EQ(a.checkpoint_blocks, b.checkpoint_blocks);
  EXPECT_EQ(a.checkpoint_offset_blocks, b.checkpoint_offset_blocks);
  EXPECT_EQ(a.background_write_mb_per_s, b.background_write_mb_per_s);
  EXPECT_EQ(a.block_interval_ms, b.block_interval_ms);
  EXPECT_EQ(a.block_txs_max, b.block_txs_max);
  EXPECT_EQ(a.block_ops_max, b.block_ops_max);
  EXPECT_EQ(a.mempool_txs_max, b.mempool_txs_max);
  EXPECT_EQ(a.mempool_ops_max, b.mempool_ops_max);
  EXPECT_EQ(a.mempool_account_ops_per_s, b.mempool_account_ops_per_s);
  EXPECT_EQ(a.mempool_account_burst_ops, b.mempool_account_burst_ops);
  EXPECT_EQ(a.verify_threads, b.verify_threads);
  EXPECT_EQ(a.check_invariants, b.check_invariants);
  EXPECT_EQ(a.api_address, b.api_address);
  EXPECT_EQ(a.api_port, b.api_port);
  EXPECT_EQ(a.api_threads, b.api_threads);
  EXPECT_EQ(a.log_level, b.log_level);
  EXPECT_EQ(a.mode, b.mode);
  EXPECT_EQ(a.key_file, b.key_file);
  EXPECT_EQ(a.genesis_file, b.genesis_file);
  EXPECT_EQ(a.peer_address, b.peer_address);
  EXPECT_EQ(a.peer_port, b.peer_port);
  EXPECT_EQ(a.empty_block_delay_ms, b.empty_block_delay_ms);
  EXPECT_EQ(a.root_block_delay_ms, b.root_block_delay_ms);
  EXPECT_EQ(a.round_timeout_ms, b.round_timeout_ms);
  EXPECT_EQ(a.state_sync_lag_blocks, b.state_sync_lag_blocks);
  EXPECT_EQ(a.state_sync_snapshot_interval_blocks, b.state_sync_snapshot_interval_blocks);
}

// Parses text that must be refused and returns the message.
std::string refusal(const std::string& toml) {
  auto r = parse_node_config(toml);
  EXPECT_FALSE(r.ok()) << "accepted:\n" << toml;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::invalid_argument) << r.status().to_string();
  return r.status().message();
}

TEST(NodeConfig, EmptyTextGivesTheDefaults) {
  auto r = parse_node_config("");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_same(*r, NodeConfig{});
  EXPECT_EQ(r->storage, StorageEngine::rocksdb);
  EXPECT_EQ(r->api_port, 8080);
  EXPECT_EQ(r->block_interval_ms, 20u);
}

// The default checkpoints fall where state sync snapshot windows start (docs/consensus.md), so
// that a snapshot taken there copies no changes.
TEST(NodeConfig, DefaultCheckpointsFallOnSnapshotWindows) {
  const NodeConfig c;
  ASSERT_NE(c.state_sync_snapshot_interval_blocks, 0u);
  EXPECT_GE(c.checkpoint_blocks, c.state_sync_snapshot_interval_blocks);
  EXPECT_EQ(c.checkpoint_blocks % c.state_sync_snapshot_interval_blocks, 0u);
}

TEST(NodeConfig, DefaultConfigRoundTrips) {
  auto r = parse_node_config(node_config_to_toml(NodeConfig{}));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_same(*r, NodeConfig{});
}

TEST(NodeConfig, EveryFieldRoundTrips) {
  const NodeConfig c = all_fields_changed();
  const std::string text = node_config_to_toml(c);
  auto r = parse_node_config(text);
  ASSERT_TRUE(r.ok()) << r.status().to_string() << "\n" << text;
  expect_same(*r, c);
  // And printing the parsed configuration gives the same text again.
  EXPECT_EQ(node_config_to_toml(*r), text);
}

TEST(NodeConfig, RangeBoundsRoundTrip) {
  NodeConfig lo;
  lo.block_interval_ms = 1;
  lo.block_txs_max = 1;
  lo.block_ops_max = 1;
  lo.mempool_txs_max = 1;
  lo.mempool_ops_max = 1;
  lo.mempool_account_ops_per_s = 0;
  lo.mempool_account_burst_ops = 10'000;
  lo.verify_threads = 1;
  lo.api_port = 0;
  lo.api_threads = 1;
  lo.network_name = "n";
  lo.checkpoint_blocks = 1;
  lo.background_write_mb_per_s = 0;  // Unlimited.
  lo.empty_block_delay_ms = 0;
  lo.root_block_delay_ms = 0;
  auto a = parse_node_config(node_config_to_toml(lo));
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  expect_same(*a, lo);

  NodeConfig hi;
  hi.block_interval_ms = 60'000;
  hi.block_txs_max = 100'000;
  hi.block_ops_max = 10'000'000;
  hi.mempool_txs_max = 10'000'000;
  hi.mempool_ops_max = 100'000'000;
  hi.mempool_account_ops_per_s = 100'000'000;
  hi.mempool_account_burst_ops = 1'000'000'000;
  hi.verify_threads = 64;
  hi.api_port = 65'535;
  hi.api_threads = 64;
  hi.network_name = std::string(64, 'x');
  hi.checkpoint_blocks = 10'000;
  hi.checkpoint_offset_blocks = 9'999;
  hi.background_write_mb_per_s = 100'000;
  hi.empty_block_delay_ms = 60'000;
  hi.root_block_delay_ms = 60'000;
  auto b = parse_node_config(node_config_to_toml(hi));
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  expect_same(*b, hi);
}

// Strings are written as TOML strings, so characters that TOML escapes must survive.
TEST(NodeConfig, StringsWithQuotesAndBackslashesRoundTrip) {
  NodeConfig c;
  c.data_dir = R"(C:\corridor\data "main")";
  c.network_name = "bank \"north\"";
  c.log_level = "info\tline\nnext\x01";
  c.api_address = "::1\\";
  auto r = parse_node_config(node_config_to_toml(c));
  ASSERT_TRUE(r.ok()) << r.status().to_string() << "\n" << node_config_to_toml(c);
  EXPECT_EQ(r->data_dir, c.data_dir);
  EXPECT_EQ(r->network_name, c.network_name);
  EXPECT_EQ(r->log_level, c.log_level);
  EXPECT_EQ(r->api_address, c.api_address);
}

TEST(NodeConfig, PartialFileKeepsOtherDefaults) {
  auto r = parse_node_config("[api]\nport = 9000\n\n[storage]\nengine = \"memory\"\n");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->api_port, 9000);
  EXPECT_EQ(r->storage, StorageEngine::memory);
  NodeConfig expected;
  expected.api_port = 9000;
  expected.storage = StorageEngine::memory;
  expect_same(*r, expected);
}

TEST(NodeConfig, RejectsUnknownSections) {
  EXPECT_THAT(refusal("[nodes]\ndata_dir = \"x\"\n"), HasSubstr("'nodes'"));
  EXPECT_THAT(refusal("[validator]\n"), HasSubstr("'validator'"));
  // A top-level key outside any section is unknown too.
  EXPECT_THAT(refusal("port = 8080\n"), HasSubstr("'port'"));
}

TEST(NodeConfig, ConsensusModeIsSoloByDefaultAndBftNeedsKeyAndGenesis) {
  auto solo = parse_node_config("");
  ASSERT_TRUE(solo.ok());
  EXPECT_EQ(solo->mode, NodeConfig::Mode::solo);
  EXPECT_THAT(refusal("[consensus]\nmode = \"raft\"\n"), HasSubstr("consensus.mode"));
  EXPECT_THAT(refusal("[consensus]\nmode = \"bft\"\n"), HasSubstr("consensus.key_file"));
  EXPECT_THAT(refusal("[consensus]\nround_timeout_ms = 1\n"),
              HasSubstr("consensus.round_timeout_ms"));
  EXPECT_THAT(refusal("[consensus]\nkey = \"x\"\n"), HasSubstr("unknown key 'key' in [consensus]"));
}

TEST(NodeConfig, RejectsUnknownKeysInEverySection) {
  EXPECT_THAT(refusal("[node]\nverify_thread = 2\n"),
              HasSubstr("unknown key 'verify_thread' in [node]"));
  EXPECT_THAT(refusal("[storage]\npath = \"x\"\n"), HasSubstr("unknown key 'path' in [storage]"));
  EXPECT_THAT(refusal("[sequencer]\ninterval_ms = 5\n"),
              HasSubstr("unknown key 'interval_ms' in [sequencer]"));
  EXPECT_THAT(refusal("[mempool]\nbytes_max = 5\n"),
              HasSubstr("unknown key 'bytes_max' in [mempool]"));
  EXPECT_THAT(refusal("[api]\nhost = \"x\"\n"), HasSubstr("unknown key 'host' in [api]"));
}

TEST(NodeConfig, RejectsASectionThatIsNotATable) {
  EXPECT_THAT(refusal("node = 5\n"), HasSubstr("[node] must be a table"));
  EXPECT_THAT(refusal("api = \"x\"\n"), HasSubstr("[api] must be a table"));
}

TEST(NodeConfig, RejectsWrongTypes) {
  EXPECT_THAT(refusal("[api]\nport = \"8080\"\n"), HasSubstr("api.port must be an integer"));
  EXPECT_THAT(refusal("[sequencer]\nblock_interval_ms = 1.5\n"),
              HasSubstr("sequencer.block_interval_ms must be an integer"));
  // A float with an integral value is still not an integer.
  EXPECT_THAT(refusal("[mempool]\ntxs_max = 10.0\n"),
              HasSubstr("mempool.txs_max must be an integer"));
  EXPECT_THAT(refusal("[node]\nverify_threads = true\n"),
              HasSubstr("node.verify_threads must be an integer"));
  EXPECT_THAT(refusal("[node]\ncheck_invariants = 1\n"),
              HasSubstr("node.check_invariants must be a boolean"));
  EXPECT_THAT(refusal("[node]\ncheck_invariants = \"true\"\n"),
              HasSubstr("node.check_invariants must be a boolean"));
  EXPECT_THAT(refusal("[node]\nnetwork_name = 5\n"),
              HasSubstr("node.network_name must be a string"));
  EXPECT_THAT(refusal("[node]\ndata_dir = [\"a\"]\n"), HasSubstr("node.data_dir must be a string"));
  EXPECT_THAT(refusal("[storage]\nengine = true\n"), HasSubstr("storage.engine must be a string"));
  EXPECT_THAT(refusal("[api]\naddress = 127\n"), HasSubstr("api.address must be a string"));
}

TEST(NodeConfig, RejectsOutOfRangeValues) {
  EXPECT_THAT(refusal("[api]\nport = 65536\n"), HasSubstr("api.port must be within 0..65535"));
  EXPECT_THAT(refusal("[api]\nport = -1\n"), HasSubstr("api.port must be within 0..65535"));
  EXPECT_THAT(refusal("[api]\nthreads = 0\n"), HasSubstr("api.threads must be within 1..64"));
  EXPECT_THAT(refusal("[node]\nverify_threads = 0\n"),
              HasSubstr("node.verify_threads must be within 1..64"));
  EXPECT_THAT(refusal("[node]\nverify_threads = 65\n"),
              HasSubstr("node.verify_threads must be within 1..64"));
  EXPECT_THAT(refusal("[sequencer]\nblock_interval_ms = 0\n"),
              HasSubstr("sequencer.block_interval_ms must be within 1..60000"));
  EXPECT_THAT(refusal("[sequencer]\nblock_interval_ms = 60001\n"),
              HasSubstr("sequencer.block_interval_ms must be within 1..60000"));
  EXPECT_THAT(refusal("[sequencer]\nblock_txs_max = 100001\n"),
              HasSubstr("sequencer.block_txs_max must be within 1..100000"));
  EXPECT_THAT(refusal("[sequencer]\nblock_ops_max = 0\n"),
              HasSubstr("sequencer.block_ops_max must be within 1..10000000"));
  EXPECT_THAT(refusal("[mempool]\ntxs_max = 10000001\n"),
              HasSubstr("mempool.txs_max must be within 1..10000000"));
  EXPECT_THAT(refusal("[mempool]\nops_max = 100000001\n"),
              HasSubstr("mempool.ops_max must be within 1..100000000"));
  // A burst below the largest transaction would refuse such a transaction for ever.
  EXPECT_THAT(refusal("[mempool]\naccount_burst_ops = 9999\n"),
              HasSubstr("mempool.account_burst_ops must be within 10000..1000000000"));
  // A value far beyond the field's C++ type is refused, never truncated.
  EXPECT_THAT(refusal("[mempool]\ntxs_max = 4294967297\n"),
              HasSubstr("mempool.txs_max must be within"));
  EXPECT_THAT(refusal("[node]\nnetwork_name = \"\"\n"),
              HasSubstr("node.network_name must be 1 to 64"));
  EXPECT_THAT(refusal("[node]\nnetwork_name = \"" + std::string(65, 'x') + "\"\n"),
              HasSubstr("node.network_name must be 1 to 64"));
  EXPECT_THAT(refusal("[storage]\nengine = \"leveldb\"\n"), HasSubstr("storage.engine must be"));
  EXPECT_THAT(refusal("[storage]\nbackground_write_mb_per_s = 100001\n"),
              HasSubstr("storage.background_write_mb_per_s must be within 0..100000"));
  EXPECT_THAT(refusal("[storage]\nbackground_write_mb_per_s = -1\n"),
              HasSubstr("storage.background_write_mb_per_s must be within 0..100000"));
  // An offset names a height within the checkpoint interval.
  EXPECT_THAT(refusal("[storage]\ncheckpoint_blocks = 64\ncheckpoint_offset_blocks = 64\n"),
              HasSubstr("storage.checkpoint_offset_blocks must be below checkpoint_blocks"));
  EXPECT_THAT(refusal("[storage]\ncheckpoint_offset_blocks = -1\n"),
              HasSubstr("storage.checkpoint_offset_blocks must be within 0..9999"));
  EXPECT_THAT(refusal("[consensus]\nroot_block_delay_ms = 60001\n"),
              HasSubstr("consensus.root_block_delay_ms must be within 0..60000"));
  EXPECT_THAT(refusal("[consensus]\nroot_block_delay_ms = -1\n"),
              HasSubstr("consensus.root_block_delay_ms must be within 0..60000"));
}

TEST(NodeConfig, MalformedTomlNamesTheLine) {
  EXPECT_THAT(refusal("[node]\ndata_dir = \"x\"\nverify_threads = = 3\n"), HasSubstr("line 3"));
  EXPECT_THAT(refusal("[api\nport = 1\n"), HasSubstr("line 1"));
  EXPECT_THAT(refusal("[node]\n\n\n\ndata_dir = \"unterminated\n"), HasSubstr("line 5"));
  // A key given twice is malformed TOML, not a silent override.
  EXPECT_THAT(refusal("[api]\nport = 1\nport = 2\n"), HasSubstr("line 3"));
  EXPECT_THAT(refusal("[api]\nport = 1\n[api]\nthreads = 2\n"), HasSubstr("line 3"));
}

TEST(NodeConfig, LoadReadsAFileAndNamesItInErrors) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  const std::filesystem::path good =
      dir / ("corridor_config_test_" + std::to_string(::getpid()) + ".toml");
  const std::filesystem::path bad =
      dir / ("corridor_config_test_bad_" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream(good) << node_config_to_toml(all_fields_changed());
    std::ofstream(bad) << "[api]\nport = 70000\n";
  }
  auto r = load_node_config(good.string());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  expect_same(*r, all_fields_changed());

  auto b = load_node_config(bad.string());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::invalid_argument);
  EXPECT_THAT(b.status().message(), HasSubstr(bad.string()));
  EXPECT_THAT(b.status().message(), HasSubstr("api.port must be within 0..65535"));

  auto missing = load_node_config((dir / "corridor_config_test_does_not_exist.toml").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::not_found);

  std::filesystem::remove(good);
  std::filesystem::remove(bad);
}

}  // namespace
}  // namespace corridor::node

namespace corridor::node {
namespace {

// Found by fuzz_node_config: a float too large for int64 where an integer belongs must be a
// clear error, and must not reach toml++'s float-to-integer conversion (undefined behaviour).
TEST(NodeConfigFuzzRegression, HugeFloatForAnIntegerIsAnError) {
  auto c = parse_node_config("[api]\nport = 7e71\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("api.port must be an integer"), std::string::npos);
}

}  // namespace
}  // namespace corridor::node
