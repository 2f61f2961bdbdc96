#include "cli/cmd_sync.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/exit_codes.h"
#include "cli/node_client.h"

namespace corridor::cli {
namespace {

using nlohmann::json;

constexpr const char* sync_node_url_default = "http://127.0.0.1:8080";
constexpr uint32_t sync_status_interval_ms_min = 50;

std::string bar(uint64_t done, uint64_t total) {
  const uint64_t filled =
      total == 0 ? 0 : std::min<uint64_t>(done, total) * sync_status_bar_width / total;
  std::string s = "[";
  s.append(filled, '#');
  s.append(sync_status_bar_width - filled, '.');
  s += "]";
  const uint64_t percent = total == 0 ? 0 : std::min<uint64_t>(done, total) * 100 / total;
  char pct[8];
  std::snprintf(pct, sizeof pct, " %3u%%", static_cast<unsigned>(percent));
  return s + pct;
}

std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace

std::string sync_status_line(const json& status, bool& in_sync) {
  const uint64_t height = status.value("height", uint64_t{0});
  if (!status.contains("sync")) {
    // A solo node orders its own blocks: it is always in sync.
    in_sync = true;
    return bar(1, 1) + " height " + std::to_string(height) + " (no state sync: solo node)";
  }
  const json& s = status["sync"];
  const std::string phase = s.value("phase", "idle");
  const uint64_t network = std::max(height, s.value("network_height", uint64_t{0}));
  in_sync = false;
  if (phase == "downloading" || phase == "installing") {
    const uint64_t got = s.value("entries_received", uint64_t{0});
    const uint64_t total = s.value("entries_total", uint64_t{0});
    return bar(got, total) + " " + phase + " checkpoint " +
           std::to_string(s.value("target_height", uint64_t{0})) + ": " + std::to_string(got) +
           "/" + std::to_string(total) + " entries, " +
           mib(s.value("bytes_received", uint64_t{0})) + "/" +
           mib(s.value("bytes_total", uint64_t{0}));
  }
  if (phase == "probing") return bar(0, 1) + " asking peers for a checkpoint";
  in_sync = height + sync_status_in_sync_blocks >= network;
  return (in_sync ? bar(1, 1) : bar(height, network)) + (in_sync ? " in sync" : " block sync") +
         ": height " + std::to_string(height) + " of " + std::to_string(network);
}

void add_sync_command(CLI::App& app, int& rc) {
  static std::string node = sync_node_url_default;
  static uint32_t interval_ms = 500;
  static uint32_t wait_s = sync_status_wait_s_max_default;
  static bool once = false;
  auto* cmd = app.add_subcommand(
      "sync-status", "Show a node's sync progress as a bar, redrawn until it is in sync");
  cmd->add_option("--node", node, "Node API URL")->capture_default_str();
  cmd->add_option("--interval-ms", interval_ms, "Time between redraws")->capture_default_str();
  cmd->add_option("--wait-s", wait_s, "Give up after this long")->capture_default_str();
  cmd->add_flag("--once", once, "Print one line and return");
  cmd->callback([&rc] {
    NodeClient client(node);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
    const auto interval =
        std::chrono::milliseconds(std::max(interval_ms, sync_status_interval_ms_min));
    size_t last_width = 0;
    while (true) {
      bool in_sync = false;
      std::string line = sync_status_line(client.get_ok("/v1/status"), in_sync);
      if (once) {
        std::cout << line << "\n";
        rc = in_sync ? exit_ok : exit_failed;
        return;
      }
      // Redrawn in place: a carriage return, the line, and blanks over a longer previous one.
      std::cout << "\r" << line
                << std::string(last_width > line.size() ? last_width - line.size() : 0, ' ')
                << std::flush;
      last_width = line.size();
      if (in_sync) {
        std::cout << "\n";
        rc = exit_ok;
        return;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        std::cout << "\n";
        throw CliError("the node is not in sync after " + std::to_string(wait_s) + " s");
      }
      std::this_thread::sleep_for(interval);
    }
  });
}

}  // namespace corridor::cli
