#include "base/allocator.h"

#include <cstdlib>

// jemalloc's control interface, declared weak: it resolves to jemalloc's when the executable
// links it and stays null otherwise, so this file needs no jemalloc header or library.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace corridor {
namespace {

// Larger than any size class jemalloc could serve from a slab already counted, so the
// allocation below always moves the thread's allocation counter when jemalloc serves it.
constexpr size_t probe_allocation_bytes = 64 * 1024;

template <typename T>
std::optional<T> read_mallctl(const char* name) {
  T value{};
  size_t size = sizeof value;
  if (mallctl(name, &value, &size, nullptr, 0) != 0 || size != sizeof value) return std::nullopt;
  return value;
}

// True when malloc reaches jemalloc: the calling thread's count of bytes jemalloc allocated
// grows across one malloc. The count is read through mallctl, not through the pointer jemalloc
// can hand out: the compiler knows malloc writes no memory the program can see, and would
// reuse a value read through a pointer before it.
bool jemalloc_serves_malloc() {
  if (mallctl == nullptr) return false;
  const auto before = read_mallctl<uint64_t>("thread.allocated");
  if (!before) return false;
  // Through a volatile pointer, so the compiler cannot pair the malloc with the free and
  // drop both.
  void* volatile block = std::malloc(probe_allocation_bytes);
  const auto after = read_mallctl<uint64_t>("thread.allocated");
  std::free(block);
  return after && *after >= *before + probe_allocation_bytes;
}

std::string jemalloc_version() {
  const auto version = read_mallctl<const char*>("version");
  return version && *version != nullptr ? std::string(*version) : std::string();
}

}  // namespace

AllocatorInfo allocator_info() {
  static const bool jemalloc = jemalloc_serves_malloc();
  AllocatorInfo info;
  if (!jemalloc) {
    info.name = "system";
    return info;
  }
  info.name = "jemalloc";
  info.version = jemalloc_version();
  // jemalloc's statistics are a snapshot taken when the epoch advances.
  uint64_t epoch = 1;
  size_t epoch_size = sizeof epoch;
  if (mallctl("epoch", &epoch, &epoch_size, &epoch, sizeof epoch) == 0) {
    if (auto v = read_mallctl<size_t>("stats.allocated")) info.allocated_bytes = *v;
    if (auto v = read_mallctl<size_t>("stats.resident")) info.resident_bytes = *v;
  }
  return info;
}

}  // namespace corridor
