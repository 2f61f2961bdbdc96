// The narrow storage seam, in the manner of leveldb's Env: everything the node keeps on disk goes
// through KvStore. Two implementations exist: RocksDB (rocksdb_kv_store.h) for real nodes, and
// an in-memory store with crash semantics (mem_kv_store.h) for tests and the simulator.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace corridor::storage {

// An ordered list of puts and erases, applied atomically by KvStore::write.
class WriteBatch {
 public:
  enum class Kind : uint8_t { put, erase };
  struct Op {
    Kind kind;
    Bytes key;
    Bytes value;
  };

  void put(ByteView key, ByteView value) {
    ops_.push_back({Kind::put, Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end())});
    bytes_ += key.size() + value.size();
  }
  void erase(ByteView key) {
    ops_.push_back({Kind::erase, Bytes(key.begin(), key.end()), {}});
    bytes_ += key.size();
  }
  void clear() {
    ops_.clear();
    bytes_ = 0;
  }
  const std::vector<Op>& ops() const { return ops_; }
  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  size_t approximate_bytes() const { return bytes_; }

 private:
  std::vector<Op> ops_;
  size_t bytes_ = 0;
};

// Called for each key/value in order; returning false stops the scan.
using ScanVisitor = std::function<bool(ByteView key, ByteView value)>;

// A consistent, read-only view of a store as it was at one moment: writes made to the store
// afterwards, from any thread, are never seen. It stays valid after those writes, and may even
// outlive the store: its reads then fail with failed_precondition (RocksDB) or go on answering
// (the in-memory store, whose snapshot is a copy). Safe to share between threads. Holding one costs
// the store little memory of its own, but on RocksDB it keeps the versions of keys overwritten
// since on disk until it goes.
class KvSnapshot {
 public:
  virtual ~KvSnapshot() = default;

  // The value key had at the snapshot's moment, nullopt when absent.
  [[nodiscard]] virtual Result<std::optional<Bytes>> get(ByteView key) const = 0;

  // Visits every key in [start, end) in ascending bytewise order (no end: to the last key),
  // until the visitor returns false.
  [[nodiscard]] virtual Status scan_range(ByteView start, std::optional<ByteView> end,
                                          const ScanVisitor& visit) const = 0;
};

// How far a store's background work is behind its writes. A log-structured store (RocksDB)
// takes writes into memory tables and writes those to files later, on threads of its own; when
// that falls behind, it first slows every write down, then stops them until it catches up. An
// operator watches these, and a benchmark waits for them to clear before measuring latency.
struct StoreBacklog {
  // Full memory tables waiting to be written to files, and whether such a flush is due.
  uint64_t memtables_unflushed = 0;
  bool flush_pending = false;
  // A compaction is due, and the bytes the store estimates compactions still have to rewrite.
  bool compaction_pending = false;
  uint64_t compaction_pending_bytes = 0;
  // Writes are being slowed down, or stopped, until the background work catches up.
  bool writes_delayed = false;
  bool writes_stopped = false;

  // Nothing that holds up foreground writes: no unwritten memory table and no slowed write. A
  // pending compaction does not count; it runs beside the writes until it piles up far enough
  // to delay them, which writes_delayed then shows.
  bool settled() const {
    return memtables_unflushed == 0 && !flush_pending && !writes_delayed && !writes_stopped;
  }
};

class KvStore {
 public:
  virtual ~KvStore() = default;

  // The store's background work behind its writes; a store that has none (in memory) reports
  // an empty backlog.
  virtual StoreBacklog backlog() const { return {}; }

  // The value stored under key, nullopt when absent, or an error status on I/O failure.
  [[nodiscard]] virtual Result<std::optional<Bytes>> get(ByteView key) const = 0;

  // Applies the batch atomically for durability. With sync, the batch and every earlier write
  // are durable when this returns (they survive a crash or power loss); without it, a crash may
  // lose a suffix of unsynced batches, but never part of one batch and never a synced one.
  //
  // Visibility is weaker: while write() runs, a reader on another thread may see some of the
  // batch's keys and not others (RocksDB's unordered_write, which the node turns on because it
  // takes a large batch's memtable inserts out of the queue every later write waits in). Once
  // write() has returned, every reader that learns of it (through a lock or an atomic) sees
  // the whole batch. So a reader of records another thread writes must not read those of a
  // batch still in flight: the node keeps their heights (ChainStore::readable).
  [[nodiscard]] virtual Status write(const WriteBatch& batch, bool sync) = 0;

  // Visits every key starting with prefix, in ascending bytewise order.
  [[nodiscard]] virtual Status scan_prefix(ByteView prefix, const ScanVisitor& visit) const = 0;

  // A point-in-time view of every key: the state left by the writes that returned before this
  // call, and none that start after it returns. Of a write in flight during the call it may
  // show any part, and more of it later on (see write()).
  [[nodiscard]] virtual Result<std::shared_ptr<const KvSnapshot>> snapshot() const = 0;
};

}  // namespace corridor::storage
