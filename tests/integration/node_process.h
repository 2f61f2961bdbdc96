// A real `corridor node` child process for integration tests: started with a config in a
// temporary directory, reachable over HTTP on a free loopback port, stopped with SIGTERM or
// killed with SIGKILL.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "api/http_client.h"

namespace corridor::test {

class NodeProcess {
 public:
  // `dir` holds the config, the data directory and node.log.
  NodeProcess(std::string dir, std::string network_name, uint32_t block_interval_ms = 5);
  ~NodeProcess();

  // Starts the process and waits until its API answers; false after `timeout_ms`.
  bool start(uint32_t timeout_ms = 20'000);
  // SIGKILL: no shutdown path runs at all.
  void kill_hard();
  // SIGTERM and wait; returns the exit status (0 on a clean stop).
  int stop();
  bool running() const { return pid_ > 0; }

  uint16_t port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string log() const;

  // GET returning (status, parsed body); status 0 when the node is unreachable.
  std::pair<int, nlohmann::json> get(const std::string& target) const;
  std::pair<int, nlohmann::json> post(const std::string& target, const nlohmann::json& body) const;

 private:
  std::string dir_;
  std::string data_dir_;
  std::string config_path_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// A loopback TCP port that was free a moment ago.
uint16_t free_port();

}  // namespace corridor::test
