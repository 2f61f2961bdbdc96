// A record journal: records tagged with a height, appended without sync, made durable by a
// sync that may run on another thread, and released once the ledger holds what they carried.
//
// The consensus loop stores every proposal it checked before it votes for it: after a power loss
// of the whole network these records are the only copy of a block certified, perhaps committed,
// but not yet executed (docs/consensus.md, "Restart"). In the node's RocksDB store each record
// was written twice (log and memtable) and its sync waited behind the executor's synced block
// writes, megabytes each. A journal of its own, a preallocated file overwritten in place
// (file_record_journal.h), syncs only what the loop wrote. The other implementation keeps the
// records under a key prefix of a KvStore (kv_record_journal.h): the in-memory store's crash
// semantics then apply, for tests, and a node's own store takes what the file has no room for.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace corridor::storage {

struct JournalRecord {
  uint64_t height = 0;
  Bytes body;
};

class RecordJournal {
 public:
  virtual ~RecordJournal() = default;

  // Appends `body` tagged with `height`, without sync: a crash may lose it until the next
  // sync() returns. resource_exhausted when the records not yet released leave no room for it;
  // then nothing changes and the caller stores it elsewhere.
  [[nodiscard]] virtual Status append(uint64_t height, ByteView body) = 0;

  // Makes every record appended before the call durable. Safe to call from one other thread
  // while the owner appends and releases (a sync thread does); every other call is the
  // owner's.
  [[nodiscard]] virtual Status sync() = 0;

  // The records tagged at or below `height` are no longer needed: their room may be reused.
  // Not durable by itself: after a crash a released record may come back from read_all(), so
  // readers skip records by their height.
  virtual void release_through(uint64_t height) = 0;

  // Voids every record. When this returns OK, none of them comes back after a crash.
  [[nodiscard]] virtual Status clear() = 0;

  // The records kept since the last clear(), in the order they were appended, released ones
  // possibly among them. Reads the medium (a restart replays from it), so it is slow.
  [[nodiscard]] virtual Result<std::vector<JournalRecord>> read_all() const = 0;
};

}  // namespace corridor::storage
