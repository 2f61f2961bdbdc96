// A RecordJournal in a preallocated file of its own, used as a ring and overwritten in place
// (docs/protocol.md, "Proposal journal").
//
// The file never changes size after it is created, and every block of it was written once
// then, so a sync writes the blocks appended since the last one and no metadata: it waits for
// nothing else, unlike a sync of RocksDB's log, which waits for the executor's block writes.
//
// Layout: two header slots of one block each, then the ring of `capacity` blocks. A header slot
// holds a generation number, the ring's size and a 32-byte key; opening takes the valid slot
// with the higher generation. Each record starts on a block boundary with a header (magic,
// sequence number, height, length, MAC) and its body, and takes whole blocks. The MAC is a
// keyed BLAKE2b of the header and body under the file's key: a record torn by a crash fails
// it, and so does any block of a body that merely looks like a record (a body may hold bytes a
// client chose). clear() writes a new key to the other header slot: every record written
// before it then fails its MAC, which voids it for good.
//
// Records are appended at the head of the ring; a release frees the oldest records while their
// height is released, so a record that stays (a proposal above the persisted head) keeps the
// room after it in use, and an append that finds no room is refused: the caller stores it
// elsewhere (the node: in its store).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "storage/record_journal.h"

namespace corridor::storage {

// The unit of the ring: records start on a block boundary, so that a record's first block is
// never shared with the tail of another (a torn write of one cannot tear the other).
inline constexpr size_t file_journal_block_bytes = 4'096;
// The size a node gives its proposal journal: about forty proposals of the size a block has
// at 70,000 transfers/s. A sync writes only what was appended, so size costs disk, not time.
inline constexpr size_t file_journal_capacity_bytes_default = size_t{32} << 20;
// Bounds of a ring's size, so that a corrupt header cannot ask for a huge read.
inline constexpr size_t file_journal_capacity_bytes_min = 16 * file_journal_block_bytes;
inline constexpr size_t file_journal_capacity_bytes_max = size_t{1} << 30;

class FileRecordJournal final : public RecordJournal {
 public:
  // Opens the journal at `path`, creating it with a ring of `capacity_bytes` (rounded up to
  // whole blocks) when it does not exist; an existing journal keeps the size it was created
  // with. Reads every valid record, so that appends go on after the newest.
  [[nodiscard]] static Result<std::unique_ptr<FileRecordJournal>> open(
      const std::string& path, size_t capacity_bytes = file_journal_capacity_bytes_default);
  ~FileRecordJournal() override;
  FileRecordJournal(const FileRecordJournal&) = delete;
  FileRecordJournal& operator=(const FileRecordJournal&) = delete;

  [[nodiscard]] Status append(uint64_t height, ByteView body) override;
  [[nodiscard]] Status sync() override;
  void release_through(uint64_t height) override;
  [[nodiscard]] Status clear() override;
  [[nodiscard]] Result<std::vector<JournalRecord>> read_all() const override;

  // The ring's size in blocks, and the records in it not yet released (tests).
  uint64_t capacity_blocks() const { return capacity_blocks_; }
  size_t live_records() const { return live_.size(); }

  static constexpr size_t key_bytes = 32;

 private:
  struct Header {
    uint64_t generation = 0;
    uint64_t capacity_blocks = 0;
    Bytes key;
  };
  // Where a record not yet released lies in the ring, and its height.
  struct Placed {
    uint64_t height = 0;
    uint64_t first_block = 0;
    uint64_t blocks = 0;
  };
  struct Found {
    uint64_t sequence = 0;
    Placed placed;
    Bytes body;  // Empty unless scan() was asked for bodies.
  };

  FileRecordJournal(int fd, std::string path, Header header)
      : fd_(fd),
        path_(std::move(path)),
        header_(std::move(header)),
        capacity_blocks_(header_.capacity_blocks) {}

  // Every record in the ring that passes its MAC under the current key, by sequence number;
  // with their bodies only when `with_bodies` (opening needs where they are, not what).
  [[nodiscard]] Result<std::vector<Found>> scan(bool with_bodies) const;
  // Where a record of `blocks` blocks goes, or nullopt when the live records leave no room.
  std::optional<uint64_t> place(uint64_t blocks) const;

  const int fd_;
  const std::string path_;
  Header header_;
  const uint64_t capacity_blocks_;
  // The live records, oldest first: they occupy the ring from the first one's block to head_.
  std::deque<Placed> live_;
  uint64_t head_ = 0;  // The block the next record would start at, when it fits there.
  uint64_t next_sequence_ = 1;
};

}  // namespace corridor::storage
