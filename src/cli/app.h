// The `corridor` command: one binary, subcommands for keys, the node, transactions, queries
// and benchmarks. Exceptions stop here: run_cli turns them into a message and an exit code.
#pragma once

namespace corridor::cli {

// Exit codes: 0 success; 1 error (node unreachable, I/O); 2 bad usage or input;
// 3 the transaction was rejected or failed.
int run_cli(int argc, char** argv);

}  // namespace corridor::cli
