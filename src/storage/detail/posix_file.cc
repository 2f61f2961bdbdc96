#include "storage/detail/posix_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace corridor::storage::detail {
namespace {

Status sync_directory_of(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("cannot open the directory of", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return errno_error("cannot sync the directory of", path);
  return Status::ok_status();
}

}  // namespace

Status errno_error(const std::string& what, const std::string& path) {
  return io_error(what + " '" + path + "': " + std::strerror(errno));
}

Status write_all_at(int fd, ByteView bytes, off_t offset, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pwrite(fd, bytes.data() + done, bytes.size() - done, offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  return Status::ok_status();
}

Status write_pieces_at(int fd, std::vector<iovec> pieces, off_t offset, const std::string& path) {
  size_t first = 0;
  while (first < pieces.size()) {
    const ssize_t n =
        ::pwritev(fd, pieces.data() + first, static_cast<int>(pieces.size() - first), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot write", path);
    }
    offset += n;
    auto left = static_cast<size_t>(n);
    while (first < pieces.size() && left >= pieces[first].iov_len) left -= pieces[first++].iov_len;
    if (first < pieces.size()) {
      pieces[first].iov_base = static_cast<uint8_t*>(pieces[first].iov_base) + left;
      pieces[first].iov_len -= left;
    }
  }
  return Status::ok_status();
}

Status read_all_at(int fd, Bytes& out, off_t offset, const std::string& path) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd, out.data() + done, out.size() - done, offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("cannot read", path);
    }
    if (n == 0) return corruption("'" + path + "' ends before the bytes expected");
    done += static_cast<size_t>(n);
  }
  return Status::ok_status();
}

Status create_file_atomically(const std::string& path,
                              const std::function<Status(int fd, const std::string& tmp)>& fill) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error("cannot create", tmp);
  Status st = fill(fd, tmp);
  if (st.ok() && ::fsync(fd) != 0) st = errno_error("cannot sync", tmp);
  ::close(fd);
  if (!st.ok()) return st;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_error("cannot rename", tmp);
  return sync_directory_of(path);
}

}  // namespace corridor::storage::detail
