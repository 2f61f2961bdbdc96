#include "cli/run_node.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "api/node_api.h"
#include "cli/exit_codes.h"
#include "node/node.h"

namespace corridor::cli {

int run_node(const RunNodeOptions& options) {
  node::NodeConfig config;
  if (!options.config_path.empty()) {
    auto c = node::load_node_config(options.config_path);
    if (!c.ok()) {
      std::cerr << "corridor node: " << c.status().message() << "\n";
      return exit_usage;
    }
    config = *c;
  }
  if (options.data_dir) config.data_dir = *options.data_dir;
  if (options.port) config.api_port = *options.port;
  if (options.memory) config.storage = node::StorageEngine::memory;
  if (options.print_config) {
    std::cout << node::node_config_to_toml(config);
    return exit_ok;
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  // Signals are taken synchronously by this thread (sigwait), so every other thread is
  // started with them blocked.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto node = node::Node::open(config);
  if (!node.ok()) {
    spdlog::critical("cannot open the node: {}", node.status().to_string());
    return exit_failed;
  }
  auto status = (*node)->status();
  spdlog::info("network '{}' ({}), storage {} in {}, height {}, state root {}", status.network_name,
               status.network_id.hex(),
               config.storage == node::StorageEngine::rocksdb ? "rocksdb" : "memory",
               config.data_dir, status.height, status.state_root.hex());
  api::NodeApi node_api(**node);
  auto server = api::start_node_api(**node, node_api);
  if (!server.ok()) {
    spdlog::critical("cannot start the API on {}:{}: {}", config.api_address, config.api_port,
                     server.status().message());
    return exit_failed;
  }
  (*node)->start();
  spdlog::info("API listening on http://{}:{}", config.api_address, (*server)->port());
  std::cout.flush();

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*node)->stop();
  (*server)->stop();
  auto final_status = (*node)->status();
  spdlog::info("stopped at height {}, state root {}", final_status.height,
               final_status.state_root.hex());
  return exit_ok;
}

}  // namespace corridor::cli
