// What only the RocksDB store has: files that outlive the process, a directory lock, and errors
// from the file system and from damaged files, all of which must come back as a Status.
#include "storage/rocksdb_kv_store.h"
#include "support/test_support.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace corridor::storage {
namespace {

Bytes b(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

std::unique_ptr<KvStore> open_or_fail(const std::string& path, const RocksDbOptions& options = {}) {
  auto store = open_rocksdb_store(path, options);
  EXPECT_TRUE(store.ok()) << store.status().to_string();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::optional<Bytes> get(const KvStore& store, const Bytes& key) {
  auto result = store.get(key);
  EXPECT_TRUE(result.ok()) << result.status().to_string();
  return result.ok() ? *result : std::nullopt;
}

std::string key_name(int i) {
  std::string s = std::to_string(i);
  return "key/" + std::string(6 - s.size(), '0') + s;
}

// Keys enough to go through several flushes of a 256 KiB memtable, and their values.
constexpr int kFlushedKeys = 3000;
Bytes flushed_value(int i) {
  constexpr size_t kValueBytes = 512;
  return Bytes(kValueBytes, static_cast<uint8_t>(i % 251));
}

// Writes kFlushedKeys keys in batches of 100 into a new store at path, closes it, and returns
// how many SST files the flushes left there.
size_t write_flushed_keys(const std::string& path, const RocksDbOptions& options) {
  {
    auto store = open_or_fail(path, options);
    if (store == nullptr) return 0;
    for (int i = 0; i < kFlushedKeys; i += 100) {
      WriteBatch batch;
      for (int j = i; j < i + 100; ++j) batch.put(b(key_name(j)), flushed_value(j));
      EXPECT_TRUE(store->write(batch, /*sync=*/false).ok());
    }
    EXPECT_TRUE(store->write(WriteBatch(), /*sync=*/true).ok());
  }
  size_t sst_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path))
    if (entry.path().extension() == ".sst") ++sst_files;
  return sst_files;
}

class RocksDbKvStoreTest : public ::testing::Test {
 protected:
  std::string db_path() const { return dir_.path() + "/db"; }
  test::TempDir dir_{"corridor_rocksdb_test"};
};

TEST_F(RocksDbKvStoreTest, ReopenKeepsSyncedData) {
  {
    auto store = open_or_fail(db_path());
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    batch.put(b("a"), b("1"));
    batch.put(b("b"), b("2"));
    batch.put(b("c"), b("3"));
    ASSERT_TRUE(store->write(batch, /*sync=*/true).ok());
    WriteBatch erase;
    erase.erase(b("b"));
    ASSERT_TRUE(store->write(erase, /*sync=*/true).ok());
  }
  auto store = open_or_fail(db_path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(get(*store, b("a")), b("1"));
  EXPECT_EQ(get(*store, b("b")), std::nullopt);
  EXPECT_EQ(get(*store, b("c")), b("3"));
}

TEST_F(RocksDbKvStoreTest, CleanCloseKeepsUnsyncedWrites) {
  {
    auto store = open_or_fail(db_path());
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    batch.put(b("unsynced"), b("kept"));
    ASSERT_TRUE(store->write(batch, /*sync=*/false).ok());
  }
  auto store = open_or_fail(db_path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(get(*store, b("unsynced")), b("kept"));
}

// With a small memtable the data goes through flushes into compressed SST files with bloom
// filters; reads must find every key there, before and after a reopen.
TEST_F(RocksDbKvStoreTest, DataSurvivesFlushesAndReopen) {
  RocksDbOptions options;
  options.write_buffer_bytes = size_t{256} << 10;
  options.block_cache_bytes = size_t{1} << 20;
  EXPECT_GT(write_flushed_keys(db_path(), options), 0u)
      << "the test meant to exercise SST files but wrote none";

  auto store = open_or_fail(db_path(), options);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < kFlushedKeys; i += 37)
    EXPECT_EQ(get(*store, b(key_name(i))), flushed_value(i));
  EXPECT_EQ(get(*store, b("key/absent")), std::nullopt);
  int next = 0;
  bool in_order = true;
  ASSERT_TRUE(store
                  ->scan_prefix(b("key/"),
                                [&](ByteView key, ByteView value) {
                                  in_order =
                                      in_order &&
                                      Bytes(key.begin(), key.end()) == b(key_name(next)) &&
                                      Bytes(value.begin(), value.end()) == flushed_value(next);
                                  ++next;
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(next, kFlushedKeys);
  EXPECT_TRUE(in_order);
}

// The nice value of each of this process's threads named `name` (Linux: /proc/self/task).
std::vector<int> nice_of_threads_named(const std::string& name) {
  std::vector<int> nices;
  for (const std::string& dir : test::thread_dirs_named(name)) {
    // /proc/<tid>/stat: "tid (comm) state ..."; the nice value is field 19. The name may hold
    // spaces, so the fields are counted from the closing parenthesis.
    std::ifstream stat(dir + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    for (int i = 3; i < 19 && fields >> field; ++i) {
    }
    int nice = 0;
    if (fields >> nice) nices.push_back(nice);
  }
  return nices;
}

// A node's store paces its flushes and runs them at the lowest CPU priority; the data must go
// through those flushes as through any others, and the flushing thread must end up at nice 19.
TEST_F(RocksDbKvStoreTest, PacedLowPriorityFlushesKeepEveryKey) {
  RocksDbOptions options;
  options.write_buffer_bytes = size_t{256} << 10;
  options.background_low_priority = true;
  // About 1.5 MiB in all: a limit of 16 MiB/s holds the flushes back without slowing the test.
  options.background_write_bytes_per_s = uint64_t{16} << 20;
  options.write_buffers_max = 4;
  EXPECT_GT(write_flushed_keys(db_path(), options), 0u)
      << "the test meant to exercise flushes but wrote no SST file";
  // RocksDB lowers a pool's thread when it next picks up a job, so the flush thread, which ran
  // the flushes above, is lowered by now; its pool outlives the store.
  const std::vector<int> flush_threads = nice_of_threads_named("rocksdb:high");
  ASSERT_FALSE(flush_threads.empty()) << "no RocksDB flush thread found";
  for (int nice : flush_threads) EXPECT_EQ(nice, 19);

  auto store = open_or_fail(db_path(), options);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < kFlushedKeys; ++i)
    ASSERT_EQ(get(*store, b(key_name(i))), flushed_value(i)) << i;
}

// The backlog shows memtables waiting for a flush while writes outrun paced flushes, and
// clears once the flushes have caught up.
TEST_F(RocksDbKvStoreTest, BacklogShowsUnflushedMemtablesUntilFlushesCatchUp) {
  RocksDbOptions options;
  options.write_buffer_bytes = size_t{64} << 10;
  options.write_buffers_max = 4;
  // A 64 KiB memtable takes about 60 ms to flush at 1 MiB/s, and far less than that to fill.
  options.background_write_bytes_per_s = uint64_t{1} << 20;
  auto store = open_or_fail(db_path(), options);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->backlog().settled());
  EXPECT_EQ(store->backlog().memtables_unflushed, 0u);

  bool seen_unflushed = false;
  for (int i = 0; i < 1'000; i += 100) {
    WriteBatch batch;
    for (int j = i; j < i + 100; ++j) batch.put(b(key_name(j)), flushed_value(j));
    ASSERT_TRUE(store->write(batch, /*sync=*/false).ok());
    const StoreBacklog backlog = store->backlog();
    if (backlog.memtables_unflushed > 0) {
      seen_unflushed = true;
      EXPECT_FALSE(backlog.settled());
    }
  }
  EXPECT_TRUE(seen_unflushed) << "writes of about 500 KiB never left a memtable to flush";

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!store->backlog().settled() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const StoreBacklog after = store->backlog();
  EXPECT_TRUE(after.settled());
  EXPECT_EQ(after.memtables_unflushed, 0u);
  EXPECT_FALSE(after.writes_stopped);
  for (int i = 0; i < 1'000; ++i) ASSERT_EQ(get(*store, b(key_name(i))), flushed_value(i)) << i;
}

TEST_F(RocksDbKvStoreTest, OpeningARegularFileFails) {
  const std::string file_path = dir_.path() + "/not_a_directory";
  std::ofstream(file_path) << "plain file";
  auto store = open_rocksdb_store(file_path, RocksDbOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(file_path), std::string::npos)
      << store.status().to_string();
  // The file is left alone.
  std::ifstream in(file_path);
  std::string contents;
  std::getline(in, contents);
  EXPECT_EQ(contents, "plain file");
}

TEST_F(RocksDbKvStoreTest, SecondOpenOfOneDirectoryFailsUntilTheFirstCloses) {
  auto first = open_or_fail(db_path());
  ASSERT_NE(first, nullptr);
  auto second = open_rocksdb_store(db_path(), RocksDbOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::io_error);
  const std::string& message = second.status().message();
  EXPECT_NE(message.find(db_path()), std::string::npos) << message;
  EXPECT_NE(message.find("LOCK"), std::string::npos) << message;
  EXPECT_NE(message.find("already open"), std::string::npos) << message;

  first.reset();
  EXPECT_NE(open_or_fail(db_path()), nullptr);
}

TEST_F(RocksDbKvStoreTest, CreatesMissingParentDirectories) {
  const std::string nested = dir_.path() + "/data/network/db";
  {
    auto store = open_or_fail(nested);
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    batch.put(b("a"), b("1"));
    ASSERT_TRUE(store->write(batch, /*sync=*/true).ok());
  }
  auto store = open_or_fail(nested);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(get(*store, b("a")), b("1"));
}

TEST_F(RocksDbKvStoreTest, ParentThatIsARegularFileFails) {
  const std::string file_path = dir_.path() + "/file";
  std::ofstream(file_path) << "plain file";
  auto store = open_rocksdb_store(file_path + "/below/db", RocksDbOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::io_error);
  EXPECT_NE(store.status().message().find(file_path), std::string::npos)
      << store.status().to_string();
}

TEST_F(RocksDbKvStoreTest, MissingDatabaseWithoutCreateFails) {
  RocksDbOptions options;
  options.create_if_missing = false;
  auto store = open_rocksdb_store(db_path(), options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::not_found);
  EXPECT_NE(store.status().message().find(db_path()), std::string::npos)
      << store.status().to_string();
  EXPECT_FALSE(std::filesystem::exists(db_path()));

  // An existing directory without a database in it is not a database either.
  std::filesystem::create_directory(db_path());
  auto in_empty_dir = open_rocksdb_store(db_path(), options);
  ASSERT_FALSE(in_empty_dir.ok());
  EXPECT_NE(in_empty_dir.status().message().find(db_path()), std::string::npos)
      << in_empty_dir.status().to_string();
  EXPECT_FALSE(std::filesystem::exists(db_path() + "/CURRENT"));
}

TEST_F(RocksDbKvStoreTest, EmptyPathIsInvalidArgument) {
  auto store = open_rocksdb_store("", RocksDbOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::invalid_argument);
}

TEST_F(RocksDbKvStoreTest, FewerThanTwoWriteBuffersIsInvalidArgumentAndCreatesNothing) {
  RocksDbOptions options;
  options.write_buffers_max = 1;
  auto store = open_rocksdb_store(db_path(), options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::invalid_argument);
  EXPECT_NE(store.status().message().find("write_buffers_max"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(db_path()));
}

// Each sequential prefix is a column family of its own, and families are bounded.
TEST_F(RocksDbKvStoreTest, TooManySequentialPrefixesIsInvalidArgumentAndCreatesNothing) {
  RocksDbOptions options;
  for (int p = 'A'; p < 'A' + 64; ++p) options.sequential_prefixes.push_back(uint8_t(p));
  auto store = open_rocksdb_store(db_path(), options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::invalid_argument);
  EXPECT_NE(store.status().message().find("sequential prefixes"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(db_path()));
  options.sequential_prefixes.pop_back();
  EXPECT_NE(open_or_fail(db_path(), options), nullptr);
}

TEST_F(RocksDbKvStoreTest, DamagedManifestPointerIsCorruption) {
  {
    auto store = open_or_fail(db_path());
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    batch.put(b("a"), b("1"));
    ASSERT_TRUE(store->write(batch, /*sync=*/true).ok());
  }
  // CURRENT names the live MANIFEST and must end with a newline; this one does not.
  std::ofstream(db_path() + "/CURRENT", std::ios::trunc) << "garbage";
  auto store = open_rocksdb_store(db_path(), RocksDbOptions());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::corruption) << store.status().to_string();
  EXPECT_NE(store.status().message().find(db_path()), std::string::npos);
}

std::vector<std::pair<Bytes, Bytes>> scan(const KvStore& store, std::string_view prefix) {
  std::vector<std::pair<Bytes, Bytes>> out;
  Status st = store.scan_prefix(b(prefix), [&](ByteView k, ByteView v) {
    out.emplace_back(Bytes(k.begin(), k.end()), Bytes(v.begin(), v.end()));
    return true;
  });
  EXPECT_TRUE(st.ok()) << st.to_string();
  return out;
}

// Keys of the sequential prefixes live in a column family of their own, invisibly: reads,
// writes, deletes and scans (the empty prefix merging both families in key order) behave as
// with one family, in one atomic batch, and the routing survives a reopen that does not ask
// for it.
TEST_F(RocksDbKvStoreTest, SequentialPrefixesAreKeptApartInvisibly) {
  RocksDbOptions options;
  options.sequential_prefixes = {'B', 'O'};
  const std::vector<std::pair<Bytes, Bytes>> all = {{b("A1"), b("a")},  {b("B1"), b("b1")},
                                                    {b("B2"), b("b2")}, {b("C1"), b("c")},
                                                    {b("O1"), b("o")},  {b("P1"), b("p")}};
  {
    auto store = open_or_fail(db_path(), options);
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    for (const auto& [k, v] : all) batch.put(k, v);
    batch.put(b("B3"), b("gone"));
    ASSERT_TRUE(store->write(batch, /*sync=*/true).ok());
    WriteBatch erase;
    erase.erase(b("B3"));
    ASSERT_TRUE(store->write(erase, /*sync=*/true).ok());
    EXPECT_EQ(get(*store, b("B2")), b("b2"));
    EXPECT_EQ(get(*store, b("B3")), std::nullopt);
    EXPECT_EQ(scan(*store, ""), all);
    EXPECT_EQ(scan(*store, "B"), (std::vector<std::pair<Bytes, Bytes>>{all[1], all[2]}));
    EXPECT_EQ(scan(*store, "C"), (std::vector<std::pair<Bytes, Bytes>>{all[3]}));
  }
  // Reopened without the option: the database's own routing still applies.
  auto store = open_or_fail(db_path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(get(*store, b("B1")), b("b1"));
  EXPECT_EQ(get(*store, b("O1")), b("o"));
  EXPECT_EQ(scan(*store, ""), all);
  EXPECT_EQ(scan(*store, "O"), (std::vector<std::pair<Bytes, Bytes>>{all[4]}));
}

// A database created with one family keeps it: asking for sequential prefixes later must not
// hide the keys already written under them.
TEST_F(RocksDbKvStoreTest, AnExistingSingleFamilyDatabaseKeepsItsLayout) {
  {
    auto store = open_or_fail(db_path());
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    batch.put(b("B1"), b("old"));
    ASSERT_TRUE(store->write(batch, /*sync=*/true).ok());
  }
  RocksDbOptions options;
  options.sequential_prefixes = {'B'};
  auto store = open_or_fail(db_path(), options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(get(*store, b("B1")), b("old"));
  WriteBatch batch;
  batch.put(b("B2"), b("new"));
  ASSERT_TRUE(store->write(batch, /*sync=*/true).ok());
  EXPECT_EQ(scan(*store, "B").size(), 2u);
}

// The SST files in a database directory, by name.
std::set<std::string> sst_files(const std::string& path) {
  std::set<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(path))
    if (entry.path().extension() == ".sst") out.insert(entry.path().filename().string());
  return out;
}

// A block's worth of random bytes, which compression leaves about their size, so that files
// hold about a memtable's worth.
Bytes block_like(std::mt19937_64& rng) {
  Bytes block(2'000);
  for (auto& byte : block) byte = static_cast<uint8_t>(rng());
  return block;
}

Bytes height_key(char prefix, uint64_t height) {
  Bytes k{static_cast<uint8_t>(prefix)};
  for (int shift = 56; shift >= 0; shift -= 8) k.push_back(static_cast<uint8_t>(height >> shift));
  return k;
}

// Records written once per height in height order, as a node writes its blocks and results,
// are flushed to files that move down the levels and are never rewritten: not merged with each
// other (each prefix has a family of its own, so the files of one never span another's), and
// not rewritten at the bottommost level to clear their sequence numbers once the snapshots
// that needed them are released (the family's sentinel keys at the last level). A rewrite
// would delete the files it read, so every SST file seen while writing must still be there.
TEST_F(RocksDbKvStoreTest, HeightOrderedFilesMoveDownWithoutBeingRewritten) {
  RocksDbOptions options;
  options.sequential_prefixes = {'B', 'O'};
  options.write_buffer_bytes = size_t{64} << 10;
  constexpr uint64_t heights = 1'500;
  std::set<std::string> seen;
  auto store = open_or_fail(db_path(), options);
  ASSERT_NE(store, nullptr);
  std::mt19937_64 rng(3);
  auto write_height = [&](uint64_t h) {
    WriteBatch batch;
    batch.put(height_key('B', h), block_like(rng));
    batch.put(height_key('O', h), Bytes(100, static_cast<uint8_t>(h)));
    ASSERT_TRUE(store->write(batch, /*sync=*/false).ok());
    const auto now = sst_files(db_path());
    seen.insert(now.begin(), now.end());
  };
  for (uint64_t h = 1; h <= heights; ++h) write_height(h);
  // A snapshot released after later writes lets RocksDB zero the sequence numbers of every
  // file older than it, which it would do by rewriting bottommost files.
  {
    auto snapshot = store->snapshot();
    ASSERT_TRUE(snapshot.ok()) << snapshot.status().to_string();
    write_height(heights + 1);
  }
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    const auto now = sst_files(db_path());
    seen.insert(now.begin(), now.end());
  }
  // About 3 MB of blocks through 64 KiB memtables: dozens of flushes, and L0 reached its
  // compaction trigger (4 files) many times over.
  EXPECT_GE(seen.size(), 20u) << "the test meant to exercise flushes and compactions";
  const auto left = sst_files(db_path());
  for (const std::string& file : seen) EXPECT_TRUE(left.contains(file)) << file << " was rewritten";
  for (uint64_t h : {uint64_t{1}, heights / 2, heights + 1}) {
    EXPECT_TRUE(get(*store, height_key('B', h)).has_value()) << h;
    EXPECT_EQ(get(*store, height_key('O', h)), Bytes(100, static_cast<uint8_t>(h))) << h;
  }
  // The sentinels are nobody's keys.
  std::vector<Bytes> keys;
  ASSERT_TRUE(store
                  ->scan_prefix({},
                                [&](ByteView k, ByteView) {
                                  keys.emplace_back(k.begin(), k.end());
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(keys.size(), 2 * (heights + 1));
  EXPECT_EQ(keys.front(), height_key('B', 1));
  EXPECT_EQ(keys.back(), height_key('O', heights + 1));
}

// A family written once and then left alone (a node's head record beside its blocks) would keep
// every write-ahead log file since, and a restart would replay them all; past wal_bytes_max
// RocksDB flushes it so that the old files can go.
TEST_F(RocksDbKvStoreTest, TheWriteAheadLogStaysWithinItsBound) {
  RocksDbOptions options;
  options.sequential_prefixes = {'B'};
  options.write_buffer_bytes = size_t{256} << 10;
  options.wal_bytes_max = size_t{1} << 20;
  auto store = open_or_fail(db_path(), options);
  ASSERT_NE(store, nullptr);
  WriteBatch head;
  head.put(b("H"), b("written once"));
  ASSERT_TRUE(store->write(head, /*sync=*/false).ok());
  std::mt19937_64 rng(5);
  uintmax_t log_bytes_max = 0;
  for (uint64_t h = 1; h <= 4'000; ++h) {
    WriteBatch batch;
    batch.put(height_key('B', h), block_like(rng));
    ASSERT_TRUE(store->write(batch, /*sync=*/false).ok());
    uintmax_t log_bytes = 0;
    for (const auto& entry : std::filesystem::directory_iterator(db_path())) {
      // A log file may be deleted between the listing and its size: it then counts nothing.
      std::error_code gone;
      const uintmax_t size = entry.file_size(gone);
      if (entry.path().extension() == ".log" && !gone) log_bytes += size;
    }
    log_bytes_max = std::max(log_bytes_max, log_bytes);
  }
  // 8 MB of blocks went through the log; the bound, a memtable being filled and one being
  // flushed may be alive at once.
  EXPECT_LE(log_bytes_max, options.wal_bytes_max + 4 * options.write_buffer_bytes);
  EXPECT_EQ(get(*store, b("H")), b("written once"));
}

// A database of an older version holds every sequential prefix in one family, named by all of
// them: it opens with that routing, whatever the open asks for.
TEST_F(RocksDbKvStoreTest, AnOlderSharedSequentialFamilyKeepsItsRouting) {
  {
    rocksdb::Options raw_options;
    raw_options.create_if_missing = true;
    raw_options.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {"sequential-424f", rocksdb::ColumnFamilyOptions()}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(raw_options, db_path(), descriptors, &handles, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[0], "A1", "a").ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[1], "B1", "b").ok());
    for (auto* handle : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
    ASSERT_TRUE(db->Close().ok());
  }
  RocksDbOptions options;
  options.sequential_prefixes = {'B', 'O'};
  const std::vector<std::pair<Bytes, Bytes>> all = {
      {b("A1"), b("a")}, {b("B1"), b("b")}, {b("O1"), b("o")}};
  {
    auto store = open_or_fail(db_path(), options);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(get(*store, b("B1")), b("b"));
    WriteBatch batch;
    batch.put(b("O1"), b("o"));
    ASSERT_TRUE(store->write(batch, /*sync=*/true).ok());
    EXPECT_EQ(scan(*store, ""), all);
  }
  auto store = open_or_fail(db_path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(scan(*store, ""), all);
  EXPECT_EQ(scan(*store, "O"), (std::vector<std::pair<Bytes, Bytes>>{all[2]}));
}

}  // namespace
}  // namespace corridor::storage
