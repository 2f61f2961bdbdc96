// `corridor localnet --demo`: four validators and an observer as real processes, the demo's
// setup and payment stream on top. Payments of every kind become final (as the demo's own
// status lines report), the validators agree on the block and state root at one height, SIGINT
// stops everything with exit status 0, and a second run on the same directory finds its
// accounts, assets and offers and keeps paying.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api/http_client.h"

namespace corridor::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr int nodes = 5;  // Four validators and an observer.
constexpr int validators = 4;
// Each phase's waits end within these bounds, so the test is bounded as a whole.
constexpr auto first_run_max = 35s;
constexpr auto second_run_max = 20s;
constexpr auto stop_max = 25s;
// Peer ports are the API ports plus this (cmd_network.cc).
constexpr int peer_port_offset = 100;

std::pair<int, json> http_get(uint16_t port, const std::string& target) {
  auto r = api::http_request("127.0.0.1", port, "GET", target, "", "application/json", 10'000);
  if (!r.ok()) return {0, nullptr};
  return {r->status, json::parse(r->body, nullptr, false)};
}

bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A base port whose five API ports and five peer ports are all free now, below Linux's
// ephemeral range so no outgoing connection takes one meanwhile.
uint16_t free_base_port() {
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int base = 21'000 + ((::getpid() + attempt * 37) % 400) * 25;
    bool all = true;
    for (int i = 0; i < nodes && all; ++i)
      all = port_free(base + i) && port_free(base + peer_port_offset + i);
    if (all) return static_cast<uint16_t>(base);
  }
  return 0;
}

pid_t spawn(const std::vector<std::string>& args, const std::string& out_path) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The counts of the last status line of a demo's output.
struct Counts {
  bool seen = false;
  uint64_t receive = 0, send = 0, transfer = 0, queue = 0, settled = 0, escrow = 0;
  std::string failed;
  uint64_t height = 0;
};

Counts last_status(const std::string& output) {
  static const std::regex re(
      R"(demo \d+s  height (\d+)  final: receive (\d+) send (\d+) transfer (\d+) queue (\d+) \(settled (\d+)\) escrow (\d+)  failed: ([^\n]*?)  (?:not sent|latency))");
  Counts c;
  for (auto it = std::sregex_iterator(output.begin(), output.end(), re);
       it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    c.seen = true;
    c.height = std::stoull(m[1]);
    c.receive = std::stoull(m[2]);
    c.send = std::stoull(m[3]);
    c.transfer = std::stoull(m[4]);
    c.queue = std::stoull(m[5]);
    c.settled = std::stoull(m[6]);
    c.escrow = std::stoull(m[7]);
    c.failed = m[8];
  }
  return c;
}

class LocalnetDemoRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("corridor-demo-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    base_port_ = free_base_port();
    ASSERT_NE(base_port_, 0) << "no free range of ports";
  }

  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (!HasFailure()) {
      std::filesystem::remove_all(dir_);
    } else {
      std::cerr << "kept " << dir_ << " for inspection\n";
    }
  }

  void start(const std::string& out_name) {
    out_ = dir_ / out_name;
    pid_ = spawn(
        {CORRIDOR_BINARY, "localnet", "--demo", "--dir", (dir_ / "net").string(), "--base-port",
         std::to_string(base_port_), "--demo-rate", "30", "--demo-status-s", "1"},
        out_.string());
    ASSERT_GT(pid_, 0);
  }

  template <typename Pred>
  bool wait_until(std::chrono::seconds limit, Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(200ms);
    }
    return pred();
  }

  // SIGINT, as Ctrl-C sends; the localnet must stop the demo and every node and exit 0.
  void stop_cleanly() {
    ASSERT_EQ(::kill(pid_, SIGINT), 0);
    int status = 0;
    const bool exited =
        wait_until(stop_max, [&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; });
    ASSERT_TRUE(exited) << "localnet did not stop within the limit:\n" << read_file(out_);
    pid_ = -1;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "localnet's exit status " << status << "\n"
        << read_file(out_);
    EXPECT_NE(read_file(out_).find("demo stopped after"), std::string::npos);
    // Every node process is gone: nothing answers on the API ports.
    for (int i = 0; i < nodes; ++i)
      EXPECT_EQ(http_get(static_cast<uint16_t>(base_port_ + i), "/v1/status").first, 0) << i;
  }

  uint64_t height(int node) {
    auto [status, body] = http_get(static_cast<uint16_t>(base_port_ + node), "/v1/status");
    return status == 200 ? body["height"].get<uint64_t>() : 0;
  }

  std::filesystem::path dir_;
  std::filesystem::path out_;
  uint16_t base_port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(LocalnetDemoRun, EveryKindOfPaymentBecomesFinalValidatorsAgreeAndARestartResumes) {
  start("run1.out");
  const bool every_kind = wait_until(first_run_max, [&] {
    Counts c = last_status(read_file(out_));
    return c.receive > 0 && c.send > 0 && c.transfer > 0 && c.settled > 0 && c.escrow > 0;
  });
  ASSERT_TRUE(every_kind) << "not every kind of payment became final:\n" << read_file(out_);
  const Counts first = last_status(read_file(out_));
  EXPECT_EQ(first.failed, "none") << read_file(out_);
  EXPECT_NE(read_file(out_).find("demo: setup: created 15 accounts, 4 assets, 16 holdings; "
                                 "placed 72 offers"),
            std::string::npos)
      << read_file(out_);

  // The keys and the guide to them are where the user is told they are.
  const auto demo_dir = dir_ / "net" / "demo";
  EXPECT_TRUE(std::filesystem::exists(demo_dir / "keys" / "us-bank-1.key"));
  EXPECT_TRUE(std::filesystem::exists(demo_dir / "keys" / "market-maker-2.key"));
  const std::string guide = read_file(demo_dir / "participants.txt");
  EXPECT_NE(guide.find("usd-central-bank"), std::string::npos);
  EXPECT_NE(read_file(demo_dir / "env.sh").find("export EUR=\"EUR:"), std::string::npos);

  // The market makers' offers rest on the ledger, read through the observer.
  {
    json key = json::parse(read_file(demo_dir / "keys" / "market-maker-1.key"));
    auto [status, offers] =
        http_get(static_cast<uint16_t>(base_port_ + validators),
                 "/v1/accounts/" + key["account_id"].get<std::string>() + "/offers");
    ASSERT_EQ(status, 200);
    EXPECT_GE(offers["offers"].size(), 30u);
  }

  // Every validator, and the observer, holds the same block and state root at the lowest
  // height the validators all reached (the observer may need a moment to get there).
  uint64_t h = UINT64_MAX;
  for (int v = 0; v < validators; ++v) h = std::min(h, height(v));
  ASSERT_GT(h, 0u);
  ASSERT_TRUE(wait_until(10s, [&] { return height(validators) >= h; }))
      << "the observer did not reach height " << h;
  json reference;
  for (int v = 0; v < nodes; ++v) {
    auto [status, block] =
        http_get(static_cast<uint16_t>(base_port_ + v), "/v1/blocks/" + std::to_string(h));
    ASSERT_EQ(status, 200) << "node " << v << " at height " << h;
    if (reference.is_null()) {
      reference = block;
      continue;
    }
    EXPECT_EQ(block["hash"], reference["hash"]) << "node " << v << " at height " << h;
    EXPECT_EQ(block["state_root"], reference["state_root"]) << "node " << v << " at height " << h;
  }
  stop_cleanly();
  if (HasFailure()) return;

  // The second run finds everything in place and pays on from where the chain was.
  start("run2.out");
  const bool resumed = wait_until(second_run_max, [&] {
    Counts c = last_status(read_file(out_));
    return c.receive > 0 && c.transfer > 0 && c.height > first.height;
  });
  ASSERT_TRUE(resumed) << "the restarted demo did not pay:\n" << read_file(out_);
  EXPECT_NE(read_file(out_).find("demo: setup (resuming; the rest exists): created 0 accounts, "
                                 "0 assets, 0 holdings"),
            std::string::npos)
      << read_file(out_);
  EXPECT_EQ(last_status(read_file(out_)).failed, "none") << read_file(out_);
  stop_cleanly();
}

}  // namespace
}  // namespace corridor::test
