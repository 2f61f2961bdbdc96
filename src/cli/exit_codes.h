// The `corridor` command's exit codes, shared by every subcommand.
#pragma once

namespace corridor::cli {

inline constexpr int exit_ok = 0;
// The command could not do its work: node unreachable, I/O error, a failed check.
inline constexpr int exit_failed = 1;
// Bad usage or bad input.
inline constexpr int exit_usage = 2;
// The transaction was rejected or failed.
inline constexpr int exit_rejected = 3;

}  // namespace corridor::cli
