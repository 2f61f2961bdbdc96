// Which heap allocator serves this process's malloc, and what it holds. The release build of
// the `corridor` executable links jemalloc (CMake option CORRIDOR_JEMALLOC): a node allocates
// and frees small objects on several threads at once (frames, transactions, JSON answers), and
// glibc's allocator spent 6-7% of a validator's CPU on them (docs/benchmarks.md). Every other
// binary (unit tests, sanitizer builds, which bring their own allocator) keeps the system's.
// The node reports what it found in its status, so an operator can see which one runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace corridor {

struct AllocatorInfo {
  // "jemalloc" when jemalloc serves malloc in this process, otherwise "system".
  std::string name;
  // jemalloc's version string; empty for the system allocator.
  std::string version;
  // Bytes the application holds in allocations, and bytes of physical memory the allocator
  // keeps mapped for them (its own metadata and cached free pages included). Known only
  // through jemalloc's statistics; nullopt for the system allocator.
  std::optional<uint64_t> allocated_bytes;
  std::optional<uint64_t> resident_bytes;
};

// Detected once per process: jemalloc linked in is not enough, it must be the malloc that
// allocations reach (a library earlier in the lookup order could shadow it). The statistics
// are read afresh on every call.
AllocatorInfo allocator_info();

}  // namespace corridor
