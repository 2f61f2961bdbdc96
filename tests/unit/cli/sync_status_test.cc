// `corridor sync-status`: the line it draws for each phase of a node's sync, and when it counts
// the node as in sync.
#include "cli/cmd_sync.h"

#include <gtest/gtest.h>

namespace corridor::cli {
namespace {

using nlohmann::json;

json status(uint64_t height, const std::string& phase, uint64_t network_height,
            uint64_t received = 0, uint64_t total = 0) {
  return {{"height", height},
          {"sync",
           {{"phase", phase},
            {"target_height", 640},
            {"entries_received", received},
            {"entries_total", total},
            {"bytes_received", received * 100},
            {"bytes_total", total * 100},
            {"network_height", network_height}}}};
}

TEST(SyncStatusLine, DrawsEachPhase) {
  bool in_sync = true;
  std::string line = sync_status_line(status(0, "downloading", 700, 500, 1'000), in_sync);
  EXPECT_FALSE(in_sync);
  EXPECT_EQ(line.substr(0, 37), "[###############...............]  50%");
  EXPECT_NE(line.find("checkpoint 640: 500/1000 entries"), std::string::npos) << line;

  line = sync_status_line(status(0, "probing", 700), in_sync);
  EXPECT_FALSE(in_sync);
  EXPECT_NE(line.find("asking peers"), std::string::npos);

  line = sync_status_line(status(350, "idle", 700), in_sync);
  EXPECT_FALSE(in_sync);
  EXPECT_NE(line.find("block sync: height 350 of 700"), std::string::npos) << line;

  line = sync_status_line(status(698, "idle", 700), in_sync);
  EXPECT_TRUE(in_sync);
  EXPECT_EQ(line.substr(0, 37), "[##############################] 100%") << line;

  // A solo node has no sync object and is always in sync.
  in_sync = false;
  sync_status_line(json{{"height", 5}}, in_sync);
  EXPECT_TRUE(in_sync);
}

}  // namespace
}  // namespace corridor::cli
