// Helpers shared by the integration tests that run BFT networks of `corridor node` processes
// (localnet_test, chaos_test): JSON over HTTP with a deadline, and child processes whose output
// goes to a log file.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace corridor::test {

// One request to 127.0.0.1:`port`; returns (HTTP status, parsed body). The status is 0 when the
// node cannot be reached, the connection breaks or `timeout_ms` passes; a body that is not JSON
// parses to a discarded value.
std::pair<int, nlohmann::json> http_json(uint16_t port, const std::string& method,
                                         const std::string& target, const std::string& body = "",
                                         uint32_t timeout_ms = 20'000);

// Forks and executes args[0] with `args`, its stdout and stderr appended to `out_path`. The child
// is killed when the thread that spawned it ends (PR_SET_PDEATHSIG), so a test that dies leaves
// no node behind; spawn from the test's main thread. Returns the pid, or -1 when fork fails.
// Safe to call while other threads run: the child only makes async-signal-safe calls.
pid_t spawn_process(const std::vector<std::string>& args, const std::string& out_path);

// SIGTERM, then SIGKILL if the process has not exited after `timeout_ms`; returns the exit
// status (128 + signal when it was killed by one), or -1 for pid <= 0.
int stop_process(pid_t pid, uint32_t timeout_ms = 20'000);

// The last `lines` lines of a text file, for failure messages ("" when it cannot be read).
std::string file_tail(const std::string& path, size_t lines);

}  // namespace corridor::test
