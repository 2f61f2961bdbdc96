// A DurableCell in a file of its own: two fixed slots of one sector each, written in turn with
// pwrite and fdatasync. The file never changes size after it is created, so a sync writes one
// data block and no metadata, and nothing else shares it (docs/protocol.md, "Durable cells").
//
// A slot holds a sequence number, the record and a SHA-256 checksum. A write goes to the slot
// the previous write did not use, so a crash in the middle of it (a torn sector) leaves the
// other slot, with the previous record, intact; reading takes the valid slot with the higher
// sequence number. A new file starts with an empty record in slot 0, synced before the file
// gets its name, so an existing cell always has a valid slot: one without is corrupt, and
// reading it fails rather than answering "nothing written" (for the safety data that would
// let a validator vote twice in a round).
#pragma once

#include <memory>
#include <string>

#include "storage/durable_cell.h"

namespace corridor::storage {

// One slot: a sector, the unit a disk writes whole or not at all (at worst, torn in two).
inline constexpr size_t file_cell_slot_bytes = 512;
inline constexpr size_t file_cell_slots = 2;

class FileCell final : public DurableCell {
 public:
  // Opens the cell at path, creating it (and syncing its directory) when it does not exist.
  [[nodiscard]] static Result<std::unique_ptr<FileCell>> open(const std::string& path);
  ~FileCell() override;
  FileCell(const FileCell&) = delete;
  FileCell& operator=(const FileCell&) = delete;

  [[nodiscard]] Result<std::optional<Bytes>> read() const override;

 private:
  [[nodiscard]] Status write_record(ByteView record) override;

  FileCell(int fd, std::string path, uint64_t sequence, std::optional<Bytes> record)
      : fd_(fd), path_(std::move(path)), sequence_(sequence), record_(std::move(record)) {}

  int fd_;
  std::string path_;
  // The sequence number of the newest valid slot, and its record (nullopt: the empty record).
  uint64_t sequence_;
  std::optional<Bytes> record_;
};

}  // namespace corridor::storage
