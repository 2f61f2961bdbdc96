// `corridor localnet` with four validators and an observer, each a real process on loopback:
// payments submitted through two different nodes become final, every node (the observer too)
// reaches the same blocks and state roots, a validator killed with SIGKILL does not stop the
// others, and restarted from its data directory it catches up.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ledger/transaction.h"
#include "localnet_support.h"
#include "node/chain_store.h"
#include "node/config.h"
#include "node/genesis.h"

namespace corridor::test {
namespace {

using nlohmann::json;
using namespace ledger;
using namespace std::chrono_literals;
using fs_path = std::filesystem::path;

constexpr const char* network_name = "corridor-localnet";
constexpr int validators = 4;
constexpr int nodes = validators + 1;
// Bounded: every wait below ends well within the test's budget.
constexpr auto wait_max = 40s;

class Localnet : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto_init();
    dir_ = std::filesystem::temp_directory_path() /
           ("corridor-localnet-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    // API ports base .. base + 4, peer ports 100 above; chosen per process to avoid clashes,
    // and below Linux's ephemeral range (32768 and up) so no outgoing connection holds one.
    base_port_ = static_cast<uint16_t>(20'000 + (::getpid() % 400) * 25);
    for (int i = 0; i < nodes; ++i) ports_.push_back(static_cast<uint16_t>(base_port_ + i));
  }

  void TearDown() override {
    if (restarted_ > 0) {
      ::kill(restarted_, SIGTERM);
      ::waitpid(restarted_, nullptr, 0);
    }
    if (localnet_ > 0) {
      ::kill(localnet_, SIGINT);
      int status = 0;
      ::waitpid(localnet_, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "localnet did not stop cleanly";
    }
    if (!HasFailure()) {
      std::filesystem::remove_all(dir_);
    } else {
      std::cerr << "kept " << dir_ << " for inspection\n";
    }
  }

  template <typename Pred>
  bool wait_for(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + wait_max;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return pred();
  }

  uint64_t height(int node) {
    auto [status, body] = http_json(ports_[node], "GET", "/v1/status");
    return status == 200 ? body["height"].get<uint64_t>() : 0;
  }

  Transaction make_tx(const KeyPair& key, std::vector<Operation> ops) {
    // The network id commits to the genesis's state root interval: read from the genesis file
    // the localnet wrote, as a client configured for the network would.
    if (!network_id_) {
      auto genesis = node::load_genesis((dir_ / "net" / "genesis.toml").string());
      EXPECT_TRUE(genesis.ok()) << genesis.status().to_string();
      if (genesis.ok()) {
        EXPECT_EQ(genesis->network_name, network_name);
        network_id_ =
            node::network_id_for(genesis->network_name, genesis->state_root_interval_blocks);
      }
    }
    Transaction tx;
    tx.network_id = network_id_.value_or(Hash256{});
    tx.source = key.account_id();
    tx.nonce = ++nonce_;
    tx.valid_until_height = height(0) + 10'000;
    tx.ops = std::move(ops);
    tx.sign(key);
    return tx;
  }

  // Submits through `node` and waits for finality; returns the result code, or the answer when
  // there is none. A node may be a block or two behind the one that answered "final" for the
  // previous transaction, and it checks references (an asset, an account) against its own
  // state, so it is first given time to reach that height.
  std::string submit_final(int node, const Transaction& tx) {
    wait_for([&] { return height(node) >= last_final_height_; });
    json body = {{"envelope", to_hex(encode_transaction(tx))}, {"wait", "final"}};
    auto [status, reply] = http_json(ports_[node], "POST", "/v1/transactions", body.dump());
    if (status != 200) return "answer " + std::to_string(status) + ": " + reply.dump();
    ids_.push_back(tx.id);
    last_final_height_ = std::max(last_final_height_, reply["height"].get<uint64_t>());
    return reply["result"]["code"].get<std::string>();
  }

  // The highest height any of the listed nodes reports: at or above every block final so far.
  uint64_t max_height(const std::vector<int>& which) {
    uint64_t h = 0;
    for (int n : which) h = std::max(h, height(n));
    return h;
  }

  // Every listed node holds the same block and state root at `h`.
  void expect_same_block(const std::vector<int>& which, uint64_t h) {
    ASSERT_TRUE(wait_for([&] {
      for (int n : which)
        if (height(n) < h) return false;
      return true;
    })) << "not every node reached height "
        << h;
    json first;
    for (int n : which) {
      auto [status, b] = http_json(ports_[n], "GET", "/v1/blocks/" + std::to_string(h));
      ASSERT_EQ(status, 200) << "node " << n << " block " << h;
      if (first.is_null()) {
        first = b;
        continue;
      }
      EXPECT_EQ(b["hash"], first["hash"]) << "node " << n << " at height " << h;
      EXPECT_EQ(b["state_root"], first["state_root"]) << "node " << n << " at height " << h;
    }
  }

  // Waits until every node makes blocks, then returns the pids `corridor localnet` printed to
  // `out`, by node name (empty if the network did not start in time).
  std::map<std::string, pid_t> started_pids(const std::string& out) {
    std::map<std::string, pid_t> pids;
    if (!wait_for([&] {
          for (int n = 0; n < nodes; ++n)
            if (height(n) == 0) return false;
          return true;
        }))
      return pids;
    std::ifstream in(out);
    std::string line;
    std::regex re(R"((\S+)  pid (\d+)  api)");
    std::smatch m;
    while (std::getline(in, line))
      if (std::regex_search(line, m, re)) pids[m[1]] = std::stoi(m[2]);
    return pids;
  }

  std::filesystem::path dir_;
  uint16_t base_port_ = 0;
  std::vector<uint16_t> ports_;
  std::optional<Hash256> network_id_;
  pid_t localnet_ = -1;
  pid_t restarted_ = -1;
  uint64_t nonce_ = 0;
  uint64_t last_final_height_ = 0;
  std::vector<Hash256> ids_;
};

// `network init --state-root-interval` writes the interval into the genesis file and gives
// every node a state-sync snapshot interval that is a multiple of it (a node refuses to start
// otherwise); an interval out of range is refused before anything is written.
TEST_F(Localnet, NetworkInitFitsTheSnapshotIntervalToTheStateRootInterval) {
  const fs_path net = dir_ / "init";
  const std::string init = std::string(CORRIDOR_BINARY) + " network init --dir " + net.string() +
                           " --validators 1 --observers 0 --base-port " +
                           std::to_string(base_port_) + " --state-root-interval ";
  ASSERT_EQ(::system((init + "5 > /dev/null").c_str()), 0);
  auto genesis = node::load_genesis((net / "genesis.toml").string());
  ASSERT_TRUE(genesis.ok()) << genesis.status().to_string();
  EXPECT_EQ(genesis->state_root_interval_blocks, 5u);
  auto config = node::load_node_config((net / "validator0" / "node.toml").string());
  ASSERT_TRUE(config.ok()) << config.status().to_string();
  EXPECT_EQ(config->state_sync_snapshot_interval_blocks, 65u);
  for (const char* bad : {"0", "65"}) {
    const fs_path other = dir_ / (std::string("bad") + bad);
    EXPECT_NE(::system((std::string(CORRIDOR_BINARY) + " network init --dir " + other.string() +
                        " --state-root-interval " + bad + " > /dev/null 2>&1")
                           .c_str()),
              0)
        << bad;
    EXPECT_FALSE(std::filesystem::exists(other / "genesis.toml")) << bad;
  }
}

TEST_F(Localnet, ValidatorsAgreeObserverFollowsAndAKilledValidatorCatchesUp) {
  const std::string out = (dir_ / "localnet.out").string();
  localnet_ = spawn_process({CORRIDOR_BINARY, "localnet", "--dir", (dir_ / "net").string(),
                             "--base-port", std::to_string(base_port_)},
                            out);
  const auto pids = started_pids(out);
  ASSERT_EQ(pids.size(), static_cast<size_t>(nodes)) << "the localnet did not start";

  KeyPair issuer = KeyPair::generate();
  KeyPair a = KeyPair::generate();
  KeyPair b = KeyPair::generate();
  AssetId usd{*AssetCode::parse("USD"), issuer.account_id()};
  // Through two different nodes: validator 0 and validator 2.
  ASSERT_EQ(submit_final(0, make_tx(issuer, {CreateAccountOp{issuer.public_key()}})), "ok");
  ASSERT_EQ(submit_final(2, make_tx(a, {CreateAccountOp{a.public_key()}})), "ok");
  ASSERT_EQ(submit_final(0, make_tx(b, {CreateAccountOp{b.public_key()}})), "ok");
  ASSERT_EQ(submit_final(2, make_tx(issuer, {CreateAssetOp{usd.code, 2, 0}})), "ok");
  ASSERT_EQ(submit_final(0, make_tx(a, {OpenHoldingOp{usd, 1'000'000'00}})), "ok");
  ASSERT_EQ(submit_final(2, make_tx(b, {OpenHoldingOp{usd, 1'000'000'00}})), "ok");
  ASSERT_EQ(submit_final(0, make_tx(issuer, {IssueOp{a.account_id(), usd.code, 10'000'00}})), "ok");
  for (int i = 0; i < 6; ++i)
    ASSERT_EQ(submit_final(i % 2 == 0 ? 0 : 2, make_tx(a, {TransferOp{b.account_id(), usd, 1'00}})),
              "ok");

  std::vector<int> all{0, 1, 2, 3, 4};
  expect_same_block(all, max_height(all));
  // Live consensus state through the API: the observer's role, every peer's channel.
  for (int n : all) {
    auto [status, s] = http_json(ports_[n], "GET", "/v1/status");
    ASSERT_EQ(status, 200);
    const json& c = s["consensus"];
    if (n == 4) {
      EXPECT_EQ(c.value("role", ""), "observer") << c.dump();
    } else {
      EXPECT_NE(c.value("role", ""), "observer") << c.dump();
    }
    EXPECT_GT(c.value("round", uint64_t{0}), 0u) << c.dump();
    ASSERT_TRUE(c.contains("peers")) << c.dump();
    EXPECT_EQ(c["peers"].size(), static_cast<size_t>(nodes - 1)) << c.dump();
  }
  // The observer serves every transaction.
  for (const Hash256& id : ids_)
    EXPECT_EQ(http_json(ports_[4], "GET", "/v1/transactions/" + id.hex()).first, 200) << id.hex();

  // Validator 3 dies without any shutdown path; three of four are a quorum.
  ASSERT_EQ(::kill(pids.at("validator3"), SIGKILL), 0);
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(submit_final(i % 2 == 0 ? 0 : 1, make_tx(a, {TransferOp{b.account_id(), usd, 1'00}})),
              "ok");
  const std::vector<int> alive{0, 1, 2, 4};
  const uint64_t reached = max_height(alive);
  expect_same_block(alive, reached);

  // Restarted from its data directory, it catches up with the others.
  restarted_ = spawn_process(
      {CORRIDOR_BINARY, "node", "--config", (dir_ / "net" / "validator3" / "node.toml").string()},
      (dir_ / "net" / "validator3" / "node.log").string());
  expect_same_block(all, reached);
  ASSERT_EQ(submit_final(3, make_tx(a, {TransferOp{b.account_id(), usd, 1'00}})), "ok");
  expect_same_block(all, max_height(all));
  auto [status, account] = http_json(ports_[4], "GET", "/v1/accounts/" + b.account_id().hex());
  ASSERT_EQ(status, 200);
}

// A validator's data directory is deleted while the network runs on; restarted on an empty
// directory it installs a checkpoint its peers attest, rather than replaying every block, and
// `corridor sync-status` reports it in sync.
TEST_F(Localnet, ValidatorWithADeletedDataDirectorySyncsStateFromACheckpoint) {
  const fs_path net = dir_ / "net";
  // Snapshots fall on root heights, so a root every 8 blocks (not the default 32) lets the
  // snapshot interval below be small.
  ASSERT_EQ(::system((std::string(CORRIDOR_BINARY) + " network init --dir " + net.string() +
                      " --base-port " + std::to_string(base_port_) +
                      " --state-root-interval 8 > /dev/null")
                         .c_str()),
            0);
  // Small thresholds so that "far behind" takes seconds, not minutes, and short rounds so that
  // the rounds the stopped validator would lead pass quickly.
  for (const char* name : {"validator0", "validator1", "validator2", "validator3", "observer0"}) {
    const fs_path path = net / name / "node.toml";
    std::stringstream text;
    text << std::ifstream(path).rdbuf();
    std::string config = std::regex_replace(text.str(), std::regex("state_sync_lag_blocks = \\d+"),
                                            "state_sync_lag_blocks = 12");
    config = std::regex_replace(config, std::regex("state_sync_snapshot_interval_blocks = \\d+"),
                                "state_sync_snapshot_interval_blocks = 8");
    config =
        std::regex_replace(config, std::regex("round_timeout_ms = \\d+"), "round_timeout_ms = 300");
    ASSERT_NE(config.find("state_sync_lag_blocks = 12"), std::string::npos);
    std::ofstream(path) << config;
  }
  const std::string out = (dir_ / "localnet.out").string();
  localnet_ = spawn_process({CORRIDOR_BINARY, "localnet", "--dir", net.string()}, out);
  const auto pids = started_pids(out);
  ASSERT_EQ(pids.size(), static_cast<size_t>(nodes)) << "the localnet did not start";

  KeyPair issuer = KeyPair::generate();
  ASSERT_EQ(submit_final(0, make_tx(issuer, {CreateAccountOp{issuer.public_key()}})), "ok");
  for (int i = 0; i < 5; ++i) {
    KeyPair k = KeyPair::generate();
    ASSERT_EQ(submit_final(i % 2, make_tx(k, {CreateAccountOp{k.public_key()}})), "ok");
  }
  ASSERT_EQ(::kill(pids.at("validator3"), SIGKILL), 0);
  std::filesystem::remove_all(net / "validator3" / "data");
  const std::vector<int> alive{0, 1, 2, 4};
  ASSERT_TRUE(wait_for([&] { return max_height(alive) > 36; }));
  const uint64_t reached = max_height(alive);

  restarted_ = spawn_process(
      {CORRIDOR_BINARY, "node", "--config", (net / "validator3" / "node.toml").string()},
      (net / "validator3" / "node.log").string());
  ASSERT_TRUE(wait_for([&] {
    auto [status, body] = http_json(ports_[3], "GET", "/v1/status");
    return status == 200 && body.contains("sync") &&
           body["sync"]["checkpoints_installed"].get<uint64_t>() >= 1 &&
           body["height"].get<uint64_t>() >= reached;
  })) << "validator 3 did not sync";
  auto [status, body] = http_json(ports_[3], "GET", "/v1/status");
  const uint64_t checkpoint = body["sync"]["last_installed_height"].get<uint64_t>();
  EXPECT_GT(checkpoint, 12u);
  // No replay from genesis: the blocks below the checkpoint are not on this node.
  EXPECT_EQ(http_json(ports_[3], "GET", "/v1/blocks/1").first, 404);
  EXPECT_EQ(http_json(ports_[3], "GET", "/v1/blocks/" + std::to_string(checkpoint)).first, 200);
  const pid_t cli =
      spawn_process({CORRIDOR_BINARY, "sync-status", "--node",
                     "http://127.0.0.1:" + std::to_string(ports_[3]), "--wait-s", "30"},
                    (dir_ / "sync-status.out").string());
  int cli_status = 0;
  ASSERT_EQ(::waitpid(cli, &cli_status, 0), cli);
  EXPECT_TRUE(WIFEXITED(cli_status) && WEXITSTATUS(cli_status) == 0);
  KeyPair late = KeyPair::generate();
  ASSERT_EQ(submit_final(3, make_tx(late, {CreateAccountOp{late.public_key()}})), "ok");
  expect_same_block({0, 1, 2, 3, 4}, max_height({0, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace corridor::test
