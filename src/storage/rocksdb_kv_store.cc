#include "storage/rocksdb_kv_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/rate_limiter.h>
#include <rocksdb/slice.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/status.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <utility>

#include "base/assert.h"

namespace corridor::storage {
namespace {

// Ten bits per key give a bloom filter false-positive rate of about 1%, RocksDB's usual choice:
// point reads of absent keys (replay checks, missing accounts) then rarely touch a data block.
constexpr double kBloomBitsPerKey = 10.0;
// RocksDB writes its informational LOG next to the data; keeping a few old ones bounds the disk
// they use on a long-running validator.
constexpr size_t kKeptInfoLogFiles = 5;
// A batch of at least this many operations is inserted into the memtables with a position
// kept from key to key (RocksDB's memtable_insert_hint_per_batch); a smaller one gains too
// little to be worth the table of positions the write builds.
constexpr size_t kHintedBatchOpsMin = 64;
// The background write limit is granted in slices this often. RocksDB's default, 100 ms, lets
// a flush write a tenth of a second's allowance in one burst; 10 ms spreads it as evenly as
// the synced writes behind it need.
constexpr int64_t kRateLimiterRefillUs = 10'000;

rocksdb::Slice to_slice(ByteView bytes) {
  // An empty span may carry a null pointer, which RocksDB passes on to memcmp; an empty Slice
  // points at a static empty string instead.
  if (bytes.empty()) return rocksdb::Slice();
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

ByteView to_view(const rocksdb::Slice& slice) {
  return {reinterpret_cast<const uint8_t*>(slice.data()), slice.size()};
}

// Maps a RocksDB status onto ours. The message names the operation and the database path, so a
// log line says which store failed and doing what, not just "IO error".
Status from_rocksdb(const rocksdb::Status& s, const std::string& operation,
                    const std::string& path) {
  std::string message = "rocksdb " + operation + " at '" + path + "': " + s.ToString();
  switch (s.code()) {
    case rocksdb::Status::kOk:
      return Status::ok_status();
    case rocksdb::Status::kNotFound:
      return not_found(std::move(message));
    case rocksdb::Status::kCorruption:
      return corruption(std::move(message));
    case rocksdb::Status::kInvalidArgument:
      return invalid_argument(std::move(message));
    case rocksdb::Status::kNotSupported:
      return failed_precondition(std::move(message));
    case rocksdb::Status::kShutdownInProgress:
    case rocksdb::Status::kTimedOut:
    case rocksdb::Status::kAborted:
    case rocksdb::Status::kBusy:
    case rocksdb::Status::kTryAgain:
      return Status(StatusCode::unavailable, std::move(message));
    default:
      // kIOError, and the codes that only transactions, merges or compactions produce: none of
      // the latter is expected from the plain operations used here, so all count as I/O errors.
      return io_error(std::move(message));
  }
}

// The smallest key greater than every key that starts with prefix, or nullopt when there is none
// (the prefix is empty or all 0xff bytes). Trailing 0xff bytes cannot be incremented, so they
// are dropped before the last remaining byte is.
std::optional<std::string> prefix_upper_bound(ByteView prefix) {
  std::string bound(prefix.begin(), prefix.end());
  while (!bound.empty() && static_cast<uint8_t>(bound.back()) == 0xff) bound.pop_back();
  if (bound.empty()) return std::nullopt;
  bound.back() = static_cast<char>(static_cast<uint8_t>(bound.back()) + 1);
  return bound;
}

// Which column family holds a key: the family of its first byte's sequential prefix, or the
// default family (index 0) for every other key, the empty key among them.
struct Routing {
  std::array<uint8_t, 256> family{};
  size_t index_of(ByteView key) const { return key.empty() ? 0 : family[key[0]]; }
  size_t index_of(const rocksdb::Slice& key) const { return index_of(to_view(key)); }
};

// Visits the entries of several iterators, each positioned at its first key and ascending, merged
// in key order, while in_range holds and the visitor asks for more. Column families are separate
// key spaces in RocksDB, so a scan that may span several merges one iterator per family;
// `families[i]` is the family iterator i reads. A key its family does not own (a sentinel,
// open_rocksdb_store) is skipped: readers see only what they wrote.
Status visit_merged(const std::vector<std::unique_ptr<rocksdb::Iterator>>& its,
                    const std::vector<size_t>& families, const Routing& routing,
                    const std::function<bool(const rocksdb::Slice&)>& in_range,
                    const ScanVisitor& visit, const std::string& path) {
  CORRIDOR_ASSERT(its.size() == families.size());
  auto skip_foreign = [&](size_t i) {
    while (its[i]->Valid() && routing.index_of(its[i]->key()) != families[i]) its[i]->Next();
  };
  for (size_t i = 0; i < its.size(); ++i) skip_foreign(i);
  while (true) {
    size_t next = its.size();
    for (size_t i = 0; i < its.size(); ++i)
      if (its[i]->Valid() && in_range(its[i]->key()) &&
          (next == its.size() || its[i]->key().compare(its[next]->key()) < 0))
        next = i;
    if (next == its.size()) break;
    if (!visit(to_view(its[next]->key()), to_view(its[next]->value()))) break;
    its[next]->Next();
    skip_foreign(next);
  }
  for (const auto& it : its)
    if (!it->status().ok()) return from_rocksdb(it->status(), "scan", path);
  return Status::ok_status();
}

// What a store shares with the snapshots it handed out, which may outlive it: the database and
// the snapshots not yet released. Closing the store releases them all (RocksDB refuses to close
// with a snapshot outstanding) and marks the database gone, so a snapshot read after that fails
// cleanly instead of touching a closed database.
struct SnapshotRegistry {
  // Shared while a snapshot reads or releases itself; exclusive while the store closes.
  std::shared_mutex mu;
  rocksdb::DB* db = nullptr;  // Null once the store has closed.
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  Routing routing;
  std::string path;
  // The snapshots still held; guarded by live_mu (several snapshots may release at once).
  std::mutex live_mu;
  std::set<const rocksdb::Snapshot*> live;
};

class RocksDbSnapshot final : public KvSnapshot {
 public:
  RocksDbSnapshot(std::shared_ptr<SnapshotRegistry> registry, const rocksdb::Snapshot* snapshot)
      : registry_(std::move(registry)), snapshot_(snapshot) {}
  RocksDbSnapshot(const RocksDbSnapshot&) = delete;
  RocksDbSnapshot& operator=(const RocksDbSnapshot&) = delete;

  ~RocksDbSnapshot() override {
    std::shared_lock lock(registry_->mu);
    if (!registry_->db) return;  // Released when the store closed.
    std::lock_guard live_lock(registry_->live_mu);
    if (registry_->live.erase(snapshot_) > 0) registry_->db->ReleaseSnapshot(snapshot_);
  }

  Result<std::optional<Bytes>> get(ByteView key) const override {
    std::shared_lock lock(registry_->mu);
    CORRIDOR_RETURN_IF_ERROR(check_open());
    rocksdb::ReadOptions read_options;
    read_options.snapshot = snapshot_;
    rocksdb::PinnableSlice value;
    rocksdb::Status s = registry_->db->Get(read_options, family_of(key), to_slice(key), &value);
    if (s.IsNotFound()) return std::optional<Bytes>();
    if (!s.ok()) return from_rocksdb(s, "snapshot get", registry_->path);
    ByteView view = to_view(value);
    return std::optional<Bytes>(Bytes(view.begin(), view.end()));
  }

  Status scan_range(ByteView start, std::optional<ByteView> end,
                    const ScanVisitor& visit) const override {
    std::shared_lock lock(registry_->mu);
    CORRIDOR_RETURN_IF_ERROR(check_open());
    rocksdb::ReadOptions read_options;
    read_options.snapshot = snapshot_;
    // The bound must outlive the iterators, which keep a pointer to it.
    rocksdb::Slice upper_slice;
    if (end) {
      upper_slice = to_slice(*end);
      read_options.iterate_upper_bound = &upper_slice;
    }
    // The range may hold keys of every family; each iterator stops at the bound by itself.
    std::vector<std::unique_ptr<rocksdb::Iterator>> its;
    std::vector<size_t> families;
    for (size_t i = 0; i < registry_->families.size(); ++i) {
      its.emplace_back(registry_->db->NewIterator(read_options, registry_->families[i]));
      families.push_back(i);
    }
    for (auto& it : its) it->Seek(to_slice(start));
    return visit_merged(
        its, families, registry_->routing, [](const rocksdb::Slice&) { return true; }, visit,
        registry_->path);
  }

 private:
  Status check_open() const {
    if (registry_->db) return Status::ok_status();
    return failed_precondition("rocksdb snapshot of '" + registry_->path +
                               "': the store has been closed");
  }
  rocksdb::ColumnFamilyHandle* family_of(ByteView key) const {
    return registry_->families[registry_->routing.index_of(key)];
  }

  std::shared_ptr<SnapshotRegistry> registry_;
  const rocksdb::Snapshot* snapshot_;
};

rocksdb::CompressionType pick_compression() {
  // Debian builds RocksDB with LZ4, but a different build may lack it; RocksDB would then refuse
  // to open with LZ4 configured, so fall back to storing blocks uncompressed.
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  if (std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end())
    return rocksdb::kLZ4Compression;
  return rocksdb::kNoCompression;
}

// A column family of sequential prefixes is named by this and its prefixes in hex, so that the
// routing is a property of the database rather than of whoever opens it. A database created by
// this version has one family per prefix; one created before holds all of them in one family.
constexpr std::string_view kSequentialFamilyPrefix = "sequential-";

// The keys that keep a sequential family's files out of RocksDB's bottommost level: below and
// above any key the family may own (open_rocksdb_store).
constexpr uint8_t kSentinelLow = 0x00;
constexpr uint8_t kSentinelHigh = 0xff;
// At most this many column families, the default one included: a family's index is a byte in
// the routing table, and each family costs memtables of its own.
constexpr size_t kFamiliesMax = 64;

std::string sequential_family_name(std::vector<uint8_t> prefixes) {
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name(kSequentialFamilyPrefix);
  for (uint8_t p : prefixes) {
    name.push_back(kHex[p >> 4]);
    name.push_back(kHex[p & 0xf]);
  }
  return name;
}

// The prefixes a family name records; nullopt when the name is not one of ours.
std::optional<std::vector<uint8_t>> sequential_family_prefixes(const std::string& name) {
  if (!name.starts_with(kSequentialFamilyPrefix)) return std::nullopt;
  const std::string hex = name.substr(kSequentialFamilyPrefix.size());
  if (hex.empty() || hex.size() % 2 != 0) return std::nullopt;
  std::vector<uint8_t> out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
    if (ec != std::errc() || end != hex.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<uint8_t>(value));
  }
  return out;
}

class RocksDbKvStore final : public KvStore {
 public:
  // `families` are the open column family handles, the default one first; `routing` names the
  // family of each key.
  RocksDbKvStore(std::unique_ptr<rocksdb::DB> db,
                 std::vector<rocksdb::ColumnFamilyHandle*> families, Routing routing,
                 std::string path)
      : db_(std::move(db)),
        families_(std::move(families)),
        routing_(routing),
        path_(std::move(path)),
        snapshots_(std::make_shared<SnapshotRegistry>()) {
    snapshots_->db = db_.get();
    snapshots_->families = families_;
    snapshots_->routing = routing_;
    snapshots_->path = path_;
  }
  RocksDbKvStore(const RocksDbKvStore&) = delete;
  RocksDbKvStore& operator=(const RocksDbKvStore&) = delete;

  ~RocksDbKvStore() override {
    {
      // Snapshots still held elsewhere are released now and fail their later reads.
      std::unique_lock lock(snapshots_->mu);
      std::lock_guard live_lock(snapshots_->live_mu);
      for (const rocksdb::Snapshot* s : snapshots_->live) db_->ReleaseSnapshot(s);
      snapshots_->live.clear();
      snapshots_->db = nullptr;
    }
    // A destructor cannot report failure; if the final sync or close fails, the write-ahead log
    // still holds every synced write and recovery on the next open replays it.
    db_->FlushWAL(/*sync=*/true).PermitUncheckedError();
    for (rocksdb::ColumnFamilyHandle* family : families_)
      db_->DestroyColumnFamilyHandle(family).PermitUncheckedError();
    db_->Close().PermitUncheckedError();
  }

  StoreBacklog backlog() const override {
    // Summed over the column families: each has memtables and files of its own. A property a
    // store cannot report reads as zero, which errs towards "nothing pending".
    StoreBacklog b;
    const auto property = [&](rocksdb::ColumnFamilyHandle* family, const rocksdb::Slice& name) {
      uint64_t value = 0;
      return family ? (db_->GetIntProperty(family, name, &value) ? value : 0)
                    : (db_->GetIntProperty(name, &value) ? value : 0);
    };
    for (rocksdb::ColumnFamilyHandle* family : families_) {
      b.memtables_unflushed += property(family, rocksdb::DB::Properties::kNumImmutableMemTable);
      b.flush_pending |= property(family, rocksdb::DB::Properties::kMemTableFlushPending) != 0;
      b.compaction_pending |= property(family, rocksdb::DB::Properties::kCompactionPending) != 0;
      b.compaction_pending_bytes +=
          property(family, rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
    }
    b.writes_delayed = property(nullptr, rocksdb::DB::Properties::kActualDelayedWriteRate) != 0;
    b.writes_stopped = property(nullptr, rocksdb::DB::Properties::kIsWriteStopped) != 0;
    return b;
  }

  Result<std::optional<Bytes>> get(ByteView key) const override {
    rocksdb::PinnableSlice value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), family_of(key), to_slice(key), &value);
    if (s.IsNotFound()) return std::optional<Bytes>();
    if (!s.ok()) return from_rocksdb(s, "get", path_);
    ByteView view = to_view(value);
    return std::optional<Bytes>(Bytes(view.begin(), view.end()));
  }

  Status write(const WriteBatch& batch, bool sync) override {
    rocksdb::WriteOptions write_options;
    write_options.sync = sync;
    if (batch.empty()) {
      // An empty batch has no log record to sync, so an explicit WAL sync keeps the promise that
      // every earlier write is durable when a synced write returns.
      if (!sync) return Status::ok_status();
      return from_rocksdb(db_->FlushWAL(/*sync=*/true), "sync of the write-ahead log", path_);
    }
    // Concurrent memtable inserts (unordered_write, or a group of writers) search the skip list
    // from its head for every key, in a search state allocated for each key, unless asked to
    // keep one per memtable for the whole batch. Kept, a key that follows the previous one in
    // order is found in a step or two, and any other costs at most the fresh search: in
    // BM_StoreTxIndexBatch (random keys, unordered_write) a batch in block order took about
    // 20% less time with it, one in ascending order about 35% less (docs/benchmarks.md).
    write_options.memtable_insert_hint_per_batch = batch.size() >= kHintedBatchOpsMin;
    rocksdb::WriteBatch rocks_batch;
    for (const WriteBatch::Op& op : batch.ops()) {
      rocksdb::Status s;
      switch (op.kind) {
        case WriteBatch::Kind::put:
          s = rocks_batch.Put(family_of(op.key), to_slice(op.key), to_slice(op.value));
          break;
        case WriteBatch::Kind::erase:
          s = rocks_batch.Delete(family_of(op.key), to_slice(op.key));
          break;
      }
      if (!s.ok()) return from_rocksdb(s, "write batch construction", path_);
    }
    return from_rocksdb(db_->Write(write_options, &rocks_batch), "write", path_);
  }

  Status scan_prefix(ByteView prefix, const ScanVisitor& visit) const override {
    // The bound lets RocksDB stop at the end of the prefix range inside the iterator, instead of
    // reading (and possibly loading from disk) the first block past it. It must outlive the
    // iterators, which keep a pointer to it.
    std::optional<std::string> upper = prefix_upper_bound(prefix);
    rocksdb::Slice upper_slice;
    rocksdb::ReadOptions read_options;
    if (upper) {
      upper_slice = rocksdb::Slice(*upper);
      read_options.iterate_upper_bound = &upper_slice;
    }
    // A non-empty prefix lives in one family; the empty one spans them all, merged in key order.
    std::vector<std::unique_ptr<rocksdb::Iterator>> its;
    std::vector<size_t> families;
    for (size_t i = 0; i < families_.size(); ++i) {
      if (!prefix.empty() && i != routing_.index_of(prefix)) continue;
      its.emplace_back(db_->NewIterator(read_options, families_[i]));
      families.push_back(i);
    }
    const rocksdb::Slice prefix_slice = to_slice(prefix);
    for (auto& it : its) it->Seek(prefix_slice);
    return visit_merged(
        its, families, routing_,
        [&](const rocksdb::Slice& key) { return key.starts_with(prefix_slice); }, visit, path_);
  }

  Result<std::shared_ptr<const KvSnapshot>> snapshot() const override {
    // RocksDB's snapshot pins a sequence number: reads through it see exactly the writes
    // sequenced before, in every column family, and compaction keeps the older versions of
    // keys it needs until it is released.
    const rocksdb::Snapshot* snapshot = db_->GetSnapshot();
    if (!snapshot)
      return failed_precondition("rocksdb snapshot at '" + path_ + "': none could be taken");
    {
      std::lock_guard live_lock(snapshots_->live_mu);
      snapshots_->live.insert(snapshot);
    }
    return std::shared_ptr<const KvSnapshot>(
        std::make_shared<RocksDbSnapshot>(snapshots_, snapshot));
  }

 private:
  rocksdb::ColumnFamilyHandle* family_of(ByteView key) const {
    return families_[routing_.index_of(key)];
  }

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> families_;
  Routing routing_;
  std::string path_;
  std::shared_ptr<SnapshotRegistry> snapshots_;
};

// RocksDB rewrites a file of its bottommost level on its own once no snapshot needs the file's
// sequence numbers any more, only to zero them (compaction reason BottommostFiles). A
// sequential family's newest files are always bottommost (nothing below them holds their
// heights), so every file of block data was written twice; with the merges of a family shared
// by several prefixes, whose files overlap, that took about 5% of the machine's CPU at 190,000
// transfers/s (docs/benchmarks.md). A file at the last level holding one key below and one above
// every key the family may own overlaps every later file, so none of those is bottommost;
// they move down the levels without being rewritten until the last level (levels of 256 MiB
// times ten, so terabytes). It is added while the family is empty, by ingesting a file, which
// RocksDB places at the last level. The two keys belong to no family's routing, so no read
// reaches them and scans skip them. A family that owns 0x00 or 0xff, or already holds keys
// (a database created before), goes without.
Status add_sentinels(rocksdb::DB& db, const rocksdb::Options& db_options,
                     rocksdb::ColumnFamilyHandle* family, const Routing& routing,
                     size_t family_index, const std::string& path) {
  if (routing.family[kSentinelLow] == family_index || routing.family[kSentinelHigh] == family_index)
    return Status::ok_status();
  {
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions(), family));
    it->SeekToFirst();
    if (!it->status().ok()) return from_rocksdb(it->status(), "sentinel check", path);
    if (it->Valid()) return Status::ok_status();
  }
  const std::string file = path + "/" + family->GetName() + ".sentinels.sst";
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), db_options, family);
  const std::string low(1, static_cast<char>(kSentinelLow));
  const std::string high(1, static_cast<char>(kSentinelHigh));
  rocksdb::Status s = writer.Open(file);
  if (s.ok()) s = writer.Put(low, rocksdb::Slice());
  if (s.ok()) s = writer.Put(high, rocksdb::Slice());
  if (s.ok()) s = writer.Finish();
  if (s.ok()) {
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;
    s = db.IngestExternalFile(family, {file}, ingest);
  }
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
  return from_rocksdb(s, "sentinels of '" + family->GetName() + "'", path);
}

}  // namespace

Result<std::unique_ptr<KvStore>> open_rocksdb_store(const std::string& path,
                                                    const RocksDbOptions& options) {
  if (path.empty()) return invalid_argument("rocksdb open: the database path is empty");
  // Each distinct sequential prefix is a family of its own in a new database.
  const std::set<uint8_t> sequential(options.sequential_prefixes.begin(),
                                     options.sequential_prefixes.end());
  if (sequential.size() >= kFamiliesMax)
    return invalid_argument("rocksdb open at '" + path + "': more sequential prefixes than " +
                            std::to_string(kFamiliesMax - 1));
  if (options.write_buffers_max < 2)
    return invalid_argument("rocksdb open at '" + path +
                            "': write_buffers_max must be at least 2 (one written, one flushed)");
  if (!options.create_if_missing) {
    // RocksDB would create the directory before noticing that the database is missing, leaving
    // an empty directory behind; checking first keeps a failed open free of side effects.
    std::error_code error;
    if (!std::filesystem::exists(path, error) && !error)
      return not_found("rocksdb open at '" + path +
                       "': no database there and create_if_missing is false");
  } else {
    // RocksDB creates only the last directory of the path; a node's data directory is often
    // nested (data/<network>/db), so create the parents too. An existing file at the path is
    // not an error here: RocksDB then reports that it is not a directory.
    std::error_code error;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
    if (error)
      return io_error("rocksdb open at '" + path +
                      "': cannot create the parent directories: " + error.message());
  }

  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));

  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.write_buffer_size = options.write_buffer_bytes;
  db_options.max_write_buffer_number = static_cast<int>(options.write_buffers_max);
  db_options.max_total_wal_size = options.wal_bytes_max;
  db_options.compression = pick_compression();
  db_options.keep_log_file_num = kKeptInfoLogFiles;
  db_options.unordered_write = options.unordered_write;
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  if (options.background_write_bytes_per_s > 0) {
    // Flushes count as high priority and compactions as low; both only as writes, never the
    // write-ahead log (the foreground's own synced writes).
    db_options.rate_limiter.reset(rocksdb::NewGenericRateLimiter(
        static_cast<int64_t>(options.background_write_bytes_per_s), kRateLimiterRefillUs));
  }
  if (options.background_low_priority) {
    // The pools are those of RocksDB's default Env, which every store in the process shares.
    // A platform that cannot lower them runs them as before: slower foreground answers under
    // load, nothing incorrect, so a failure is not an error of the open.
    rocksdb::Env* env = rocksdb::Env::Default();
    for (auto pool : {rocksdb::Env::Priority::HIGH, rocksdb::Env::Priority::LOW})
      (void)env->LowerThreadPoolCPUPriority(pool, rocksdb::CpuPriority::kLow);
  }

  // The families: those of an existing database, whatever this open asks for (the routing of
  // its keys was fixed when it was created); for a new one, the default family and one family
  // per sequential prefix asked for.
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(db_options, path, &names).ok()) {
    names = {rocksdb::kDefaultColumnFamilyName};
    for (uint8_t p : sequential) names.push_back(sequential_family_name({p}));
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  Routing routing;
  bool default_first = false;
  for (const std::string& name : names) {
    if (name == rocksdb::kDefaultColumnFamilyName) {
      default_first = descriptors.empty();
    } else {
      auto prefixes = sequential_family_prefixes(name);
      if (!prefixes || descriptors.empty())
        return corruption("rocksdb open at '" + path + "': unexpected column family '" + name +
                          "'");
      if (descriptors.size() >= kFamiliesMax)
        return corruption("rocksdb open at '" + path + "': more column families than " +
                          std::to_string(kFamiliesMax));
      for (uint8_t p : *prefixes) {
        if (routing.family[p] != 0)
          return corruption("rocksdb open at '" + path + "': column family '" + name +
                            "' claims a prefix another family holds");
        routing.family[p] = static_cast<uint8_t>(descriptors.size());
      }
    }
    descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions(db_options));
  }
  if (!default_first)
    return corruption("rocksdb open at '" + path + "': the default column family is not first");
  db_options.create_missing_column_families = true;

  rocksdb::DB* raw_db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  rocksdb::Status s = rocksdb::DB::Open(db_options, path, descriptors, &families, &raw_db);
  std::unique_ptr<rocksdb::DB> db(raw_db);
  if (!s.ok()) {
    Status status = from_rocksdb(s, "open", path);
    // RocksDB reports a LOCK file held by this process ("lock hold by current process") or by
    // another one ("While lock file: ...") as a bare I/O error; say what that means.
    const std::string text = s.ToString();
    if (s.IsIOError() && (text.find("lock hold by current process") != std::string::npos ||
                          text.find("While lock file") != std::string::npos)) {
      return Status(status.code(), status.message() +
                                       " (the database is already open, in this process or "
                                       "another one; only one store may use a directory)");
    }
    return status;
  }
  for (size_t i = 1; i < families.size(); ++i) {
    if (Status st = add_sentinels(*db, db_options, families[i], routing, i, path); !st.ok()) {
      for (rocksdb::ColumnFamilyHandle* family : families)
        db->DestroyColumnFamilyHandle(family).PermitUncheckedError();
      return st;
    }
  }
  return std::unique_ptr<KvStore>(
      std::make_unique<RocksDbKvStore>(std::move(db), std::move(families), routing, path));
}

}  // namespace corridor::storage
