// The harness of the NodeApi end-to-end tests, shared by node_api_test.cc and
// node_api_fx_test.cc: a real Node on an in-memory store, the real HTTP server on an ephemeral
// port and the real HTTP client, with helpers to build, sign and submit transactions and to
// check error bodies exactly.
#pragma once

#include "api/node_api.h"

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/http_client.h"
#include "api/json_codec.h"
#include "base/encoding.h"
#include "ledger/entries.h"
#include "ledger/limits.h"
#include "storage/mem_kv_store.h"
#include "support/test_support.h"

namespace corridor::api::api_test {

using namespace std::chrono_literals;
using ledger::Operation;
using ledger::ResultCode;
using ledger::Transaction;
using nlohmann::json;
using test::test_id;
using test::test_key;
namespace op = test::op;

inline constexpr const char* kHost = "127.0.0.1";
inline constexpr uint32_t kTimeoutMs = 30'000;
inline constexpr Amount kLimit = 100'000'000;  // 1,000,000.00
// A well-formed signature list for requests refused before any signature is looked at.
inline const json kDummySignatures =
    json::array({{{"public_key", std::string(64, '0')}, {"signature", std::string(128, '0')}}});

struct Reply {
  int status = 0;
  std::string content_type;
  std::string raw;
  json body;  // Discarded when the body is not JSON.
};

// Error bodies produced by the API itself: exactly {"error":{"code","message"}}.
inline void expect_error(const Reply& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.raw;
  EXPECT_EQ(r.content_type, "application/json");
  ASSERT_TRUE(r.body.is_object()) << r.raw;
  EXPECT_EQ(r.body.size(), 1u) << r.raw;
  ASSERT_TRUE(r.body.contains("error")) << r.raw;
  const json& e = r.body["error"];
  ASSERT_TRUE(e.is_object()) << r.raw;
  EXPECT_EQ(e.size(), 2u) << r.raw;
  ASSERT_TRUE(e.contains("code") && e["code"].is_string()) << r.raw;
  EXPECT_EQ(e["code"].get<std::string>(), code) << r.raw;
  ASSERT_TRUE(e.contains("message") && e["message"].is_string()) << r.raw;
  EXPECT_FALSE(e["message"].get<std::string>().empty()) << r.raw;
}

// Ledger rejections: {"error":{"code","message","id"}} plus "operation" when one is named.
inline void expect_rejection(
    const Reply& r, int status, const std::string& code, const Hash256& id,
    std::optional<std::pair<uint32_t, std::string>> operation = std::nullopt) {
  EXPECT_EQ(r.status, status) << r.raw;
  ASSERT_TRUE(r.body.is_object()) << r.raw;
  EXPECT_EQ(r.body.size(), 1u) << r.raw;
  ASSERT_TRUE(r.body.contains("error")) << r.raw;
  const json& e = r.body["error"];
  ASSERT_TRUE(e.is_object()) << r.raw;
  EXPECT_EQ(e.value("code", ""), code) << r.raw;
  ASSERT_TRUE(e.contains("message") && e["message"].is_string()) << r.raw;
  EXPECT_FALSE(e["message"].get<std::string>().empty());
  EXPECT_EQ(e.value("id", ""), id.hex()) << r.raw;
  if (operation) {
    EXPECT_EQ(e.size(), 4u) << r.raw;
    ASSERT_TRUE(e.contains("operation") && e["operation"].is_object()) << r.raw;
    EXPECT_EQ(e["operation"].size(), 2u) << r.raw;
    EXPECT_EQ(e["operation"].value("index", 999u), operation->first) << r.raw;
    EXPECT_EQ(e["operation"].value("code", ""), operation->second) << r.raw;
  } else {
    EXPECT_EQ(e.size(), 3u) << r.raw;
  }
}

inline json transfer_json(std::string_view to, const AssetId& asset, json amount) {
  return {{"type", "transfer"},
          {"to", test_id(to).hex()},
          {"asset", asset.to_string()},
          {"amount", amount}};
}

inline json tx_json(std::string_view source, json nonce, uint64_t valid_until, json ops) {
  return {{"source", test_id(source).hex()},
          {"nonce", std::move(nonce)},
          {"valid_until_height", valid_until},
          {"operations", std::move(ops)}};
}

class NodeApiTest : public ::testing::Test {
 protected:
  void SetUp() override { open(/*start=*/true); }

  void open(bool start, uint32_t mempool_txs_max = 100'000) {
    node::NodeConfig c;
    c.storage = node::StorageEngine::memory;
    c.network_name = "corridor-api-test";
    c.check_invariants = true;
    c.block_interval_ms = 5;
    c.mempool_txs_max = mempool_txs_max;
    c.api_address = kHost;
    c.api_port = 0;
    c.api_threads = 2;
    if (configure_) configure_(c);
    auto n = node::Node::open(c, std::make_shared<storage::MemKvStore>());
    ASSERT_TRUE(n.ok()) << n.status().to_string();
    node_ = std::move(n).value();
    api_ = std::make_unique<NodeApi>(*node_);
    auto s = start_node_api(*node_, *api_);
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    server_ = std::move(s).value();
    ASSERT_NE(server_->port(), 0);
    if (start) node_->start();
  }

  void TearDown() override {
    if (server_) server_->stop();
    if (node_) node_->stop();
  }

  // Applied to the node's configuration by open(), for tests that need other limits.
  std::function<void(node::NodeConfig&)> configure_;

  Reply call(const std::string& method, const std::string& target, const std::string& body = "",
             const std::string& content_type = "application/json") {
    Reply out;
    auto r = http_request(kHost, server_->port(), method, target, body, content_type, kTimeoutMs);
    if (!r.ok()) {
      ADD_FAILURE() << method << " " << target << ": " << r.status().to_string();
      return out;
    }
    out.status = r->status;
    out.content_type = r->content_type;
    out.raw = r->body;
    out.body = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
    return out;
  }
  Reply get(const std::string& target) { return call("GET", target); }
  Reply post(const std::string& target, const json& body) {
    return call("POST", target, body.dump());
  }
  // A binary submission: `body` as bytes, application/octet-stream.
  Reply post_binary(const std::string& target, const std::string& body) {
    return call("POST", target, body, "application/octet-stream");
  }
  static std::string envelope_bytes(const Transaction& tx) {
    const Bytes e = encode_transaction(tx);
    return std::string(e.begin(), e.end());
  }
  // Envelopes framed as a binary batch: each preceded by its length, a little-endian u32.
  static std::string binary_batch(const std::vector<std::string>& envelopes) {
    std::string out;
    for (const std::string& e : envelopes) {
      const auto n = static_cast<uint32_t>(e.size());
      for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>(n >> (8 * b)));
      out += e;
    }
    return out;
  }

  Transaction make(std::string_view source, std::vector<Operation> ops,
                   std::optional<uint64_t> valid_until = std::nullopt) {
    Transaction tx;
    tx.network_id = node_->network_id();
    tx.source = test_id(source);
    tx.nonce = nonce_++;
    tx.valid_until_height = valid_until.value_or(node_->status().height + 100);
    tx.ops = std::move(ops);
    tx.sign(test_key(source));
    return tx;
  }

  static std::string envelope_hex(const Transaction& tx) {
    return to_hex(ledger::encode_transaction(tx));
  }

  Reply submit(const Transaction& tx, const std::string& wait = "final") {
    return post("/v1/transactions", {{"envelope", envelope_hex(tx)}, {"wait", wait}});
  }
  // Submits, waits for finality and expects ok.
  void submit_ok(const Transaction& tx) {
    Reply r = submit(tx);
    ASSERT_EQ(r.status, 200) << r.raw;
    ASSERT_EQ(r.body["result"]["code"], "ok") << r.raw;
  }

  // Three accounts, USD (scale 2) held by alice and bob, 500.00 issued to alice.
  AssetId set_up_bank() {
    const AssetId usd = test::asset("USD", "issuer");
    for (const char* name : {"issuer", "alice", "bob"})
      submit_ok(make(name, {op::create_account(name)}));
    submit_ok(make("issuer", {op::create_asset("USD", 2)}));
    submit_ok(make("alice", {op::open_holding(usd, kLimit)}));
    submit_ok(make("bob", {op::open_holding(usd, kLimit)}));
    submit_ok(make("issuer", {op::issue("alice", "USD", 500'00)}));
    return usd;
  }

  // Signs a JSON transaction through POST /v1/transactions/encode, as a client without the
  // canonical encoder would; returns the signatures array and the id.
  std::pair<json, std::string> sign_json(const json& tx, std::string_view signer) {
    Reply r = post("/v1/transactions/encode", {{"transaction", tx}});
    EXPECT_EQ(r.status, 200) << r.raw;
    auto msg = from_hex(r.body.value("signing_message", ""));
    EXPECT_TRUE(msg.ok());
    const KeyPair key = test_key(signer);
    Signature sig = key.sign(msg.ok() ? ByteView(*msg) : ByteView());
    return {json::array({{{"public_key", key.public_key().hex()}, {"signature", sig.hex()}}}),
            r.body.value("id", "")};
  }

  std::unique_ptr<node::Node> node_;
  std::unique_ptr<NodeApi> api_;
  std::unique_ptr<HttpServer> server_;
  uint64_t nonce_ = 1;
};

// A node that is not started: nothing becomes final until the test starts it.
class NodeApiUnstartedTest : public NodeApiTest {
 protected:
  void SetUp() override { open(/*start=*/false); }
};

}  // namespace corridor::api::api_test
