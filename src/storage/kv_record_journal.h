// A RecordJournal kept under a key prefix of a KvStore: one key per record, the prefix and a
// big-endian sequence number, whose value is the record's height (big-endian) and its body
// (docs/protocol.md, "Proposal journal"). Appends are unsynced batches, a sync is an empty
// synced batch, and a release erases the released records' keys in one unsynced batch.
//
// Over the in-memory store it gives tests the store's crash semantics; over the node's RocksDB
// store it takes the records a file journal has no room for.
#pragma once

#include <cstddef>
#include <map>
#include <memory>

#include "storage/kv_store.h"
#include "storage/record_journal.h"

namespace corridor::storage {

class KvRecordJournal final : public RecordJournal {
 public:
  // Opens the journal under `prefix` in `kv`, reading the index of the records it holds. With
  // `bytes_max` above zero, an append that would take the bodies not yet released above it is
  // refused (tests use it to fill a journal); 0 sets no limit.
  [[nodiscard]] static Result<std::unique_ptr<KvRecordJournal>> open(std::shared_ptr<KvStore> kv,
                                                                     Bytes prefix,
                                                                     size_t bytes_max = 0);

  [[nodiscard]] Status append(uint64_t height, ByteView body) override;
  [[nodiscard]] Status sync() override;
  void release_through(uint64_t height) override;
  [[nodiscard]] Status clear() override;
  [[nodiscard]] Result<std::vector<JournalRecord>> read_all() const override;

  // The records appended and not yet released (tests).
  size_t live_records() const { return live_.size(); }

 private:
  KvRecordJournal(std::shared_ptr<KvStore> kv, Bytes prefix, size_t bytes_max)
      : kv_(std::move(kv)), prefix_(std::move(prefix)), bytes_max_(bytes_max) {}

  Bytes key_of(uint64_t sequence) const;

  struct Live {
    uint64_t height = 0;
    size_t bytes = 0;
  };

  std::shared_ptr<KvStore> kv_;
  Bytes prefix_;
  size_t bytes_max_;
  // The records not yet released, by sequence number, so that a release erases their keys
  // without scanning the store (a scan steps over the deletion markers of every record erased
  // since the store last compacted, a cost that grows with the chain).
  std::map<uint64_t, Live> live_;
  size_t live_bytes_ = 0;
  uint64_t next_sequence_ = 1;
};

}  // namespace corridor::storage
