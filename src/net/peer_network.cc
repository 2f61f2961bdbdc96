#include "net/peer_network.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "base/thread_name.h"

namespace corridor::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

// Pause before accepting again after an accept error (out of file descriptors), so the accept
// loop does not spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
// Backoff doubles at most this many times before reconnect_ms_max caps it anyway.
constexpr uint32_t kBackoffShiftMax = 20;

struct Conn;

// One pinned peer. The fields above `mutex-guarded` are used on the I/O thread only; the map of
// peers itself never changes after start, so looking a peer up needs no lock.
struct PeerState {
  explicit PeerState(asio::io_context& ioc, PublicKey k) : key(k), retry_timer(ioc) {}

  const PublicKey key;
  std::string host;
  uint16_t port = 0;
  std::shared_ptr<Conn> active;   // The established channel.
  std::shared_ptr<Conn> dialing;  // Our outbound attempt, until established or failed.
  asio::steady_timer retry_timer;
  bool retry_scheduled = false;
  uint32_t failures = 0;  // Consecutive failed attempts, for the backoff.
  bool dialed_before = false;

  // mutex-guarded (Impl::mutex):
  std::deque<Bytes> queue;
  size_t queued_bytes = 0;
  bool kick_pending = false;
  TestFault fault = TestFault::none;
  PeerCounters counters;
};

bool dialable(const PeerState& p) {
  return !p.host.empty() && p.port != 0;
}

}  // namespace

struct PeerNetwork::Impl {
  Impl(const KeyPair& id, PeerNetworkOptions opts, ReceiveHandler h)
      : identity(id), options(std::move(opts)), handler(std::move(h)) {}

  // Declared first so it is destroyed last, after every socket and timer below.
  asio::io_context ioc{1};
  const KeyPair identity;
  const PeerNetworkOptions options;
  const ReceiveHandler handler;
  tcp::acceptor acceptor{ioc};
  asio::steady_timer accept_retry_timer{ioc};
  std::map<PublicKey, std::unique_ptr<PeerState>> peers;
  std::set<std::shared_ptr<Conn>> conns;  // I/O thread only.
  size_t inbound_pending = 0;             // I/O thread only.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  uint16_t port = 0;
  std::atomic<bool> stopping{false};

  mutable std::mutex mutex;
  bool stopped = false;    // Guarded by mutex; once set nothing is posted to ioc.
  NetworkCounters totals;  // Guarded by mutex; `peers` unused (filled in by snapshots).

  PeerState* find(const PublicKey& key) const {
    auto it = peers.find(key);
    return it == peers.end() ? nullptr : it->second.get();
  }
  template <typename F>
  void count(F&& f) {
    std::lock_guard lock(mutex);
    f(totals);
  }
  template <typename F>
  void count(PeerState& p, F&& f) {
    std::lock_guard lock(mutex);
    f(totals, p.counters);
  }

  void accept();
  void dial(PeerState& p);
  void schedule_retry(PeerState& p);
  void start_handshake(const std::shared_ptr<Conn>& c);
  void read_handshake(const std::shared_ptr<Conn>& c);
  void on_handshake_message(const std::shared_ptr<Conn>& c);
  void handshake_failed(const std::shared_ptr<Conn>& c, HandshakeError e);
  void established(const std::shared_ptr<Conn>& c);
  void read_frame(const std::shared_ptr<Conn>& c);
  void on_frame(const std::shared_ptr<Conn>& c);
  void pump(PeerState& p);
  void close(const std::shared_ptr<Conn>& c);
  void kick(PeerState& p);  // Any thread, mutex not held.
};

namespace {

struct Conn {
  Conn(asio::io_context& ioc, tcp::socket s, bool init)
      : socket(std::move(s)), timer(ioc), resolver(ioc), initiator(init) {}

  tcp::socket socket;
  asio::steady_timer timer;
  tcp::resolver resolver;
  const bool initiator;
  std::optional<Handshake> handshake;
  PeerState* dialed = nullptr;  // The peer we dialed (initiator only).
  PeerState* peer = nullptr;    // Set when established.
  bool established = false;
  bool closed = false;
  bool writing = false;
  FrameSealer sealer;
  FrameOpener opener;
  std::array<uint8_t, length_prefix_bytes> prefix{};
  Bytes body;
  Bytes out;
};

// A peer whose host vanished without closing its sockets (power loss) is noticed by TCP
// keep-alive after about kKeepAliveIdleS + kKeepAliveCount * kKeepAliveIntervalS seconds, or
// when unacknowledged data has waited kTcpUserTimeoutMs; the channel then closes and the
// restarted peer's new channel is no longer refused as a duplicate of the stale one.
constexpr int kKeepAliveIdleS = 10;
constexpr int kKeepAliveIntervalS = 5;
constexpr int kKeepAliveCount = 3;
constexpr unsigned kTcpUserTimeoutMs = 30'000;

void set_socket_options(tcp::socket& s) {
  error_code ignored;
  s.set_option(tcp::no_delay(true), ignored);
  s.set_option(asio::socket_base::keep_alive(true), ignored);
#if defined(__linux__)
  s.set_option(asio::detail::socket_option::integer<IPPROTO_TCP, TCP_KEEPIDLE>(kKeepAliveIdleS),
               ignored);
  s.set_option(
      asio::detail::socket_option::integer<IPPROTO_TCP, TCP_KEEPINTVL>(kKeepAliveIntervalS),
      ignored);
  s.set_option(asio::detail::socket_option::integer<IPPROTO_TCP, TCP_KEEPCNT>(kKeepAliveCount),
               ignored);
  s.set_option(asio::detail::socket_option::integer<IPPROTO_TCP, TCP_USER_TIMEOUT>(
                   static_cast<int>(kTcpUserTimeoutMs)),
               ignored);
#endif
}

}  // namespace

void PeerNetwork::Impl::accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      accept_retry_timer.expires_after(kAcceptRetryDelay);
      accept_retry_timer.async_wait([this](error_code tec) {
        if (!tec && !stopping) accept();
      });
      return;
    }
    count([](NetworkCounters& t) { ++t.connections_accepted; });
    if (inbound_pending >= options.pending_handshakes_max) {
      count([](NetworkCounters& t) { ++t.connections_refused; });
      error_code ignored;
      socket.close(ignored);
    } else {
      set_socket_options(socket);
      auto c = std::make_shared<Conn>(ioc, std::move(socket), false);
      c->handshake.emplace(Handshake::responder(
          identity, options.network_id, [this](const PublicKey& k) { return find(k) != nullptr; }));
      ++inbound_pending;
      start_handshake(c);
      read_handshake(c);
    }
    accept();
  });
}

void PeerNetwork::Impl::dial(PeerState& p) {
  if (stopping || p.active || p.dialing || !dialable(p)) return;
  const bool again = p.dialed_before;
  p.dialed_before = true;
  count(p, [again](NetworkCounters&, PeerCounters& pc) {
    ++pc.dials;
    if (again) ++pc.reconnects;
  });
  auto c = std::make_shared<Conn>(ioc, tcp::socket(ioc), true);
  c->dialed = &p;
  c->handshake.emplace(Handshake::initiator(identity, options.network_id, p.key));
  p.dialing = c;
  start_handshake(c);
  c->resolver.async_resolve(
      p.host, std::to_string(p.port), tcp::resolver::numeric_service,
      [this, c](error_code ec, const tcp::resolver::results_type& results) {
        if (c->closed) return;
        if (ec) {
          count(*c->dialed, [](NetworkCounters&, PeerCounters& pc) { ++pc.dial_failures; });
          return close(c);
        }
        asio::async_connect(c->socket, results, [this, c](error_code cec, const tcp::endpoint&) {
          if (c->closed) return;
          if (cec) {
            count(*c->dialed, [](NetworkCounters&, PeerCounters& pc) { ++pc.dial_failures; });
            return close(c);
          }
          set_socket_options(c->socket);
          c->out = with_length_prefix(c->handshake->hello());
          asio::async_write(c->socket, asio::buffer(c->out), [this, c](error_code wec, size_t) {
            if (c->closed) return;
            if (wec) {
              count([](NetworkCounters& t) { ++t.handshakes_aborted; });
              return close(c);
            }
            read_handshake(c);
          });
        });
      });
}

void PeerNetwork::Impl::schedule_retry(PeerState& p) {
  if (stopping || p.active || p.dialing || p.retry_scheduled || !dialable(p)) return;
  // Deterministic exponential backoff. The side with the higher key waits one base period
  // longer, so after a common failure the lower side's dial usually wins without a duplicate.
  const uint64_t base = options.reconnect_ms_base;
  uint64_t delay = base << std::min(p.failures, kBackoffShiftMax);
  if (p.key < identity.public_key()) delay += base;
  delay = std::min<uint64_t>(delay, options.reconnect_ms_max);
  p.retry_scheduled = true;
  p.retry_timer.expires_after(std::chrono::milliseconds(delay));
  p.retry_timer.async_wait([this, &p](error_code ec) {
    p.retry_scheduled = false;
    if (!ec) dial(p);
  });
}

void PeerNetwork::Impl::start_handshake(const std::shared_ptr<Conn>& c) {
  conns.insert(c);
  count([](NetworkCounters& t) { ++t.handshakes_pending; });
  c->timer.expires_after(std::chrono::milliseconds(options.handshake_timeout_ms));
  c->timer.async_wait([this, c](error_code ec) {
    if (ec || c->closed || c->established) return;
    handshake_failed(c, HandshakeError::timeout);
  });
}

void PeerNetwork::Impl::read_handshake(const std::shared_ptr<Conn>& c) {
  asio::async_read(c->socket, asio::buffer(c->prefix), [this, c](error_code ec, size_t) {
    if (c->closed) return;
    if (ec) {
      count([](NetworkCounters& t) { ++t.handshakes_aborted; });
      return close(c);
    }
    const uint32_t n = read_length_prefix(c->prefix.data());
    if (n > handshake_message_bytes_max) return handshake_failed(c, HandshakeError::oversize);
    c->body.resize(n);
    asio::async_read(c->socket, asio::buffer(c->body), [this, c](error_code bec, size_t) {
      if (c->closed) return;
      if (bec) {
        count([](NetworkCounters& t) { ++t.handshakes_aborted; });
        return close(c);
      }
      on_handshake_message(c);
    });
  });
}

void PeerNetwork::Impl::on_handshake_message(const std::shared_ptr<Conn>& c) {
  Handshake::Step step = c->handshake->on_message(c->body);
  if (step.error != HandshakeError::none) return handshake_failed(c, step.error);
  if (step.reply.empty()) {
    if (c->handshake->done()) return established(c);
    return read_handshake(c);
  }
  c->out = with_length_prefix(step.reply);
  asio::async_write(c->socket, asio::buffer(c->out), [this, c](error_code ec, size_t) {
    if (c->closed) return;
    if (ec) {
      count([](NetworkCounters& t) { ++t.handshakes_aborted; });
      return close(c);
    }
    if (c->handshake->done()) return established(c);
    read_handshake(c);
  });
}

void PeerNetwork::Impl::handshake_failed(const std::shared_ptr<Conn>& c, HandshakeError e) {
  count([e](NetworkCounters& t) { ++t.handshake_failures[static_cast<size_t>(e)]; });
  close(c);
}

void PeerNetwork::Impl::established(const std::shared_ptr<Conn>& c) {
  const Session& s = c->handshake->session();
  PeerState* p = find(s.peer);
  CORRIDOR_ASSERT_MSG(p != nullptr, "handshake accepted a key that is not pinned");
  c->sealer = FrameSealer(s.tx);
  c->opener = FrameOpener(s.rx);
  c->handshake.reset();
  c->established = true;
  c->peer = p;
  c->timer.cancel();
  Bytes().swap(c->out);
  if (c->initiator) {
    if (p->dialing == c) p->dialing.reset();
  } else {
    --inbound_pending;
  }
  count([](NetworkCounters& t) {
    --t.handshakes_pending;
    ++t.handshakes_completed;
  });

  if (p->active && !p->active->closed) {
    // Both sides dialed. Each side keeps the channel initiated by the lower key, so both keep
    // the same one; a newer channel from the same initiator replaces a stale one.
    const PublicKey& me = identity.public_key();
    const PublicKey& new_init = c->initiator ? me : p->key;
    const PublicKey& old_init = p->active->initiator ? me : p->key;
    const bool keep_new = new_init == old_init || new_init < old_init;
    count(*p, [](NetworkCounters&, PeerCounters& pc) { ++pc.duplicates_closed; });
    if (!keep_new) return close(c);
    std::shared_ptr<Conn> old = std::move(p->active);
    p->active = c;
    close(old);
  } else {
    p->active = c;
  }
  p->failures = 0;
  p->retry_timer.cancel();
  const bool outbound = c->initiator;
  count(*p, [outbound](NetworkCounters&, PeerCounters& pc) {
    pc.connected = true;
    pc.outbound = outbound;
    ++pc.connections;
  });
  read_frame(c);
  pump(*p);
}

void PeerNetwork::Impl::read_frame(const std::shared_ptr<Conn>& c) {
  asio::async_read(c->socket, asio::buffer(c->prefix), [this, c](error_code ec, size_t got) {
    if (c->closed) return;
    PeerState& p = *c->peer;
    if (ec) {
      if (got > 0) {
        count(p, [](NetworkCounters& t, PeerCounters& pc) {
          ++t.frames_truncated;
          ++pc.frames_truncated;
        });
      }
      return close(c);
    }
    const uint32_t n = read_length_prefix(c->prefix.data());
    if (n < frame_tag_bytes) {
      count([](NetworkCounters& t) { ++t.frames_malformed; });
      return close(c);
    }
    if (n - frame_tag_bytes > options.frame_bytes_max) {
      count(p, [](NetworkCounters& t, PeerCounters& pc) {
        ++t.frames_oversize;
        ++pc.frames_oversize;
      });
      return close(c);
    }
    c->body.resize(n);
    asio::async_read(c->socket, asio::buffer(c->body), [this, c](error_code bec, size_t) {
      if (c->closed) return;
      if (bec) {
        count(*c->peer, [](NetworkCounters& t, PeerCounters& pc) {
          ++t.frames_truncated;
          ++pc.frames_truncated;
        });
        return close(c);
      }
      on_frame(c);
    });
  });
}

void PeerNetwork::Impl::on_frame(const std::shared_ptr<Conn>& c) {
  PeerState& p = *c->peer;
  Result<Bytes> opened = c->opener.open(c->prefix, c->body);
  Bytes().swap(c->body);
  if (!opened.ok()) {
    count(p, [](NetworkCounters& t, PeerCounters& pc) {
      ++t.frames_auth_failed;
      ++pc.frames_auth_failed;
    });
    return close(c);
  }
  Bytes payload = std::move(opened).value();
  bool drop = false;
  {
    std::lock_guard lock(mutex);
    ++totals.frames_in;
    totals.bytes_in += payload.size();
    ++p.counters.frames_in;
    p.counters.bytes_in += payload.size();
    if (p.fault == TestFault::drop_inbound) {
      drop = true;
      ++p.counters.frames_dropped_by_test_fault;
    }
  }
  if (!drop && !stopping) {
    try {
      handler(p.key, std::move(payload));
    } catch (...) {
      count([](NetworkCounters& t) { ++t.handler_exceptions; });
    }
  }
  if (c->closed) return;  // The handler may have led to a test_disconnect or stop.
  read_frame(c);
}

void PeerNetwork::Impl::pump(PeerState& p) {
  const std::shared_ptr<Conn> c = p.active;
  if (!c || c->closed || c->writing) return;
  Bytes payload;
  bool corrupt = false;
  {
    std::lock_guard lock(mutex);
    for (;;) {
      if (p.queue.empty() || p.fault == TestFault::block_outbound) return;
      payload = std::move(p.queue.front());
      p.queue.pop_front();
      p.queued_bytes -= payload.size();
      if (p.fault == TestFault::drop_outbound) {
        ++p.counters.frames_dropped_by_test_fault;
        continue;
      }
      if (p.fault == TestFault::corrupt_next_outbound) {
        corrupt = true;
        p.fault = TestFault::none;
      }
      break;
    }
  }
  Result<Bytes> sealed = c->sealer.seal(payload);
  if (!sealed.ok()) return close(c);
  c->out = std::move(sealed).value();
  if (corrupt) c->out[length_prefix_bytes] ^= 0x01;  // First ciphertext (or tag) byte.
  c->writing = true;
  const size_t size = payload.size();
  Bytes().swap(payload);
  asio::async_write(c->socket, asio::buffer(c->out), [this, c, size](error_code ec, size_t) {
    c->writing = false;
    Bytes().swap(c->out);
    if (c->closed) return;
    if (ec) return close(c);
    PeerState& peer = *c->peer;
    count(peer, [size](NetworkCounters& t, PeerCounters& pc) {
      ++t.frames_out;
      t.bytes_out += size;
      ++pc.frames_out;
      pc.bytes_out += size;
    });
    pump(peer);
  });
}

void PeerNetwork::Impl::close(const std::shared_ptr<Conn>& c) {
  if (c->closed) return;
  c->closed = true;
  error_code ignored;
  c->timer.cancel();
  c->resolver.cancel();
  c->socket.shutdown(tcp::socket::shutdown_both, ignored);
  c->socket.close(ignored);
  conns.erase(c);
  if (!c->established) {
    count([](NetworkCounters& t) { --t.handshakes_pending; });
    if (!c->initiator) {
      --inbound_pending;
      return;
    }
    PeerState& p = *c->dialed;
    if (p.dialing == c) {
      p.dialing.reset();
      ++p.failures;
      schedule_retry(p);
    }
    return;
  }
  PeerState& p = *c->peer;
  if (p.active != c) return;  // A duplicate channel: the peer stays connected on the other.
  p.active.reset();
  count(p, [](NetworkCounters&, PeerCounters& pc) {
    pc.connected = false;
    ++pc.disconnects;
  });
  schedule_retry(p);
}

void PeerNetwork::Impl::kick(PeerState& p) {
  {
    std::lock_guard lock(mutex);
    if (stopped || p.kick_pending) return;
    p.kick_pending = true;
  }
  asio::post(ioc, [this, &p] {
    {
      std::lock_guard lock(mutex);
      p.kick_pending = false;
    }
    pump(p);
  });
}

PeerNetwork::PeerNetwork(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PeerNetwork::~PeerNetwork() {
  stop();
}

uint16_t PeerNetwork::port() const {
  return impl_->port;
}

const PublicKey& PeerNetwork::public_key() const {
  return impl_->identity.public_key();
}

namespace {

Status validate(const KeyPair& identity, const PeerNetworkOptions& o, const ReceiveHandler& h) {
  if (!h) return invalid_argument("peer network: no receive handler");
  if (o.frame_bytes_max == 0 || o.frame_bytes_max > frame_bytes_limit) {
    return invalid_argument("peer network: frame_bytes_max must be between 1 and " +
                            std::to_string(frame_bytes_limit));
  }
  if (o.send_queue_bytes_max == 0)
    return invalid_argument("peer network: send_queue_bytes_max is 0");
  if (o.handshake_timeout_ms == 0)
    return invalid_argument("peer network: handshake_timeout_ms is 0");
  if (o.reconnect_ms_base == 0 || o.reconnect_ms_max < o.reconnect_ms_base) {
    return invalid_argument("peer network: need 0 < reconnect_ms_base <= reconnect_ms_max");
  }
  if (o.pending_handshakes_max == 0) {
    return invalid_argument("peer network: pending_handshakes_max is 0");
  }
  std::set<PublicKey> seen;
  for (const PeerAddress& p : o.peers) {
    if (p.key == identity.public_key()) return invalid_argument("peer network: own key pinned");
    if (!seen.insert(p.key).second) {
      return invalid_argument("peer network: peer " + p.key.hex() + " pinned twice");
    }
  }
  return Status::ok_status();
}

}  // namespace

Result<std::unique_ptr<PeerNetwork>> PeerNetwork::start(const KeyPair& identity,
                                                        PeerNetworkOptions options,
                                                        ReceiveHandler handler) {
  CORRIDOR_RETURN_IF_ERROR(validate(identity, options, handler));
  const std::string where = options.listen_address + ":" + std::to_string(options.listen_port);
  try {
    auto impl = std::make_unique<Impl>(identity, std::move(options), std::move(handler));
    Impl& im = *impl;
    for (const PeerAddress& a : im.options.peers) {
      auto p = std::make_unique<PeerState>(im.ioc, a.key);
      p->host = a.host;
      p->port = a.port;
      im.peers.emplace(a.key, std::move(p));
    }
    error_code ec;
    tcp::resolver resolver(im.ioc);
    const auto results =
        resolver.resolve(im.options.listen_address, std::to_string(im.options.listen_port),
                         tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec) return invalid_argument("peer network: cannot resolve " + where + ": " + ec.message());
    error_code last = asio::error::host_not_found;
    bool listening = false;
    for (const auto& entry : results) {
      error_code ignored;
      if (im.acceptor.is_open()) im.acceptor.close(ignored);
      im.acceptor.open(entry.endpoint().protocol(), ec);
      if (ec) {
        last = ec;
        continue;
      }
      im.acceptor.set_option(asio::socket_base::reuse_address(true), ignored);
      im.acceptor.bind(entry.endpoint(), ec);
      if (!ec) im.acceptor.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) {
        last = ec;
        continue;
      }
      listening = true;
      break;
    }
    if (!listening)
      return io_error("peer network: cannot listen on " + where + ": " + last.message());
    im.port = im.acceptor.local_endpoint().port();
    im.work.emplace(im.ioc.get_executor());
    asio::post(im.ioc, [&im] {
      im.accept();
      for (auto& [key, p] : im.peers) {
        // The lower key dials at once; the higher waits a backoff period (schedule_retry), so
        // two nodes starting together rarely build two channels.
        if (im.identity.public_key() < key) {
          im.dial(*p);
        } else {
          im.schedule_retry(*p);
        }
      }
    });
    std::unique_ptr<PeerNetwork> net(new PeerNetwork(std::move(impl)));
    net->impl_->thread = std::thread([&im] {
      set_current_thread_name("peer-net");
      im.ioc.run();
    });
    return net;
  } catch (const std::exception& e) {
    return io_error("peer network: cannot start on " + where + ": " + e.what());
  }
}

Status PeerNetwork::connect(const PublicKey& peer, std::string host, uint16_t port) {
  PeerState* p = impl_->find(peer);
  if (!p) return not_found("peer network: " + peer.hex() + " is not a pinned peer");
  std::lock_guard lock(impl_->mutex);
  if (impl_->stopped) return Status(StatusCode::unavailable, "peer network: stopped");
  Impl* im = impl_.get();
  asio::post(im->ioc, [im, p, host = std::move(host), port] {
    p->host = host;
    p->port = port;
    p->failures = 0;
    if (p->retry_scheduled) p->retry_timer.cancel();
    im->dial(*p);
  });
  return Status::ok_status();
}

Status PeerNetwork::send(const PublicKey& peer, Bytes payload) {
  PeerState* p = impl_->find(peer);
  if (!p) return not_found("peer network: " + peer.hex() + " is not a pinned peer");
  if (payload.size() > impl_->options.frame_bytes_max) {
    return invalid_argument("peer network: frame of " + std::to_string(payload.size()) +
                            " bytes exceeds frame_bytes_max " +
                            std::to_string(impl_->options.frame_bytes_max));
  }
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopped) return Status(StatusCode::unavailable, "peer network: stopped");
    if (p->queued_bytes > 0 &&
        p->queued_bytes + payload.size() > impl_->options.send_queue_bytes_max) {
      ++p->counters.send_rejected;
      ++impl_->totals.send_rejected;
      return resource_exhausted("peer network: send queue to " + peer.hex() + " is full (" +
                                std::to_string(p->queued_bytes) + " bytes)");
    }
    p->queued_bytes += payload.size();
    p->queue.push_back(std::move(payload));
  }
  impl_->kick(*p);
  return Status::ok_status();
}

NetworkCounters PeerNetwork::counters() const {
  std::lock_guard lock(impl_->mutex);
  NetworkCounters out = impl_->totals;
  for (const auto& [key, p] : impl_->peers) {
    PeerCounters pc = p->counters;
    pc.queued_bytes = p->queued_bytes;
    pc.queued_frames = p->queue.size();
    out.peers.emplace(key, pc);
  }
  return out;
}

void PeerNetwork::test_set_fault(const PublicKey& peer, TestFault fault) {
  PeerState* p = impl_->find(peer);
  if (!p) return;
  {
    std::lock_guard lock(impl_->mutex);
    p->fault = fault;
  }
  impl_->kick(*p);
}

void PeerNetwork::test_disconnect(const PublicKey& peer) {
  PeerState* p = impl_->find(peer);
  if (!p) return;
  std::lock_guard lock(impl_->mutex);
  if (impl_->stopped) return;
  Impl* im = impl_.get();
  asio::post(im->ioc, [im, p] {
    if (p->active) im->close(p->active);
  });
}

void PeerNetwork::stop() {
  Impl& im = *impl_;
  {
    std::lock_guard lock(im.mutex);
    if (im.stopped) return;
    im.stopped = true;
  }
  CORRIDOR_ASSERT_MSG(!im.ioc.get_executor().running_in_this_thread(),
                      "PeerNetwork::stop() called from the receive handler");
  im.stopping = true;
  asio::post(im.ioc, [&im] {
    error_code ignored;
    im.acceptor.close(ignored);
    im.accept_retry_timer.cancel();
    for (auto& [key, p] : im.peers) p->retry_timer.cancel();
    const std::vector<std::shared_ptr<Conn>> live(im.conns.begin(), im.conns.end());
    for (const auto& c : live) im.close(c);
  });
  im.work.reset();
  if (im.thread.joinable()) im.thread.join();
  // Runs what is left (completions of the closed sockets) so every connection is released.
  im.ioc.restart();
  im.ioc.run();
  for (auto& [key, p] : im.peers) {
    p->active.reset();
    p->dialing.reset();
    std::lock_guard lock(im.mutex);
    p->queue.clear();
    p->queued_bytes = 0;
  }
}

}  // namespace corridor::net
