#include "cli/bench_network.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/http_client.h"
#include "base/allocator.h"
#include "base/asset_code.h"
#include "base/bytes.h"
#include "base/keys.h"
#include "base/percentile.h"
#include "cli/exit_codes.h"
#include "cli/node_client.h"
#include "ledger/limits.h"
#include "ledger/operation.h"
#include "ledger/transaction.h"
#include "sim/rng.h"

namespace corridor::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using namespace std::chrono_literals;

// The stages of finality each node reports in /v1/status (node/stage_latency.h).
constexpr const char* node_stage_names[] = {"admission_to_proposal", "proposal_to_commit",
                                            "commit_to_durable", "admission_to_durable"};
// Parts of every round each node reports in /v1/status `consensus`, as `<name>_ms`.
constexpr const char* node_round_part_names[] = {"safety_write"};

// --- Limits ----------------------------------------------------------------------------------
constexpr uint32_t validators_max = 16;
constexpr uint32_t duration_s_max = 3'600;
constexpr uint32_t warmup_s_max = 600;
constexpr uint32_t accounts_min = 2;
constexpr uint32_t accounts_max = 100'000;
constexpr uint32_t clients_max = 2'048;
constexpr double rate_per_s_max = 10'000'000;
// Default concurrency in the closed loop: the peak on the 2-core machine of docs/benchmarks.md.
// Batch-signed, more transactions in flight make larger blocks, which spread each block's
// fixed costs (synced writes, state root, consensus messages) over more transfers, until the
// cores are saturated: at 10,000 accounts 256 clients gave 358k, 384 388k, 512 399k, 768 358k
// and 1,024 363k transfers/s, with finality growing with the queue (docs/benchmarks.md).
// Individually signed ones need many transactions in flight to fill a block: 32 clients of
// 100 each.
constexpr uint32_t clients_default_batch = 512;
constexpr uint32_t clients_default_individual = 32;
// Individually signed transactions go this many to a request (POST /v1/transactions/batch),
// as a bank's gateway forwarding its payments would send them; 1 sends each on its own.
constexpr uint32_t per_request_default = 100;
constexpr uint32_t per_request_max = 5'000;
// Open loop: one sending thread per this many transactions in flight at the expected latency,
// within these bounds.
constexpr uint32_t open_threads_min = 8;
constexpr uint32_t open_threads_max = 1'024;
constexpr double open_expected_latency_s = 0.25;
// Individually signed transactions are signed before the measured window, so that the load
// generator's signing does not compete with the validators for the machine's cores. A closed
// loop cannot know how many it will need: it signs this many per second of the run, and ends
// early (and says so) if the network consumes them faster.
constexpr uint64_t individual_pool_per_s = 60'000;
constexpr uint64_t individual_pool_max = 20'000'000;
// Each transfer moves 1 to transfer_amount_max minor units and every holder is funded with
// funding_per_account: no transfer can fail for lack of balance in any run this tool allows.
constexpr Amount transfer_amount_max = 100;
constexpr Amount funding_per_account = 1'000'000'000'000;
constexpr Amount holding_limit = 4'000'000'000'000'000;
// Setup transactions (account registrations, holdings) are submitted by this many threads.
constexpr uint32_t setup_threads = 32;
// How long one submission may wait for finality before the node answers "pending".
constexpr uint32_t submit_timeout_ms = 60'000;
// The HTTP deadline is a little longer than that, so the node's answer arrives first.
constexpr uint32_t http_timeout_ms = submit_timeout_ms + 10'000;
// A full mempool answers 503; the client waits this long before offering the same
// transaction again.
constexpr auto unavailable_backoff = 5ms;
// Starting a temporary localnet: every node answers with a block within this time.
constexpr auto localnet_start_timeout = 60s;
constexpr auto localnet_stop_timeout = 30s;
// --mode half-peak: between its loops, how often the nodes' stores are asked whether they have
// caught up with the peak's writes, and for how long at most.
constexpr auto settle_poll_interval = 100ms;
constexpr auto settle_wait_max = 120s;
// Temporary localnets take API ports in [port_base_min, port_base_min + port_base_span) and
// peer ports 100 above them; below Linux's ephemeral range so no outgoing connection holds one.
constexpr uint16_t port_base_min = 21'000;
constexpr uint16_t port_base_span = 9'000;
constexpr uint16_t peer_port_offset = 100;
constexpr auto progress_interval = 500ms;
constexpr uint32_t progress_bar_width = 30;
constexpr double ms_per_s = 1'000.0;

std::string fixed(double value, int precision) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(precision);
  s << value;
  return s.str();
}

// "1,234,567" for counts in human output.
std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

struct Endpoint {
  std::string host;
  uint16_t port = 0;
  std::string url() const { return "http://" + host + ":" + std::to_string(port); }
};

// A node's GET /v1/status body, or nullopt when it did not answer 200 with a JSON object.
std::optional<json> node_status(const Endpoint& e, uint32_t timeout_ms = 5'000) {
  auto r =
      api::http_request(e.host, e.port, "GET", "/v1/status", "", "application/json", timeout_ms);
  if (!r.ok() || r->status != 200) return std::nullopt;
  json body = json::parse(r->body, nullptr, false);
  if (!body.is_object()) return std::nullopt;
  return body;
}

Endpoint parse_endpoint(const std::string& url) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw CliError("--node must look like http://127.0.0.1:26000, got '" + url + "'", exit_usage);
  Endpoint e;
  e.host = rest.substr(0, colon);
  int port = std::atoi(rest.substr(colon + 1).c_str());
  if (port <= 0 || port > 65'535)
    throw CliError("invalid port in --node '" + url + "'", exit_usage);
  e.port = static_cast<uint16_t>(port);
  return e;
}

bool port_free(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// CPU seconds (user and system) a process has used so far, from /proc; 0 if it is gone.
double process_cpu_s(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces; the fields after it are plain numbers.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// A `corridor localnet` child process in a temporary directory, stopped with SIGINT (as Ctrl-C
// stops it) when this object goes away.
class TempLocalnet {
 public:
  TempLocalnet(uint32_t validators, uint64_t state_root_interval_blocks, bool keep,
               std::ostream& progress)
      : keep_(keep), progress_(progress) {
    dir_ = fs::temp_directory_path() / ("corridor-bench-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    base_port_ = pick_base_port(validators);
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) throw CliError("cannot find the corridor binary");
    self[n] = '\0';
    const std::string out = (dir_ / "localnet.out").string();
    const std::string net = (dir_ / "net").string();
    const std::string v = std::to_string(validators);
    const std::string port = std::to_string(base_port_);
    const std::string interval = std::to_string(state_root_interval_blocks);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGINT);
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      ::execl(self, self, "localnet", "--dir", net.c_str(), "--validators", v.c_str(),
              "--observers", "0", "--base-port", port.c_str(), "--state-root-interval",
              interval.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid_ < 0) throw CliError("cannot start the localnet: fork failed");
    for (uint32_t i = 0; i < validators; ++i)
      endpoints_.push_back({"127.0.0.1", static_cast<uint16_t>(base_port_ + i)});
    progress_ << "localnet: " << validators << " validators in " << dir_.string()
              << ", APIs on 127.0.0.1:" << base_port_ << "-" << base_port_ + validators - 1
              << std::endl;
    wait_ready();
  }

  ~TempLocalnet() {
    if (pid_ > 0) {
      ::kill(pid_, SIGINT);
      const auto deadline = Clock::now() + localnet_stop_timeout;
      int status = 0;
      while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, &status, 0);
          break;
        }
        std::this_thread::sleep_for(20ms);
      }
    }
    if (keep_) {
      progress_ << "localnet: kept " << dir_.string() << std::endl;
    } else {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }
  TempLocalnet(const TempLocalnet&) = delete;
  TempLocalnet& operator=(const TempLocalnet&) = delete;

  const std::vector<Endpoint>& endpoints() const { return endpoints_; }

  // CPU seconds the localnet's node processes have used so far, together.
  double nodes_cpu_s() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/task/" + std::to_string(pid_) +
                     "/children");
    double total = 0;
    pid_t child = 0;
    while (in >> child) total += process_cpu_s(child);
    return total;
  }

 private:
  static uint16_t pick_base_port(uint32_t validators) {
    std::mt19937 rng(static_cast<uint32_t>(::getpid()) ^
                     static_cast<uint32_t>(Clock::now().time_since_epoch().count()));
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto base = static_cast<uint16_t>(port_base_min + rng() % port_base_span);
      bool free = true;
      for (uint32_t i = 0; i < validators && free; ++i)
        free = port_free(static_cast<uint16_t>(base + i)) &&
               port_free(static_cast<uint16_t>(base + peer_port_offset + i));
      if (free) return base;
    }
    throw CliError("no free loopback ports for a temporary localnet");
  }

  void wait_ready() {
    const auto deadline = Clock::now() + localnet_start_timeout;
    for (const Endpoint& e : endpoints_) {
      while (true) {
        auto body = node_status(e, 2'000);
        if (body && body->value("height", uint64_t{0}) > 0) break;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          throw CliError("the localnet exited during start-up; see " +
                         (dir_ / "localnet.out").string());
        }
        if (Clock::now() > deadline)
          throw CliError("the localnet did not make blocks within " +
                         std::to_string(localnet_start_timeout.count()) + " s");
        std::this_thread::sleep_for(100ms);
      }
    }
  }

  fs::path dir_;
  bool keep_ = false;
  std::ostream& progress_;
  uint16_t base_port_ = 0;
  pid_t pid_ = -1;
  std::vector<Endpoint> endpoints_;
};

// What one submission came back with.
struct Outcome {
  enum class Kind { ok, failed, rejected, unavailable, pending, unreachable };
  Kind kind = Kind::unreachable;
  std::string code;  // Result or error code, for the failure tally.
};

Outcome classify(const Result<api::HttpResponse>& r, uint64_t* final_height = nullptr) {
  Outcome o;
  if (!r.ok()) {
    o.kind = Outcome::Kind::unreachable;
    o.code = r.status().message();
    return o;
  }
  json body = json::parse(r->body, nullptr, false);
  if (r->status == 200 && body.is_object() && body.contains("result")) {
    o.code = body["result"].value("code", "");
    o.kind = o.code == "ok" ? Outcome::Kind::ok : Outcome::Kind::failed;
    if (final_height) *final_height = body.value("height", uint64_t{0});
    return o;
  }
  if (r->status == 202) {
    o.kind = Outcome::Kind::pending;
    o.code = "pending";
    return o;
  }
  // A full mempool (503) and an account over its rate (429) both mean: offer it again later.
  o.kind =
      r->status == 503 || r->status == 429 ? Outcome::Kind::unavailable : Outcome::Kind::rejected;
  o.code = body.is_object() && body.contains("error") ? body["error"].value("code", "error")
                                                      : "http_" + std::to_string(r->status);
  return o;
}

std::string submit_body(const Bytes& envelope) {
  json body = {
      {"envelope", to_hex(envelope)}, {"wait", "final"}, {"timeout_ms", submit_timeout_ms}};
  return body.dump();
}

// One measured submission: when it completed (ms since the run's start), its latency and how
// many transfers it carried.
struct Sample {
  double done_ms = 0;
  double latency_ms = 0;
  uint32_t transfers = 0;
};

// What one measurement (warm-up and window) gathers, from its clients and from the nodes'
// status at its edges. Bench::reset_window makes a new one between --mode half-peak's two.
struct Window {
  // An open loop (at rate_per_s) or a closed one.
  bool open = false;
  double rate_per_s = 0;
  uint32_t threads = 0;
  // Presigned requests (--signing individual), taken in order by the clients.
  std::vector<std::string> pool;
  std::atomic<uint64_t> pool_next{0};
  std::atomic<bool> pool_exhausted{false};

  Clock::time_point start;
  Clock::time_point window_end;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> transfers_ok{0};
  std::atomic<uint64_t> unavailable{0};
  std::mutex tally_mu;
  std::map<std::string, uint64_t> failures;  // Guarded by tally_mu.
  std::vector<Sample> samples;
  // The window's edges in ms since start, and the chain's counters read at each.
  double window_start_ms = 0;
  double window_end_ms = 0;
  uint64_t chain_ops_start = 0;
  uint64_t chain_ops_end = 0;
  uint64_t height_start = 0;
  uint64_t height_end = 0;
  double cpu_start_s = 0;
  double cpu_end_s = 0;

  // From the nodes' status at the window's end.
  std::vector<json> node_stages;
  uint64_t timeouts_sent_max = 0;
  uint64_t proposals_spilled = 0;
  uint64_t signatures_at_admission = 0;
  uint64_t signatures_at_execution = 0;
  std::optional<uint64_t> committed_txs_min;
};

class Bench {
 public:
  Bench(const BenchNetworkOptions& o, std::vector<Endpoint> endpoints, std::ostream& progress,
        std::function<double()> nodes_cpu_s)
      : o_(o),
        endpoints_(std::move(endpoints)),
        progress_(progress),
        nodes_cpu_s_(std::move(nodes_cpu_s)) {}

  json run() {
    setup();
    const bool individual = o_.signing == "individual";
    ops_per_tx_ = individual ? 1 : o_.batch_ops;
    per_request_ = individual ? (o_.per_request != 0 ? o_.per_request : per_request_default) : 1;
    const VerifyLimit verify =
        individual ? measure_verify_limit(std::thread::hardware_concurrency(), 1'000)
                   : VerifyLimit{};
    if (o_.mode != "half-peak") {
      measure_window(o_.mode == "open", o_.rate_per_s);
      return report(verify);
    }
    // The latency targets are set at half the peak (docs/benchmarks.md): the peak is found
    // first, by a closed loop on the same network, so that both figures come from one machine
    // in one state rather than from runs at different times on a machine whose speed drifts.
    progress_ << "peak: closed loop" << std::endl;
    measure_window(/*open=*/false, 0);
    json peak = report(verify);
    if (peak["transfers"].get<uint64_t>() == 0)
      throw CliError("the closed loop finished no transfer, so there is no peak to halve");
    const double half = peak["transfers_per_s"].get<double>() / 2;
    // The peak leaves work behind: its blocks are the largest the network makes, and a
    // store may still be writing the last of them to its files when the loop ends, slowing
    // the next writes. The open loop starts once every store says nothing holds its writes up.
    progress_ << "waiting for the stores to settle" << std::endl;
    const auto settle_start = Clock::now();
    const bool settled = wait_stores_settled();
    const double settle_s = std::chrono::duration<double>(Clock::now() - settle_start).count();
    progress_ << "half the peak: open loop at " << grouped(static_cast<uint64_t>(half))
              << " transfers/s" << std::endl;
    reset_window();
    measure_window(/*open=*/true, half);
    json j = report(verify);
    j["mode"] = "half-peak";
    j["peak"] = {{"clients", peak["clients"]},
                 {"duration_s", peak["duration_s"]},
                 {"transfers_per_s", peak["transfers_per_s"]},
                 {"chain", peak["chain"]},
                 {"failures", peak["failures"]},
                 {"settled", settled},
                 {"settle_s", settle_s}};
    for (const char* key : {"latency_ms", "nodes_cpu"})
      if (peak.contains(key)) j["peak"][key] = peak[key];
    return j;
  }

 private:
  // --- Setup: an issuer, its currency, funded holders ----------------------------------------
  Outcome submit_one(api::HttpConnection& conn, const ledger::Transaction& tx,
                     uint64_t* final_height) {
    return classify(
        conn.request("POST", "/v1/transactions", submit_body(ledger::encode_transaction(tx))),
        final_height);
  }

  // Every node executes committed blocks at its own pace, and admission checks references
  // against the node's own ledger: before the next setup step spreads transactions that
  // depend on this one's over all nodes, each must hold everything final so far.
  void wait_all_reach(uint64_t height) {
    const auto deadline = Clock::now() + localnet_start_timeout;
    for (const Endpoint& e : endpoints_) {
      while (true) {
        auto body = node_status(e);
        if (body && body->value("height", uint64_t{0}) >= height) break;
        if (Clock::now() > deadline)
          throw CliError(e.url() + " did not reach height " + std::to_string(height));
        std::this_thread::sleep_for(10ms);
      }
    }
  }

  ledger::Transaction make_tx(const KeyPair& key, std::vector<ledger::Operation> ops,
                              uint64_t nonce) const {
    return make_tx(key, key.account_id(), std::move(ops), nonce);
  }
  ledger::Transaction make_tx(const KeyPair& key, const AccountId& source,
                              std::vector<ledger::Operation> ops, uint64_t nonce) const {
    ledger::Transaction tx;
    tx.network_id = network_id_;
    tx.source = source;
    tx.nonce = nonce;
    tx.valid_until_height = valid_until_;
    tx.ops = std::move(ops);
    tx.sign(key);
    return tx;
  }

  // Submits every transaction (in parallel, each waiting for finality) and requires ok.
  void submit_all_ok(const std::vector<ledger::Transaction>& txs, const std::string& what) {
    std::atomic<size_t> next{0};
    std::atomic<uint64_t> highest{0};
    std::mutex mu;
    std::string failure;
    std::vector<std::thread> threads;
    const uint32_t n = std::min<uint32_t>(setup_threads, static_cast<uint32_t>(txs.size()));
    for (uint32_t t = 0; t < n; ++t)
      threads.emplace_back([&, t] {
        const Endpoint& e = endpoints_[t % endpoints_.size()];
        auto conn = api::HttpConnection::connect(e.host, e.port, http_timeout_ms);
        if (!conn.ok()) {
          std::lock_guard l(mu);
          failure = "cannot reach " + e.url() + ": " + conn.status().message();
          return;
        }
        for (size_t i; (i = next.fetch_add(1)) < txs.size();) {
          uint64_t height = 0;
          Outcome out = submit_one(*conn, txs[i], &height);
          while (out.kind == Outcome::Kind::unavailable) {
            std::this_thread::sleep_for(unavailable_backoff);
            out = submit_one(*conn, txs[i], &height);
          }
          uint64_t seen = highest.load();
          while (height > seen && !highest.compare_exchange_weak(seen, height)) {
          }
          if (out.kind != Outcome::Kind::ok) {
            std::lock_guard l(mu);
            failure = what + ": " + out.code;
            return;
          }
        }
      });
    for (auto& t : threads) t.join();
    if (!failure.empty()) throw CliError("setup failed: " + failure);
    wait_all_reach(highest.load());
  }

  void setup() {
    NodeClient client(endpoints_.front().url());
    network_id_ = client.network_id();
    // Far enough ahead for any run this tool allows, within the ledger's window.
    valid_until_ = client.height() + ledger::tx_validity_blocks_max - 10;
    progress_ << "setup: " << o_.accounts << " accounts funded with USD" << std::endl;
    issuer_.emplace(KeyPair::generate());
    usd_ = AssetId{*AssetCode::parse("USD"), issuer_->account_id()};
    submit_all_ok({make_tx(*issuer_, {ledger::CreateAccountOp{issuer_->public_key()}}, 1)},
                  "issuer account");
    submit_all_ok({make_tx(*issuer_, {ledger::CreateAssetOp{usd_.code, 2, 0}}, 2)}, "asset");
    std::vector<ledger::Transaction> txs;
    for (uint32_t i = 0; i < o_.accounts; ++i) {
      accounts_.push_back(KeyPair::generate());
      account_ids_.push_back(accounts_.back().account_id());
      txs.push_back(
          make_tx(accounts_.back(), {ledger::CreateAccountOp{accounts_.back().public_key()}}, 1));
    }
    submit_all_ok(txs, "account registration");
    txs.clear();
    for (const KeyPair& a : accounts_)
      txs.push_back(make_tx(a, {ledger::OpenHoldingOp{usd_, holding_limit}}, 2));
    submit_all_ok(txs, "holding");
    txs.clear();
    std::vector<ledger::Operation> issue;
    for (const KeyPair& a : accounts_) {
      issue.push_back(ledger::IssueOp{a.account_id(), usd_.code, funding_per_account});
      if (issue.size() == ledger::tx_ops_max) {
        txs.push_back(make_tx(*issuer_, std::move(issue), 3 + txs.size()));
        issue.clear();
      }
    }
    if (!issue.empty()) txs.push_back(make_tx(*issuer_, std::move(issue), 3 + txs.size()));
    submit_all_ok(txs, "issuance");
  }

  // --- The workload --------------------------------------------------------------------------
  // A transaction of `ops` transfers from one holder to others, each a small random amount.
  ledger::Transaction workload_tx(uint64_t& state, uint32_t ops) const {
    const auto n = static_cast<uint64_t>(accounts_.size());
    const uint64_t source = sim::splitmix64(state) % n;
    std::vector<ledger::Operation> transfers;
    transfers.reserve(ops);
    for (uint32_t i = 0; i < ops; ++i) {
      uint64_t to = sim::splitmix64(state) % (n - 1);
      if (to >= source) ++to;
      const auto amount = static_cast<Amount>(1 + sim::splitmix64(state) % transfer_amount_max);
      transfers.push_back(ledger::TransferOp{account_ids_[to], usd_, amount});
    }
    return make_tx(accounts_[source], account_ids_[source], std::move(transfers),
                   sim::splitmix64(state));
  }

  // Individually signed transactions, signed on every core before the window: the pool holds
  // their envelopes in hex.
  void presign() {
    uint64_t count = 0;
    const double total_s = o_.warmup_s + o_.duration_s;
    if (w_->open)
      count = static_cast<uint64_t>(std::ceil(w_->rate_per_s * total_s * 1.02)) + per_request_;
    else
      count = static_cast<uint64_t>(individual_pool_per_s * total_s);
    count = std::min(count, individual_pool_max);
    progress_ << "signing " << grouped(count) << " transactions" << std::endl;
    w_->pool.resize(count);
    const uint32_t threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::thread> workers;
    for (uint32_t t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        uint64_t state = window_seed(o_.seed * 1'000'003 + t);
        for (uint64_t i = t; i < count; i += threads)
          w_->pool[i] = pool_form(ledger::encode_transaction(workload_tx(state, 1)));
      });
    for (auto& w : workers) w.join();
  }

  // One HTTP request: `txs` transactions of ops_per_tx_ transfers each.
  struct Request {
    std::string target;
    std::string body;
    std::string content_type;
    uint32_t txs = 0;
  };

  bool binary() const { return o_.wire == "binary"; }

  // A request for one envelope (`envelope` as the pool keeps it: raw bytes or hex).
  Request single_request(std::string envelope) const {
    if (binary())
      return Request{"/v1/transactions?wait=final&timeout_ms=" + std::to_string(submit_timeout_ms),
                     std::move(envelope), "application/octet-stream", 1};
    json body = {
        {"envelope", std::move(envelope)}, {"wait", "final"}, {"timeout_ms", submit_timeout_ms}};
    return Request{"/v1/transactions", body.dump(), "application/json", 1};
  }

  // The pool's form of an envelope: its bytes for the binary wire, hex for JSON.
  std::string pool_form(const Bytes& envelope) const {
    return binary() ? std::string(envelope.begin(), envelope.end()) : to_hex(envelope);
  }

  // The next request to send: envelopes from the pool (individually signed), or a batch-signed
  // transaction built now (one signature, so building it is cheap next to the network's work).
  std::optional<Request> next_request(uint64_t& state) {
    if (w_->pool.empty())
      return single_request(pool_form(ledger::encode_transaction(workload_tx(state, ops_per_tx_))));
    const uint64_t first = w_->pool_next.fetch_add(per_request_);
    if (first + per_request_ > w_->pool.size()) {
      w_->pool_exhausted.store(true);
      return std::nullopt;
    }
    if (per_request_ == 1) return single_request(std::move(w_->pool[first]));
    if (binary()) {
      // Each envelope preceded by its length, a little-endian u32 (docs/api.md).
      std::string body;
      for (uint64_t i = first; i < first + per_request_; ++i) {
        const auto length = static_cast<uint32_t>(w_->pool[i].size());
        for (int b = 0; b < 4; ++b) body.push_back(static_cast<char>(length >> (8 * b)));
        body += w_->pool[i];
      }
      return Request{
          "/v1/transactions/batch?wait=final&timeout_ms=" + std::to_string(submit_timeout_ms),
          std::move(body), "application/octet-stream", per_request_};
    }
    json envelopes = json::array();
    for (uint64_t i = first; i < first + per_request_; ++i)
      envelopes.push_back(std::move(w_->pool[i]));
    json body = {
        {"envelopes", std::move(envelopes)}, {"wait", "final"}, {"timeout_ms", submit_timeout_ms}};
    return Request{"/v1/transactions/batch", body.dump(), "application/json", per_request_};
  }

  double since_start_ms(Clock::time_point t) const {
    return std::chrono::duration<double, std::milli>(t - w_->start).count();
  }

  // Sends one request (again after a full mempool or a rate limit refused it as a whole) and
  // records what became final with result ok, each transaction's latency measured from `from`.
  void send(api::HttpConnection& conn, const Request& request, Clock::time_point from,
            std::vector<Sample>& samples) {
    while (true) {
      auto r = conn.request("POST", request.target, request.body, request.content_type);
      const auto done = Clock::now();
      json body = r.ok() && request.txs > 1 ? json::parse(r->body, nullptr, false) : json();
      if (request.txs == 1 || !r.ok() || r->status != 200 || !body.is_object() ||
          !body.contains("results")) {
        Outcome out = classify(r);
        if (out.kind == Outcome::Kind::unavailable && !w_->stop.load()) {
          w_->unavailable.fetch_add(1, std::memory_order_relaxed);
          std::this_thread::sleep_for(unavailable_backoff);
          continue;
        }
        for (uint32_t i = 0; i < request.txs; ++i) record(samples, from, done, out);
        return;
      }
      // A batch answers one result per envelope.
      for (const json& item : body["results"]) {
        Outcome out;
        if (item.contains("result")) {
          out.code = item["result"].value("code", "");
          out.kind = out.code == "ok" ? Outcome::Kind::ok : Outcome::Kind::failed;
        } else if (item.contains("error")) {
          out.code = item["error"].value("code", "error");
          out.kind = Outcome::Kind::rejected;
        } else {
          out.code = "pending";
          out.kind = Outcome::Kind::pending;
        }
        record(samples, from, done, out);
      }
      return;
    }
  }

  void record(std::vector<Sample>& samples, Clock::time_point sent, Clock::time_point done,
              const Outcome& out) {
    if (out.kind == Outcome::Kind::ok) {
      samples.push_back({since_start_ms(done),
                         std::chrono::duration<double, std::milli>(done - sent).count(),
                         ops_per_tx_});
      w_->transfers_ok.fetch_add(ops_per_tx_, std::memory_order_relaxed);
      return;
    }
    std::lock_guard l(w_->tally_mu);
    ++w_->failures[out.code];
  }

  // Client `index`'s keep-alive connection, to the nodes in turn; counted when unreachable.
  std::optional<api::HttpConnection> connect_client(uint32_t index) {
    const Endpoint& e = endpoints_[index % endpoints_.size()];
    auto conn = api::HttpConnection::connect(e.host, e.port, http_timeout_ms);
    if (conn.ok()) return std::move(conn).value();
    std::lock_guard l(w_->tally_mu);
    ++w_->failures["unreachable"];
    return std::nullopt;
  }

  void closed_client(uint32_t index, std::vector<Sample>& samples) {
    auto conn = connect_client(index);
    if (!conn) return;
    uint64_t state = window_seed(o_.seed * 7'919 + index);
    while (!w_->stop.load(std::memory_order_relaxed)) {
      auto request = next_request(state);
      if (!request) return;
      send(*conn, *request, Clock::now(), samples);
    }
  }

  // Sends slots index, index + threads, ... of a schedule of `request_rate` requests a second.
  void open_sender(uint32_t index, uint32_t threads, double request_rate, uint64_t slots,
                   std::vector<Sample>& samples) {
    auto conn = connect_client(index);
    if (!conn) return;
    uint64_t state = window_seed(o_.seed * 7'919 + index);
    for (uint64_t slot = index; slot < slots && !w_->stop.load(); slot += threads) {
      const auto due = w_->start + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(slot / request_rate));
      auto request = next_request(state);
      if (!request) return;
      std::this_thread::sleep_until(due);
      send(*conn, *request, due, samples);
    }
  }

  uint64_t ops_committed(const Endpoint& e) {
    auto body = node_status(e);
    if (!body) return 0;
    height_last_ = body->value("height", height_last_);
    return body->value("/committed/ops"_json_pointer, uint64_t{0});
  }

  void draw_progress(double elapsed_s, double total_s, double rate) {
    const double fraction = std::min(1.0, elapsed_s / total_s);
    const auto filled = static_cast<uint32_t>(fraction * progress_bar_width);
    std::string bar(filled, '#');
    bar.resize(progress_bar_width, '-');
    progress_ << "\r[" << bar << "] " << fixed(elapsed_s, 1) << "/" << fixed(total_s, 0) << " s  "
              << grouped(static_cast<uint64_t>(rate)) << " transfers/s  "
              << (elapsed_s < o_.warmup_s ? "(warm-up)" : "") << "   " << std::flush;
  }

  // Waits until every node reports a store with nothing that holds up its writes (the status's
  // `store.settled`), at most settle_wait_max; false when that passed first.
  bool wait_stores_settled() {
    const auto deadline = Clock::now() + settle_wait_max;
    while (true) {
      bool all = true;
      for (const Endpoint& e : endpoints_) {
        auto body = node_status(e);
        if (!body) throw CliError(e.url() + " did not answer its status");
        all = all && body->value("/store/settled"_json_pointer, false);
      }
      if (all) return true;
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(settle_poll_interval);
    }
  }

  // One measurement: warm-up then window, in a closed loop or an open one at `rate_per_s`.
  void measure_window(bool open, double rate_per_s) {
    w_->open = open;
    w_->rate_per_s = rate_per_s;
    if (o_.signing == "individual") presign();
    measure();
  }

  // A client's random state in the current window. Each window draws transactions of its own:
  // with the same draws, the second window of --mode half-peak sent the transactions the first
  // had made final, and measured how fast the nodes answer those (from the blocks holding them)
  // instead of new payments.
  uint64_t window_seed(uint64_t client_seed) const {
    return client_seed + windows_done_ * 0x9e37'79b9'7f4a'7c15ULL;
  }

  // Forgets one window's figures and pool before the next; the accounts stay. The window's
  // state is made afresh rather than cleared field by field, so that none can be missed.
  void reset_window() {
    ++windows_done_;
    w_ = std::make_unique<Window>();
  }

  void measure() {
    const bool open = w_->open;
    const double total_s = o_.warmup_s + o_.duration_s;
    uint32_t threads = 0;
    double tx_rate = 0;
    uint64_t slots = 0;
    if (open) {
      tx_rate = w_->rate_per_s / (ops_per_tx_ * per_request_);
      slots = static_cast<uint64_t>(tx_rate * total_s);
      threads = std::clamp(static_cast<uint32_t>(std::ceil(tx_rate * open_expected_latency_s)),
                           open_threads_min, open_threads_max);
    } else {
      threads = o_.clients != 0              ? o_.clients
                : o_.signing == "individual" ? clients_default_individual
                                             : clients_default_batch;
    }
    w_->threads = threads;
    std::vector<std::vector<Sample>> samples(threads);
    w_->start = Clock::now();
    std::vector<std::thread> workers;
    for (uint32_t t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        if (open)
          open_sender(t, threads, tx_rate, slots, samples[t]);
        else
          closed_client(t, samples[t]);
      });

    // The window's edges, with the chain's committed-operation counter read at each.
    const auto window_start = w_->start + std::chrono::seconds(o_.warmup_s);
    const auto window_end = window_start + std::chrono::seconds(o_.duration_s);
    uint64_t last_transfers = 0;
    auto last_tick = w_->start;
    bool in_window = false;
    while (true) {
      const auto now = Clock::now();
      if (!in_window && now >= window_start) {
        in_window = true;
        w_->chain_ops_start = ops_committed(endpoints_.front());
        w_->height_start = height_last_;
        if (nodes_cpu_s_) w_->cpu_start_s = nodes_cpu_s_();
      }
      if (now >= window_end || w_->pool_exhausted.load()) break;
      std::this_thread::sleep_for(progress_interval);
      const auto tick = Clock::now();
      const uint64_t transfers = w_->transfers_ok.load();
      const double dt = std::chrono::duration<double>(tick - last_tick).count();
      draw_progress(std::chrono::duration<double>(tick - w_->start).count(), total_s,
                    static_cast<double>(transfers - last_transfers) / dt);
      last_transfers = transfers;
      last_tick = tick;
    }
    w_->window_end = Clock::now();
    w_->chain_ops_end = ops_committed(endpoints_.front());
    // Each node's stage latencies over its last seconds, which are the window's end.
    for (const Endpoint& e : endpoints_) {
      auto status = node_status(e);
      if (!status || !status->contains("latency_ms")) continue;
      json& body = *status;
      json figures = body["latency_ms"];
      if (body.contains("consensus")) {
        const json& c = body["consensus"];
        if (c.contains("counters") && c["counters"].contains("timeouts_sent"))
          w_->timeouts_sent_max =
              std::max(w_->timeouts_sent_max, c["counters"]["timeouts_sent"].get<uint64_t>());
        if (c.contains("proposals_spilled"))
          w_->proposals_spilled += c["proposals_spilled"].get<uint64_t>();
      }
      if (body.contains("signatures") && body.contains("committed")) {
        w_->signatures_at_admission += body["signatures"]["verified_at_admission"].get<uint64_t>();
        w_->signatures_at_execution += body["signatures"]["verified_at_execution"].get<uint64_t>();
        const auto committed = body["committed"]["txs"].get<uint64_t>();
        w_->committed_txs_min =
            w_->committed_txs_min ? std::min(*w_->committed_txs_min, committed) : committed;
      }
      for (const char* part : node_round_part_names)
        if (body.contains("consensus") && body["consensus"].contains(std::string(part) + "_ms"))
          figures[part] = body["consensus"][std::string(part) + "_ms"];
      w_->node_stages.push_back(std::move(figures));
    }
    w_->height_end = height_last_;
    if (nodes_cpu_s_) w_->cpu_end_s = nodes_cpu_s_();
    if (!in_window) w_->chain_ops_start = w_->chain_ops_end;
    progress_ << "\n";
    w_->stop.store(true);
    for (auto& w : workers) w.join();
    w_->window_start_ms = since_start_ms(window_start);
    w_->window_end_ms = since_start_ms(w_->window_end);
    for (auto& s : samples) w_->samples.insert(w_->samples.end(), s.begin(), s.end());
  }

  json report(const VerifyLimit& verify) {
    const double window_s = (w_->window_end_ms - w_->window_start_ms) / ms_per_s;
    uint64_t transfers = 0;
    uint64_t txs = 0;
    std::vector<double> latencies;
    std::ofstream csv;
    if (!o_.samples_csv.empty()) {
      csv.open(o_.samples_csv, std::ios::trunc);
      if (!csv) throw CliError("cannot write " + o_.samples_csv);
      csv << "done_ms,latency_ms,transfers\n";
    }
    for (const Sample& s : w_->samples) {
      if (s.done_ms < w_->window_start_ms || s.done_ms > w_->window_end_ms) continue;
      transfers += s.transfers;
      ++txs;
      latencies.push_back(s.latency_ms);
      if (csv.is_open())
        csv << s.done_ms - w_->window_start_ms << ',' << s.latency_ms << ',' << s.transfers << '\n';
    }
    std::sort(latencies.begin(), latencies.end());
    json j = {
        {"system", "corridor"},
        {"benchmark", "network"},
        // The nodes run this same executable, so they use this allocator too.
        {"allocator", allocator_info().name},
        {"validators", endpoints_.size()},
        {"mode", w_->open ? "open" : "closed"},
        {"signing", o_.signing},
        {"wire", o_.wire},
        {"transfers_per_tx", ops_per_tx_},
        {"txs_per_request", per_request_},
        {"clients", w_->threads},
        {"accounts", o_.accounts},
        {"duration_s", window_s},
        {"warmup_s", o_.warmup_s},
        {"transfers", transfers},
        {"txs", txs},
        {"transfers_per_s", window_s > 0 ? static_cast<double>(transfers) / window_s : 0.0},
        {"txs_per_s", window_s > 0 ? static_cast<double>(txs) / window_s : 0.0},
        {"chain",
         {{"height_start", w_->height_start},
          {"height_end", w_->height_end},
          {"ops_committed", w_->chain_ops_end - w_->chain_ops_start},
          {"ops_per_s",
           window_s > 0 ? static_cast<double>(w_->chain_ops_end - w_->chain_ops_start) / window_s
                        : 0.0}}},
        {"unavailable_retries", w_->unavailable.load()},
        {"pool_exhausted", w_->pool_exhausted.load()},
    };
    if (w_->open) j["offered_transfers_per_s"] = w_->rate_per_s;
    // What bounds the network on one machine: the nodes' CPU time per committed transfer, and
    // how many of the machine's cores they kept busy.
    if (nodes_cpu_s_ && w_->chain_ops_end > w_->chain_ops_start && window_s > 0) {
      const double cpu_s = w_->cpu_end_s - w_->cpu_start_s;
      j["nodes_cpu"] = {
          {"us_per_transfer",
           cpu_s * 1e6 / static_cast<double>(w_->chain_ops_end - w_->chain_ops_start)},
          {"cores_busy", cpu_s / window_s}};
    }
    if (!latencies.empty())
      j["latency_ms"] = {{"p50", percentile(latencies, 0.50)},
                         {"p90", percentile(latencies, 0.90)},
                         {"p99", percentile(latencies, 0.99)},
                         {"max", latencies.back()}};
    // Where finality went, by stage (node/stage_latency.h), and parts of a round: for each,
    // the median over the nodes of their p50 and of their p99.
    if (!w_->node_stages.empty()) {
      j["stages_ms"] = medians_over_nodes(node_stage_names);
      j["round_parts_ms"] = medians_over_nodes(node_round_part_names);
      // Since the nodes started (set-up and warm-up included): rounds that ended in a timeout
      // (the most any one validator sent), and proposal records the validators' journals had
      // no room for. Either above zero explains a stall, or a latency tail.
      j["consensus"] = {{"timeouts_sent_max", w_->timeouts_sent_max},
                        {"proposals_spilled", w_->proposals_spilled}};
      // Signature checks over all validators per committed transaction, since the nodes
      // started. By the f + 1 rule (docs/consensus.md) each transaction is checked by its
      // forwarder at admission and by its checker, at admission or (when the forward came
      // after the block) at execution: at least 2 in all on four validators. What execution
      // adds beyond that are checks the vouches did not save. Each node had executed at least
      // the fewest committed transactions any node reported when it was read, so those are
      // the ones counted against.
      if (w_->committed_txs_min && *w_->committed_txs_min > 0) {
        const auto per_tx = [&](uint64_t n) {
          return static_cast<double>(n) / static_cast<double>(*w_->committed_txs_min);
        };
        j["consensus"]["signatures_per_committed_tx"] = {
            {"at_admission", per_tx(w_->signatures_at_admission)},
            {"at_execution", per_tx(w_->signatures_at_execution)}};
      }
    }
    json failures = json::object();
    for (const auto& [code, n] : w_->failures) failures[code] = n;
    j["failures"] = failures;
    if (verify.threads > 0)
      j["ed25519_verify_per_s"] = {{"one_thread", verify.one_thread_per_s},
                                   {"all_threads", verify.all_threads_per_s},
                                   {"threads", verify.threads}};
    return j;
  }

  template <size_t N>
  json medians_over_nodes(const char* const (&names)[N]) const {
    json out = json::object();
    for (const char* name : names) {
      std::vector<double> p50s;
      std::vector<double> p99s;
      for (const json& n : w_->node_stages) {
        if (!n.contains(name) || n[name].value("samples", uint64_t{0}) == 0) continue;
        p50s.push_back(n[name].value("p50", 0.0));
        p99s.push_back(n[name].value("p99", 0.0));
      }
      if (p50s.empty()) continue;
      std::sort(p50s.begin(), p50s.end());
      std::sort(p99s.begin(), p99s.end());
      out[name] = {{"p50", percentile(p50s, 0.5)}, {"p99", percentile(p99s, 0.5)}};
    }
    return out;
  }

  const BenchNetworkOptions& o_;
  std::vector<Endpoint> endpoints_;
  std::ostream& progress_;
  std::function<double()> nodes_cpu_s_;
  Hash256 network_id_;
  uint64_t valid_until_ = 0;
  std::optional<KeyPair> issuer_;
  AssetId usd_;
  std::vector<KeyPair> accounts_;
  // accounts_[i].account_id(), computed once: deriving it hashes the key, and the workload
  // names a destination account per transfer (a third of the load generator's CPU before).
  std::vector<AccountId> account_ids_;
  uint32_t ops_per_tx_ = 1;
  uint32_t per_request_ = 1;
  // Windows measured before the current one (window_seed).
  uint64_t windows_done_ = 0;
  std::unique_ptr<Window> w_ = std::make_unique<Window>();
  // The last height the progress poll read from the first node; it outlives the windows.
  uint64_t height_last_ = 0;
};

std::string check_options(const BenchNetworkOptions& o) {
  if (o.mode != "closed" && o.mode != "open" && o.mode != "half-peak")
    return "--mode must be closed, open or half-peak";
  if (o.signing != "batch" && o.signing != "individual")
    return "--signing must be batch or individual";
  if (o.wire != "binary" && o.wire != "json") return "--wire must be binary or json";
  if (o.mode == "open" && (o.rate_per_s <= 0 || o.rate_per_s > rate_per_s_max))
    return "--rate must be in (0, " + fixed(rate_per_s_max, 0) + "] for an open loop";
  if (o.mode != "open" && o.rate_per_s != 0) return "--rate applies to --mode open only";
  if (o.batch_ops < 1 || o.batch_ops > ledger::tx_ops_max)
    return "--batch-ops must be 1.." + std::to_string(ledger::tx_ops_max);
  if (o.clients > clients_max) return "--clients may be at most " + std::to_string(clients_max);
  if (o.mode == "open" && o.clients != 0) return "--clients applies to a closed loop";
  if (o.per_request > per_request_max)
    return "--per-request may be at most " + std::to_string(per_request_max);
  if (o.per_request > 1 && o.signing != "individual")
    return "--per-request applies to --signing individual";
  if (o.accounts < accounts_min || o.accounts > accounts_max)
    return "--accounts must be " + std::to_string(accounts_min) + ".." +
           std::to_string(accounts_max);
  if (o.duration_s < 1 || o.duration_s > duration_s_max)
    return "--duration-s must be 1.." + std::to_string(duration_s_max);
  if (o.warmup_s > warmup_s_max) return "--warmup-s may be at most " + std::to_string(warmup_s_max);
  if (o.nodes.empty() && (o.validators < 1 || o.validators > validators_max))
    return "--validators must be 1.." + std::to_string(validators_max);
  return "";
}

// One line of `key`'s figures, each name's median over the nodes of p50 and of p99.
template <size_t N>
void print_medians_over_nodes(const json& j, const char* key, const char* const (&names)[N],
                              int decimals, std::ostream& out) {
  if (!j.contains(key) || j[key].empty()) return;
  out << key << " (median over nodes, p50/p99):";
  for (const char* name : names)
    if (j[key].contains(name))
      out << " " << name << " " << fixed(j[key][name]["p50"].get<double>(), decimals) << "/"
          << fixed(j[key][name]["p99"].get<double>(), decimals);
  out << "\n";
}

void print_human(const json& j, std::ostream& out) {
  const std::string mode = j["mode"].get<std::string>();
  out << "validators: " << j["validators"] << ", " << (mode == "half-peak" ? mode : mode + " loop")
      << ", " << j["signing"].get<std::string>() << "-signed (" << j["transfers_per_tx"]
      << " transfers per signature), " << j["clients"] << " clients, "
      << j["wire"].get<std::string>() << " wire\n";
  if (j.contains("peak")) {
    // --mode half-peak: the closed loop's figures first, then the open loop's at half of it.
    const json& p = j["peak"];
    out << "peak (closed loop, " << p["clients"]
        << " clients): " << grouped(static_cast<uint64_t>(p["transfers_per_s"].get<double>()))
        << " transfers/s";
    if (p.contains("latency_ms"))
      out << ", finality p50 " << fixed(p["latency_ms"]["p50"].get<double>(), 1) << " ms, p99 "
          << fixed(p["latency_ms"]["p99"].get<double>(), 1) << " ms";
    if (p.contains("nodes_cpu"))
      out << ", " << fixed(p["nodes_cpu"]["us_per_transfer"].get<double>(), 2)
          << " us of node CPU per transfer";
    out << "\nthen, " << fixed(p["settle_s"].get<double>(), 1) << " s later"
        << (p["settled"].get<bool>() ? " (the stores had caught up)"
                                     : " (the stores had not caught up)")
        << ", half of it in an open loop:\n";
  }
  out << "window: " << fixed(j["duration_s"].get<double>(), 1) << " s after " << j["warmup_s"]
      << " s warm-up; heights " << j["chain"]["height_start"] << ".." << j["chain"]["height_end"]
      << "\n";
  if (j.contains("offered_transfers_per_s"))
    out << "offered: " << grouped(j["offered_transfers_per_s"].get<uint64_t>()) << " transfers/s\n";
  out << "final transfers: " << grouped(j["transfers"].get<uint64_t>()) << " in "
      << grouped(j["txs"].get<uint64_t>()) << " transactions\n";
  out << "chain: " << grouped(j["chain"]["ops_committed"].get<uint64_t>())
      << " operations committed, " << grouped(j["chain"]["ops_per_s"].get<uint64_t>()) << "/s\n";
  if (j.contains("latency_ms")) {
    const json& l = j["latency_ms"];
    out << "finality latency_ms: p50 " << fixed(l["p50"].get<double>(), 1) << ", p90 "
        << fixed(l["p90"].get<double>(), 1) << ", p99 " << fixed(l["p99"].get<double>(), 1)
        << ", max " << fixed(l["max"].get<double>(), 1) << "\n";
  }
  print_medians_over_nodes(j, "stages_ms", node_stage_names, 1, out);
  print_medians_over_nodes(j, "round_parts_ms", node_round_part_names, 2, out);
  if (j.contains("consensus"))
    out << "consensus since start: " << j["consensus"]["timeouts_sent_max"].get<uint64_t>()
        << " timeouts sent (most by one validator), "
        << j["consensus"]["proposals_spilled"].get<uint64_t>()
        << " proposals spilled from the journal to the store\n";
  if (j.contains("consensus") && j["consensus"].contains("signatures_per_committed_tx")) {
    const json& v = j["consensus"]["signatures_per_committed_tx"];
    out << "signatures verified per committed transaction, all validators since start: "
        << fixed(v["at_admission"].get<double>(), 2) << " at admission, "
        << fixed(v["at_execution"].get<double>(), 2) << " at execution\n";
  }
  if (j.contains("nodes_cpu"))
    out << "nodes' CPU: " << fixed(j["nodes_cpu"]["us_per_transfer"].get<double>(), 2)
        << " us per committed transfer, " << fixed(j["nodes_cpu"]["cores_busy"].get<double>(), 2)
        << " cores busy\n";
  if (j.contains("ed25519_verify_per_s")) {
    const json& v = j["ed25519_verify_per_s"];
    out << "ed25519 verifications/s on this machine: " << grouped(v["one_thread"].get<uint64_t>())
        << " on one thread, " << grouped(v["all_threads"].get<uint64_t>()) << " on " << v["threads"]
        << " threads\n";
  }
  if (j["unavailable_retries"].get<uint64_t>() > 0)
    out << "mempool full (503), retried: " << grouped(j["unavailable_retries"].get<uint64_t>())
        << "\n";
  for (const auto& [code, n] : j["failures"].items())
    out << "not final ok: " << code << " x" << n << "\n";
  if (j["pool_exhausted"].get<bool>())
    out << "note: the pre-signed transactions ran out before the window ended\n";
  out << "transfers_per_s: " << static_cast<uint64_t>(j["transfers_per_s"].get<double>()) << "\n";
}

}  // namespace

VerifyLimit measure_verify_limit(uint32_t threads, uint32_t window_ms) {
  threads = std::max(1u, threads);
  // Distinct keys and messages, as a block's transactions have.
  constexpr size_t samples = 256;
  std::vector<KeyPair> keys;
  std::vector<Bytes> messages;
  std::vector<Signature> sigs;
  for (size_t i = 0; i < samples; ++i) {
    keys.push_back(KeyPair::generate());
    Bytes m(64, static_cast<uint8_t>(i));
    sigs.push_back(keys.back().sign(m));
    messages.push_back(std::move(m));
  }
  auto run = [&](uint32_t n) {
    std::atomic<uint64_t> total{0};
    std::atomic<bool> bad{false};
    std::vector<std::thread> workers;
    const auto start = Clock::now();
    const auto end = start + std::chrono::milliseconds(window_ms);
    for (uint32_t t = 0; t < n; ++t)
      workers.emplace_back([&, t] {
        uint64_t done = 0;
        for (size_t i = t; Clock::now() < end; ++i) {
          for (size_t k = 0; k < 64; ++k, ++i) {
            const size_t s = i % samples;
            if (!verify_signature(keys[s].public_key(), messages[s], sigs[s])) bad.store(true);
            ++done;
          }
        }
        total.fetch_add(done);
      });
    for (auto& w : workers) w.join();
    CORRIDOR_ASSERT_MSG(!bad.load(), "a valid signature failed to verify");
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    return static_cast<double>(total.load()) / s;
  };
  VerifyLimit v;
  v.threads = threads;
  v.one_thread_per_s = run(1);
  v.all_threads_per_s = run(threads);
  return v;
}

int run_bench_network(const BenchNetworkOptions& options, std::ostream& out,
                      std::ostream& progress) {
  if (std::string problem = check_options(options); !problem.empty()) {
    progress << "bench network: " << problem << "\n";
    return exit_usage;
  }
  if (!options.samples_csv.empty() && !std::ofstream(options.samples_csv, std::ios::app)) {
    // Before the localnet starts: a run of minutes should not end on a path it cannot write.
    progress << "bench network: cannot write " << options.samples_csv << "\n";
    return exit_usage;
  }
  crypto_init();
  try {
    std::optional<TempLocalnet> localnet;
    std::vector<Endpoint> endpoints;
    if (options.nodes.empty()) {
      localnet.emplace(options.validators, options.state_root_interval_blocks, options.keep,
                       progress);
      endpoints = localnet->endpoints();
    } else {
      for (const std::string& url : options.nodes) endpoints.push_back(parse_endpoint(url));
    }
    std::function<double()> nodes_cpu_s;
    if (localnet) nodes_cpu_s = [&localnet] { return localnet->nodes_cpu_s(); };
    Bench bench(options, endpoints, progress, nodes_cpu_s);
    json result = bench.run();
    if (options.json)
      out << result.dump() << "\n";
    else
      print_human(result, out);
    return result["transfers"].get<uint64_t>() > 0 ? exit_ok : exit_failed;
  } catch (const CliError& e) {
    progress << "bench network: " << e.what() << "\n";
    return e.exit_code() == exit_usage ? exit_usage : exit_failed;
  }
}

}  // namespace corridor::cli
