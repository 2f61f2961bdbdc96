// `corridor status`: the store's backlog in words, for each state a node reports.
#include "cli/status_text.h"

#include <gtest/gtest.h>

namespace corridor::cli {
namespace {

using nlohmann::json;

json with_store(uint64_t unflushed, bool flush_pending, bool compaction_pending,
                uint64_t compaction_bytes, bool delayed, bool stopped, bool settled) {
  return {{"height", 7},
          {"store",
           {{"memtables_unflushed", unflushed},
            {"flush_pending", flush_pending},
            {"compaction_pending", compaction_pending},
            {"compaction_pending_bytes", compaction_bytes},
            {"writes_delayed", delayed},
            {"writes_stopped", stopped},
            {"settled", settled}}}};
}

TEST(StoreBacklogText, SaysWhatHoldsUpTheWrites) {
  EXPECT_EQ(store_backlog_text(with_store(0, false, false, 0, false, false, true)), "settled");
  EXPECT_EQ(store_backlog_text(with_store(1, true, false, 0, false, false, false)),
            "1 memtable waits for a flush");
  EXPECT_EQ(store_backlog_text(with_store(3, true, false, 0, true, false, false)),
            "3 memtables wait for a flush, writes slowed down");
  EXPECT_EQ(store_backlog_text(with_store(3, true, false, 0, true, true, false)),
            "3 memtables wait for a flush, writes stopped");
  EXPECT_EQ(store_backlog_text(with_store(0, true, false, 0, false, false, false)),
            "a flush is due");
  // A compaction due is said either way: it runs beside the writes until it delays them.
  EXPECT_EQ(store_backlog_text(with_store(0, false, true, uint64_t{96} << 20, false, false, true)),
            "settled, compaction due (96 MiB to rewrite)");
}

TEST(StoreBacklogText, ABodyWithoutTheStoreGivesNoLine) {
  EXPECT_EQ(store_backlog_text(json{{"height", 7}}), "");
  EXPECT_EQ(store_backlog_text(json{{"store", "unknown"}}), "");
}

}  // namespace
}  // namespace corridor::cli
