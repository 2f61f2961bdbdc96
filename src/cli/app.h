// The `corridor` command: one binary, subcommands for keys, the node, transactions, queries
// and benchmarks. Exceptions stop here: run_cli turns them into a message and an exit code.
#pragma once

namespace corridor::cli {

// Returns the process exit code (cli/exit_codes.h).
int run_cli(int argc, char** argv);

}  // namespace corridor::cli
