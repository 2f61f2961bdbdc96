// Crash semantics and fault injection of MemKvStore, which the simulator relies on to test that
// nodes recover correctly from power loss.
#include "storage/mem_kv_store.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace corridor::storage {
namespace {

Bytes b(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

std::optional<Bytes> get(const MemKvStore& store, const Bytes& key) {
  auto result = store.get(key);
  EXPECT_TRUE(result.ok()) << result.status().to_string();
  return result.ok() ? *result : std::nullopt;
}

void put(MemKvStore& store, const std::string& key, const std::string& value, bool sync) {
  WriteBatch batch;
  batch.put(b(key), b(value));
  ASSERT_TRUE(store.write(batch, sync).ok());
}

// Every key and value in the store, in order, for comparing whole states.
std::vector<std::pair<Bytes, Bytes>> contents(const MemKvStore& store) {
  std::vector<std::pair<Bytes, Bytes>> out;
  EXPECT_TRUE(store
                  .scan_prefix(Bytes{},
                               [&](ByteView key, ByteView value) {
                                 out.emplace_back(Bytes(key.begin(), key.end()),
                                                  Bytes(value.begin(), value.end()));
                                 return true;
                               })
                  .ok());
  return out;
}

constexpr int kKeysPerBatch = 8;

// Writes one synced batch and then `unsynced` unsynced ones. Batch i puts kKeysPerBatch keys
// "batch/<i>/<j>" and sets "last" to i, so after a crash "last" says which prefix survived.
void write_history(MemKvStore& store, int unsynced) {
  for (int i = 0; i <= unsynced; ++i) {
    WriteBatch batch;
    for (int j = 0; j < kKeysPerBatch; ++j)
      batch.put(b("batch/" + std::to_string(i) + "/" + std::to_string(j)), b("v"));
    batch.put(b("last"), b(std::to_string(i)));
    ASSERT_TRUE(store.write(batch, /*sync=*/i == 0).ok());
  }
}

// The number of unsynced batches that survived a crash of a store written by write_history,
// after checking that they form a prefix of whole batches.
int surviving_batches(const MemKvStore& store, int unsynced) {
  std::optional<Bytes> last = get(store, b("last"));
  EXPECT_TRUE(last.has_value()) << "the synced batch was lost";
  if (!last) return -1;
  const int last_batch = std::stoi(std::string(last->begin(), last->end()));
  for (int i = 0; i <= unsynced; ++i) {
    for (int j = 0; j < kKeysPerBatch; ++j) {
      const bool present =
          get(store, b("batch/" + std::to_string(i) + "/" + std::to_string(j))).has_value();
      EXPECT_EQ(present, i <= last_batch) << "batch " << i << " key " << j;
    }
  }
  return last_batch;
}

TEST(MemKvStoreTest, SyncedWritesSurviveEveryCrash) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    MemKvStore store;
    put(store, "a", "1", /*sync=*/true);
    put(store, "b", "2", /*sync=*/false);
    store.crash(seed);
    EXPECT_EQ(get(store, b("a")), b("1")) << "seed " << seed;
  }
  MemKvStore store;
  put(store, "a", "1", /*sync=*/true);
  store.crash_lose_all_unsynced();
  EXPECT_EQ(get(store, b("a")), b("1"));
}

TEST(MemKvStoreTest, SyncMakesEarlierUnsyncedWritesDurable) {
  MemKvStore store;
  put(store, "a", "1", /*sync=*/false);
  put(store, "b", "2", /*sync=*/false);
  EXPECT_EQ(store.unsynced_batches(), 2u);
  put(store, "c", "3", /*sync=*/true);
  EXPECT_EQ(store.unsynced_batches(), 0u);
  store.crash_lose_all_unsynced();
  EXPECT_EQ(get(store, b("a")), b("1"));
  EXPECT_EQ(get(store, b("b")), b("2"));
  EXPECT_EQ(get(store, b("c")), b("3"));
}

TEST(MemKvStoreTest, EmptySyncedBatchMakesEarlierWritesDurable) {
  MemKvStore store;
  put(store, "a", "1", /*sync=*/false);
  ASSERT_TRUE(store.write(WriteBatch(), /*sync=*/true).ok());
  EXPECT_EQ(store.sync_count(), 1u);
  store.crash_lose_all_unsynced();
  EXPECT_EQ(get(store, b("a")), b("1"));
}

TEST(MemKvStoreTest, UnsyncedWritesAreVisibleButMayBeLost) {
  MemKvStore store;
  put(store, "kept", "old", /*sync=*/true);
  put(store, "new", "1", /*sync=*/false);
  put(store, "kept", "overwritten", /*sync=*/false);
  WriteBatch erase;
  erase.erase(b("kept"));
  ASSERT_TRUE(store.write(erase, /*sync=*/false).ok());
  EXPECT_EQ(get(store, b("new")), b("1"));
  EXPECT_EQ(get(store, b("kept")), std::nullopt);
  EXPECT_EQ(store.unsynced_batches(), 3u);

  store.crash_lose_all_unsynced();
  EXPECT_EQ(get(store, b("new")), std::nullopt);
  EXPECT_EQ(get(store, b("kept")), b("old"));
  EXPECT_EQ(store.unsynced_batches(), 0u);
}

TEST(MemKvStoreTest, OnlyWholeBatchesSurvive) {
  constexpr int kUnsynced = 12;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    MemKvStore store;
    write_history(store, kUnsynced);
    ASSERT_EQ(store.unsynced_batches(), static_cast<size_t>(kUnsynced));
    store.crash(seed);
    const int survived = surviving_batches(store, kUnsynced);
    EXPECT_GE(survived, 0) << "seed " << seed;
    EXPECT_LE(survived, kUnsynced) << "seed " << seed;
    EXPECT_EQ(store.unsynced_batches(), 0u);
  }
}

TEST(MemKvStoreTest, SameSeedGivesSameOutcome) {
  constexpr int kUnsynced = 10;
  for (uint64_t seed : {0ULL, 1ULL, 42ULL, 0xdeadbeefULL, ~0ULL}) {
    MemKvStore first;
    MemKvStore second;
    write_history(first, kUnsynced);
    write_history(second, kUnsynced);
    first.crash(seed);
    second.crash(seed);
    EXPECT_EQ(contents(first), contents(second)) << "seed " << seed;
  }
}

TEST(MemKvStoreTest, DifferentSeedsKeepDifferentPrefixes) {
  constexpr int kUnsynced = 10;
  std::set<int> outcomes;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    MemKvStore store;
    write_history(store, kUnsynced);
    store.crash(seed);
    outcomes.insert(surviving_batches(store, kUnsynced));
  }
  // 64 draws from 11 possible prefix lengths: a working generator reaches most of them, and in
  // particular both extremes of losing everything and keeping everything.
  EXPECT_GE(outcomes.size(), 8u);
  EXPECT_TRUE(outcomes.count(0));
  EXPECT_TRUE(outcomes.count(kUnsynced));
}

TEST(MemKvStoreTest, SurvivorsOfACrashAreDurable) {
  constexpr int kUnsynced = 6;
  MemKvStore store;
  write_history(store, kUnsynced);
  store.crash(7);
  const auto after_first_crash = contents(store);
  // Recovery has replayed what survived; a second power loss cannot take it away.
  store.crash_lose_all_unsynced();
  EXPECT_EQ(contents(store), after_first_crash);

  // The store keeps working after a crash.
  put(store, "after", "1", /*sync=*/false);
  EXPECT_EQ(store.unsynced_batches(), 1u);
  EXPECT_EQ(get(store, b("after")), b("1"));
  store.crash_lose_all_unsynced();
  EXPECT_EQ(get(store, b("after")), std::nullopt);
  EXPECT_EQ(contents(store), after_first_crash);
}

TEST(MemKvStoreTest, CrashWithoutUnsyncedWritesChangesNothing) {
  MemKvStore store;
  store.crash(3);
  EXPECT_TRUE(contents(store).empty());
  put(store, "a", "1", /*sync=*/true);
  const auto before = contents(store);
  store.crash(3);
  EXPECT_EQ(contents(store), before);
}

TEST(MemKvStoreTest, CountsSyncsAndUnsyncedBatches) {
  MemKvStore store;
  EXPECT_EQ(store.sync_count(), 0u);
  EXPECT_EQ(store.unsynced_batches(), 0u);
  put(store, "a", "1", /*sync=*/false);
  ASSERT_TRUE(store.write(WriteBatch(), /*sync=*/false).ok());  // Empty: not recorded.
  EXPECT_EQ(store.unsynced_batches(), 1u);
  put(store, "b", "1", /*sync=*/true);
  put(store, "c", "1", /*sync=*/true);
  EXPECT_EQ(store.sync_count(), 2u);
  EXPECT_EQ(store.unsynced_batches(), 0u);
}

TEST(MemKvStoreTest, FailedWritesApplyNothing) {
  MemKvStore store;
  put(store, "a", "1", /*sync=*/false);
  store.fail_next_writes(2);

  WriteBatch batch;
  batch.put(b("b"), b("2"));
  batch.erase(b("a"));
  Status first = store.write(batch, /*sync=*/false);
  EXPECT_EQ(first.code(), StatusCode::io_error);
  EXPECT_FALSE(first.message().empty());
  // A failed synced write does not sync the earlier batches either.
  EXPECT_EQ(store.write(batch, /*sync=*/true).code(), StatusCode::io_error);

  EXPECT_EQ(get(store, b("a")), b("1"));
  EXPECT_EQ(get(store, b("b")), std::nullopt);
  EXPECT_EQ(store.unsynced_batches(), 1u);
  EXPECT_EQ(store.sync_count(), 0u);

  // Only two writes fail; the third one goes through.
  ASSERT_TRUE(store.write(batch, /*sync=*/false).ok());
  EXPECT_EQ(get(store, b("a")), std::nullopt);
  EXPECT_EQ(get(store, b("b")), b("2"));
  EXPECT_EQ(store.unsynced_batches(), 2u);

  store.crash_lose_all_unsynced();
  EXPECT_EQ(get(store, b("a")), std::nullopt);
  EXPECT_EQ(get(store, b("b")), std::nullopt);
}

TEST(MemKvStoreTest, FailNextWritesZeroCancelsInjection) {
  MemKvStore store;
  store.fail_next_writes(3);
  store.fail_next_writes(0);
  put(store, "a", "1", /*sync=*/true);
  EXPECT_EQ(get(store, b("a")), b("1"));
}

}  // namespace
}  // namespace corridor::storage
