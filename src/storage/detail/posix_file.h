// POSIX file helpers for the files the storage layer keeps beside RocksDB (file_cell.h,
// file_record_journal.h): whole reads and writes at an offset that resume after a short one or
// a signal, and the creation of a file that appears under its name only once it is complete
// and durable.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <functional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace corridor::storage::detail {

// An io_error naming what failed, the path, and errno's message.
[[nodiscard]] Status errno_error(const std::string& what, const std::string& path);

// Writes all of `bytes` at `offset`.
[[nodiscard]] Status write_all_at(int fd, ByteView bytes, off_t offset, const std::string& path);

// Writes the pieces one after the other from `offset`, without joining them first.
[[nodiscard]] Status write_pieces_at(int fd, std::vector<iovec> pieces, off_t offset,
                                     const std::string& path);

// Fills all of `out` from `offset`; corruption when the file ends first.
[[nodiscard]] Status read_all_at(int fd, Bytes& out, off_t offset, const std::string& path);

// Creates the file at `path`: `fill` writes its contents to a temporary file
// (`path` + ".tmp"), which is then synced, renamed to `path`, and its directory synced. So a
// file under its name is always complete, and a crash leaves at most the temporary one.
[[nodiscard]] Status create_file_atomically(
    const std::string& path, const std::function<Status(int fd, const std::string& tmp)>& fill);

}  // namespace corridor::storage::detail
