#include "storage/file_record_journal.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "base/assert.h"
#include "base/encoding.h"
#include "base/hash.h"
#include "storage/detail/posix_file.h"

namespace corridor::storage {
namespace {

using detail::errno_error;
using detail::read_all_at;
using detail::write_all_at;
using detail::write_pieces_at;

constexpr std::string_view header_magic = "CRDJHDR1";
constexpr std::string_view record_magic = "CRDJREC1";
constexpr size_t header_slots = 2;
constexpr size_t mac_bytes = 32;
// magic, sequence (u64), height (u64), length (u32): what the MAC covers besides the body.
constexpr size_t record_fields_bytes = 8 + 8 + 8 + 4;
constexpr size_t record_header_bytes = record_fields_bytes + mac_bytes;
// The zeros a new file is written with, a chunk at a time.
constexpr size_t zero_chunk_bytes = size_t{1} << 20;

static_assert(crypto_generichash_KEYBYTES == FileRecordJournal::key_bytes);
static_assert(crypto_generichash_BYTES == mac_bytes);

uint64_t blocks_for(size_t bytes) {
  return (bytes + file_journal_block_bytes - 1) / file_journal_block_bytes;
}

off_t ring_offset(uint64_t block) {
  return static_cast<off_t>((header_slots + block) * file_journal_block_bytes);
}

Bytes encode_header(uint64_t generation, uint64_t capacity_blocks, ByteView key) {
  Bytes out;
  Writer w(out);
  w.raw(as_bytes(header_magic));
  w.u64(generation);
  w.u64(capacity_blocks);
  w.raw(key);
  w.fixed(sha256(out));
  out.resize(file_journal_block_bytes, 0);
  return out;
}

struct DecodedHeader {
  uint64_t generation = 0;
  uint64_t capacity_blocks = 0;
  Bytes key;
};

std::optional<DecodedHeader> decode_header(ByteView bytes) {
  Reader r(bytes);
  ByteView magic;
  ByteView key;
  DecodedHeader h;
  if (!r.raw(header_magic.size(), magic) || !std::ranges::equal(magic, as_bytes(header_magic)) ||
      !r.u64(h.generation) || !r.u64(h.capacity_blocks) ||
      !r.raw(FileRecordJournal::key_bytes, key))
    return std::nullopt;
  const size_t covered = r.offset();
  Hash256 checksum;
  if (!r.fixed(checksum) || sha256(bytes.subspan(0, covered)) != checksum) return std::nullopt;
  h.key.assign(key.begin(), key.end());
  return h;
}

Bytes record_fields(uint64_t sequence, uint64_t height, uint32_t length) {
  Bytes out;
  out.reserve(record_header_bytes);
  Writer w(out);
  w.raw(as_bytes(record_magic));
  w.u64(sequence);
  w.u64(height);
  w.u32(length);
  return out;
}

std::array<uint8_t, mac_bytes> record_mac(ByteView key, ByteView fields, ByteView body) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, key.data(), key.size(), mac_bytes);
  crypto_generichash_update(&state, fields.data(), fields.size());
  crypto_generichash_update(&state, body.data(), body.size());
  std::array<uint8_t, mac_bytes> mac{};
  crypto_generichash_final(&state, mac.data(), mac.size());
  return mac;
}

// Writes a new journal under a temporary name, every block of it (zeros, and generation 1 of
// the header, with a fresh key), syncs it and renames it into place: a journal under its name
// always has a valid header, and no later write to it allocates a block.
Status create_journal(const std::string& path, uint64_t capacity_blocks) {
  return detail::create_file_atomically(path, [&](int fd, const std::string& tmp) {
    const uint64_t total = (header_slots + capacity_blocks) * file_journal_block_bytes;
    const Bytes zeros(zero_chunk_bytes, 0);
    for (uint64_t at = 0; at < total; at += zero_chunk_bytes) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(zero_chunk_bytes, total - at));
      CORRIDOR_RETURN_IF_ERROR(
          write_all_at(fd, ByteView(zeros).subspan(0, n), static_cast<off_t>(at), tmp));
    }
    Bytes key(FileRecordJournal::key_bytes);
    randombytes_buf(key.data(), key.size());
    // Generation g lives in slot g % 2, so that the next generation goes to the other slot.
    return write_all_at(fd, encode_header(1, capacity_blocks, key),
                        static_cast<off_t>((1 % header_slots) * file_journal_block_bytes), tmp);
  });
}

}  // namespace

Result<std::unique_ptr<FileRecordJournal>> FileRecordJournal::open(const std::string& path,
                                                                   size_t capacity_bytes) {
  if (capacity_bytes < file_journal_capacity_bytes_min ||
      capacity_bytes > file_journal_capacity_bytes_max)
    return invalid_argument("a record journal's ring is " +
                            std::to_string(file_journal_capacity_bytes_min) + " to " +
                            std::to_string(file_journal_capacity_bytes_max) + " bytes");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    CORRIDOR_RETURN_IF_ERROR(create_journal(path, blocks_for(capacity_bytes)));
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return errno_error("cannot open", path);
  Bytes slots(header_slots * file_journal_block_bytes);
  Status st = read_all_at(fd, slots, 0, path);
  if (!st.ok()) {
    ::close(fd);
    return st;
  }
  std::optional<DecodedHeader> newest;
  for (size_t i = 0; i < header_slots; ++i) {
    auto h = decode_header(
        ByteView(slots).subspan(i * file_journal_block_bytes, file_journal_block_bytes));
    if (h && (!newest || h->generation > newest->generation)) newest = std::move(h);
  }
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (!newest || newest->capacity_blocks < blocks_for(file_journal_capacity_bytes_min) ||
      newest->capacity_blocks > blocks_for(file_journal_capacity_bytes_max) ||
      size != ring_offset(newest->capacity_blocks)) {
    ::close(fd);
    return corruption("the record journal '" + path +
                      "' has no valid header, or is not the size its header says");
  }
  std::unique_ptr<FileRecordJournal> j(new FileRecordJournal(
      fd, path, Header{newest->generation, newest->capacity_blocks, std::move(newest->key)}));
  CORRIDOR_ASSIGN_OR_RETURN(std::vector<Found> found, j->scan(/*with_bodies=*/false));
  // The valid records run from the oldest to the newest around the ring: every record after
  // the oldest was appended after it, at the head, without passing over it again.
  for (const Found& f : found) j->live_.push_back(f.placed);
  if (!found.empty()) {
    j->head_ = found.back().placed.first_block + found.back().placed.blocks;
    j->next_sequence_ = found.back().sequence + 1;
  }
  return j;
}

FileRecordJournal::~FileRecordJournal() {
  ::close(fd_);
}

Result<std::vector<FileRecordJournal::Found>> FileRecordJournal::scan(bool with_bodies) const {
  Bytes ring(capacity_blocks_ * file_journal_block_bytes);
  CORRIDOR_RETURN_IF_ERROR(read_all_at(fd_, ring, ring_offset(0), path_));
  std::vector<Found> found;
  uint64_t block = 0;
  while (block < capacity_blocks_) {
    const ByteView rest = ByteView(ring).subspan(block * file_journal_block_bytes);
    Reader r(rest);
    ByteView magic;
    Found f;
    uint32_t length = 0;
    ByteView mac;
    ByteView body;
    if (!r.raw(record_magic.size(), magic) || !std::ranges::equal(magic, as_bytes(record_magic)) ||
        !r.u64(f.sequence) || !r.u64(f.placed.height) || !r.u32(length) || !r.raw(mac_bytes, mac) ||
        !r.raw(length, body)) {
      ++block;
      continue;
    }
    const auto expected = record_mac(header_.key, rest.subspan(0, record_fields_bytes), body);
    if (sodium_memcmp(expected.data(), mac.data(), mac_bytes) != 0) {
      ++block;
      continue;
    }
    f.placed.first_block = block;
    f.placed.blocks = blocks_for(record_header_bytes + length);
    if (with_bodies) f.body.assign(body.begin(), body.end());
    found.push_back(std::move(f));
    block += found.back().placed.blocks;
  }
  std::ranges::sort(found, {}, &Found::sequence);
  return found;
}

std::optional<uint64_t> FileRecordJournal::place(uint64_t blocks) const {
  if (blocks > capacity_blocks_) return std::nullopt;
  if (live_.empty()) return head_ + blocks <= capacity_blocks_ ? head_ : 0;
  const uint64_t tail = live_.front().first_block;
  if (tail < head_) {
    // Free: from the head to the end, then from the start to the oldest record.
    if (head_ + blocks <= capacity_blocks_) return head_;
    if (blocks <= tail) return 0;
    return std::nullopt;
  }
  // The live records wrap around the end (tail > head), or fill the ring (tail == head).
  if (tail > head_ && head_ + blocks <= tail) return head_;
  return std::nullopt;
}

Status FileRecordJournal::append(uint64_t height, ByteView body) {
  if (body.size() > UINT32_MAX) return resource_exhausted("a journal record is at most 4 GiB");
  const uint64_t blocks = blocks_for(record_header_bytes + body.size());
  const std::optional<uint64_t> at = place(blocks);
  if (!at) return resource_exhausted("the record journal has no room for the record");
  Bytes header = record_fields(next_sequence_, height, static_cast<uint32_t>(body.size()));
  const auto mac = record_mac(header_.key, header, body);
  header.insert(header.end(), mac.begin(), mac.end());
  // The rest of the last block is written too (zeros): a write of part of a block that is not
  // in the page cache would first read it from the disk.
  static const Bytes padding(file_journal_block_bytes, 0);
  const size_t pad = blocks * file_journal_block_bytes - header.size() - body.size();
  std::vector<iovec> pieces{{header.data(), header.size()},
                            {const_cast<uint8_t*>(body.data()), body.size()},
                            {const_cast<uint8_t*>(padding.data()), pad}};
  CORRIDOR_RETURN_IF_ERROR(write_pieces_at(fd_, std::move(pieces), ring_offset(*at), path_));
  live_.push_back(Placed{height, *at, blocks});
  head_ = *at + blocks;
  ++next_sequence_;
  return Status::ok_status();
}

Status FileRecordJournal::sync() {
  if (::fdatasync(fd_) != 0) return errno_error("cannot sync", path_);
  return Status::ok_status();
}

void FileRecordJournal::release_through(uint64_t height) {
  // Only the oldest records give their room back: the ring is used in order.
  while (!live_.empty() && live_.front().height <= height) live_.pop_front();
}

Status FileRecordJournal::clear() {
  Bytes key(key_bytes);
  randombytes_buf(key.data(), key.size());
  const uint64_t generation = header_.generation + 1;
  // The slot the current header is not in: a torn write leaves the current one whole.
  const auto slot = static_cast<off_t>((generation % header_slots) * file_journal_block_bytes);
  CORRIDOR_RETURN_IF_ERROR(
      write_all_at(fd_, encode_header(generation, capacity_blocks_, key), slot, path_));
  CORRIDOR_RETURN_IF_ERROR(sync());
  header_.generation = generation;
  header_.key = std::move(key);
  live_.clear();
  return Status::ok_status();
}

Result<std::vector<JournalRecord>> FileRecordJournal::read_all() const {
  CORRIDOR_ASSIGN_OR_RETURN(std::vector<Found> found, scan(/*with_bodies=*/true));
  std::vector<JournalRecord> out;
  out.reserve(found.size());
  for (Found& f : found) out.push_back(JournalRecord{f.placed.height, std::move(f.body)});
  return out;
}

}  // namespace corridor::storage
