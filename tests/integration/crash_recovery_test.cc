// Kills a real node with SIGKILL in the middle of a stream of payments, restarts it, and
// checks that (1) every payment the node acknowledged as final is still there with the same
// result, and (2) the node's state equals a replay of its own blocks from genesis on a fresh
// ledger, which is the state of a node that never crashed.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "api/http_client.h"
#include "ledger/block.h"
#include "node/chain_store.h"
#include "node_process.h"
#include "storage/rocksdb_kv_store.h"

namespace corridor::test {
namespace {

using nlohmann::json;
using namespace ledger;

constexpr const char* network_name = "crash-test";
constexpr int banks_count = 12;
constexpr int kill_rounds = 3;
constexpr int payer_threads = 4;

KeyPair key_for(const std::string& name) {
  Seed seed = Seed::from_view(sha256(as_bytes("crash-test:" + name)).view());
  return KeyPair::from_seed(seed);
}

class CrashRecovery : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto_init();
    dir_ = std::filesystem::temp_directory_path() /
           ("corridor-crash-" + std::to_string(::getpid()) + "-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir_);
    node_ = std::make_unique<NodeProcess>(dir_.string(), network_name);
    network_id_ = node::network_id_for_name(network_name);
    issuer_ = std::make_unique<KeyPair>(key_for("issuer"));
    for (int i = 0; i < banks_count; ++i) banks_.push_back(key_for("bank" + std::to_string(i)));
    usd_ = AssetId{*AssetCode::parse("USD"), issuer_->account_id()};
  }
  void TearDown() override {
    if (node_) node_->kill_hard();
    if (!HasFailure())
      std::filesystem::remove_all(dir_);
    else
      std::cerr << "kept " << dir_ << " for inspection; node log:\n" << node_->log() << "\n";
  }

  uint64_t height() { return node_->get("/v1/status").second["height"].get<uint64_t>(); }

  Transaction make_tx(const KeyPair& key, std::vector<Operation> ops, uint64_t nonce) {
    Transaction tx;
    tx.network_id = network_id_;
    tx.source = key.account_id();
    tx.nonce = nonce;
    tx.valid_until_height = valid_until_;
    tx.ops = std::move(ops);
    tx.sign(key);
    return tx;
  }

  // Submits and waits for finality; returns the result code name, or "" if the node did not
  // answer with a final result.
  std::string submit_final(const Transaction& tx) {
    auto [status, body] = node_->post(
        "/v1/transactions", {{"envelope", to_hex(encode_transaction(tx))}, {"wait", "final"}});
    if (status != 200) return "";
    return body["result"]["code"].get<std::string>();
  }

  void setup_ledger() {
    valid_until_ = height() + 15'000;
    uint64_t nonce = 1;
    ASSERT_EQ(submit_final(make_tx(*issuer_, {CreateAccountOp{issuer_->public_key()}}, nonce++)),
              "ok");
    for (const auto& b : banks_)
      ASSERT_EQ(submit_final(make_tx(b, {CreateAccountOp{b.public_key()}}, nonce++)), "ok");
    ASSERT_EQ(submit_final(make_tx(*issuer_, {CreateAssetOp{usd_.code, 2, 0}}, nonce++)), "ok");
    for (const auto& b : banks_)
      ASSERT_EQ(submit_final(make_tx(b, {OpenHoldingOp{usd_, 1'000'000'000'00}}, nonce++)), "ok");
    std::vector<Operation> issues;
    for (const auto& b : banks_) issues.push_back(IssueOp{b.account_id(), usd_.code, 1'000'000'00});
    ASSERT_EQ(submit_final(make_tx(*issuer_, issues, nonce++)), "ok");
  }

  // Payers send small transfers (some batched) until the node stops answering. Every payment
  // the node reports final is recorded with its height.
  void pay_until_killed(uint64_t round, std::chrono::milliseconds kill_after) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> payers;
    for (int t = 0; t < payer_threads; ++t) {
      payers.emplace_back([&, t] {
        std::mt19937_64 rng(round * 1000 + t);
        auto conn = api::HttpConnection::connect("127.0.0.1", node_->port(), 5'000);
        if (!conn.ok()) return;
        uint64_t nonce = (round << 40) | (static_cast<uint64_t>(t) << 32);
        while (!stop.load()) {
          size_t from_index = rng() % banks_.size();
          const KeyPair& from = banks_[from_index];
          std::vector<Operation> ops;
          size_t n = 1 + rng() % 20;
          for (size_t i = 0; i < n; ++i) {
            // Any bank but the payer.
            size_t to_index = rng() % (banks_.size() - 1);
            if (to_index >= from_index) ++to_index;
            ops.push_back(TransferOp{banks_[to_index].account_id(), usd_,
                                     static_cast<Amount>(1 + rng() % 100)});
          }
          Transaction tx = make_tx(from, std::move(ops), ++nonce);
          json body = {{"envelope", to_hex(encode_transaction(tx))}, {"wait", "final"}};
          auto r = conn->request("POST", "/v1/transactions", body.dump());
          if (!r.ok()) return;  // The node is gone.
          if (r->status != 200) continue;
          auto j = json::parse(r->body);
          std::lock_guard lock(mu_);
          acknowledged_.push_back(
              {tx.id, j["height"].get<uint64_t>(), j["result"]["code"].get<std::string>()});
        }
      });
    }
    std::this_thread::sleep_for(kill_after);
    node_->kill_hard();
    stop = true;
    for (auto& p : payers) p.join();
  }

  struct Ack {
    Hash256 id;
    uint64_t height;
    std::string code;
  };

  std::filesystem::path dir_;
  std::unique_ptr<NodeProcess> node_;
  Hash256 network_id_;
  std::unique_ptr<KeyPair> issuer_;
  std::vector<KeyPair> banks_;
  AssetId usd_;
  uint64_t valid_until_ = 0;
  std::mutex mu_;
  std::vector<Ack> acknowledged_;
};

TEST_F(CrashRecovery, AcknowledgedPaymentsSurviveKillAndStateMatchesReplay) {
  ASSERT_TRUE(node_->start()) << node_->log();
  setup_ledger();
  std::mt19937_64 rng(7);
  size_t checked_before = 0;
  for (int round = 1; round <= kill_rounds; ++round) {
    pay_until_killed(round, std::chrono::milliseconds(400 + rng() % 800));
    ASSERT_TRUE(node_->start()) << "restart after kill " << round << " failed:\n" << node_->log();
    std::lock_guard lock(mu_);
    ASSERT_GT(acknowledged_.size(), checked_before) << "round " << round << " acknowledged nothing";
    for (const Ack& a : acknowledged_) {
      auto [status, body] = node_->get("/v1/transactions/" + a.id.hex());
      ASSERT_EQ(status, 200) << "acknowledged payment " << a.id.hex() << " is missing after kill "
                             << round;
      EXPECT_EQ(body["status"], "final");
      EXPECT_EQ(body["height"].get<uint64_t>(), a.height);
      EXPECT_EQ(body["result"]["code"].get<std::string>(), a.code);
    }
    checked_before = acknowledged_.size();
  }
  std::cout << "acknowledged payments: " << acknowledged_.size() << ", kills: " << kill_rounds
            << ", restarts: " << kill_rounds << "\n";

  auto status = node_->get("/v1/status").second;
  const uint64_t final_height = status["height"].get<uint64_t>();
  const std::string final_root = status["state_root"].get<std::string>();
  ASSERT_EQ(node_->stop(), 0) << node_->log();

  // Replay every stored block on a fresh ledger and compare outcomes and roots at each height.
  auto kv = storage::open_rocksdb_store(node_->data_dir() + "/db", storage::RocksDbOptions{});
  ASSERT_TRUE(kv.ok()) << kv.status().to_string();
  node::ChainStore chain(**kv);
  auto head = chain.head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->height, final_height);
  EXPECT_EQ(head->state_root.hex(), final_root);
  Ledger replay;
  Hash256 parent_hash;
  for (uint64_t h = 1; h <= head->height; ++h) {
    auto bytes = chain.block_bytes(h);
    auto stored = chain.block_result(h);
    ASSERT_TRUE(bytes.ok() && bytes->has_value() && stored.ok() && stored->has_value())
        << "height " << h;
    auto block = decode_block(**bytes);
    ASSERT_TRUE(block.ok()) << block.status().to_string();
    ASSERT_EQ(block->header.parent_hash, parent_hash) << "chain broken at height " << h;
    ASSERT_EQ(block->header.parent_state_root, replay.state_root()) << "height " << h;
    ExecutedBlock ex = execute_block(replay, *block, network_id_);
    ASSERT_EQ(ex.result.state_root, (*stored)->state_root) << "state root differs at height " << h;
    ASSERT_EQ(ex.result.outcomes, (*stored)->outcomes) << "outcomes differ at height " << h;
    ASSERT_TRUE(replay.check_invariants().ok());
    parent_hash = block->header.hash();
  }
  EXPECT_EQ(replay.state_root(), head->state_root);
  EXPECT_EQ(parent_hash, head->block_hash);
}

}  // namespace
}  // namespace corridor::test
