#include "storage/file_cell.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string_view>

#include "base/encoding.h"
#include "base/hash.h"
#include "storage/detail/posix_file.h"

namespace corridor::storage {
namespace {

using detail::errno_error;
using detail::write_all_at;

constexpr std::string_view slot_magic = "CRDCELL1";
constexpr size_t slot_checksum_bytes = 32;
// magic, sequence (u64), present (u8), length (u32), then the record and the checksum.
constexpr size_t slot_header_bytes = 8 + 8 + 1 + 4;
static_assert(slot_header_bytes + durable_cell_record_bytes_max + slot_checksum_bytes <=
              file_cell_slot_bytes);

Bytes encode_slot(uint64_t sequence, const std::optional<ByteView>& record) {
  Bytes out;
  out.reserve(file_cell_slot_bytes);
  Writer w(out);
  w.raw(as_bytes(slot_magic));
  w.u64(sequence);
  w.u8(record ? 1 : 0);
  w.u32(record ? static_cast<uint32_t>(record->size()) : 0);
  if (record) w.raw(*record);
  w.fixed(sha256(out));
  out.resize(file_cell_slot_bytes, 0);
  return out;
}

struct Slot {
  uint64_t sequence = 0;
  std::optional<Bytes> record;
};

// The slot's contents, or nullopt when it is not a valid slot (torn, zeroed or overwritten).
std::optional<Slot> decode_slot(ByteView bytes) {
  Reader r(bytes);
  ByteView magic;
  Slot slot;
  uint8_t present = 0;
  uint32_t length = 0;
  if (!r.raw(slot_magic.size(), magic) || !std::ranges::equal(magic, as_bytes(slot_magic)) ||
      !r.u64(slot.sequence) || !r.u8(present) || present > 1 || !r.u32(length) ||
      length > durable_cell_record_bytes_max || (present == 0 && length != 0))
    return std::nullopt;
  ByteView record;
  Hash256 checksum;
  if (!r.raw(length, record)) return std::nullopt;
  const size_t covered = r.offset();
  if (!r.fixed(checksum) || sha256(bytes.subspan(0, covered)) != checksum) return std::nullopt;
  if (present) slot.record = Bytes(record.begin(), record.end());
  return slot;
}

// Writes a new cell (an empty record in slot 0, slot 1 zeroed) under a temporary name, syncs
// it and renames it into place, so that a cell under its name always has a valid slot.
Status create_cell(const std::string& path) {
  return detail::create_file_atomically(path, [](int fd, const std::string& tmp) {
    Bytes image = encode_slot(0, std::nullopt);
    image.resize(file_cell_slot_bytes * file_cell_slots, 0);
    return detail::write_all_at(fd, image, 0, tmp);
  });
}

}  // namespace

Result<std::unique_ptr<FileCell>> FileCell::open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) CORRIDOR_RETURN_IF_ERROR(create_cell(path));
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return errno_error("cannot open", path);
  Bytes image(file_cell_slot_bytes * file_cell_slots);
  const ssize_t n = ::pread(fd, image.data(), image.size(), 0);
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (n != static_cast<ssize_t>(image.size()) || size != static_cast<off_t>(image.size())) {
    ::close(fd);
    return corruption("the durable cell '" + path + "' is not " + std::to_string(image.size()) +
                      " bytes long");
  }
  std::optional<Slot> newest;
  for (size_t i = 0; i < file_cell_slots; ++i) {
    auto slot =
        decode_slot(ByteView(image).subspan(i * file_cell_slot_bytes, file_cell_slot_bytes));
    if (slot && (!newest || slot->sequence > newest->sequence)) newest = std::move(slot);
  }
  if (!newest) {
    ::close(fd);
    return corruption("the durable cell '" + path + "' has no valid slot");
  }
  return std::unique_ptr<FileCell>(
      new FileCell(fd, path, newest->sequence, std::move(newest->record)));
}

FileCell::~FileCell() {
  ::close(fd_);
}

Result<std::optional<Bytes>> FileCell::read() const {
  return record_;
}

Status FileCell::write_record(ByteView record) {
  const uint64_t sequence = sequence_ + 1;
  const Bytes slot = encode_slot(sequence, record);
  const auto offset = static_cast<off_t>((sequence % file_cell_slots) * file_cell_slot_bytes);
  CORRIDOR_RETURN_IF_ERROR(write_all_at(fd_, slot, offset, path_));
  if (::fdatasync(fd_) != 0) return errno_error("cannot sync", path_);
  sequence_ = sequence;
  record_ = Bytes(record.begin(), record.end());
  return Status::ok_status();
}

}  // namespace corridor::storage
