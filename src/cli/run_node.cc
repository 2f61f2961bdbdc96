#include "cli/run_node.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "api/node_api.h"
#include "cli/exit_codes.h"
#include "cli/key_file.h"
#include "node/bft_orderer.h"
#include "node/genesis.h"
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

  // A BFT node starts from the network's genesis file and its own key.
  std::optional<node::Genesis> genesis;
  std::optional<ledger::Block> genesis_block;
  std::optional<KeyPair> key;
  if (config.mode == node::NodeConfig::Mode::bft) {
    auto g = node::load_genesis(config.genesis_file);
    if (!g.ok()) {
      spdlog::critical("{}", g.status().message());
      return exit_failed;
    }
    if (g->network_name != config.network_name) {
      spdlog::critical("the genesis file is for network '{}', the config names '{}'",
                       g->network_name, config.network_name);
      return exit_failed;
    }
    genesis = std::move(g).value();
    config.state_root_interval_blocks = genesis->state_root_interval_blocks;
    genesis_block = node::genesis_ledger_block(*genesis).value();
    auto k = read_key_file(config.key_file);
    if (!k.ok()) {
      spdlog::critical("{}", k.status().message());
      return exit_failed;
    }
    key = *k;
  }
  auto node = node::Node::open(config, nullptr, genesis_block ? &*genesis_block : nullptr);
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
  if (config.mode == node::NodeConfig::Mode::bft) {
    node::BftOptions bft;
    bft.listen_address = config.peer_address;
    bft.listen_port = config.peer_port;
    bft.empty_block_delay_ms = config.empty_block_delay_ms;
    bft.root_block_delay_ms = config.root_block_delay_ms;
    bft.block_txs_max = config.block_txs_max;
    bft.core.round_timeout_ms_base = config.round_timeout_ms;
    bft.state_sync = config.state_sync_lag_blocks > 0;
    bft.state_sync_lag_blocks = config.state_sync_lag_blocks;
    bft.state_sync_snapshot_interval_blocks = config.state_sync_snapshot_interval_blocks;
    std::string role = "observer";
    for (const auto* list : {&genesis->validators, &genesis->observers})
      for (const auto& p : *list) {
        if (p.key == key->public_key()) {
          role = list == &genesis->validators ? "validator " + p.name : "observer " + p.name;
          continue;
        }
        bft.peers.push_back({p.key, p.host, p.port});
      }
    if (role == "observer")
      spdlog::warn("the key {} is not listed in the genesis file: peers will refuse it",
                   key->public_key().hex().substr(0, 16));
    auto orderer = node::BftOrderer::create(**node, *key, bft);
    if (!orderer.ok()) {
      spdlog::critical("cannot start consensus: {}", orderer.status().to_string());
      (*server)->stop();
      return exit_failed;
    }
    spdlog::info("consensus: {} ({}), peers on {}:{}, {} validators", role,
                 key->public_key().hex().substr(0, 16), config.peer_address, (*orderer)->port(),
                 genesis->validators.size());
    (*node)->start(std::move(orderer).value());
  } else {
    (*node)->start();
  }
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
