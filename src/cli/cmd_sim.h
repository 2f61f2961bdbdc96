// `corridor sim`: replays one seed of the deterministic simulator, sweeps a range of seeds
// (exiting non-zero at the first failure, naming it), or measures throughput, commit latency
// and the cost of a leader crash.
#pragma once

namespace CLI {
class App;
}  // namespace CLI

namespace corridor::cli {

// Registers `sim` and `sim measure`; their callbacks set `rc` to the process exit code.
void add_sim_command(CLI::App& app, int& rc);

}  // namespace corridor::cli
