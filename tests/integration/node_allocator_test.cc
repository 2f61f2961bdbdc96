// Starts the real corridor executable and checks, through its status, that the heap allocator
// the build chose is the one serving the node's malloc: a link order that let the C library's
// malloc shadow jemalloc would otherwise go unnoticed (it still runs, only slower).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "node_process.h"

namespace corridor::test {
namespace {

TEST(NodeAllocator, StatusNamesTheAllocatorTheBuildLinked) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("corridor-allocator-" + std::to_string(::getpid()) + "-" +
                    std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(dir);
  NodeProcess node(dir.string(), "allocator-test");
  ASSERT_TRUE(node.start()) << node.log();
  auto [status, body] = node.get("/v1/status");
  node.kill_hard();
  ASSERT_EQ(status, 200) << body.dump();
  ASSERT_TRUE(body.contains("process")) << body.dump();
  const auto& process = body["process"];
  EXPECT_EQ(process["allocator"], CORRIDOR_EXPECTED_ALLOCATOR);
  if (process["allocator"] == "jemalloc") {
    EXPECT_FALSE(process["allocator_version"].get<std::string>().empty());
    // A running node holds its ledger, mempool and RocksDB's memtables on the heap.
    EXPECT_GT(process["heap_allocated_bytes"].get<uint64_t>(), 0u);
    EXPECT_GE(process["heap_resident_bytes"].get<uint64_t>(),
              process["heap_allocated_bytes"].get<uint64_t>());
  } else {
    EXPECT_TRUE(process["heap_allocated_bytes"].is_null());
    EXPECT_TRUE(process["heap_resident_bytes"].is_null());
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace corridor::test
