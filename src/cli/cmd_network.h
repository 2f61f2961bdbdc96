// `corridor network init` writes the keys, genesis file and per-node configurations of a BFT
// network on loopback; `corridor localnet` starts every node of such a directory as a separate
// `corridor node` process and stops them all on SIGINT or SIGTERM.
#pragma once

namespace CLI {
class App;
}  // namespace CLI

namespace corridor::cli {

// Registers `network init` and `localnet`; their callbacks set `rc` to the exit code.
void add_network_commands(CLI::App& app, int& rc);

}  // namespace corridor::cli
