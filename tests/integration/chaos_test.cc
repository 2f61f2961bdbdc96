// The chaos test: a BFT network of real `corridor node` processes (four validators and an
// observer) under a steady payment load, while validators are killed with SIGKILL and restarted
// and one validator at a time is cut off from the others and healed. Afterwards every payment any
// node acknowledged as final must be on every node with the same result, every node must hold
// the same block and state root at one height, and the longest stall must stay bounded.
//
// Faults never overlap: at most one validator (f = 1 of n = 4) is down or cut off at any time,
// and the next fault waits until the last victim has caught up (or a bound passes), so a stall
// longer than a few round timeouts means the network did not recover.
//
// Partitions go through TCP proxies in this test (link_proxy.h) rather than the transport's
// test fault hook (net::PeerNetwork::test_set_fault): the hook lives in one process's
// PeerNetwork and could only be reached through a test-only option and control endpoint in the
// node, whereas the proxies need nothing from the node. Every node gets its own copy of the
// genesis file in which each peer's address is the proxy for that one directed link, so cutting
// a validator off closes exactly its connections and refuses new ones, in both directions, and
// the nodes see what a real network failure looks like (connections dropped, dials failing).
//
// Bounded: CORRIDOR_CHAOS_DURATION_S seconds of faults (default 45); CORRIDOR_CHAOS_SEED fixes
// the fault schedule and the load's choices (default: the time). Both are printed, with a
// summary: acknowledged payments, kills, restarts, partitions, the longest stall and a timeline.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/http_client.h"
#include "ledger/transaction.h"
#include "link_proxy.h"
#include "localnet_support.h"
#include "node/chain_store.h"
#include "node/config.h"
#include "node/genesis.h"

namespace corridor::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace ledger;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* network_name = "corridor-localnet";
constexpr int validators = 4;
constexpr int nodes = validators + 1;  // Node 4 is the observer.
constexpr int observer = validators;

constexpr uint64_t duration_s_default = 45;
// The shortest run still has room for a kill and a partition; the longest keeps the record of
// acknowledged payments (about a hundred a second) within memory.
constexpr uint64_t duration_s_min = 20;
constexpr uint64_t duration_s_max = 3'600;
constexpr int clients = 4;
constexpr int accounts = 8;
constexpr Amount funding = 1'000'000'00;
// Room for every account to receive all the others' funds.
constexpr Amount holding_limit = funding * 100;
constexpr uint32_t transfer_amount_max = 100;
// A submission waits this long for finality on the node, and the client a little longer for
// the answer; a node that was killed meanwhile answers nothing at all.
constexpr uint32_t submit_wait_ms = 10'000;
constexpr uint32_t submit_http_timeout_ms = submit_wait_ms + 5'000;
constexpr uint64_t validity_blocks = 10'000;  // Below ledger::tx_validity_blocks_max.
// Fault timing, uniformly chosen in these ranges.
constexpr uint32_t gap_ms_min = 1'000, gap_ms_max = 2'500;
constexpr uint32_t down_ms_min = 1'000, down_ms_max = 3'000;
constexpr uint32_t cut_ms_min = 3'000, cut_ms_max = 6'000;
// A cut-off validator's height is read this long after the cut, and must not change after.
constexpr auto cut_settle = 1s;
// Every fourth fault, starting with the second, is a partition; the others are kills.
constexpr int partition_every = 4;
constexpr int partition_first = 1;
// Bounds on waiting: a (re)started node's API, a victim catching up, and the network converging
// after the faults stop.
constexpr auto start_wait_max = 60s;
constexpr auto restart_wait_max = 30s;
constexpr auto catch_up_wait_max = 20s;
constexpr auto converge_wait_max = 60s;
// The longest time no payment may become final while load is applied: generous, so that only
// a network that does not recover fails (a killed leader costs a round timeout or two).
constexpr auto stall_max = 30s;
// The network's height is read this often, each validator's with this timeout (a node being
// killed or restarted may accept the connection and not answer).
constexpr auto height_poll_interval = 100ms;
constexpr uint32_t height_poll_timeout_ms = 500;
constexpr size_t problems_shown_max = 10;

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  return *end == '\0' ? static_cast<uint64_t>(n) : fallback;
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string fixed(double v, int digits = 2) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

struct Ack {
  std::string id;
  int node = 0;
  json result;
  uint64_t height = 0;
  uint64_t index = 0;
};

class Chaos : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto_init();
    dir_ = fs::temp_directory_path() / ("corridor-chaos-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // API ports base .. base + 4 and peer ports base + 5 .. base + 9, fixed because a restarted
    // node binds them again; below Linux's ephemeral range (32768 and up), so no outgoing
    // connection holds one, and apart from the localnet test's range (20000 and up).
    base_port_ = static_cast<uint16_t>(12'000 + (::getpid() % 500) * 10);
    pids_.assign(nodes, -1);
  }

  void TearDown() override {
    stop_load();
    if (proxies_) proxies_->stop();
    for (int n = 0; n < nodes; ++n) {
      if (pids_[n] <= 0) continue;
      const int rc = stop_process(pids_[n]);
      pids_[n] = -1;
      EXPECT_EQ(rc, 0) << name(n) << " did not stop cleanly";
    }
    if (!HasFailure()) {
      fs::remove_all(dir_);
      return;
    }
    for (int n = 0; n < nodes; ++n)
      std::cerr << "---- last lines of " << log_path(n) << "\n" << file_tail(log_path(n), 40);
    std::cerr << "kept " << dir_ << " for inspection (seed " << seed_ << ")\n";
  }

  static std::string name(int n) {
    return n < validators ? "validator" + std::to_string(n)
                          : "observer" + std::to_string(n - validators);
  }
  std::string log_path(int n) const { return (dir_ / name(n) / "node.log").string(); }
  std::string config_path(int n) const { return (dir_ / name(n) / "node.toml").string(); }
  uint16_t api_port(int n) const { return static_cast<uint16_t>(base_port_ + n); }
  uint16_t peer_port(int n) const { return static_cast<uint16_t>(base_port_ + nodes + n); }

  // `corridor network init`, then per node: its ports, invariant checks, and a genesis file of
  // its own whose peer addresses are the proxies of its outgoing links.
  void init_network() {
    const std::string out = (dir_ / "init.out").string();
    pid_t init = spawn_process(
        {CORRIDOR_BINARY, "network", "init", "--validators", std::to_string(validators),
         "--observers", std::to_string(nodes - validators), "--dir", dir_.string()},
        out);
    int status = 0;
    ASSERT_EQ(::waitpid(init, &status, 0), init);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << file_tail(out, 20);

    std::vector<ProxyLink> links;
    std::vector<std::vector<size_t>> link_of(nodes, std::vector<size_t>(nodes, 0));
    for (int from = 0; from < nodes; ++from)
      for (int to = 0; to < nodes; ++to) {
        if (from == to) continue;
        link_of[from][to] = links.size();
        links.push_back({from, to, peer_port(to)});
      }
    std::string error;
    proxies_ = LinkProxies::start(links, error);
    ASSERT_NE(proxies_, nullptr) << error;

    auto genesis = node::load_genesis((dir_ / "genesis.toml").string());
    ASSERT_TRUE(genesis.ok()) << genesis.status().to_string();
    network_id_ = node::network_id_for(genesis->network_name, genesis->state_root_interval_blocks);
    ASSERT_EQ(genesis->validators.size(), static_cast<size_t>(validators));
    ASSERT_EQ(genesis->observers.size(), static_cast<size_t>(nodes - validators));
    for (int n = 0; n < nodes; ++n) {
      node::Genesis own = *genesis;
      for (int peer = 0; peer < nodes; ++peer) {
        auto& p = peer < validators ? own.validators[peer] : own.observers[peer - validators];
        ASSERT_EQ(p.name, name(peer));
        p.host = "127.0.0.1";
        p.port = peer == n ? peer_port(n) : proxies_->port(link_of[n][peer]);
      }
      const fs::path own_genesis = dir_ / name(n) / "genesis.toml";
      std::ofstream(own_genesis) << node::genesis_to_toml(own);

      auto config = node::load_node_config(config_path(n));
      ASSERT_TRUE(config.ok()) << config.status().to_string();
      config->api_port = api_port(n);
      config->peer_port = peer_port(n);
      config->genesis_file = own_genesis.string();
      config->check_invariants = true;
      std::ofstream(config_path(n)) << node::node_config_to_toml(*config);
    }
  }

  void start_node(int n) {
    pids_[n] = spawn_process({CORRIDOR_BINARY, "node", "--config", config_path(n)}, log_path(n));
    ASSERT_GT(pids_[n], 0) << "fork failed";
  }

  uint64_t height(int n, uint32_t timeout_ms = 5'000) const {
    auto [status, body] = http_json(api_port(n), "GET", "/v1/status", "", timeout_ms);
    return status == 200 ? body.value("height", uint64_t{0}) : 0;
  }

  uint64_t max_validator_height(int except) const {
    uint64_t h = 0;
    for (int v = 0; v < validators; ++v)
      if (v != except) h = std::max(h, height(v));
    return h;
  }

  // Submits through validator 0 and waits for finality; every setup transaction must succeed.
  void submit_setup(const std::vector<Transaction>& txs) {
    std::vector<std::string> failures(txs.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < txs.size(); ++i)
      threads.emplace_back([&, i] {
        json body = {{"envelope", to_hex(encode_transaction(txs[i]))}, {"wait", "final"}};
        auto [status, reply] =
            http_json(api_port(0), "POST", "/v1/transactions", body.dump(), 40'000);
        if (status != 200 || reply["result"].value("code", "") != "ok")
          failures[i] = std::to_string(status) + " " + reply.dump();
        else
          raise_known_height(reply.value("height", uint64_t{0}));
      });
    for (auto& t : threads) t.join();
    for (const auto& f : failures) ASSERT_EQ(f, "") << "a setup transaction failed";
  }

  // Transactions stay valid for validity_blocks past the highest height seen final.
  void raise_known_height(uint64_t h) {
    uint64_t seen = known_height_.load();
    while (seen < h && !known_height_.compare_exchange_weak(seen, h)) {
    }
  }

  Transaction make_tx(const KeyPair& key, uint64_t nonce, std::vector<Operation> ops) const {
    Transaction tx;
    tx.network_id = network_id_;
    tx.source = key.account_id();
    tx.nonce = nonce;
    tx.valid_until_height = known_height_.load() + validity_blocks;
    tx.ops = std::move(ops);
    tx.sign(key);
    return tx;
  }

  // An issuer, `accounts` funded holders of its USD.
  void fund_accounts() {
    issuer_ = std::make_unique<KeyPair>(KeyPair::generate());
    for (int i = 0; i < accounts; ++i) keys_.push_back(KeyPair::generate());
    usd_ = AssetId{*AssetCode::parse("USD"), issuer_->account_id()};
    uint64_t nonce = 1;
    ASSERT_NO_FATAL_FAILURE(
        submit_setup({make_tx(*issuer_, nonce++, {CreateAccountOp{issuer_->public_key()}})}));
    std::vector<Transaction> creates, holdings;
    for (const auto& k : keys_) {
      creates.push_back(make_tx(k, nonce++, {CreateAccountOp{k.public_key()}}));
      holdings.push_back(make_tx(k, nonce++, {OpenHoldingOp{usd_, holding_limit}}));
    }
    ASSERT_NO_FATAL_FAILURE(submit_setup(creates));
    ASSERT_NO_FATAL_FAILURE(
        submit_setup({make_tx(*issuer_, nonce++, {CreateAssetOp{usd_.code, 2, 0}})}));
    ASSERT_NO_FATAL_FAILURE(submit_setup(holdings));
    std::vector<Operation> issues;
    for (const auto& k : keys_) issues.push_back(IssueOp{k.account_id(), usd_.code, funding});
    ASSERT_NO_FATAL_FAILURE(submit_setup({make_tx(*issuer_, nonce++, std::move(issues))}));
  }

  // One client: transfers between the funded accounts, each to a random node, each waiting for
  // finality. Only an answer 200 with a result is an acknowledgement.
  void client(int index) {
    std::mt19937_64 rng(seed_ + 1 + static_cast<uint64_t>(index));
    uint64_t count = 0;
    while (!stop_load_.load()) {
      const auto payer = static_cast<size_t>(rng() % accounts);
      const auto payee = (payer + 1 + rng() % (accounts - 1)) % accounts;
      const auto amount = static_cast<Amount>(1 + rng() % transfer_amount_max);
      const int n = static_cast<int>(rng() % nodes);
      // Nonces are unique per client, so every transaction has an id of its own.
      const uint64_t nonce = (static_cast<uint64_t>(index + 1) << 48) | ++count;
      Transaction tx =
          make_tx(keys_[payer], nonce, {TransferOp{keys_[payee].account_id(), usd_, amount}});
      json body = {{"envelope", to_hex(encode_transaction(tx))},
                   {"wait", "final"},
                   {"timeout_ms", submit_wait_ms}};
      auto [status, reply] =
          http_json(api_port(n), "POST", "/v1/transactions", body.dump(), submit_http_timeout_ms);
      record(n, tx.id.hex(), status, reply);
      // A node that is down refuses at once: do not spin on it.
      if (status == 0) std::this_thread::sleep_for(20ms);
    }
  }

  void record(int n, const std::string& id, int status, const json& reply) {
    const auto now = Clock::now();
    std::lock_guard lock(mu_);
    if (status == 200 && reply.is_object() && reply.value("status", "") == "final" &&
        reply.contains("result") && reply.contains("height") && reply.contains("index")) {
      Ack a{id, n, reply["result"], reply["height"].get<uint64_t>(),
            reply["index"].get<uint64_t>()};
      raise_known_height(a.height);
      acks_.push_back(std::move(a));
      ++acks_by_node_[n];
      if (now - last_final_ > longest_stall_) {
        longest_stall_ = now - last_final_;
        longest_stall_from_ = last_final_ - load_start_;
      }
      last_final_ = now;
    } else if (status == 202) {
      ++pending_;
    } else if (status == 503) {
      ++unavailable_;
    } else if (status == 0) {
      ++unreachable_;
    } else {
      ++unexpected_;
      if (unexpected_shown_.size() < problems_shown_max)
        unexpected_shown_.push_back(name(n) + ": " + std::to_string(status) + " " + reply.dump());
    }
  }

  void start_load() {
    load_start_ = last_final_ = Clock::now();
    for (int i = 0; i < clients; ++i) client_threads_.emplace_back([this, i] { client(i); });
    monitor_thread_ = std::thread([this] { monitor_heights(); });
  }

  // The network's own progress, apart from any client: the highest height a validator
  // reports, read every height_poll_interval. A client waits on the node it chose, so while a
  // validator is cut off every client may in turn come to wait on it, and no payment is
  // acknowledged anywhere although the other three go on committing. The time between
  // acknowledgements measures those waits as well; this measures the network.
  void monitor_heights() {
    uint64_t best = 0;
    Clock::time_point last_rise = Clock::now();
    while (!stop_load_.load()) {
      uint64_t h = 0;
      for (int v = 0; v < validators; ++v) h = std::max(h, height(v, height_poll_timeout_ms));
      const auto now = Clock::now();
      if (h > best) {
        best = h;
        last_rise = now;
      } else if (now - last_rise > longest_height_stall_) {
        longest_height_stall_ = now - last_rise;
        longest_height_stall_from_ = last_rise - load_start_;
      }
      std::this_thread::sleep_for(height_poll_interval);
    }
  }

  void stop_load() {
    stop_load_ = true;
    for (auto& t : client_threads_) t.join();
    if (monitor_thread_.joinable()) monitor_thread_.join();
    if (client_threads_.empty()) return;
    client_threads_.clear();
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    if (now - last_final_ > longest_stall_) {
      longest_stall_ = now - last_final_;
      longest_stall_from_ = last_final_ - load_start_;
    }
    load_time_ = now - load_start_;
  }

  void event(const std::string& what) {
    timeline_.push_back("  t=" + fixed(seconds(Clock::now() - load_start_), 1) + "s " + what);
  }

  // Sleeps, and checks in small steps that no node exited on its own (a crash); false if one did.
  bool pause(std::chrono::milliseconds d) {
    const auto until = Clock::now() + d;
    do {
      for (int n = 0; n < nodes; ++n) {
        if (pids_[n] <= 0) continue;
        int status = 0;
        if (::waitpid(pids_[n], &status, WNOHANG) == pids_[n]) {
          crashed_.push_back(name(n) +
                             (WIFSIGNALED(status)
                                  ? " died of signal " + std::to_string(WTERMSIG(status))
                                  : " exited with " + std::to_string(WEXITSTATUS(status))));
          event(crashed_.back());
          pids_[n] = -1;
        }
      }
      if (!crashed_.empty()) return false;
      std::this_thread::sleep_for(std::min<Clock::duration>(50ms, until - Clock::now()));
    } while (Clock::now() < until);
    return true;
  }

  // After a fault ends at `since`: waits until `v` reaches the height the other validators have
  // now, and notes how long that took since the fault ended.
  void catch_up(int v, Clock::time_point since) {
    const uint64_t target = max_validator_height(v);
    const auto from = Clock::now();
    while (Clock::now() - from < catch_up_wait_max) {
      if (height(v, 1'000) >= target) {
        event(name(v) + " caught up to height " + std::to_string(target) + " " +
              fixed(seconds(Clock::now() - since)) + "s after the fault ended");
        return;
      }
      if (!pause(100ms)) return;
    }
    ++catch_up_timeouts_;
    event(name(v) + " did not reach height " + std::to_string(target) + " within " +
          fixed(seconds(catch_up_wait_max), 0) + "s");
  }

  void run_faults(std::chrono::seconds duration) {
    std::mt19937_64 rng(seed_);
    auto between = [&](uint32_t lo, uint32_t hi) {
      return std::chrono::milliseconds(lo + rng() % (hi - lo + 1));
    };
    const auto end = load_start_ + duration;
    for (int episode = 0; Clock::now() < end; ++episode) {
      if (!pause(between(gap_ms_min, gap_ms_max)) || Clock::now() >= end) return;
      const int v = static_cast<int>(rng() % validators);
      if (episode % partition_every == partition_first) {
        ASSERT_TRUE(proxies_->isolate(v));
        ++partitions_;
        event("cut off " + name(v));
        // Cut off, the validator can commit nothing new: a block needs votes it cannot receive
        // (it may still finish one whose certificate was already on its way). Checking that
        // shows the proxies really cut it off.
        bool alive = pause(cut_settle);
        const uint64_t cut_height = height(v);
        alive = alive && pause(between(cut_ms_min, cut_ms_max) - cut_settle);
        const uint64_t before_heal = height(v);
        EXPECT_EQ(before_heal, cut_height) << name(v) << " committed blocks while cut off";
        ASSERT_TRUE(proxies_->heal(v));
        ++heals_;
        const auto healed = Clock::now();
        event("healed " + name(v) + " (height " + std::to_string(cut_height) + " to " +
              std::to_string(before_heal) + " while cut off)");
        if (!alive) return;
        catch_up(v, healed);
      } else {
        ASSERT_EQ(::kill(pids_[v], SIGKILL), 0);
        ::waitpid(pids_[v], nullptr, 0);
        pids_[v] = -1;
        ++kills_;
        event("kill -9 " + name(v));
        if (!pause(between(down_ms_min, down_ms_max))) return;
        ASSERT_NO_FATAL_FAILURE(start_node(v));
        ++restarts_;
        const auto from = Clock::now();
        event("restarted " + name(v));
        while (height(v, 1'000) == 0) {
          ASSERT_LT(Clock::now() - from, restart_wait_max) << name(v) << " did not come back";
          if (!pause(100ms)) return;
        }
        catch_up(v, from);
      }
      if (!crashed_.empty()) return;
    }
  }

  // Every node reaches the highest height any node reported and holds the same block there.
  void expect_converged() {
    uint64_t h = 0;
    for (int n = 0; n < nodes; ++n) h = std::max(h, height(n));
    const auto from = Clock::now();
    std::vector<uint64_t> heights(nodes, 0);
    while (true) {
      bool all = true;
      for (int n = 0; n < nodes; ++n) {
        heights[n] = height(n);
        all = all && heights[n] >= h;
      }
      if (all) break;
      if (Clock::now() - from > converge_wait_max) {
        std::string got;
        for (int n = 0; n < nodes; ++n) got += " " + name(n) + "=" + std::to_string(heights[n]);
        FAIL() << "the nodes did not all reach height " << h << " within "
               << seconds(converge_wait_max) << "s:" << got;
      }
      std::this_thread::sleep_for(100ms);
    }
    json first;
    for (int n = 0; n < nodes; ++n) {
      auto [status, block] = http_json(api_port(n), "GET", "/v1/blocks/" + std::to_string(h));
      ASSERT_EQ(status, 200) << name(n) << " block " << h;
      if (first.is_null()) {
        first = block;
        continue;
      }
      EXPECT_EQ(block["hash"], first["hash"]) << name(n) << " at height " << h;
      EXPECT_EQ(block["state_root"], first["state_root"]) << name(n) << " at height " << h;
    }
    final_height_ = h;
    final_root_ = first["state_root"].is_string() ? first["state_root"].get<std::string>() : "";
  }

  // Every acknowledged payment, on every node, final with the acknowledged result and position.
  void expect_acks_everywhere() {
    std::vector<std::vector<std::string>> problems(nodes);
    std::vector<size_t> missing(nodes, 0);
    std::vector<std::thread> threads;
    for (int n = 0; n < nodes; ++n)
      threads.emplace_back([&, n] {
        auto conn = api::HttpConnection::connect("127.0.0.1", api_port(n), 10'000);
        for (const Ack& a : acks_) {
          std::string problem;
          auto r = conn.ok() ? conn->request("GET", "/v1/transactions/" + a.id)
                             : Result<api::HttpResponse>(conn.status());
          if (!r.ok()) {
            problem = "unreachable: " + r.status().to_string();
          } else {
            json j = json::parse(r->body, nullptr, false);
            if (r->status != 200 || !j.is_object() || j.value("status", "") != "final")
              problem = "answer " + std::to_string(r->status) + " " + r->body;
            else if (j["result"] != a.result || j["height"] != a.height || j["index"] != a.index)
              problem = "differs: " + j.dump() + " vs acknowledged by " + name(a.node) +
                        " result " + a.result.dump() + " height " + std::to_string(a.height) +
                        " index " + std::to_string(a.index);
          }
          if (problem.empty()) continue;
          ++missing[n];
          if (problems[n].size() < problems_shown_max) problems[n].push_back(a.id + ": " + problem);
        }
      });
    for (auto& t : threads) t.join();
    for (int n = 0; n < nodes; ++n) {
      std::string shown;
      for (const auto& p : problems[n]) shown += "\n  " + p;
      EXPECT_EQ(missing[n], 0u) << "acknowledged payments missing or different on " << name(n)
                                << shown;
    }
  }

  void print_summary(uint64_t duration_s) {
    const ProxyCounters pc = proxies_ ? proxies_->counters() : ProxyCounters{};
    std::ostringstream s;
    s << "chaos summary (seed " << seed_ << ", " << duration_s << " s of faults, " << clients
      << " clients, " << validators << " validators + 1 observer)\n";
    s << "  acknowledged payments: " << acks_.size() << " (";
    for (int n = 0; n < nodes; ++n) s << (n ? ", " : "") << name(n) << " " << acks_by_node_[n];
    s << ") in " << fixed(seconds(load_time_), 1) << " s of load\n";
    s << "  not acknowledged: " << pending_ << " not final within " << submit_wait_ms << " ms, "
      << unavailable_ << " unavailable, " << unreachable_ << " node unreachable, " << unexpected_
      << " unexpected answers\n";
    s << "  kills " << kills_ << ", restarts " << restarts_ << ", partitions " << partitions_
      << " (healed " << heals_ << "), catch-ups not within " << seconds(catch_up_wait_max)
      << " s: " << catch_up_timeouts_ << "\n";
    s << "  longest stall " << fixed(seconds(longest_height_stall_))
      << " s without a new block on any validator (from t="
      << fixed(seconds(longest_height_stall_from_), 1) << "s; limit " << seconds(stall_max)
      << " s); longest time without an acknowledged payment " << fixed(seconds(longest_stall_))
      << " s (from t=" << fixed(seconds(longest_stall_from_), 1)
      << "s; clients waiting on a cut-off validator count here)\n";
    s << "  final height " << final_height_ << ", state root " << final_root_ << "\n";
    s << "  proxies: " << pc.accepted << " connections, " << pc.target_refused
      << " to a node that was down, " << pc.refused_isolated << " refused and "
      << pc.closed_by_isolate << " closed while cut off, " << pc.bytes << " bytes\n";
    s << "timeline:\n";
    for (const auto& e : timeline_) s << e << "\n";
    for (const auto& u : unexpected_shown_) s << "  unexpected answer from " << u << "\n";
    std::cout << s.str() << std::flush;
  }

  fs::path dir_;
  uint16_t base_port_ = 0;
  Hash256 network_id_;
  std::vector<pid_t> pids_;
  std::unique_ptr<LinkProxies> proxies_;
  uint64_t seed_ = 0;

  std::unique_ptr<KeyPair> issuer_;
  std::vector<KeyPair> keys_;
  AssetId usd_;
  std::atomic<uint64_t> known_height_{0};

  std::atomic<bool> stop_load_{false};
  std::vector<std::thread> client_threads_;
  std::mutex mu_;  // Guards what the clients record, below.
  std::vector<Ack> acks_;
  uint64_t acks_by_node_[nodes] = {};
  uint64_t pending_ = 0, unavailable_ = 0, unreachable_ = 0, unexpected_ = 0;
  std::vector<std::string> unexpected_shown_;
  Clock::time_point load_start_, last_final_;
  Clock::duration longest_stall_{}, longest_stall_from_{}, load_time_{};
  // Written by the monitor thread only, read after it is joined.
  std::thread monitor_thread_;
  Clock::duration longest_height_stall_{}, longest_height_stall_from_{};

  // Written by the main thread only.
  std::vector<std::string> timeline_;
  std::vector<std::string> crashed_;
  uint64_t kills_ = 0, restarts_ = 0, partitions_ = 0, heals_ = 0, catch_up_timeouts_ = 0;
  uint64_t final_height_ = 0;
  std::string final_root_;
};

// A loopback echo server on an ephemeral port, one connection at a time, for the proxy test.
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 16);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      while (true) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        char buf[256];
        ssize_t n;
        while ((n = ::recv(c, buf, sizeof buf, 0)) > 0)
          ::send(c, buf, static_cast<size_t>(n), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~EchoServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

// Connects to a proxy port; -1 on failure. Reads time out after a second.
int dial(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `text` and returns what comes back ("" when the connection was closed instead).
std::string echo(int fd, const std::string& text) {
  if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size()))
    return "";
  std::string got;
  char buf[256];
  while (got.size() < text.size()) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

// The proxies the chaos test relies on: they forward, cutting a node off closes its links'
// connections and refuses new ones while leaving other links alone, and healing restores them.
TEST(LinkProxies, ForwardCutOffAndHeal) {
  EchoServer target;
  std::string error;
  // Node 0 dials node 1, and node 2 dials node 1: both links end at the echo server.
  auto proxies = LinkProxies::start({{0, 1, target.port()}, {2, 1, target.port()}}, error);
  ASSERT_NE(proxies, nullptr) << error;
  int a = dial(proxies->port(0));
  ASSERT_GE(a, 0);
  EXPECT_EQ(echo(a, "before"), "before");

  // Cutting node 0 off closes link 0's connection and refuses new ones; link 2 -> 1 still works.
  ASSERT_TRUE(proxies->isolate(0));
  EXPECT_EQ(echo(a, "during"), "");
  ::close(a);
  a = dial(proxies->port(0));
  ASSERT_GE(a, 0);  // Accepted, then closed at once.
  EXPECT_EQ(echo(a, "during"), "");
  ::close(a);
  int b = dial(proxies->port(1));
  ASSERT_GE(b, 0);
  EXPECT_EQ(echo(b, "other link"), "other link");
  ::close(b);

  ASSERT_TRUE(proxies->heal(0));
  a = dial(proxies->port(0));
  ASSERT_GE(a, 0);
  EXPECT_EQ(echo(a, "after"), "after");
  ::close(a);

  const ProxyCounters c = proxies->counters();
  EXPECT_EQ(c.accepted, 3u);
  EXPECT_EQ(c.refused_isolated, 1u);
  EXPECT_EQ(c.closed_by_isolate, 1u);
}

TEST_F(Chaos, AcknowledgedPaymentsSurviveKillsAndPartitions) {
  const uint64_t duration_s = std::clamp(env_u64("CORRIDOR_CHAOS_DURATION_S", duration_s_default),
                                         duration_s_min, duration_s_max);
  seed_ =
      env_u64("CORRIDOR_CHAOS_SEED",
              static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
  std::cout << "chaos: seed " << seed_ << ", " << duration_s
            << " s of faults (repeat with CORRIDOR_CHAOS_SEED=" << seed_
            << " CORRIDOR_CHAOS_DURATION_S=" << duration_s << "); network in " << dir_.string()
            << std::endl;

  ASSERT_NO_FATAL_FAILURE(init_network());
  for (int n = 0; n < nodes; ++n) ASSERT_NO_FATAL_FAILURE(start_node(n));
  const auto started = Clock::now();
  for (int n = 0; n < nodes; ++n)
    while (height(n, 1'000) == 0) {
      ASSERT_LT(Clock::now() - started, start_wait_max) << name(n) << " made no block";
      ASSERT_TRUE(pause(100ms)) << crashed_.front();
    }
  ASSERT_NO_FATAL_FAILURE(fund_accounts());

  start_load();
  run_faults(std::chrono::seconds(duration_s));
  stop_load();
  event("load stopped");
  if (crashed_.empty() && !HasFailure()) {
    expect_converged();
    expect_acks_everywhere();
  }
  print_summary(duration_s);

  for (const auto& c : crashed_) ADD_FAILURE() << c;
  EXPECT_GT(acks_.size(), 0u) << "no payment became final";
  EXPECT_EQ(unexpected_, 0u) << "answers other than final, pending, unavailable or unreachable";
  EXPECT_GE(kills_, 1u);
  EXPECT_EQ(restarts_, kills_);
  EXPECT_GE(partitions_, 1u);
  EXPECT_LT(longest_stall_, stall_max) << "no payment was acknowledged for too long";
  EXPECT_LT(longest_height_stall_, stall_max) << "the network stalled";
}

}  // namespace
}  // namespace corridor::test
