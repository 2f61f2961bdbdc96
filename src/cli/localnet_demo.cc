#include "cli/localnet_demo.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "api/http_client.h"
#include "base/asset_code.h"
#include "base/hash.h"
#include "cli/demo_plan.h"
#include "cli/key_file.h"
#include "ledger/transaction.h"

namespace corridor::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using demo::PaymentKind;
using demo::PaymentPlan;
using demo::Role;

// Every HTTP exchange ends within this long, so stopping never waits longer for one.
constexpr uint32_t http_timeout_ms = 20'000;
// How long a submission waits for finality before the node answers "pending".
constexpr uint32_t final_wait_ms = 15'000;
// Blocks a demo transaction stays valid for, from the height last seen.
constexpr uint64_t tx_valid_blocks = 1'000;
// Blocks a queued payment may wait for funds before it expires.
constexpr uint64_t queue_wait_blocks = 50;
// From this many blocks after its creation the payer may cancel an escrow the demo could not
// finish (for example because the demo was stopped in between).
constexpr uint64_t escrow_cancel_after_blocks = 2'000;
// Escrow ids probed, from the cursor on, to find the escrow the demo just created: the API
// does not return the id, so the demo finds it by its hash (ids are given out in order).
constexpr uint64_t escrow_scan_window = 256;
constexpr size_t escrow_preimage_bytes = 32;
constexpr auto maintenance_period = 1s;
// The treasury runs every this many maintenance passes.
constexpr int treasury_every_passes = 5;
constexpr auto node_wait_report_period = 10s;
constexpr int setup_attempts_max = 30;
constexpr auto setup_retry_delay = 2s;
// A node that did not answer is left out of the rotation for this long.
constexpr auto node_rest_after_failure = 2s;
// Queued payments whose settlement the demo follows; beyond this they are counted untracked.
constexpr size_t queued_tracked_max = 100'000;
// Finality latencies kept per status interval.
constexpr size_t latency_samples_max = 1'000'000;
// Blocks the follower reads one by one at most; beyond that it jumps to the head.
constexpr uint64_t follower_gap_max = 10'000;
constexpr uint32_t workers_min = 4;
constexpr uint32_t workers_max = 64;
// Payments drawn but not yet sent, per worker, before new ones are skipped (the network or the
// machine is slower than the rate asked for).
constexpr size_t backlog_per_worker = 2;
// A dispatcher that wakes up later than this behind its schedule skips the missed payments
// instead of sending them in a burst.
constexpr auto dispatcher_lag_max = 1s;
// Distinct failure messages printed in full; later ones of the same code are only counted.
constexpr size_t failure_codes_printed_max = 64;

// The answer to one HTTP exchange; status 0 when the node could not be reached.
struct Reply {
  int status = 0;
  json body;
  std::string transport_error;
};

// One thread's keep-alive connections, one per node.
class Client {
 public:
  explicit Client(const std::vector<uint16_t>& ports) : ports_(ports), conns_(ports.size()) {}

  Reply get(size_t node, const std::string& target) { return exchange(node, "GET", target, ""); }
  // Only ever used for transactions, which are safe to send twice (same id, applied once).
  Reply post(size_t node, const std::string& target, const std::string& body) {
    return exchange(node, "POST", target, body);
  }

 private:
  Reply exchange(size_t node, const char* method, const std::string& target,
                 const std::string& body) {
    Reply out;
    // A kept-alive connection the node closed fails once; the retry connects afresh.
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!conns_[node]) {
        auto c = api::HttpConnection::connect("127.0.0.1", ports_[node], http_timeout_ms);
        if (!c.ok()) {
          out.transport_error = c.status().message();
          continue;
        }
        conns_[node].emplace(std::move(*c));
      }
      auto r = conns_[node]->request(method, target, body);
      if (!r.ok()) {
        out.transport_error = r.status().message();
        conns_[node].reset();
        continue;
      }
      out.status = r->status;
      out.body = json::parse(r->body, nullptr, false);
      if (out.body.is_discarded()) out.body = json::object();
      return out;
    }
    return out;
  }

  std::vector<uint16_t> ports_;
  std::vector<std::optional<api::HttpConnection>> conns_;
};

// The outcome of one submitted transaction.
struct Outcome {
  bool ok = false;
  std::string code;  // The failure's code: a result code, an API error code, or one of ours.
  std::string message;
  uint64_t height = 0;
  uint64_t latency_us = 0;
};

Outcome submit(Client& client, size_t node, const ledger::Transaction& tx) {
  json body = {{"envelope", to_hex(ledger::encode_transaction(tx))},
               {"wait", "final"},
               {"timeout_ms", final_wait_ms}};
  const auto start = Clock::now();
  Reply r = client.post(node, "/v1/transactions", body.dump());
  Outcome o;
  o.latency_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
  if (r.status == 0) {
    o.code = "unreachable";
    o.message = r.transport_error;
    return o;
  }
  if (r.status == 202) {
    o.code = "not_final_in_time";
    o.message = "not final within " + std::to_string(final_wait_ms) + " ms";
    return o;
  }
  if (r.status != 200) {
    const json& e = r.body.contains("error") ? r.body["error"] : json::object();
    o.code = e.value("code", "http_" + std::to_string(r.status));
    o.message = e.value("message", "");
    if (e.contains("operation") && e["operation"].is_object())
      o.code = e["operation"].value("code", o.code);
    return o;
  }
  const json& res = r.body.value("result", json::object());
  o.height = r.body.value("height", uint64_t{0});
  if (res.value("code", "") == "ok") {
    o.ok = true;
    return o;
  }
  if (res.contains("failed_operation")) {
    o.code = res["failed_operation"].value("code", "tx_failed");
    o.message = res["failed_operation"].value("message", "");
  } else {
    o.code = res.value("code", "unknown");
    o.message = res.value("message", "");
  }
  return o;
}

std::string with_thousands(Amount minor) {
  std::string text = format_amount(minor < 0 ? -minor : minor, demo::currency_scale);
  size_t dot = text.find('.');
  std::string whole = text.substr(0, dot);
  std::string out;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out += ',';
    out += whole[i];
  }
  return (minor < 0 ? "-" : "") + out + text.substr(dot);
}

}  // namespace

struct LocalnetDemo::State {
  DemoOptions opt;
  std::ostream& out;
  std::mutex out_mutex;

  fs::path demo_dir;
  std::vector<KeyPair> keys;    // Indexed like demo::participants.
  std::vector<AccountId> ids;   // The keys' account ids.
  std::vector<AssetId> assets;  // Indexed like demo::currencies.
  Hash256 network_id;

  std::atomic<bool> stopping{false};
  std::mutex wake_mutex;
  std::condition_variable wake;
  std::atomic<uint64_t> height{0};
  Clock::time_point started;

  // Counters, under stats_mutex.
  std::mutex stats_mutex;
  std::array<uint64_t, demo::payment_kind_count> final_count{};
  uint64_t queue_settled = 0;
  uint64_t queue_untracked = 0;
  std::map<std::string, uint64_t> failures;
  std::vector<uint64_t> interval_latency_us;
  uint64_t skipped = 0;
  uint64_t offers_refilled = 0;
  uint64_t offers_placed = 0;
  uint64_t top_ups = 0;
  uint64_t redemptions = 0;

  // Payments drawn and waiting for a worker.
  struct Job {
    PaymentPlan plan;
    size_t node = 0;
  };
  std::mutex jobs_mutex;
  std::condition_variable jobs_ready;
  std::deque<Job> jobs;

  // Queued payments (by transaction id) whose settlement the follower watches for.
  std::mutex queued_mutex;
  std::unordered_set<Hash256, FixedBytesHasher> queued;

  // One escrow at a time: the cursor and the scan for the new escrow's id need it.
  std::mutex escrow_mutex;
  uint64_t escrow_cursor = 1;

  std::mutex nodes_mutex;
  std::vector<Clock::time_point> node_rest_until;

  std::vector<std::thread> threads;
  std::thread main_thread;
  bool started_once = false;
  bool stopped = false;

  State(DemoOptions o, std::ostream& os) : opt(std::move(o)), out(os) {}

  // --- Small helpers ---------------------------------------------------------------------

  void say(const std::string& line) {
    std::lock_guard lock(out_mutex);
    out << line << "\n" << std::flush;
  }

  bool sleep_for(Clock::duration d) {
    std::unique_lock lock(wake_mutex);
    wake.wait_for(lock, d, [&] { return stopping.load(); });
    return !stopping.load();
  }

  std::string node_url(size_t node) const {
    return "http://127.0.0.1:" + std::to_string(opt.api_ports[node]);
  }

  const AccountId& account(int p) const { return ids[static_cast<size_t>(p)]; }

  std::string name(int p) const {
    return std::string(demo::participants[static_cast<size_t>(p)].name);
  }

  ledger::Transaction make_tx(int source, std::vector<ledger::Operation> ops) {
    ledger::Transaction tx;
    tx.network_id = network_id;
    tx.source = account(source);
    randombytes_buf(&tx.nonce, sizeof tx.nonce);
    tx.valid_until_height = height.load() + tx_valid_blocks;
    tx.ops = std::move(ops);
    tx.sign(keys[static_cast<size_t>(source)]);
    return tx;
  }

  size_t pick_node(size_t& rr) {
    std::lock_guard lock(nodes_mutex);
    const auto now = Clock::now();
    for (size_t i = 0; i < opt.api_ports.size(); ++i) {
      size_t n = (rr++) % opt.api_ports.size();
      if (node_rest_until[n] <= now) return n;
    }
    return (rr++) % opt.api_ports.size();
  }

  void rest_node(size_t node) {
    std::lock_guard lock(nodes_mutex);
    node_rest_until[node] = Clock::now() + node_rest_after_failure;
  }

  // Counts a failure; the first of each code is printed in full, so no rejection goes unseen.
  void fail(const std::string& what, const Outcome& o) {
    bool first = false;
    {
      std::lock_guard lock(stats_mutex);
      first = failures[o.code]++ == 0 && failures.size() <= failure_codes_printed_max;
    }
    if (first)
      say("demo: rejected: " + what + ": " + o.code + (o.message.empty() ? "" : ": " + o.message) +
          " (further ones are counted in the status line)");
  }

  void record(PaymentKind kind, const Outcome& o, const std::string& what) {
    if (!o.ok) return fail(what, o);
    std::lock_guard lock(stats_mutex);
    ++final_count[static_cast<size_t>(kind)];
    if (interval_latency_us.size() < latency_samples_max)
      interval_latency_us.push_back(o.latency_us);
  }

  // Runs one unit of work; a node's answer of an unexpected shape (a JSON exception) is
  // counted and reported like any failure instead of ending the thread. False if it threw.
  template <typename F>
  bool guarded(const std::string& what, F&& f) {
    try {
      f();
      return true;
    } catch (const std::exception& e) {
      fail(what, {false, "unexpected_answer", e.what(), 0, 0});
      return false;
    }
  }

  // --- Keys and the files that say who is who ---------------------------------------------

  bool load_keys() {
    std::error_code ec;
    fs::create_directories(demo_dir / "keys", ec);
    if (ec) {
      say("demo: cannot create " + (demo_dir / "keys").string() + ": " + ec.message());
      return false;
    }
    for (const auto& p : demo::participants) {
      const std::string path = (demo_dir / "keys" / (std::string(p.name) + ".key")).string();
      if (fs::exists(path)) {
        auto k = read_key_file(path);
        if (!k.ok()) {
          say("demo: " + k.status().message());
          return false;
        }
        keys.push_back(*k);
        continue;
      }
      KeyPair k = KeyPair::generate();
      Status st = write_key_file(path, k, false);
      if (!st.ok()) {
        say("demo: " + st.message());
        return false;
      }
      keys.push_back(k);
    }
    for (const KeyPair& k : keys) ids.push_back(k.account_id());
    for (const auto& c : demo::currencies) {
      AssetId a;
      a.code = *AssetCode::parse(c.code);
      a.issuer = account(demo::issuer_of(static_cast<int>(&c - demo::currencies.data())));
      assets.push_back(a);
    }
    write_guide();
    return true;
  }

  void write_guide() {
    std::ostringstream who;
    who << "# corridor localnet --demo: who is who. Keys are in keys/<name>.key; use them with\n"
        << "# the CLI, e.g. corridor account keys/us-bank-1.key (after: source env.sh).\n\n";
    for (int i = 0; i < demo::participant_count; ++i) {
      const auto& p = demo::participants[static_cast<size_t>(i)];
      who << p.name << std::string(18 - std::min<size_t>(17, p.name.size()), ' ')
          << account(i).hex() << "  " << p.label;
      if (p.role == Role::issuer)
        who << " (" << assets[static_cast<size_t>(p.currency)].to_string() << ")";
      who << "\n";
    }
    who << "\nassets (CODE:ISSUER) and their reference rates in USD:\n";
    for (size_t c = 0; c < assets.size(); ++c)
      who << "  " << assets[c].to_string() << "  "
          << format_amount(demo::currencies[c].usd_value_micro, 6) << "\n";
    who << "\nnodes:\n";
    for (size_t n = 0; n < opt.node_names.size(); ++n)
      who << "  " << opt.node_names[n] << "  " << node_url(n) << "\n";
    std::ofstream(demo_dir / "participants.txt") << who.str();

    std::ostringstream env;
    env << "# Source this file (. " << (demo_dir / "env.sh").string()
        << ") to use the demo's names with the CLI.\n";
    for (size_t c = 0; c < assets.size(); ++c)
      env << "export " << demo::currencies[c].code << "=\"" << assets[c].to_string() << "\"\n";
    env << "export DEMO_KEYS=\"" << (demo_dir / "keys").string() << "\"\n"
        << "export CORRIDOR_NODE=\"" << node_url(0) << "\"\n";
    std::ofstream(demo_dir / "env.sh") << env.str();
  }

  uint64_t read_escrow_cursor() {
    std::ifstream in(demo_dir / "escrow-cursor");
    uint64_t v = 0;
    if (in >> v && v > 0) return v;
    return 1;
  }

  void write_escrow_cursor() { std::ofstream(demo_dir / "escrow-cursor") << escrow_cursor << "\n"; }

  // --- Setup ------------------------------------------------------------------------------

  bool wait_for_nodes() {
    Client client(opt.api_ports);
    auto report = Clock::now() + node_wait_report_period;
    while (!stopping) {
      size_t answering = 0;
      json status;
      for (size_t n = 0; n < opt.api_ports.size(); ++n) {
        Reply r = client.get(n, "/v1/status");
        if (r.status == 200) {
          ++answering;
          status = r.body;
        }
      }
      if (answering == opt.api_ports.size()) {
        auto id = Hash256::from_hex_text(status["network"]["id"].get<std::string>());
        if (!id.ok()) {
          say("demo: a node reported a malformed network id");
          return false;
        }
        network_id = *id;
        height = status["height"].get<uint64_t>();
        return true;
      }
      if (Clock::now() > report) {
        say("demo: waiting for the nodes (" + std::to_string(answering) + " of " +
            std::to_string(opt.api_ports.size()) + " answer)");
        report = Clock::now() + node_wait_report_period;
      }
      sleep_for(200ms);
    }
    return false;
  }

  // Submits one transaction per entry, all at once, spread over the nodes (or all through
  // only_node); returns how many failed (each counted and reported).
  int submit_all(const std::vector<std::pair<int, std::vector<ledger::Operation>>>& batch,
                 const std::string& what, std::optional<size_t> only_node = std::nullopt) {
    std::vector<Outcome> outcomes(batch.size());
    std::vector<std::thread> ts;
    for (size_t i = 0; i < batch.size(); ++i)
      ts.emplace_back([&, i] {
        Client client(opt.api_ports);
        try {
          outcomes[i] = submit(client, only_node.value_or(i % opt.api_ports.size()),
                               make_tx(batch[i].first, batch[i].second));
        } catch (const std::exception& e) {
          outcomes[i] = {false, "unexpected_answer", e.what(), 0, 0};
        }
      });
    for (auto& t : ts) t.join();
    int failed = 0;
    for (size_t i = 0; i < batch.size(); ++i)
      if (!outcomes[i].ok) {
        ++failed;
        fail(what + " for " + name(batch[i].first), outcomes[i]);
      }
    return failed;
  }

  struct SetupCounts {
    int accounts = 0, assets = 0, holdings = 0;
  };

  // Accounts, assets and holdings: whatever the ledger lacks. Returns false on a failure.
  // Three rounds, because a new account's first transaction may hold nothing but its
  // create_account, and an asset must exist before anyone opens a holding of it. Everything
  // goes through one node, which has seen the previous round once it answered it final.
  bool create_missing(Client& client, SetupCounts& created) {
    const size_t node = 0;
    std::vector<std::pair<int, std::vector<ledger::Operation>>> batch;
    std::vector<std::set<std::string>> held(demo::participant_count);
    for (int i = 0; i < demo::participant_count; ++i) {
      Reply acc = client.get(node, "/v1/accounts/" + account(i).hex());
      if (acc.status == 404) {
        batch.push_back({i, {ledger::CreateAccountOp{keys[static_cast<size_t>(i)].public_key()}}});
        ++created.accounts;
      } else if (acc.status != 200) {
        say("demo: cannot read account " + name(i) + " (HTTP " + std::to_string(acc.status) + ")");
        return false;
      }
      for (const auto& h : acc.body.value("holdings", json::array()))
        held[static_cast<size_t>(i)].insert(h.value("asset", ""));
    }
    if (!batch.empty() && submit_all(batch, "setup", node) > 0) return false;

    batch.clear();
    for (int c = 0; c < demo::currency_count; ++c) {
      const AssetId& a = assets[static_cast<size_t>(c)];
      Reply asset = client.get(node, "/v1/assets/" + a.to_string());
      if (asset.status == 404) {
        batch.push_back(
            {demo::issuer_of(c),
             {ledger::CreateAssetOp{a.code, demo::currency_scale, ledger::asset_flag_freezable}}});
        ++created.assets;
      } else if (asset.status != 200) {
        say("demo: cannot read asset " + a.to_string() + " (HTTP " + std::to_string(asset.status) +
            ")");
        return false;
      }
    }
    if (!batch.empty() && submit_all(batch, "setup", node) > 0) return false;

    batch.clear();
    for (int i = 0; i < demo::participant_count; ++i) {
      const auto& p = demo::participants[static_cast<size_t>(i)];
      std::vector<ledger::Operation> ops;
      for (int c = 0; c < demo::currency_count; ++c) {
        const bool holds =
            p.role == Role::market_maker || (p.role == Role::bank && p.currency == c);
        if (!holds ||
            held[static_cast<size_t>(i)].count(assets[static_cast<size_t>(c)].to_string()))
          continue;
        ops.push_back(
            ledger::OpenHoldingOp{assets[static_cast<size_t>(c)], demo::holding_limit_minor});
        ++created.holdings;
      }
      if (!ops.empty()) batch.emplace_back(i, std::move(ops));
    }
    return batch.empty() || submit_all(batch, "setup", node) == 0;
  }

  // The treasury: brings every bank's and market maker's free balance back into its band.
  // During setup everything goes through only_node (see create_missing).
  void treasury_pass(Client& client, bool quiet, std::optional<size_t> only_node = std::nullopt) {
    std::map<int, std::vector<ledger::Operation>> by_source;
    std::vector<std::string> notes;
    for (int i = 0; i < demo::participant_count; ++i) {
      const auto& p = demo::participants[static_cast<size_t>(i)];
      if (p.role != Role::bank && p.role != Role::market_maker) continue;
      Reply acc = client.get(only_node.value_or(static_cast<size_t>(i) % opt.api_ports.size()),
                             "/v1/accounts/" + account(i).hex());
      if (acc.status != 200) {
        fail("treasury: reading " + name(i),
             {false, acc.status == 0 ? "unreachable" : "http_" + std::to_string(acc.status),
              acc.transport_error, 0, 0});
        continue;
      }
      const demo::TreasuryBand band = demo::treasury_band(p.role);
      for (const auto& h : acc.body.value("holdings", json::array())) {
        int c = -1;
        for (size_t k = 0; k < assets.size(); ++k)
          if (h.value("asset", "") == assets[k].to_string()) c = static_cast<int>(k);
        if (c < 0) continue;
        const Amount adj = demo::treasury_adjustment(h.value("balance_minor", Amount{0}), band);
        if (adj > 0) {
          by_source[demo::issuer_of(c)].push_back(
              ledger::IssueOp{account(i), assets[static_cast<size_t>(c)].code, adj});
          notes.push_back(std::string(demo::currencies[static_cast<size_t>(c)].issuer) +
                          " issues " + with_thousands(adj) + " " +
                          std::string(demo::currencies[static_cast<size_t>(c)].code) + " to " +
                          name(i));
        } else if (adj < 0) {
          by_source[i].push_back(ledger::RedeemOp{assets[static_cast<size_t>(c)], -adj});
          notes.push_back(name(i) + " redeems " + with_thousands(-adj) + " " +
                          std::string(demo::currencies[static_cast<size_t>(c)].code));
        }
      }
    }
    if (by_source.empty()) return;
    std::vector<std::pair<int, std::vector<ledger::Operation>>> batch(by_source.begin(),
                                                                      by_source.end());
    const int failed = submit_all(batch, "treasury", only_node);
    uint64_t issues = 0, redeems = 0;
    for (const auto& [src, ops] : batch)
      for (const auto& op : ops)
        (std::holds_alternative<ledger::IssueOp>(op) ? issues : redeems) += 1;
    {
      std::lock_guard lock(stats_mutex);
      if (failed == 0) {
        top_ups += issues;
        redemptions += redeems;
      }
    }
    if (!quiet && failed == 0)
      for (const auto& n : notes) say("demo: treasury: " + n);
  }

  // The market makers: a level with nothing resting gets its offer; a level more than half
  // taken gets a fresh full-size offer at its price. Fresh offers rather than replace_offer:
  // a replace names an offer id, and a payment may fill that offer completely between the
  // read and the replace (op_offer_not_found); a place cannot race that way. The remnant keeps
  // its time priority and is taken first, so a level holds at most two offers.
  void market_maker_pass(Client& client, std::optional<size_t> only_node = std::nullopt) {
    const auto mms = demo::market_makers();
    std::vector<std::pair<int, std::vector<ledger::Operation>>> batch;
    uint64_t placed = 0, refilled = 0;
    for (size_t k = 0; k < mms.size(); ++k) {
      const int mm = mms[k];
      Reply r = client.get(only_node.value_or(k % opt.api_ports.size()),
                           "/v1/accounts/" + account(mm).hex() + "/offers");
      if (r.status != 200) {
        fail("market maker: reading " + name(mm) + "'s offers",
             {false, r.status == 0 ? "unreachable" : "http_" + std::to_string(r.status),
              r.transport_error, 0, 0});
        continue;
      }
      const json offers = r.body.value("offers", json::array());
      std::vector<ledger::Operation> ops;
      for (const auto& level : demo::ladder(static_cast<int>(k))) {
        const std::string sell = assets[static_cast<size_t>(level.selling)].to_string();
        const std::string buy = assets[static_cast<size_t>(level.buying)].to_string();
        Amount resting = 0;
        bool any = false;
        for (const auto& o : offers) {
          if (o.value("selling", "") != sell || o.value("buying", "") != buy) continue;
          const ledger::Price p{o["price"].value("n", int64_t{0}),
                                o["price"].value("d", int64_t{0})};
          if (p.n <= 0 || p.d <= 0 || !ledger::same_value(p, level.price)) continue;
          any = true;
          resting += o.value("amount_minor", Amount{0});
        }
        if (any && resting * 100 >= level.amount * demo::ladder_refill_below_pct) continue;
        ops.push_back(ledger::PlaceOfferOp{assets[static_cast<size_t>(level.selling)],
                                           assets[static_cast<size_t>(level.buying)], level.amount,
                                           level.price});
        ++(any ? refilled : placed);
      }
      if (!ops.empty()) batch.emplace_back(mm, std::move(ops));
    }
    if (batch.empty()) return;
    if (submit_all(batch, "market maker", only_node) == 0) {
      std::lock_guard lock(stats_mutex);
      offers_placed += placed;
      offers_refilled += refilled;
    }
  }

  bool setup() {
    if (!load_keys()) return false;
    escrow_cursor = read_escrow_cursor();
    say("demo: keys and a guide to them in " + demo_dir.string() +
        " (participants.txt says which key is which)");
    if (!wait_for_nodes()) return false;
    for (int attempt = 1; attempt <= setup_attempts_max && !stopping; ++attempt) {
      Client client(opt.api_ports);
      SetupCounts created;
      bool created_all = false;
      guarded("setup", [&] { created_all = create_missing(client, created); });
      if (!created_all) {
        say("demo: setup did not complete; trying again (attempt " + std::to_string(attempt) +
            " of " + std::to_string(setup_attempts_max) + ")");
        sleep_for(setup_retry_delay);
        continue;
      }
      uint64_t before_placed = 0;
      {
        std::lock_guard lock(stats_mutex);
        before_placed = offers_placed;
      }
      treasury_pass(client, true, 0);
      market_maker_pass(client, 0);
      uint64_t placed = 0;
      {
        std::lock_guard lock(stats_mutex);
        placed = offers_placed - before_placed;
      }
      const bool resuming = created.accounts + created.assets + created.holdings == 0;
      say(std::string("demo: setup") + (resuming ? " (resuming; the rest exists)" : "") +
          ": created " + std::to_string(created.accounts) + " accounts, " +
          std::to_string(created.assets) + " assets, " + std::to_string(created.holdings) +
          " holdings; placed " + std::to_string(placed) + " offers");
      return true;
    }
    if (!stopping)
      say("demo: setup failed " + std::to_string(setup_attempts_max) +
          " times; "
          "the demo stops, the nodes keep running");
    return false;
  }

  // --- The payment stream -------------------------------------------------------------------

  std::vector<AssetId> path_of(const PaymentPlan& p) const {
    if (!p.via) return {};
    return {assets[static_cast<size_t>(*p.via)]};
  }

  void run_job(Client& client, const Job& job) {
    const PaymentPlan& p = job.plan;
    const AssetId& send = assets[static_cast<size_t>(p.send_currency)];
    const AssetId& dest = assets[static_cast<size_t>(p.dest_currency)];
    const std::string what = std::string(demo::payment_kind_name(p.kind)) + " " + name(p.payer) +
                             " -> " + name(p.payee) + " via " + opt.node_names[job.node];
    switch (p.kind) {
      case PaymentKind::fx_receive: {
        ledger::PathPaymentReceiveOp op{account(p.payee), send,      p.limit, dest,
                                        p.amount,         path_of(p)};
        Outcome o = submit(client, job.node, make_tx(p.payer, {op}));
        return finish(job, o, what);
      }
      case PaymentKind::fx_send: {
        ledger::PathPaymentSendOp op{account(p.payee), send, p.amount, dest, p.limit, path_of(p)};
        Outcome o = submit(client, job.node, make_tx(p.payer, {op}));
        return finish(job, o, what);
      }
      case PaymentKind::transfer: {
        Outcome o =
            submit(client, job.node,
                   make_tx(p.payer, {ledger::TransferOp{account(p.payee), send, p.amount}}));
        return finish(job, o, what);
      }
      case PaymentKind::queue: {
        ledger::QueueTransferOp op{account(p.payee), send, p.amount,
                                   p.urgent ? ledger::queue_band_urgent : ledger::queue_band_normal,
                                   height.load() + 1 + queue_wait_blocks};
        ledger::Transaction tx = make_tx(p.payer, {op});
        // Watched before it is sent: its block's settlement may be read before the answer.
        bool tracked = false;
        {
          std::lock_guard lock(queued_mutex);
          if (queued.size() < queued_tracked_max) tracked = queued.insert(tx.id).second;
        }
        Outcome o = submit(client, job.node, tx);
        if (!tracked) {
          std::lock_guard lock(stats_mutex);
          ++queue_untracked;
        }
        if (!o.ok && tracked) {
          std::lock_guard lock(queued_mutex);
          queued.erase(tx.id);
        }
        return finish(job, o, what);
      }
      case PaymentKind::escrow:
        return run_escrow(client, job, what);
    }
  }

  void finish(const Job& job, const Outcome& o, const std::string& what) {
    if (o.code == "unreachable") rest_node(job.node);
    record(job.plan.kind, o, what);
  }

  // A trade-finance escrow: the payer locks funds for the beneficiary against the hash of a
  // shipping document; the beneficiary (or, when named, the shipping agent) releases them with
  // the document itself.
  void run_escrow(Client& client, const Job& job, const std::string& what) {
    std::unique_lock lock(escrow_mutex, std::try_to_lock);
    if (!lock.owns_lock()) {
      // One escrow is in progress already; pay plainly instead of waiting behind it.
      Job plain = job;
      plain.plan.kind = PaymentKind::transfer;
      return run_job(client, plain);
    }
    const PaymentPlan& p = job.plan;
    Bytes preimage(escrow_preimage_bytes);
    randombytes_buf(preimage.data(), preimage.size());
    const Hash256 hash = sha256(preimage);
    ledger::CreateEscrowOp create;
    create.beneficiary = account(p.payee);
    create.asset = assets[static_cast<size_t>(p.send_currency)];
    create.amount = p.amount;
    create.conditions = ledger::escrow_on_preimage | ledger::escrow_cancel_after;
    create.hash = hash;
    if (p.with_agent) {
      create.conditions |= ledger::escrow_on_approver;
      create.approver = account(demo::agent_index());
    }
    create.cancel_height = height.load() + escrow_cancel_after_blocks;
    Outcome created = submit(client, job.node, make_tx(p.payer, {create}));
    if (!created.ok) return finish(job, created, what + " (create)");
    {
      std::lock_guard slock(stats_mutex);
      if (interval_latency_us.size() < latency_samples_max)
        interval_latency_us.push_back(created.latency_us);
    }
    std::optional<uint64_t> id;
    for (uint64_t probe = escrow_cursor; probe < escrow_cursor + escrow_scan_window && !id;
         ++probe) {
      Reply r = client.get(job.node, "/v1/escrows/" + std::to_string(probe));
      if (r.status == 200 && r.body.value("hash", "") == hash.hex()) id = probe;
      if (r.status == 0) break;
    }
    if (!id) {
      return fail(what, {false, "escrow_not_located",
                         "no escrow with its hash among ids " + std::to_string(escrow_cursor) +
                             ".." + std::to_string(escrow_cursor + escrow_scan_window - 1),
                         0, 0});
    }
    escrow_cursor = *id + 1;
    write_escrow_cursor();
    const int releaser = p.with_agent ? demo::agent_index() : p.payee;
    Outcome released =
        submit(client, job.node, make_tx(releaser, {ledger::FinishEscrowOp{*id, preimage}}));
    finish(job, released, what + " (finish escrow " + std::to_string(*id) + ")");
  }

  void worker() {
    Client client(opt.api_ports);
    while (true) {
      Job job;
      {
        std::unique_lock lock(jobs_mutex);
        jobs_ready.wait(lock, [&] { return stopping.load() || !jobs.empty(); });
        if (stopping) return;
        job = jobs.front();
        jobs.pop_front();
      }
      guarded("payment", [&] { run_job(client, job); });
    }
  }

  void maintenance() {
    Client client(opt.api_ports);
    for (int pass = 1; sleep_for(maintenance_period); ++pass) {
      guarded("market makers", [&] { market_maker_pass(client); });
      if (pass % treasury_every_passes == 0)
        guarded("treasury", [&] { treasury_pass(client, false); });
    }
  }

  void follower() {
    while (!stopping)
      if (!guarded("following blocks", [&] { follow_blocks(); })) sleep_for(1s);
  }

  // Follows the chain block by block: the height, and the settlement of queued payments.
  void follow_blocks() {
    Client client(opt.api_ports);
    size_t node = opt.api_ports.size() - 1;  // The observer, when there is one.
    uint64_t next = height.load() + 1;
    while (!stopping) {
      Reply s = client.get(node, "/v1/status");
      if (s.status != 200) {
        node = (node + 1) % opt.api_ports.size();
        sleep_for(200ms);
        continue;
      }
      const uint64_t head = s.body.value("height", uint64_t{0});
      height = std::max(height.load(), head);
      if (head >= next + follower_gap_max) next = head;
      bool failed = false;
      for (; next <= head && !stopping; ++next) {
        Reply b = client.get(node, "/v1/blocks/" + std::to_string(next));
        if (b.status != 200) {
          failed = true;
          break;
        }
        for (const auto& e : b.body.value("queue_events", json::array())) {
          const std::string kind = e.value("event", "");
          if (kind != "settled" && kind != "expired") continue;
          auto id = Hash256::from_hex_text(e.value("transaction", ""));
          if (!id.ok()) continue;
          bool ours = false;
          {
            std::lock_guard lock(queued_mutex);
            ours = queued.erase(*id) > 0;
          }
          if (!ours) continue;
          if (kind == "settled") {
            std::lock_guard lock(stats_mutex);
            ++queue_settled;
          } else {
            fail("queued payment " + id->hex(),
                 {false, "queue_expired",
                  "not funded within " + std::to_string(queue_wait_blocks) + " blocks", 0, 0});
          }
        }
      }
      if (failed) node = (node + 1) % opt.api_ports.size();
      sleep_for(100ms);
    }
  }

  // --- Status -----------------------------------------------------------------------------

  std::string hint(uint64_t n) const {
    const size_t node = n % opt.api_ports.size();
    const std::string at = " --node " + node_url(node);
    const auto code = [](size_t c) { return "\"$" + std::string(demo::currencies[c].code) + "\""; };
    const size_t a = n % demo::currencies.size();
    const size_t b = (a + 1 + (n / 4) % (demo::currencies.size() - 1)) % demo::currencies.size();
    switch (n % 5) {
      case 0:
        return "corridor book" + at + " " + code(a) + " " + code(b);
      case 1:
        return "corridor quote" + at + " --from " + code(a) + " --to " + code(b) +
               " --amount 100000.00 --mode receive";
      case 2:
        return "corridor account" + at + " \"$DEMO_KEYS/market-maker-1.key\"";
      case 3:
        return "corridor queue" + at;
      default:
        return "corridor status" + at;
    }
  }

  std::string counts_text(const std::array<uint64_t, demo::payment_kind_count>& finals,
                          uint64_t settled) const {
    std::string s = "final:";
    for (int k = 0; k < demo::payment_kind_count; ++k) {
      s += " " + std::string(demo::payment_kind_name(static_cast<PaymentKind>(k))) + " " +
           std::to_string(finals[static_cast<size_t>(k)]);
      if (static_cast<PaymentKind>(k) == PaymentKind::queue)
        s += " (settled " + std::to_string(settled) + ")";
    }
    return s;
  }

  std::string failures_text(const std::map<std::string, uint64_t>& f) const {
    if (f.empty()) return "failed: none";
    std::string s = "failed:";
    bool first = true;
    for (const auto& [code, n] : f) {
      s += (first ? " " : ", ") + code + " " + std::to_string(n);
      first = false;
    }
    return s;
  }

  void print_status(uint64_t number, Clock::duration interval) {
    std::array<uint64_t, demo::payment_kind_count> finals;
    std::map<std::string, uint64_t> f;
    std::vector<uint64_t> lat;
    uint64_t settled = 0, skip = 0, refills = 0;
    {
      std::lock_guard lock(stats_mutex);
      finals = final_count;
      f = failures;
      lat.swap(interval_latency_us);
      settled = queue_settled;
      skip = skipped;
      refills = offers_refilled;
    }
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started);
    const double interval_s = std::chrono::duration<double>(interval).count();
    std::ostringstream line;
    line << "demo " << secs.count() << "s  height " << height.load() << "  "
         << counts_text(finals, settled) << "  " << failures_text(f);
    if (skip > 0) line << "  not sent (behind the rate) " << skip;
    const size_t samples = lat.size();
    const uint64_t p50 = demo::percentile(lat, 50);
    const uint64_t p99 = demo::percentile(lat, 99);
    line << "  latency p50 " << p50 / 1000 << " ms p99 " << p99 / 1000 << " ms (" << samples
         << " txs final, ";
    line.precision(1);
    line << std::fixed << (interval_s > 0 ? static_cast<double>(samples) / interval_s : 0.0)
         << "/s)  offers refilled " << refills << "  try: " << hint(number);
    say(line.str());
  }

  void run() {
    started = Clock::now();
    if (!guarded("the demo", [&] { run_demo(); }))
      say("demo: stopped by the failure above; the nodes keep running");
  }

  void run_demo() {
    if (!setup()) return;
    say("demo: " + std::to_string(opt.rate) + " payments/s through " +
        std::to_string(opt.api_ports.size()) + " nodes; for the commands below, first: . " +
        (demo_dir / "env.sh").string());
    const uint32_t worker_count = std::clamp(opt.rate, workers_min, workers_max);
    for (uint32_t i = 0; i < worker_count; ++i) threads.emplace_back([this] { worker(); });
    threads.emplace_back([this] { maintenance(); });
    threads.emplace_back([this] { follower(); });

    std::mt19937_64 rng(std::random_device{}());
    size_t rr = 0;
    const auto period = std::chrono::microseconds(1'000'000 / opt.rate);
    const auto status_period = std::chrono::seconds(opt.status_interval_s);
    auto next_job = Clock::now();
    auto last_status = Clock::now();
    auto next_status = last_status + status_period;
    uint64_t status_number = 0;
    while (!stopping) {
      const auto now = Clock::now();
      if (now - next_job > dispatcher_lag_max) {
        const auto missed = static_cast<uint64_t>((now - next_job) / period);
        next_job += period * missed;
        std::lock_guard lock(stats_mutex);
        skipped += missed;
      }
      while (next_job <= now) {
        next_job += period;
        Job job{demo::plan_payment(rng), pick_node(rr)};
        bool queued_ok = false;
        {
          std::lock_guard lock(jobs_mutex);
          if (jobs.size() < worker_count * backlog_per_worker) {
            jobs.push_back(job);
            queued_ok = true;
          }
        }
        if (queued_ok) {
          jobs_ready.notify_one();
        } else {
          std::lock_guard lock(stats_mutex);
          ++skipped;
        }
      }
      if (now >= next_status) {
        print_status(status_number++, now - last_status);
        last_status = now;
        next_status += status_period;
      }
      std::unique_lock lock(wake_mutex);
      wake.wait_until(lock, std::min(next_job, next_status), [&] { return stopping.load(); });
    }
  }

  void stop_all() {
    if (stopped) return;
    stopped = true;
    stopping = true;
    { std::lock_guard lock(wake_mutex); }
    wake.notify_all();
    { std::lock_guard lock(jobs_mutex); }
    jobs_ready.notify_all();
    if (main_thread.joinable()) main_thread.join();
    for (auto& t : threads) t.join();
    threads.clear();
    std::array<uint64_t, demo::payment_kind_count> finals;
    std::map<std::string, uint64_t> f;
    uint64_t settled = 0;
    {
      std::lock_guard lock(stats_mutex);
      finals = final_count;
      f = failures;
      settled = queue_settled;
    }
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started);
    say("demo stopped after " + std::to_string(secs.count()) +
        "s: " + counts_text(finals, settled) + "  " + failures_text(f));
  }
};

LocalnetDemo::LocalnetDemo(DemoOptions options, std::ostream& out)
    : state_(std::make_unique<State>(std::move(options), out)) {
  state_->demo_dir = fs::absolute(state_->opt.dir) / "demo";
  state_->node_rest_until.assign(state_->opt.api_ports.size(), Clock::time_point{});
  state_->opt.rate = std::clamp<uint32_t>(state_->opt.rate, 1, demo_rate_max);
  state_->opt.status_interval_s =
      std::clamp<uint32_t>(state_->opt.status_interval_s, 1, demo_status_interval_s_max);
}

LocalnetDemo::~LocalnetDemo() {
  stop();
}

void LocalnetDemo::start() {
  if (state_->started_once || state_->opt.api_ports.empty()) return;
  state_->started_once = true;
  state_->main_thread = std::thread([s = state_.get()] { s->run(); });
}

void LocalnetDemo::stop() {
  if (state_->started_once) state_->stop_all();
}

}  // namespace corridor::cli
