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
// `bench network` gives its temporary localnet: the largest the ledger allows. At 10,000 busy
// accounts nearly every leaf of the state tree changes within 16 blocks, so each recomputation
// is close to a pass over the whole tree. Recomputing it every 32 blocks instead of every 8
// took a quarter off the median finality at half the peak. Every 64 instead of 32 took a fifth
// off it again in one stop's eight pairs and left it level in the next stop's seven, and saved
// a little CPU per transfer in both (docs/benchmarks.md, "A root every 32 blocks", "Background
// writes paced" and "A root every 64 blocks by default"). The price: a divergent validator is
// noticed up to 63 blocks later, and a proof of a holding changed since the last root height waits
// for the next one; leaders propose the empty blocks up to it at a quarter of the idle pause
// (docs/consensus.md, "Pacing"), so on an idle network that is at most 1.6 s, not 6.4 s.
inline constexpr uint64_t state_root_interval_default = 64;

// Registers `network init` and `localnet`; their callbacks set `rc` to the exit code.
void add_network_commands(CLI::App& app, int& rc);

}  // namespace corridor::cli
