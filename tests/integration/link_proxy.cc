#include "link_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace corridor::test {
namespace {

// The poll() timeout: changes are applied at once through the wake pipe, so this only bounds
// how long a missed wake-up could go unnoticed.
constexpr int poll_timeout_ms = 100;
constexpr size_t read_chunk_bytes = 64 << 10;

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

void no_delay(int fd) {
  // Consensus frames are small and latency-bound; Nagle's algorithm would hold them back.
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

// One proxied connection: `a` was accepted from the dialer, `b` connects on to the target.
struct LinkProxies::Conn {
  size_t link = 0;
  int a = -1;
  int b = -1;
  std::string ab;  // Read from a, not yet written to b (from offset ab_off).
  std::string ba;
  size_t ab_off = 0;
  size_t ba_off = 0;
  bool dead = false;

  void close_both() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
    a = b = -1;
    dead = true;
  }
};

std::unique_ptr<LinkProxies> LinkProxies::start(std::vector<ProxyLink> links, std::string& error) {
  std::unique_ptr<LinkProxies> p(new LinkProxies());
  p->links_ = std::move(links);
  if (::pipe2(p->wake_, O_NONBLOCK | O_CLOEXEC) != 0) {
    error = std::string("pipe2: ") + std::strerror(errno);
    return nullptr;
  }
  for (size_t i = 0; i < p->links_.size(); ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in addr = loopback(0);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd, 64) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      error = std::string("proxy listener: ") + std::strerror(errno);
      if (fd >= 0) ::close(fd);
      return nullptr;
    }
    p->listeners_.push_back(fd);
    p->ports_.push_back(ntohs(addr.sin_port));
  }
  p->thread_ = std::thread([raw = p.get()] { raw->run(); });
  return p;
}

LinkProxies::~LinkProxies() {
  stop();
  for (int fd : listeners_) ::close(fd);
  for (int fd : wake_)
    if (fd >= 0) ::close(fd);
}

void LinkProxies::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  char byte = 0;
  [[maybe_unused]] ssize_t n = ::write(wake_[1], &byte, 1);
  if (thread_.joinable()) thread_.join();
}

bool LinkProxies::isolate(int node) {
  return request(node, true);
}
bool LinkProxies::heal(int node) {
  return request(node, false);
}

bool LinkProxies::request(int node, bool isolated) {
  std::unique_lock lock(mu_);
  if (isolated)
    isolated_.insert(node);
  else
    isolated_.erase(node);
  const uint64_t wanted = ++requested_;
  char byte = 0;
  [[maybe_unused]] ssize_t n = ::write(wake_[1], &byte, 1);
  return applied_cv_.wait_for(lock, std::chrono::milliseconds(proxy_apply_timeout_ms),
                              [&] { return applied_ >= wanted; });
}

ProxyCounters LinkProxies::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

bool LinkProxies::touches_isolated(size_t link) const {
  return isolated_.contains(links_[link].from) || isolated_.contains(links_[link].to);
}

void LinkProxies::run() {
  std::vector<std::unique_ptr<Conn>> conns;
  std::vector<pollfd> fds;
  char chunk[read_chunk_bytes];
  uint64_t bytes = 0;

  // Writes what is buffered for `to`; false when the connection broke.
  auto flush = [&](int to, std::string& buf, size_t& off) {
    while (off < buf.size()) {
      ssize_t n = ::send(to, buf.data() + off, buf.size() - off, MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
      off += static_cast<size_t>(n);
      bytes += static_cast<uint64_t>(n);
    }
    buf.clear();
    off = 0;
    return true;
  };
  // Reads what `from` has (up to the buffer's room) and passes it on; false when it broke.
  auto pump = [&](int from, int to, std::string& buf, size_t& off) {
    const size_t room = proxy_buffer_bytes_max - (buf.size() - off);
    if (room == 0) return true;
    ssize_t n = ::recv(from, chunk, std::min(room, sizeof chunk), 0);
    if (n == 0) return false;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    buf.append(chunk, static_cast<size_t>(n));
    return flush(to, buf, off);
  };

  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
      for (auto& c : conns)
        if (!c->dead && touches_isolated(c->link)) {
          c->close_both();
          ++counters_.closed_by_isolate;
        }
      counters_.bytes += bytes;
      bytes = 0;
      if (applied_ != requested_) {
        applied_ = requested_;
        applied_cv_.notify_all();
      }
    }
    std::erase_if(conns, [](const auto& c) { return c->dead; });

    fds.clear();
    fds.push_back({wake_[0], POLLIN, 0});
    for (int l : listeners_) fds.push_back({l, POLLIN, 0});
    for (auto& c : conns) {
      const bool a_room = c->ab.size() - c->ab_off < proxy_buffer_bytes_max;
      const bool b_room = c->ba.size() - c->ba_off < proxy_buffer_bytes_max;
      fds.push_back(
          {c->a,
           static_cast<short>((a_room ? POLLIN : 0) | (c->ba_off < c->ba.size() ? POLLOUT : 0)),
           0});
      fds.push_back(
          {c->b,
           static_cast<short>((b_room ? POLLIN : 0) | (c->ab_off < c->ab.size() ? POLLOUT : 0)),
           0});
    }
    if (::poll(fds.data(), fds.size(), poll_timeout_ms) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents & POLLIN) {
      char drain[64];
      while (::read(wake_[0], drain, sizeof drain) > 0) {
      }
    }
    const size_t conn_base = 1 + listeners_.size();
    // Existing connections first: their poll entries are indexed by position in `conns`.
    for (size_t i = 0; i < conns.size(); ++i) {
      Conn& c = *conns[i];
      const short ra = fds[conn_base + 2 * i].revents;
      const short rb = fds[conn_base + 2 * i + 1].revents;
      bool ok = !((ra | rb) & (POLLERR | POLLNVAL));
      if (ok && (ra & (POLLIN | POLLHUP))) ok = pump(c.a, c.b, c.ab, c.ab_off);
      if (ok && (rb & (POLLIN | POLLHUP))) ok = pump(c.b, c.a, c.ba, c.ba_off);
      if (ok && (ra & POLLOUT)) ok = flush(c.a, c.ba, c.ba_off);
      if (ok && (rb & POLLOUT)) ok = flush(c.b, c.ab, c.ab_off);
      if (!ok) c.close_both();
    }
    for (size_t l = 0; l < listeners_.size(); ++l) {
      if (!(fds[1 + l].revents & POLLIN)) continue;
      int a = ::accept4(listeners_[l], nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (a < 0) continue;
      bool refuse = conns.size() >= proxy_connections_max;
      {
        std::lock_guard lock(mu_);
        if (!refuse && touches_isolated(l)) {
          refuse = true;
          ++counters_.refused_isolated;
        }
      }
      if (refuse) {
        ::close(a);
        continue;
      }
      // A loopback connect completes (or is refused) at once, so a blocking one is fine here.
      int b = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in target = loopback(links_[l].target_port);
      if (b < 0 || ::connect(b, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
        if (b >= 0) ::close(b);
        ::close(a);
        std::lock_guard lock(mu_);
        ++counters_.target_refused;
        continue;
      }
      ::fcntl(b, F_SETFL, ::fcntl(b, F_GETFL) | O_NONBLOCK);
      no_delay(a);
      no_delay(b);
      auto c = std::make_unique<Conn>();
      c->link = l;
      c->a = a;
      c->b = b;
      conns.push_back(std::move(c));
      std::lock_guard lock(mu_);
      ++counters_.accepted;
    }
  }
  for (auto& c : conns)
    if (!c->dead) c->close_both();
}

}  // namespace corridor::test
