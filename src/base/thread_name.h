// Names for the threads a node runs, so that `top -H`, `perf report --sort comm` and a core
// dump tell an operator which part of the node is busy: the consensus loop, the executor, the
// peer network or an HTTP worker.
#pragma once

#include <string_view>

namespace corridor {

// Linux keeps at most this many bytes of a thread's name (16 with the terminating zero).
inline constexpr size_t thread_name_bytes_max = 15;

// Names the calling thread; a longer name is cut to thread_name_bytes_max. Naming is a
// diagnostic aid, so a failure (a platform without thread names) changes nothing else.
void set_current_thread_name(std::string_view name);

}  // namespace corridor
