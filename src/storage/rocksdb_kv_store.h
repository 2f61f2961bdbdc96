// The KvStore of real nodes, on RocksDB. Only rocksdb_kv_store.cc includes RocksDB headers, so
// the rest of the code base (and its compile times) never depend on them.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "storage/kv_store.h"

namespace corridor::storage {

struct RocksDbOptions {
  // Create the database directory and files when they do not exist yet.
  bool create_if_missing = true;
  // Size of one memtable before it is flushed to an SST file.
  size_t write_buffer_bytes = size_t{64} << 20;
  // Memtables a column family may hold, the one written and those waiting for their flush
  // (RocksDB's max_write_buffer_number; at least 2). When all are full RocksDB stalls writes
  // until a flush ends, so slow flushes need more of them; each costs up to
  // write_buffer_bytes of memory.
  uint32_t write_buffers_max = 2;
  // The write-ahead log files kept, in bytes, before RocksDB flushes the families whose
  // memtables still need the oldest of them. A family written slowly (a node's results and
  // indexes beside its blocks) otherwise keeps every log file since its last flush, up to four
  // times all families' memtables (gigabytes), and a restart replays them all.
  size_t wal_bytes_max = size_t{512} << 20;
  // Capacity of the LRU cache of uncompressed SST blocks.
  size_t block_cache_bytes = size_t{256} << 20;
  // Key prefixes (first key bytes) whose keys are written in increasing order and then left
  // alone, such as records keyed by block height. Each is kept in a column family of its own:
  // the family's files then hold consecutive, disjoint key ranges, so compaction moves them
  // down the levels instead of rewriting them with everything else written at the same time
  // (a family shared by two prefixes has files that each span both, which overlap). The set is
  // fixed when the database is created (it is recorded in the families' names); a later open
  // uses the recorded families whatever it passes, a database created without them keeps a
  // single family, and one created by an older version keeps its one family for all of them.
  // At most 63 distinct prefixes (families are bounded; more is invalid_argument).
  std::vector<uint8_t> sequential_prefixes;
  // RocksDB's unordered_write: a write's memtable inserts run outside the write queue, so a
  // small synced write no longer waits for a large batch ahead of it to be inserted (only for
  // its log record). Durability and crash atomicity are unchanged, but readers may see part
  // of a batch in flight (KvStore::write); only a user whose readers allow for that sets it.
  bool unordered_write = false;
  // Flushes and compactions (RocksDB's background threads) run at the lowest CPU priority
  // (nice 19), so that the threads a client waits on come first when the cores are busy. The
  // threads are the process's, so this lowers them for every store in it.
  bool background_low_priority = false;
  // At most this many bytes per second written by flushes and compactions; 0 leaves them
  // unlimited. A flush otherwise writes a whole memtable in one burst, and the synced writes
  // queued behind it at the device wait for it.
  uint64_t background_write_bytes_per_s = 0;
};

// Opens the database in the directory path, creating it and any missing parent directories
// when options.create_if_missing is set; without it, a missing path is not_found. The store
// holds RocksDB's LOCK file until it is destroyed, so a second open of the same directory, from
// this or another process, fails with an io_error instead of corrupting it. Destroying the store
// syncs the write-ahead log and closes the database, so an orderly shutdown keeps even unsynced
// writes. Errors carry the path and RocksDB's own description.
[[nodiscard]] Result<std::unique_ptr<KvStore>> open_rocksdb_store(const std::string& path,
                                                                  const RocksDbOptions& options);

}  // namespace corridor::storage
