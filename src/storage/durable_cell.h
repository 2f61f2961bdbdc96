// A durable cell: one small record, replaced whole, durable when its write returns.
//
// The consensus safety data is written, synced, before every vote, timeout and proposal: every
// round waits for one such write. In the node's RocksDB store that write joins the queue of the
// executor's block writes (megabytes, and their memtable inserts) and waits for them, although
// it is 32 bytes. A cell of its own, overwritten in place, syncs in the time the disk needs for
// one sector. Two implementations: a file of two slots (file_cell.h) for real nodes, and a key in
// a KvStore (kv_cell.h), which keeps the in-memory store's crash semantics for tests and the
// simulator.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/status.h"

namespace corridor::storage {

// The largest record a cell holds, in bytes: a file cell's slot is one 512-byte sector.
inline constexpr size_t durable_cell_record_bytes_max = 256;

class DurableCell {
 public:
  virtual ~DurableCell() = default;

  // The last record written, nullopt when none has been.
  [[nodiscard]] virtual Result<std::optional<Bytes>> read() const = 0;

  // Replaces the record. When this returns OK the new record survives a crash or power loss;
  // a crash during the write leaves the old record or the new one, never a mix. A record above
  // durable_cell_record_bytes_max is refused (invalid_argument) and changes nothing.
  [[nodiscard]] Status write(ByteView record) {
    if (record.size() > durable_cell_record_bytes_max)
      return invalid_argument("a durable cell holds at most " +
                              std::to_string(durable_cell_record_bytes_max) + " bytes");
    return write_record(record);
  }

 private:
  // write() once the record's size is checked.
  [[nodiscard]] virtual Status write_record(ByteView record) = 0;
};

}  // namespace corridor::storage
