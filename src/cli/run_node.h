// `corridor node`: runs one node with its HTTP API until SIGINT or SIGTERM.
#pragma once

#include <optional>
#include <string>

namespace corridor::cli {

struct RunNodeOptions {
  std::string config_path;  // Empty: embedded defaults.
  std::optional<std::string> data_dir;
  std::optional<uint16_t> port;
  bool memory = false;
  bool print_config = false;
};

int run_node(const RunNodeOptions& options);

}  // namespace corridor::cli
