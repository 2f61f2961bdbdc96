// `corridor sync-status` follows a node's GET /v1/status and redraws a progress bar while it
// syncs: the state entries of a checkpoint as they download, then the blocks up to the height
// its peers propose. It returns once the node is in sync (or the wait limit passes).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace CLI {
class App;
}  // namespace CLI

namespace corridor::cli {

// The node counts as in sync within this many blocks of the highest height its peers propose
// (a 2-chain pipeline commits a block two rounds after it is proposed).
inline constexpr uint64_t sync_status_in_sync_blocks = 3;
inline constexpr uint32_t sync_status_wait_s_max_default = 3'600;
inline constexpr uint32_t sync_status_bar_width = 30;

// One line for a /v1/status body: a bar, the phase and the counts. `in_sync` tells whether
// the node is in sync.
std::string sync_status_line(const nlohmann::json& status, bool& in_sync);

// Registers `sync-status`; its callback sets `rc` to the exit code.
void add_sync_command(CLI::App& app, int& rc);

}  // namespace corridor::cli
