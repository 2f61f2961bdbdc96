#include "base/allocator.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

namespace corridor {
namespace {

// Built twice: into unit_base, which keeps the system's allocator, and into unit_base_jemalloc,
// which links jemalloc as the corridor executable does (tests/CMakeLists.txt).
#ifdef CORRIDOR_TEST_EXPECTS_JEMALLOC

TEST(Allocator, FindsJemallocServingMallocAndReadsItsStatistics) {
  const AllocatorInfo before = allocator_info();
  ASSERT_EQ(before.name, "jemalloc");
  EXPECT_FALSE(before.version.empty());
  ASSERT_TRUE(before.allocated_bytes.has_value());
  ASSERT_TRUE(before.resident_bytes.has_value());

  // Memory held (and touched, so that it is resident) shows in the next reading.
  constexpr size_t held_bytes = size_t{32} << 20;
  // Through a volatile pointer, so the compiler cannot drop the allocation it sees unused.
  void* volatile block = std::malloc(held_bytes);
  ASSERT_NE(block, nullptr);
  std::memset(block, 1, held_bytes);
  const AllocatorInfo during = allocator_info();
  std::free(block);
  EXPECT_GE(*during.allocated_bytes, *before.allocated_bytes + held_bytes);
  EXPECT_GE(*during.resident_bytes, *during.allocated_bytes);
}

#else

TEST(Allocator, ReportsTheSystemAllocatorWithoutStatistics) {
  const AllocatorInfo info = allocator_info();
  EXPECT_EQ(info.name, "system");
  EXPECT_TRUE(info.version.empty());
  EXPECT_FALSE(info.allocated_bytes.has_value());
  EXPECT_FALSE(info.resident_bytes.has_value());
}

#endif

}  // namespace
}  // namespace corridor
