// `corridor network init` writes the keys, genesis file and per-node configurations of a BFT
// network on loopback; `corridor localnet` starts every node of such a directory as a separate
// `corridor node` process and stops them all on SIGINT or SIGTERM.
#pragma once

#include <cstdint>

namespace CLI {
class App;
}  // namespace CLI

namespace corridor::cli {

// The state root interval that `network init` and `localnet` write into a new genesis, and
// `bench network` gives its temporary localnet. At 10,000 busy accounts nearly every leaf of
// the state tree changes within 16 blocks, so each recomputation is close to a pass over the
// whole tree; recomputing it every 32 blocks instead of every 8 took a quarter off the median
// finality at half the peak, and a tenth off the p99 (docs/benchmarks.md, "A root every 32
// blocks"). The price: a divergent validator is noticed up to 31 blocks later, and a proof of
// a holding changed since the last root height waits for the next one (3.2 s at most on an
// idle network, which makes a block every 100 ms).
inline constexpr uint64_t state_root_interval_default = 32;

// Registers `network init` and `localnet`; their callbacks set `rc` to the exit code.
void add_network_commands(CLI::App& app, int& rc);

}  // namespace corridor::cli
