// Conformance suite for KvStore: every implementation must pass the same tests, so the simulator
// (MemKvStore) and real nodes (RocksDB) agree on ordering, bounds, atomicity and edge cases.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "storage/kv_store.h"
#include "storage/mem_kv_store.h"
#include "storage/rocksdb_kv_store.h"
#include "support/test_support.h"

namespace corridor::storage {
namespace {

constexpr size_t kLargeValueBytes = size_t{1} << 20;

Bytes b(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
Bytes raw(std::initializer_list<uint8_t> bytes) {
  return Bytes(bytes);
}

// A batch that puts `keys` keys under `prefix`, each with the round's number as its value: the
// concurrency tests write one per round and read back which round each key shows.
WriteBatch round_batch(const std::string& prefix, int keys, int round) {
  WriteBatch batch;
  for (int i = 0; i < keys; ++i)
    batch.put(b(prefix + std::to_string(100 + i)), b(std::to_string(round)));
  return batch;
}

struct Implementation {
  std::string name;
  // Opens a store whose files, if it has any, live in dir.
  std::function<std::unique_ptr<KvStore>(const std::string& dir)> open;
  // Whether a reader on another thread sees a batch whole or not at all while it is written.
  // KvStore::write does not promise it; RocksDB's unordered_write does not keep it.
  bool whole_batches_while_written = true;
};

// Names the implementation in gtest's failure messages instead of dumping the struct's bytes.
void PrintTo(const Implementation& implementation, std::ostream* out) {
  *out << implementation.name;
}

class KvStoreConformance : public ::testing::TestWithParam<Implementation> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_.path());
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override { store_.reset(); }

  void put(const Bytes& key, const Bytes& value, bool sync = false) {
    WriteBatch batch;
    batch.put(key, value);
    ASSERT_TRUE(store_->write(batch, sync).ok());
  }
  void erase(const Bytes& key) {
    WriteBatch batch;
    batch.erase(key);
    ASSERT_TRUE(store_->write(batch, /*sync=*/false).ok());
  }
  std::optional<Bytes> get(const Bytes& key) {
    auto result = store_->get(key);
    EXPECT_TRUE(result.ok()) << result.status().to_string();
    return result.ok() ? *result : std::nullopt;
  }
  std::vector<Bytes> scan_keys(const Bytes& prefix) {
    std::vector<Bytes> keys;
    Status s = store_->scan_prefix(prefix, [&](ByteView key, ByteView) {
      keys.emplace_back(key.begin(), key.end());
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.to_string();
    return keys;
  }

  test::TempDir dir_{"corridor_kv_store_test"};
  std::unique_ptr<KvStore> store_;
};

TEST_P(KvStoreConformance, PutGetErase) {
  put(b("alpha"), b("1"));
  EXPECT_EQ(get(b("alpha")), b("1"));
  put(b("alpha"), b("2"));
  EXPECT_EQ(get(b("alpha")), b("2"));
  erase(b("alpha"));
  EXPECT_EQ(get(b("alpha")), std::nullopt);
}

TEST_P(KvStoreConformance, AbsentKeyIsNullopt) {
  EXPECT_EQ(get(b("never-written")), std::nullopt);
  put(b("k"), b("v"));
  EXPECT_EQ(get(b("k2")), std::nullopt);
  EXPECT_EQ(get(b("")), std::nullopt);
  // Erasing a key that does not exist is not an error.
  erase(b("never-written"));
  EXPECT_EQ(get(b("never-written")), std::nullopt);
}

TEST_P(KvStoreConformance, EmptyValueIsPresent) {
  put(b("k"), Bytes{});
  EXPECT_EQ(get(b("k")), Bytes{});
}

TEST_P(KvStoreConformance, BatchAppliesEveryOperationInOrder) {
  put(b("old"), b("x"));
  WriteBatch batch;
  batch.put(b("a"), b("1"));
  batch.put(b("b"), b("1"));
  batch.erase(b("b"));  // A later erase wins over an earlier put of the same key.
  batch.erase(b("c"));
  batch.put(b("c"), b("3"));  // A later put wins over an earlier erase.
  batch.put(b("a"), b("2"));
  batch.erase(b("old"));
  ASSERT_TRUE(store_->write(batch, /*sync=*/true).ok());
  EXPECT_EQ(get(b("a")), b("2"));
  EXPECT_EQ(get(b("b")), std::nullopt);
  EXPECT_EQ(get(b("c")), b("3"));
  EXPECT_EQ(get(b("old")), std::nullopt);
}

// A batch large enough that the RocksDB store keeps its memtable position from key to key
// (kHintedBatchOpsMin), with keys in no order and each written several times: every key ends
// with the batch's last operation on it, whatever order the keys came in.
TEST_P(KvStoreConformance, LargeBatchInAnyKeyOrderAppliesTheLastOperationOnEachKey) {
  constexpr int keys = 200;
  constexpr int rounds = 3;
  std::mt19937_64 rng(11);
  std::vector<int> order(keys);
  for (int i = 0; i < keys; ++i) order[i] = i;
  WriteBatch batch;
  std::map<int, std::optional<std::string>> expected;
  for (int round = 0; round < rounds; ++round) {
    std::shuffle(order.begin(), order.end(), rng);
    for (int k : order) {
      const Bytes key = b("k" + std::to_string(k * 7919 % 1000));
      if (rng() % 4 == 0) {
        batch.erase(key);
        expected[k] = std::nullopt;
      } else {
        const std::string value = std::to_string(round) + ":" + std::to_string(rng() % 1000);
        batch.put(key, b(value));
        expected[k] = value;
      }
    }
  }
  ASSERT_TRUE(store_->write(batch, /*sync=*/false).ok());
  for (const auto& [k, value] : expected) {
    const Bytes key = b("k" + std::to_string(k * 7919 % 1000));
    EXPECT_EQ(get(key), value ? std::optional<Bytes>(b(*value)) : std::nullopt) << "key " << k;
  }
}

TEST_P(KvStoreConformance, EmptyBatchIsAccepted) {
  put(b("k"), b("v"));
  EXPECT_TRUE(store_->write(WriteBatch(), /*sync=*/false).ok());
  EXPECT_TRUE(store_->write(WriteBatch(), /*sync=*/true).ok());
  EXPECT_EQ(get(b("k")), b("v"));
}

// A reader running next to the writer must never see half of a batch: every scan sees all keys
// of the prefix with the value of one and the same batch.
TEST_P(KvStoreConformance, ConcurrentReaderNeverSeesPartOfABatch) {
  if (!GetParam().whole_batches_while_written)
    GTEST_SKIP() << "this store may show a batch in part while it is written";
  constexpr int kKeys = 32;
  constexpr int kRounds = 200;
  auto batch_for = [&](int round) { return round_batch("atomic/", kKeys, round); };
  ASSERT_TRUE(store_->write(batch_for(0), false).ok());

  std::atomic<bool> done{false};
  std::atomic<int> torn_scans{0};
  std::atomic<int> scans{0};
  std::thread reader([&] {
    while (!done.load()) {
      std::vector<Bytes> values;
      Status s = store_->scan_prefix(b("atomic/"), [&](ByteView, ByteView value) {
        values.emplace_back(value.begin(), value.end());
        return true;
      });
      if (!s.ok() || values.size() != kKeys ||
          std::adjacent_find(values.begin(), values.end(), std::not_equal_to<>()) != values.end()) {
        ++torn_scans;
      }
      ++scans;
    }
  });
  // On a loaded machine the reader may start late; writing only once it runs makes the two
  // overlap instead of the writer finishing first.
  while (scans.load() == 0) std::this_thread::yield();
  for (int round = 1; round <= kRounds; ++round)
    ASSERT_TRUE(store_->write(batch_for(round), /*sync=*/false).ok());
  done = true;
  reader.join();
  EXPECT_EQ(torn_scans.load(), 0);
  EXPECT_GT(scans.load(), 0);
  EXPECT_EQ(get(b("atomic/100")), b(std::to_string(kRounds)));
}

// What every store promises a reader on another thread: once it learns that a write returned,
// it sees all of that batch (the node's readers rely on it: ChainStore::readable).
TEST_P(KvStoreConformance, ReaderSeesAllOfEveryBatchWhoseWriteReturned) {
  constexpr int kKeys = 32;
  constexpr int kRounds = 200;
  auto batch_for = [&](int round) { return round_batch("returned/", kKeys, round); };
  ASSERT_TRUE(store_->write(batch_for(0), false).ok());
  std::atomic<int> returned{0};
  std::atomic<bool> done{false};
  std::atomic<int> stale_scans{0};
  std::atomic<int> scans{0};
  std::thread reader([&] {
    while (!done.load()) {
      const int floor = returned.load(std::memory_order_acquire);
      int seen = 0;
      Status s = store_->scan_prefix(b("returned/"), [&](ByteView, ByteView value) {
        ++seen;
        if (std::stoi(std::string(value.begin(), value.end())) < floor) ++stale_scans;
        return true;
      });
      if (!s.ok() || seen != kKeys) ++stale_scans;
      ++scans;
    }
  });
  while (scans.load() == 0) std::this_thread::yield();
  for (int round = 1; round <= kRounds; ++round) {
    ASSERT_TRUE(store_->write(batch_for(round), /*sync=*/false).ok());
    returned.store(round, std::memory_order_release);
  }
  done = true;
  reader.join();
  EXPECT_EQ(stale_scans.load(), 0);
  EXPECT_GT(scans.load(), 0);
}

TEST_P(KvStoreConformance, ScanIsInUnsignedBytewiseOrder) {
  // Written out of order; 0x80 and 0xff must sort after 0x7f (unsigned bytes, not signed char),
  // and a key sorts right after its own prefix.
  const std::vector<Bytes> sorted = {raw({}),           raw({0x00}),       raw({0x00, 0x00}),
                                     raw({0x00, 0x01}), raw({0x01}),       raw({0x7f}),
                                     raw({0x7f, 0x00}), raw({0x80}),       raw({0xfe, 0xff}),
                                     raw({0xff}),       raw({0xff, 0x00}), raw({0xff, 0xff})};
  std::vector<Bytes> shuffled = sorted;
  std::reverse(shuffled.begin(), shuffled.end());
  std::rotate(shuffled.begin(), shuffled.begin() + 5, shuffled.end());
  for (const Bytes& key : shuffled) put(key, b("v"));
  EXPECT_EQ(scan_keys(Bytes{}), sorted);
}

TEST_P(KvStoreConformance, ScanStaysWithinPrefix) {
  for (const char* key : {"a", "aa", "ab", "abc", "abd", "ac", "b", "ab/", "aba"})
    put(b(key), b(key));
  put(raw({'a', 'b', 0x00}), b("zero"));
  put(raw({'a', 'b', 0xff}), b("ff"));
  EXPECT_EQ(scan_keys(b("ab")),
            (std::vector<Bytes>{b("ab"), raw({'a', 'b', 0x00}), b("ab/"), b("aba"), b("abc"),
                                b("abd"), raw({'a', 'b', 0xff})}));
  EXPECT_EQ(scan_keys(b("abc")), (std::vector<Bytes>{b("abc")}));
  EXPECT_EQ(scan_keys(b("b")), (std::vector<Bytes>{b("b")}));
  EXPECT_TRUE(scan_keys(b("abz")).empty());
  EXPECT_TRUE(scan_keys(b("c")).empty());
  EXPECT_TRUE(scan_keys(b("0")).empty());
}

TEST_P(KvStoreConformance, ScanWithPrefixEndingInFfBytes) {
  const std::vector<Bytes> keys = {raw({0x01, 0xfe, 0xff}),
                                   raw({0x01, 0xff}),
                                   raw({0x01, 0xff, 0x00}),
                                   raw({0x01, 0xff, 0xff}),
                                   raw({0x01, 0xff, 0xff, 0x07}),
                                   raw({0x02}),
                                   raw({0x02, 0x00}),
                                   raw({0xff, 0xfe}),
                                   raw({0xff, 0xff}),
                                   raw({0xff, 0xff, 0x00}),
                                   raw({0xff, 0xff, 0xff, 0xff})};
  for (const Bytes& key : keys) put(key, b("v"));

  // The upper bound of {0x01, 0xff} is {0x02}, which must itself be excluded.
  EXPECT_EQ(scan_keys(raw({0x01, 0xff})),
            (std::vector<Bytes>{raw({0x01, 0xff}), raw({0x01, 0xff, 0x00}), raw({0x01, 0xff, 0xff}),
                                raw({0x01, 0xff, 0xff, 0x07})}));
  EXPECT_EQ(scan_keys(raw({0x01, 0xff, 0xff})),
            (std::vector<Bytes>{raw({0x01, 0xff, 0xff}), raw({0x01, 0xff, 0xff, 0x07})}));
  // An all-0xff prefix has no upper bound: the scan runs to the end of the key space.
  EXPECT_EQ(scan_keys(raw({0xff, 0xff})),
            (std::vector<Bytes>{raw({0xff, 0xff}), raw({0xff, 0xff, 0x00}),
                                raw({0xff, 0xff, 0xff, 0xff})}));
  EXPECT_EQ(scan_keys(raw({0xff})),
            (std::vector<Bytes>{raw({0xff, 0xfe}), raw({0xff, 0xff}), raw({0xff, 0xff, 0x00}),
                                raw({0xff, 0xff, 0xff, 0xff})}));
}

TEST_P(KvStoreConformance, EmptyPrefixVisitsEverything) {
  EXPECT_TRUE(scan_keys(Bytes{}).empty());
  put(b("z"), b("1"));
  put(b("a"), b("2"));
  put(raw({0xff}), b("3"));
  erase(b("z"));
  EXPECT_EQ(scan_keys(Bytes{}), (std::vector<Bytes>{b("a"), raw({0xff})}));
}

TEST_P(KvStoreConformance, ScanPassesValues) {
  put(b("p/1"), b("one"));
  put(b("p/2"), b("two"));
  std::vector<std::pair<Bytes, Bytes>> seen;
  ASSERT_TRUE(store_
                  ->scan_prefix(b("p/"),
                                [&](ByteView key, ByteView value) {
                                  seen.emplace_back(Bytes(key.begin(), key.end()),
                                                    Bytes(value.begin(), value.end()));
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(seen,
            (std::vector<std::pair<Bytes, Bytes>>{{b("p/1"), b("one")}, {b("p/2"), b("two")}}));
}

TEST_P(KvStoreConformance, VisitorStopsEarly) {
  for (int i = 0; i < 10; ++i) put(b("k" + std::to_string(i)), b("v"));
  std::vector<Bytes> seen;
  ASSERT_TRUE(store_
                  ->scan_prefix(b("k"),
                                [&](ByteView key, ByteView) {
                                  seen.emplace_back(key.begin(), key.end());
                                  return seen.size() < 3;
                                })
                  .ok());
  EXPECT_EQ(seen, (std::vector<Bytes>{b("k0"), b("k1"), b("k2")}));
}

// A scan sees the store as it was when the scan began, and its visitor may use the store.
TEST_P(KvStoreConformance, VisitorMayWriteWithoutAffectingTheScan) {
  for (int i = 0; i < 5; ++i) put(b("s/" + std::to_string(i)), b("v"));
  int visited = 0;
  ASSERT_TRUE(store_
                  ->scan_prefix(b("s/"),
                                [&](ByteView key, ByteView) {
                                  ++visited;
                                  WriteBatch batch;
                                  Bytes added(key.begin(), key.end());
                                  added.push_back('x');
                                  batch.put(added, b("new"));
                                  batch.erase(b("s/4"));
                                  EXPECT_TRUE(store_->write(batch, false).ok());
                                  EXPECT_TRUE(store_->get(key).ok());
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(visited, 5);
  EXPECT_EQ(get(b("s/4")), std::nullopt);
  EXPECT_EQ(get(b("s/0x")), b("new"));
}

TEST_P(KvStoreConformance, LargeValues) {
  Bytes large(kLargeValueBytes);
  for (size_t i = 0; i < large.size(); ++i) large[i] = static_cast<uint8_t>((i * 131) >> 3);
  Bytes other = large;
  std::reverse(other.begin(), other.end());
  WriteBatch batch;
  batch.put(b("large/1"), large);
  batch.put(b("large/2"), other);
  ASSERT_TRUE(store_->write(batch, /*sync=*/true).ok());
  EXPECT_EQ(get(b("large/1")), large);
  EXPECT_EQ(get(b("large/2")), other);
  size_t total_bytes = 0;
  ASSERT_TRUE(store_
                  ->scan_prefix(b("large/"),
                                [&](ByteView, ByteView value) {
                                  total_bytes += value.size();
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(total_bytes, 2 * kLargeValueBytes);
}

TEST_P(KvStoreConformance, BinaryKeysWithZeroBytes) {
  const Bytes zero = raw({0x00});
  const Bytes two_zeros = raw({0x00, 0x00});
  const Bytes inner_zero = raw({'a', 0x00, 'b'});
  const Bytes truncated = raw({'a'});
  put(zero, b("zero"));
  put(two_zeros, b("two zeros"));
  put(inner_zero, b("inner"));
  put(truncated, b("a"));
  put(Bytes{}, b("empty key"));
  EXPECT_EQ(get(zero), b("zero"));
  EXPECT_EQ(get(two_zeros), b("two zeros"));
  EXPECT_EQ(get(inner_zero), b("inner"));
  EXPECT_EQ(get(truncated), b("a"));
  EXPECT_EQ(get(Bytes{}), b("empty key"));
  EXPECT_EQ(get(raw({'a', 0x00})), std::nullopt);
  EXPECT_EQ(scan_keys(raw({0x00})), (std::vector<Bytes>{zero, two_zeros}));
  EXPECT_EQ(scan_keys(raw({'a', 0x00})), (std::vector<Bytes>{inner_zero}));
  erase(zero);
  EXPECT_EQ(get(zero), std::nullopt);
  EXPECT_EQ(get(two_zeros), b("two zeros"));
}

// --- Snapshots ---------------------------------------------------------------------------

std::vector<std::pair<Bytes, Bytes>> snapshot_range(const KvSnapshot& snapshot, const Bytes& start,
                                                    std::optional<Bytes> end,
                                                    size_t stop_after = SIZE_MAX) {
  std::vector<std::pair<Bytes, Bytes>> out;
  std::optional<ByteView> end_view;
  if (end) end_view = ByteView(*end);
  Status s = snapshot.scan_range(start, end_view, [&](ByteView key, ByteView value) {
    out.emplace_back(Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end()));
    return out.size() < stop_after;
  });
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

TEST_P(KvStoreConformance, SnapshotDoesNotSeeLaterWritesOrDeletes) {
  put(b("a"), b("1"));
  put(b("b"), b("1"));
  put(b("c"), b("1"), /*sync=*/true);
  auto taken = store_->snapshot();
  ASSERT_TRUE(taken.ok()) << taken.status().to_string();
  std::shared_ptr<const KvSnapshot> snap = *taken;
  put(b("a"), b("2"));
  erase(b("b"));
  put(b("d"), b("2"));
  // The store moves on; the snapshot does not.
  EXPECT_EQ(get(b("a")), b("2"));
  EXPECT_EQ(get(b("b")), std::nullopt);
  EXPECT_EQ(snap->get(b("a")).value(), b("1"));
  EXPECT_EQ(snap->get(b("b")).value(), b("1"));
  EXPECT_EQ(snap->get(b("d")).value(), std::nullopt);
  const std::vector<std::pair<Bytes, Bytes>> before = {
      {b("a"), b("1")}, {b("b"), b("1")}, {b("c"), b("1")}};
  EXPECT_EQ(snapshot_range(*snap, {}, std::nullopt), before);
  // Writes made while a scan runs (from its own visitor) are not seen either.
  size_t visited = 0;
  Status s = snap->scan_range({}, std::nullopt, [&](ByteView, ByteView) {
    WriteBatch batch;
    batch.put(b("b0"), b("new"));
    batch.erase(b("c"));
    EXPECT_TRUE(store_->write(batch, /*sync=*/false).ok());
    ++visited;
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.to_string();
  EXPECT_EQ(visited, 3u);
  // A second snapshot sees the store as it is now, and the first still as it was.
  auto later = store_->snapshot();
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(snapshot_range(**later, {}, std::nullopt),
            (std::vector<std::pair<Bytes, Bytes>>{
                {b("a"), b("2")}, {b("b0"), b("new")}, {b("d"), b("2")}}));
  EXPECT_EQ(snapshot_range(*snap, {}, std::nullopt), before);
}

TEST_P(KvStoreConformance, SnapshotRangesAreHalfOpenAndTheVisitorCanStop) {
  // First bytes on both sides of the sequential prefixes ('B' and 'O') of the implementation
  // that has a second column family, so that ranges merge the families.
  const std::vector<Bytes> keys = {b("A1"),          b("B1"), b("B2"), b("C"),
                                   raw({'C', 0x00}), b("O1"), b("P"),  raw({0xff, 0xff})};
  for (const Bytes& k : keys) put(k, k);
  auto snap = store_->snapshot();
  ASSERT_TRUE(snap.ok());
  auto range_keys = [&](const Bytes& start, std::optional<Bytes> end, size_t stop = SIZE_MAX) {
    std::vector<Bytes> out;
    for (auto& [k, v] : snapshot_range(**snap, start, std::move(end), stop)) {
      EXPECT_EQ(k, v);
      out.push_back(k);
    }
    return out;
  };
  EXPECT_EQ(range_keys({}, std::nullopt), keys);
  // Start inclusive, end exclusive.
  EXPECT_EQ(range_keys(b("B1"), b("C")), (std::vector<Bytes>{b("B1"), b("B2")}));
  EXPECT_EQ(range_keys(b("B1"), raw({'C', 0x00})), (std::vector<Bytes>{b("B1"), b("B2"), b("C")}));
  // Bounds between keys, and across the families.
  EXPECT_EQ(range_keys(b("A2"), b("O2")),
            (std::vector<Bytes>{b("B1"), b("B2"), b("C"), raw({'C', 0x00}), b("O1")}));
  EXPECT_EQ(range_keys(b("O"), std::nullopt),
            (std::vector<Bytes>{b("O1"), b("P"), raw({0xff, 0xff})}));
  // Empty ranges.
  EXPECT_TRUE(range_keys(b("B3"), b("C")).empty());
  EXPECT_TRUE(range_keys(b("C"), b("C")).empty());
  EXPECT_TRUE(range_keys(raw({0xff, 0xff, 0x00}), std::nullopt).empty());
  // The visitor stops the scan.
  EXPECT_EQ(range_keys(b("B"), std::nullopt, 2), (std::vector<Bytes>{b("B1"), b("B2")}));
  EXPECT_EQ(range_keys({}, std::nullopt, 1), (std::vector<Bytes>{b("A1")}));
  // Point reads route like the store's.
  for (const Bytes& k : keys) EXPECT_EQ((*snap)->get(k).value(), k);
  EXPECT_EQ((*snap)->get(b("B")).value(), std::nullopt);
}

TEST_P(KvStoreConformance, SnapshotStaysValidThroughLaterWritesAndTheStoresEnd) {
  // Values large enough that the later writes flush the small memtable of the RocksDB test
  // store to files and compact them: the snapshot must keep the versions it sees.
  const Bytes large(kLargeValueBytes / 4, 0x5a);
  for (int i = 0; i < 8; ++i) put(b("k" + std::to_string(i)), large);
  auto first = store_->snapshot();
  ASSERT_TRUE(first.ok());
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 8; ++i) {
      if (i % 2 == 0)
        put(b("k" + std::to_string(i)), Bytes(kLargeValueBytes / 4, static_cast<uint8_t>(round)));
      else
        erase(b("k" + std::to_string(i)));
    }
    // Snapshots taken and dropped in between, in another order than taken.
    auto a = store_->snapshot();
    auto c = store_->snapshot();
    ASSERT_TRUE(a.ok() && c.ok());
    a->reset();  // c goes at the end of the round, after a.
  }
  ASSERT_TRUE(store_->write(WriteBatch(), /*sync=*/true).ok());
  const auto seen = snapshot_range(**first, b("k"), b("l"));
  ASSERT_EQ(seen.size(), 8u);
  for (const auto& [k, v] : seen) EXPECT_EQ(v, large) << std::string(k.begin(), k.end());
  // Shared between threads: concurrent reads of one snapshot agree.
  std::atomic<int> agreeing{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&] {
      if (snapshot_range(**first, {}, std::nullopt).size() == 8) ++agreeing;
    });
  for (auto& r : readers) r.join();
  EXPECT_EQ(agreeing.load(), 4);
  // The store goes while the snapshot is still held: its reads then either answer as before
  // (a copy) or fail cleanly, and dropping it afterwards is safe.
  std::shared_ptr<const KvSnapshot> held = *first;
  store_.reset();
  auto after = held->get(b("k0"));
  if (after.ok()) {
    EXPECT_EQ(*after, large);
  } else {
    EXPECT_EQ(after.status().code(), StatusCode::failed_precondition);
  }
  Status scanned = held->scan_range({}, std::nullopt, [](ByteView, ByteView) { return true; });
  if (!scanned.ok()) {
    EXPECT_EQ(scanned.code(), StatusCode::failed_precondition);
  }
  held.reset();
}

// A RocksDB store in dir with `options`, and a small memtable, so that the larger tests flush to
// SST files and reads cover both.
std::unique_ptr<KvStore> open_rocksdb_in(const std::string& dir, RocksDbOptions options) {
  options.write_buffer_bytes = size_t{1} << 20;
  auto store = open_rocksdb_store(dir + "/db", options);
  EXPECT_TRUE(store.ok()) << store.status().to_string();
  return store.ok() ? std::move(store).value() : nullptr;
}

RocksDbOptions with_sequential_prefixes(RocksDbOptions options = {}) {
  options.sequential_prefixes = {'B', 'O'};
  return options;
}

const Implementation kImplementations[] = {
    {"Mem",
     [](const std::string&) -> std::unique_ptr<KvStore> { return std::make_unique<MemKvStore>(); }},
    {"RocksDb", [](const std::string& dir) { return open_rocksdb_in(dir, RocksDbOptions{}); }},
    // With a second column family for two prefixes: every read and scan must look the same.
    {"RocksDbSequential",
     [](const std::string& dir) { return open_rocksdb_in(dir, with_sequential_prefixes()); }},
    // As a node opens it: memtable inserts outside the write queue.
    {"RocksDbUnorderedWrite",
     [](const std::string& dir) {
       RocksDbOptions options = with_sequential_prefixes();
       options.unordered_write = true;
       return open_rocksdb_in(dir, options);
     },
     /*whole_batches_while_written=*/false},
};

INSTANTIATE_TEST_SUITE_P(AllStores, KvStoreConformance, ::testing::ValuesIn(kImplementations),
                         [](const ::testing::TestParamInfo<Implementation>& param_info) {
                           return param_info.param.name;
                         });

}  // namespace
}  // namespace corridor::storage
