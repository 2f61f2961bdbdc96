#include "cli/cmd_network.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/key_file.h"
#include "cli/localnet_demo.h"
#include "ledger/limits.h"
#include "node/config.h"
#include "node/genesis.h"

namespace corridor::cli {
namespace {

namespace fs = std::filesystem;

constexpr uint16_t base_port_default = 26'000;
// Peer ports are the API ports plus this offset.
constexpr uint16_t peer_port_offset = 100;
constexpr const char* localnet_network_name = "corridor-localnet";
// Children get this long to stop after SIGTERM before they are killed.
constexpr auto child_stop_timeout = std::chrono::seconds(20);

struct InitOptions {
  std::string dir = "localnet";
  uint32_t validators = 4;
  uint32_t observers = 1;
  uint16_t base_port = base_port_default;
  uint64_t state_root_interval_blocks = state_root_interval_default;
  bool force = false;
  // localnet only: drive the demo workload (cli/localnet_demo.h) while the nodes run.
  bool demo = false;
  uint32_t demo_rate = demo_rate_default;
  uint32_t demo_status_interval_s = demo_status_interval_s_default;
};

std::string genesis_path(const std::string& dir) {
  return (fs::path(dir) / "genesis.toml").string();
}

int network_init(const InitOptions& o) {
  if (o.validators < 1 || o.validators > 100 || o.observers > 100) {
    std::cerr << "corridor network init: --validators must be 1..100, --observers 0..100\n";
    return exit_usage;
  }
  std::error_code ec;
  fs::create_directories(o.dir, ec);
  const fs::path root = fs::absolute(o.dir);
  if (fs::exists(root / "genesis.toml") && !o.force) {
    std::cerr << "corridor network init: " << (root / "genesis.toml").string()
              << " exists (use --force to replace the network)\n";
    return exit_usage;
  }
  std::vector<node::GenesisPeer> validators;
  std::vector<node::GenesisPeer> observers;
  const uint32_t total = o.validators + o.observers;
  for (uint32_t i = 0; i < total; ++i) {
    const bool is_validator = i < o.validators;
    const std::string name = is_validator ? "validator" + std::to_string(i)
                                          : "observer" + std::to_string(i - o.validators);
    const fs::path dir = root / name;
    // A replaced network starts from empty stores: the old data belongs to the old genesis.
    if (o.force) fs::remove_all(dir / "data", ec);
    fs::create_directories(dir, ec);
    if (ec) {
      std::cerr << "corridor network init: cannot create " << dir.string() << ": " << ec.message()
                << "\n";
      return exit_failed;
    }
    KeyPair key = KeyPair::generate();
    Status st = write_key_file((dir / "node.key").string(), key, true);
    if (!st.ok()) {
      std::cerr << "corridor network init: " << st.message() << "\n";
      return exit_failed;
    }
    const auto api_port = static_cast<uint16_t>(o.base_port + i);
    const auto peer_port = static_cast<uint16_t>(o.base_port + peer_port_offset + i);
    node::GenesisPeer peer{name, key.public_key(), "127.0.0.1", peer_port};
    (is_validator ? validators : observers).push_back(peer);

    node::NodeConfig c;
    c.data_dir = (dir / "data").string();
    c.network_name = localnet_network_name;
    c.api_port = api_port;
    c.mode = node::NodeConfig::Mode::bft;
    c.key_file = (dir / "node.key").string();
    c.genesis_file = (root / "genesis.toml").string();
    c.peer_port = peer_port;
    // State-sync snapshots fall on root heights: the snapshot interval is rounded up to a
    // multiple of the state root interval (a node refuses to start otherwise).
    const uint64_t r = o.state_root_interval_blocks;
    c.state_sync_snapshot_interval_blocks = (c.state_sync_snapshot_interval_blocks + r - 1) / r * r;
    // Validators checkpoint at heights spread over the checkpoint interval, each at a root
    // height, so that they do not all pause for it at once (NodeConfig::checkpoint_offset_blocks).
    if (is_validator)
      c.checkpoint_offset_blocks = static_cast<uint32_t>(
          uint64_t{i} * c.checkpoint_blocks / o.validators / r * r % c.checkpoint_blocks);
    std::ofstream(dir / "node.toml") << node::node_config_to_toml(c);
  }
  // The operator key signs ledger block 0 (it registers its own account and installs the
  // validators); it is kept next to the genesis file.
  KeyPair operator_key = KeyPair::generate();
  Status st = write_key_file((root / "operator.key").string(), operator_key, true);
  if (!st.ok()) {
    std::cerr << "corridor network init: " << st.message() << "\n";
    return exit_failed;
  }
  node::Genesis g = node::make_genesis(localnet_network_name, validators, observers, operator_key,
                                       o.state_root_interval_blocks);
  std::ofstream(root / "genesis.toml") << node::genesis_to_toml(g);
  std::cout << "network '" << localnet_network_name << "': " << o.validators << " validators, "
            << o.observers << " observers in " << root.string() << "\n";
  return exit_ok;
}

struct Child {
  std::string name;
  pid_t pid = -1;
  uint16_t api_port = 0;
};

int localnet(InitOptions o) {
  if (!fs::exists(genesis_path(o.dir))) {
    int rc = network_init(o);
    if (rc != exit_ok) return rc;
  }
  const fs::path root = fs::absolute(o.dir);
  auto genesis = node::load_genesis(genesis_path(o.dir));
  if (!genesis.ok()) {
    std::cerr << "corridor localnet: " << genesis.status().message() << "\n";
    return exit_failed;
  }
  std::vector<std::string> names;
  for (const auto& p : genesis->validators) names.push_back(p.name);
  for (const auto& p : genesis->observers) names.push_back(p.name);

  // Signals are taken synchronously by this thread; children unblock them after fork.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGCHLD);
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &signals, &old);

  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    std::cerr << "corridor localnet: cannot find its own binary\n";
    return exit_failed;
  }
  self[n] = '\0';
  std::vector<Child> children;
  DemoOptions demo_options;
  demo_options.dir = o.dir;
  demo_options.rate = o.demo_rate;
  demo_options.status_interval_s = o.demo_status_interval_s;
  for (const std::string& name : names) {
    const fs::path dir = root / name;
    auto config = node::load_node_config((dir / "node.toml").string());
    if (!config.ok()) {
      std::cerr << "corridor localnet: " << config.status().message() << "\n";
      return exit_failed;
    }
    const std::string config_path = (dir / "node.toml").string();
    const std::string log_path = (dir / "node.log").string();
    pid_t pid = ::fork();
    if (pid == 0) {
      // A localnet that dies without stopping its children (SIGKILL) still takes them along.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      // A process group of its own: Ctrl-C in the terminal reaches only the localnet, which
      // stops the demo (if any) while the nodes still answer, and then the nodes.
      ::setpgid(0, 0);
      pthread_sigmask(SIG_SETMASK, &old, nullptr);
      int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      ::execl(self, self, "node", "--config", config_path.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    children.push_back({name, pid, config->api_port});
    demo_options.node_names.push_back(name);
    demo_options.api_ports.push_back(config->api_port);
    std::cout << name << "  pid " << pid << "  api http://" << config->api_address << ":"
              << config->api_port << "  log " << log_path << "\n";
  }
  std::cout << "localnet running (" << genesis->validators.size() << " validators, "
            << genesis->observers.size() << " observers); Ctrl-C stops it" << std::endl;
  // The demo's threads inherit the blocked signals, so SIGINT still reaches sigwait below.
  std::optional<LocalnetDemo> demo;
  if (o.demo) {
    demo.emplace(demo_options, std::cout);
    demo->start();
  }

  int sig = 0;
  while (true) {
    sigwait(&signals, &sig);
    if (sig != SIGCHLD) break;
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0)
      for (auto& c : children)
        if (c.pid == pid) {
          std::cout << c.name << " exited (" << (WIFSIGNALED(status) ? "signal " : "status ")
                    << (WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status)) << ")"
                    << std::endl;
          c.pid = -1;
        }
  }
  std::cout << "stopping the localnet" << std::endl;
  // The demo stops first, so the payments in flight are answered before the nodes go.
  if (demo) demo->stop();
  for (auto& c : children)
    if (c.pid > 0) ::kill(c.pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + child_stop_timeout;
  for (auto& c : children) {
    while (c.pid > 0) {
      int status = 0;
      pid_t r = ::waitpid(c.pid, &status, WNOHANG);
      if (r == c.pid || r < 0) {
        c.pid = -1;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(c.pid, SIGKILL);
        ::waitpid(c.pid, &status, 0);
        c.pid = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return exit_ok;
}

}  // namespace

void add_network_commands(CLI::App& app, int& rc) {
  static InitOptions init;
  auto* network = app.add_subcommand("network", "Create BFT networks");
  network->require_subcommand(1);
  auto* init_cmd = network->add_subcommand(
      "init", "Write keys, a genesis file and one config per node for a loopback network");
  init_cmd->add_option("--validators", init.validators, "Number of validators")->default_val(4);
  init_cmd->add_option("--observers", init.observers, "Number of observers")->default_val(1);
  init_cmd->add_option("--dir", init.dir, "Directory of the network")->required();
  init_cmd
      ->add_option("--base-port", init.base_port, "First API port; peer ports start 100 above it")
      ->default_val(base_port_default);
  init_cmd
      ->add_option("--state-root-interval", init.state_root_interval_blocks,
                   "The state root is recomputed every this many blocks (genesis)")
      ->default_val(state_root_interval_default)
      ->check(CLI::Range(uint64_t{1}, ledger::state_root_interval_blocks_max));
  init_cmd->add_flag("--force", init.force,
                     "Replace an existing network in the directory (its nodes' data is deleted)");
  init_cmd->callback([&rc] { rc = network_init(init); });

  static InitOptions net;
  auto* localnet_cmd = app.add_subcommand(
      "localnet", "Run a BFT network on loopback: every node a separate process");
  localnet_cmd->add_option("--dir", net.dir, "Directory of the network (initialised if empty)")
      ->default_val("localnet");
  localnet_cmd->add_option("--validators", net.validators, "Validators, when initialising")
      ->default_val(4);
  localnet_cmd->add_option("--observers", net.observers, "Observers, when initialising")
      ->default_val(1);
  localnet_cmd->add_option("--base-port", net.base_port, "First API port, when initialising")
      ->default_val(base_port_default);
  localnet_cmd
      ->add_option("--state-root-interval", net.state_root_interval_blocks,
                   "The state root is recomputed every this many blocks, when initialising")
      ->default_val(state_root_interval_default)
      ->check(CLI::Range(uint64_t{1}, ledger::state_root_interval_blocks_max));
  localnet_cmd->add_flag("--demo", net.demo,
                         "Set up currencies, banks and market makers, then drive a stream of "
                         "cross-border payments until stopped (keys under <dir>/demo)");
  localnet_cmd->add_option("--demo-rate", net.demo_rate, "Payments started per second by the demo")
      ->check(CLI::Range(uint32_t{1}, demo_rate_max))
      ->capture_default_str();
  localnet_cmd
      ->add_option("--demo-status-s", net.demo_status_interval_s,
                   "Seconds between the demo's status lines")
      ->check(CLI::Range(uint32_t{1}, demo_status_interval_s_max))
      ->capture_default_str();
  localnet_cmd->callback([&rc] { rc = localnet(net); });
}

}  // namespace corridor::cli
