// PeerNetwork over real sockets on 127.0.0.1: nodes against each other, and a raw blocking
// socket (driving the sans-IO Handshake itself) for the bytes a well-behaved node never sends.
// Waits are on conditions with generous bounds; no sleep is a timing assertion.
#include "net/peer_network.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace corridor::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Generous bound for "soon" on a shared two-core machine (and under ASan).
constexpr auto kSoon = 20s;

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds bound = kSoon) {
  const auto deadline = Clock::now() + bound;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

Hash256 test_network() {
  return sha256(as_bytes(std::string_view("corridor-net-test")));
}

KeyPair key(uint8_t n) {
  Seed s;
  s.bytes.fill(n);
  return KeyPair::from_seed(s);
}

Bytes message(uint32_t sender, uint32_t seq, size_t size = 16) {
  Bytes m(std::max<size_t>(size, 8));
  for (size_t i = 0; i < 4; ++i) m[i] = static_cast<uint8_t>(sender >> (8 * i));
  for (size_t i = 0; i < 4; ++i) m[4 + i] = static_cast<uint8_t>(seq >> (8 * i));
  for (size_t i = 8; i < m.size(); ++i) m[i] = static_cast<uint8_t>(i * 31 + seq);
  return m;
}

// A node: a PeerNetwork and everything it received.
struct Node {
  explicit Node(uint8_t n) : id(key(n)) {}

  void start(std::vector<PeerAddress> peers, uint16_t port = 0,
             std::function<void(PeerNetworkOptions&)> tweak = {}) {
    PeerNetworkOptions o;
    o.network_id = test_network();
    o.listen_port = port;
    o.peers = std::move(peers);
    o.reconnect_ms_base = 20;
    o.reconnect_ms_max = 200;
    if (tweak) tweak(o);
    auto r = PeerNetwork::start(id, std::move(o), [this](const PublicKey& from, Bytes payload) {
      std::lock_guard lock(mutex);
      received[from].push_back(std::move(payload));
    });
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    net = std::move(r).value();
  }
  std::vector<Bytes> from(const PublicKey& k) {
    std::lock_guard lock(mutex);
    return received[k];
  }
  size_t count_from(const PublicKey& k) {
    std::lock_guard lock(mutex);
    return received[k].size();
  }
  bool connected_to(const PublicKey& k) const {
    auto c = net->counters();
    return c.peers.at(k).connected;
  }
  PublicKey pk() const { return id.public_key(); }

  KeyPair id;
  std::mutex mutex;
  std::map<PublicKey, std::vector<Bytes>> received;
  std::unique_ptr<PeerNetwork> net;  // Last: stopped before what its handler touches goes away.
};

PeerAddress at(const Node& n) {
  return {n.pk(), "127.0.0.1", n.net->port()};
}
PeerAddress accept_only(const KeyPair& k) {
  return {k.public_key(), "", 0};
}

// A blocking TCP client with a receive timeout, so a test fails instead of hanging.
class RawPeer {
 public:
  explicit RawPeer(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawPeer() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  bool connected() const { return connected_; }
  bool write(ByteView b) {
    size_t done = 0;
    while (done < b.size()) {
      const ssize_t n = ::send(fd_, b.data() + done, b.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  bool read_exact(uint8_t* p, size_t n) {
    size_t done = 0;
    while (done < n) {
      const ssize_t got = ::recv(fd_, p + done, n - done, 0);
      if (got <= 0) return false;
      done += static_cast<size_t>(got);
    }
    return true;
  }
  std::optional<Bytes> read_message() {
    uint8_t prefix[4];
    if (!read_exact(prefix, 4)) return std::nullopt;
    Bytes body(read_length_prefix(prefix));
    if (!read_exact(body.data(), body.size())) return std::nullopt;
    return body;
  }
  // True when the other side closed the connection (EOF or reset) within the timeout; bytes
  // still arriving before the close are skipped.
  bool closed_by_peer() {
    uint8_t buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }
  void close_now() {
    ::close(fd_);
    fd_ = -1;
  }

  // Runs the initiator side of the handshake; returns the session, or nothing if refused.
  // The messages sent are kept for replay tests.
  std::optional<Session> handshake(const KeyPair& me, const PublicKey& server,
                                   const Hash256& network = test_network()) {
    Handshake h = Handshake::initiator(me, network, server);
    sent_hello = with_length_prefix(h.hello());
    if (!write(sent_hello)) return std::nullopt;
    auto response = read_message();
    if (!response) return std::nullopt;
    auto step = h.on_message(*response);
    if (step.error != HandshakeError::none) return std::nullopt;
    sent_finish = with_length_prefix(step.reply);
    if (!write(sent_finish)) return std::nullopt;
    return h.session();
  }

  Bytes sent_hello;
  Bytes sent_finish;

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// Polls a counter of a network until it reaches `want`.
bool counter_reaches(const PeerNetwork& net,
                     const std::function<uint64_t(const NetworkCounters&)>& f, uint64_t want) {
  return wait_until([&] { return f(net.counters()) >= want; });
}

TEST(PeerNetwork, TwoNodesExchangeMessagesBothWaysInOrder) {
  Node a(1), b(2);
  b.start({accept_only(a.id)});
  a.start({at(b)});
  ASSERT_TRUE(wait_until([&] { return a.connected_to(b.pk()) && b.connected_to(a.pk()); }));
  constexpr uint32_t kCount = 300;
  for (uint32_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(a.net->send(b.pk(), message(1, i)).ok());
    ASSERT_TRUE(b.net->send(a.pk(), message(2, i, 100 + i)).ok());
  }
  ASSERT_TRUE(
      wait_until([&] { return b.count_from(a.pk()) == kCount && a.count_from(b.pk()) == kCount; }));
  const auto at_b = b.from(a.pk());
  const auto at_a = a.from(b.pk());
  for (uint32_t i = 0; i < kCount; ++i) {
    EXPECT_EQ(at_b[i], message(1, i));
    EXPECT_EQ(at_a[i], message(2, i, 100 + i));
  }
  const auto ca = a.net->counters();
  EXPECT_EQ(ca.frames_out, kCount);
  EXPECT_EQ(ca.frames_in, kCount);
  EXPECT_EQ(ca.peers.at(b.pk()).frames_out, kCount);
  EXPECT_EQ(ca.peers.at(b.pk()).dials, 1u);
  EXPECT_EQ(ca.handshake_failures_total(), 0u);
  EXPECT_EQ(b.net->counters().handshake_failures_total(), 0u);

  // Sending to a key that is not pinned, or above the frame limit, is refused up front.
  EXPECT_EQ(a.net->send(key(99).public_key(), {1}).code(), StatusCode::not_found);
  EXPECT_EQ(a.net->connect(key(99).public_key(), "127.0.0.1", 1).code(), StatusCode::not_found);
}

TEST(PeerNetwork, ThreeNodesAllDialingEachOtherSettleOnOneChannelPerPairAndDeliverInOrder) {
  std::unique_ptr<Node> n[3] = {std::make_unique<Node>(11), std::make_unique<Node>(12),
                                std::make_unique<Node>(13)};
  for (int i = 0; i < 3; ++i) {
    std::vector<PeerAddress> peers;
    for (int j = 0; j < 3; ++j) {
      if (j != i) peers.push_back(accept_only(n[j]->id));
    }
    n[i]->start(peers);
  }
  // Every node dials every other: both directions of each pair race, the tie-break settles it.
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      if (j == i) continue;
      ASSERT_TRUE(n[i]->net->connect(n[j]->pk(), "127.0.0.1", n[j]->net->port()).ok());
    }
  }
  // Settled means every pair is on the channel the lower key dialed, on both sides. Connected
  // alone is not enough: on a loaded machine one direction's dial can still be connecting
  // (not yet a pending handshake) when the other direction's channel is already up, and the
  // pair moves to the preferred channel only when that dial completes.
  auto settled = [&] {
    for (int i = 0; i < 3; ++i) {
      const auto c = n[i]->net->counters();
      if (c.handshakes_pending != 0) return false;
      for (int j = 0; j < 3; ++j) {
        if (j == i) continue;
        const auto& pc = c.peers.at(n[j]->pk());
        if (!pc.connected || pc.outbound != (n[i]->pk() < n[j]->pk())) return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(wait_until(settled));
  uint64_t duplicates = 0;
  for (int i = 0; i < 3; ++i) {
    for (const auto& [k, pc] : n[i]->net->counters().peers) duplicates += pc.duplicates_closed;
  }
  RecordProperty("duplicate_channels_closed", static_cast<int>(duplicates));
  constexpr uint32_t kCount = 100;
  for (uint32_t s = 0; s < kCount; ++s) {
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        if (j == i) continue;
        ASSERT_TRUE(n[i]->net->send(n[j]->pk(), message(static_cast<uint32_t>(i), s)).ok());
      }
    }
  }
  ASSERT_TRUE(wait_until([&] {
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        if (j != i && n[j]->count_from(n[i]->pk()) < kCount) return false;
      }
    }
    return true;
  }));
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      if (j == i) continue;
      const auto got = n[j]->from(n[i]->pk());
      ASSERT_EQ(got.size(), kCount);
      for (uint32_t s = 0; s < kCount; ++s) EXPECT_EQ(got[s], message(static_cast<uint32_t>(i), s));
      // Both sides kept the same channel after the race: the one the lower key dialed.
      const auto ci = n[i]->net->counters().peers.at(n[j]->pk());
      const auto cj = n[j]->net->counters().peers.at(n[i]->pk());
      EXPECT_TRUE(ci.connected && cj.connected);
      EXPECT_NE(ci.outbound, cj.outbound);
      EXPECT_EQ(ci.outbound, n[i]->pk() < n[j]->pk());
    }
  }
}

TEST(PeerNetwork, LargeFrameAtTheLimitArrivesAndLargerIsRefusedBySend) {
  constexpr size_t kMax = 4 << 20;
  auto tweak = [](PeerNetworkOptions& o) { o.frame_bytes_max = kMax; };
  Node a(1), b(2);
  b.start({accept_only(a.id)}, 0, tweak);
  a.start({at(b)}, 0, tweak);
  const Bytes big = message(1, 7, kMax);
  ASSERT_TRUE(a.net->send(b.pk(), big).ok());
  EXPECT_EQ(a.net->send(b.pk(), Bytes(kMax + 1)).code(), StatusCode::invalid_argument);
  ASSERT_TRUE(wait_until([&] { return b.count_from(a.pk()) == 1; }));
  EXPECT_EQ(b.from(a.pk())[0], big);
}

class RawPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node.start({accept_only(raw_id), accept_only(good.id)}, 0,
               [](PeerNetworkOptions& o) { o.frame_bytes_max = 1 << 20; });
  }
  // The listener still serves a well-behaved pinned node.
  void expect_still_serving() {
    good.start({at(node)});
    ASSERT_TRUE(wait_until([&] { return node.connected_to(good.pk()); }));
    ASSERT_TRUE(good.net->send(node.pk(), message(5, 5)).ok());
    ASSERT_TRUE(wait_until([&] { return node.count_from(good.pk()) == 1; }));
  }
  NetworkCounters counters() { return node.net->counters(); }

  Node node{1};
  Node good{2};
  KeyPair raw_id = key(3);
};

TEST_F(RawPeerTest, ValidRawPeerCanTalk) {
  RawPeer raw(node.net->port());
  auto session = raw.handshake(raw_id, node.pk());
  ASSERT_TRUE(session.has_value());
  FrameSealer sealer(session->tx);
  ASSERT_TRUE(raw.write(*sealer.seal(message(3, 1))));
  ASSERT_TRUE(wait_until([&] { return node.count_from(raw_id.public_key()) == 1; }));
  ASSERT_TRUE(node.net->send(raw_id.public_key(), message(1, 2)).ok());
  auto frame = raw.read_message();
  ASSERT_TRUE(frame.has_value());
  FrameOpener opener(session->rx);
  const Bytes prefix = with_length_prefix(*frame);
  auto opened = opener.open(ByteView(prefix.data(), 4), *frame);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, message(1, 2));
}

TEST_F(RawPeerTest, UnknownPeerKeyIsRejectedDuringHandshake) {
  RawPeer raw(node.net->port());
  // The initiator learns nothing is wrong: the responder refuses at the finish and closes.
  (void)raw.handshake(key(77), node.pk());
  ASSERT_TRUE(counter_reaches(
      *node.net,
      [](const NetworkCounters& c) { return c.handshake_failed(HandshakeError::unknown_peer); },
      1));
  EXPECT_TRUE(raw.closed_by_peer());
  EXPECT_EQ(counters().handshakes_completed, 0u);
  expect_still_serving();
}

TEST_F(RawPeerTest, WrongNetworkIsRejected) {
  RawPeer raw(node.net->port());
  EXPECT_FALSE(raw.handshake(raw_id, node.pk(), sha256(as_bytes(std::string_view("other")))));
  ASSERT_TRUE(counter_reaches(
      *node.net,
      [](const NetworkCounters& c) { return c.handshake_failed(HandshakeError::wrong_network); },
      1));
}

TEST_F(RawPeerTest, GarbageCorruptAndTruncatedHandshakesAreCountedAndListenerKeepsServing) {
  {
    RawPeer raw(node.net->port());  // An HTTP client on the wrong port: prefix "GET " is huge.
    ASSERT_TRUE(raw.write(as_bytes(std::string_view("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))));
    EXPECT_TRUE(raw.closed_by_peer());
  }
  {
    RawPeer raw(node.net->port());  // A hello of the right length with corrupted bytes.
    Bytes hello =
        with_length_prefix(Handshake::initiator(raw_id, test_network(), node.pk()).hello());
    hello[4] ^= 0xff;  // First magic byte.
    ASSERT_TRUE(raw.write(hello));
    EXPECT_TRUE(raw.closed_by_peer());
  }
  {
    RawPeer raw(node.net->port());  // A prefix and half a hello, then gone.
    Bytes hello =
        with_length_prefix(Handshake::initiator(raw_id, test_network(), node.pk()).hello());
    ASSERT_TRUE(raw.write(ByteView(hello.data(), 30)));
    raw.close_now();
  }
  {
    RawPeer raw(node.net->port());  // A valid handshake, then the finish corrupted.
    Handshake h = Handshake::initiator(raw_id, test_network(), node.pk());
    ASSERT_TRUE(raw.write(with_length_prefix(h.hello())));
    auto response = raw.read_message();
    ASSERT_TRUE(response);
    auto step = h.on_message(*response);
    ASSERT_EQ(step.error, HandshakeError::none);
    step.reply[50] ^= 0x10;  // Inside the signature.
    ASSERT_TRUE(raw.write(with_length_prefix(step.reply)));
    EXPECT_TRUE(raw.closed_by_peer());
  }
  ASSERT_TRUE(wait_until([&] {
    const auto c = counters();
    return c.handshake_failed(HandshakeError::oversize) == 1 &&
           c.handshake_failed(HandshakeError::malformed) == 1 &&
           c.handshake_failed(HandshakeError::bad_signature) == 1 && c.handshakes_aborted == 1 &&
           c.handshakes_pending == 0;
  })) << "oversize "
      << counters().handshake_failed(HandshakeError::oversize) << " malformed "
      << counters().handshake_failed(HandshakeError::malformed) << " aborted "
      << counters().handshakes_aborted;
  expect_still_serving();
}

TEST_F(RawPeerTest, ReplayedHandshakeIsRejected) {
  Bytes hello, finish;
  {
    RawPeer raw(node.net->port());
    ASSERT_TRUE(raw.handshake(raw_id, node.pk()).has_value());
    hello = raw.sent_hello;
    finish = raw.sent_finish;
    ASSERT_TRUE(wait_until([&] { return node.connected_to(raw_id.public_key()); }));
  }
  RawPeer replay(node.net->port());
  ASSERT_TRUE(replay.write(hello));
  ASSERT_TRUE(replay.read_message().has_value());  // A fresh response, with a new ephemeral.
  ASSERT_TRUE(replay.write(finish));
  EXPECT_TRUE(replay.closed_by_peer());
  ASSERT_TRUE(counter_reaches(
      *node.net,
      [](const NetworkCounters& c) { return c.handshake_failed(HandshakeError::bad_signature); },
      1));
}

TEST_F(RawPeerTest, HandshakeThatStallsTimesOut) {
  Node n(1);
  n.start({accept_only(raw_id)}, 0, [](PeerNetworkOptions& o) { o.handshake_timeout_ms = 200; });
  RawPeer raw(n.net->port());
  ASSERT_TRUE(raw.connected());
  EXPECT_TRUE(raw.closed_by_peer());
  EXPECT_EQ(n.net->counters().handshake_failed(HandshakeError::timeout), 1u);
}

TEST_F(RawPeerTest, OversizeFrameIsRejectedCountedAndClosed) {
  RawPeer raw(node.net->port());
  ASSERT_TRUE(raw.handshake(raw_id, node.pk()).has_value());
  const uint32_t announced = (1u << 20) + frame_tag_bytes + 1;
  uint8_t prefix[4];
  for (size_t i = 0; i < 4; ++i) prefix[i] = static_cast<uint8_t>(announced >> (8 * i));
  ASSERT_TRUE(raw.write(ByteView(prefix, 4)));
  EXPECT_TRUE(raw.closed_by_peer());
  ASSERT_TRUE(counter_reaches(
      *node.net, [](const NetworkCounters& c) { return c.frames_oversize; }, 1));
  EXPECT_EQ(counters().peers.at(raw_id.public_key()).frames_oversize, 1u);
  EXPECT_EQ(node.count_from(raw_id.public_key()), 0u);
  expect_still_serving();
}

TEST_F(RawPeerTest, TamperedAndTruncatedFramesCloseAndAreCounted) {
  {
    RawPeer raw(node.net->port());
    auto session = raw.handshake(raw_id, node.pk());
    ASSERT_TRUE(session);
    FrameSealer sealer(session->tx);
    ASSERT_TRUE(raw.write(*sealer.seal(message(3, 0))));
    Bytes bad = *sealer.seal(message(3, 1));
    bad[bad.size() / 2] ^= 0x04;
    ASSERT_TRUE(raw.write(bad));
    EXPECT_TRUE(raw.closed_by_peer());
    ASSERT_TRUE(counter_reaches(
        *node.net, [](const NetworkCounters& c) { return c.frames_auth_failed; }, 1));
    EXPECT_EQ(node.count_from(raw_id.public_key()), 1u);  // The good frame before it arrived.
  }
  {
    RawPeer raw(node.net->port());
    auto session = raw.handshake(raw_id, node.pk());
    ASSERT_TRUE(session);
    ASSERT_TRUE(wait_until([&] { return node.connected_to(raw_id.public_key()); }));
    FrameSealer sealer(session->tx);
    Bytes f = *sealer.seal(message(3, 2, 1000));
    ASSERT_TRUE(raw.write(ByteView(f.data(), f.size() - 10)));
    raw.close_now();
    ASSERT_TRUE(counter_reaches(
        *node.net, [](const NetworkCounters& c) { return c.frames_truncated; }, 1));
  }
  {
    RawPeer raw(node.net->port());  // A frame shorter than its tag.
    ASSERT_TRUE(raw.handshake(raw_id, node.pk()));
    const uint8_t tiny[4] = {3, 0, 0, 0};
    ASSERT_TRUE(raw.write(ByteView(tiny, 4)));
    EXPECT_TRUE(raw.closed_by_peer());
    ASSERT_TRUE(counter_reaches(
        *node.net, [](const NetworkCounters& c) { return c.frames_malformed; }, 1));
  }
  expect_still_serving();
}

TEST(PeerNetwork, CorruptedFrameViaFaultHookClosesCountsAndReconnects) {
  Node a(1), b(2);
  b.start({accept_only(a.id)});
  a.start({at(b)});
  ASSERT_TRUE(wait_until([&] { return a.connected_to(b.pk()); }));
  ASSERT_TRUE(a.net->send(b.pk(), message(1, 0)).ok());
  ASSERT_TRUE(wait_until([&] { return b.count_from(a.pk()) == 1; }));
  a.net->test_set_fault(b.pk(), TestFault::corrupt_next_outbound);
  ASSERT_TRUE(a.net->send(b.pk(), message(1, 1)).ok());
  ASSERT_TRUE(counter_reaches(
      *b.net, [](const NetworkCounters& c) { return c.frames_auth_failed; }, 1));
  // The dialer reconnects with backoff, and later frames flow again.
  ASSERT_TRUE(wait_until([&] {
    return a.net->counters().peers.at(b.pk()).connections >= 2 && a.connected_to(b.pk());
  }));
  ASSERT_TRUE(a.net->send(b.pk(), message(1, 2)).ok());
  ASSERT_TRUE(wait_until([&] { return b.count_from(a.pk()) == 2; }));
  EXPECT_EQ(b.from(a.pk())[1], message(1, 2));
  EXPECT_GE(a.net->counters().peers.at(b.pk()).reconnects, 1u);
}

TEST(PeerNetwork, DropFaultsDiscardAndCount) {
  Node a(1), b(2);
  b.start({accept_only(a.id)});
  a.start({at(b)});
  a.net->test_set_fault(b.pk(), TestFault::drop_outbound);
  ASSERT_TRUE(a.net->send(b.pk(), message(1, 0)).ok());
  ASSERT_TRUE(wait_until(
      [&] { return a.net->counters().peers.at(b.pk()).frames_dropped_by_test_fault == 1; }));
  a.net->test_set_fault(b.pk(), TestFault::none);
  b.net->test_set_fault(a.pk(), TestFault::drop_inbound);
  ASSERT_TRUE(a.net->send(b.pk(), message(1, 1)).ok());
  ASSERT_TRUE(wait_until(
      [&] { return b.net->counters().peers.at(a.pk()).frames_dropped_by_test_fault == 1; }));
  b.net->test_set_fault(a.pk(), TestFault::none);
  ASSERT_TRUE(a.net->send(b.pk(), message(1, 2)).ok());
  ASSERT_TRUE(wait_until([&] { return b.count_from(a.pk()) == 1; }));
  EXPECT_EQ(b.from(a.pk())[0], message(1, 2));
}

TEST(PeerNetwork, ReconnectsAfterThePeerRestarts) {
  Node a(1);
  auto b = std::make_unique<Node>(2);
  b->start({accept_only(a.id)});
  const uint16_t b_port = b->net->port();
  const PublicKey b_key = b->pk();
  a.start({at(*b)});
  ASSERT_TRUE(wait_until([&] { return a.connected_to(b_key); }));
  ASSERT_TRUE(a.net->send(b_key, message(1, 0)).ok());
  ASSERT_TRUE(wait_until([&] { return b->count_from(a.pk()) == 1; }));

  b->net->stop();
  b.reset();
  ASSERT_TRUE(wait_until([&] { return !a.connected_to(b_key); }));
  // Queued while the peer is down; delivered after it is back.
  ASSERT_TRUE(a.net->send(b_key, message(1, 1)).ok());

  b = std::make_unique<Node>(2);
  b->start({accept_only(a.id)}, b_port);
  ASSERT_TRUE(wait_until([&] { return a.connected_to(b_key); }));
  ASSERT_TRUE(wait_until([&] { return b->count_from(a.pk()) == 1; }));
  EXPECT_EQ(b->from(a.pk())[0], message(1, 1));
  const auto pc = a.net->counters().peers.at(b_key);
  EXPECT_GE(pc.reconnects, 1u);
  EXPECT_EQ(pc.connections, 2u);
  EXPECT_EQ(pc.disconnects, 1u);
}

TEST_F(RawPeerTest, PeerThatDoesNotReadMakesSendReturnResourceExhaustedWithBoundedQueue) {
  Node n(1);
  constexpr size_t kQueueMax = 1 << 20;
  n.start({accept_only(raw_id)}, 0,
          [](PeerNetworkOptions& o) { o.send_queue_bytes_max = kQueueMax; });
  RawPeer raw(n.net->port());
  ASSERT_TRUE(raw.handshake(raw_id, n.pk()));  // Then never reads again.
  ASSERT_TRUE(wait_until([&] { return n.connected_to(raw_id.public_key()); }));
  const Bytes chunk(64 << 10, 0xab);
  Status last;
  size_t accepted = 0;
  // Kernel buffers absorb some megabytes, then the queue fills. 4096 * 64 KiB = 256 MiB bounds
  // the loop if backpressure were missing.
  for (int i = 0; i < 4096; ++i) {
    last = n.net->send(raw_id.public_key(), chunk);
    if (!last.ok()) break;
    ++accepted;
    if (i % 16 == 0) std::this_thread::yield();
  }
  EXPECT_EQ(last.code(), StatusCode::resource_exhausted) << accepted << " frames accepted";
  const auto pc = n.net->counters().peers.at(raw_id.public_key());
  EXPECT_LE(pc.queued_bytes, kQueueMax);
  EXPECT_GE(pc.send_rejected, 1u);
  EXPECT_EQ(n.net->counters().send_rejected, pc.send_rejected);
}

TEST(PeerNetwork, BlockedPeerFillsQueueThenDrainsWhenUnblocked) {
  Node a(1), b(2);
  constexpr size_t kQueueMax = 256 << 10;
  b.start({accept_only(a.id)});
  a.start({at(b)}, 0, [](PeerNetworkOptions& o) { o.send_queue_bytes_max = kQueueMax; });
  ASSERT_TRUE(wait_until([&] { return a.connected_to(b.pk()); }));
  a.net->test_set_fault(b.pk(), TestFault::block_outbound);
  uint32_t sent = 0;
  Status s;
  // Bounded, so a missing limit fails the test instead of exhausting memory.
  while (sent < 1000 && (s = a.net->send(b.pk(), message(1, sent, 16 << 10))).ok()) ++sent;
  EXPECT_EQ(s.code(), StatusCode::resource_exhausted);
  EXPECT_EQ(sent, kQueueMax / (16 << 10));
  EXPECT_EQ(a.net->counters().peers.at(b.pk()).queued_bytes, kQueueMax);
  a.net->test_set_fault(b.pk(), TestFault::none);
  ASSERT_TRUE(wait_until([&] { return b.count_from(a.pk()) == sent; }));
  const auto got = b.from(a.pk());
  for (uint32_t i = 0; i < sent; ++i) EXPECT_EQ(got[i], message(1, i, 16 << 10));
  EXPECT_TRUE(a.net->send(b.pk(), message(1, 0)).ok());
}

TEST(PeerNetwork, StopWithTrafficInFlightIsClean) {
  Node a(1), b(2);
  b.start({accept_only(a.id)});
  a.start({at(b)});
  ASSERT_TRUE(wait_until([&] { return a.connected_to(b.pk()) && b.connected_to(a.pk()); }));
  std::atomic<bool> run{true};
  std::atomic<uint64_t> ok_sends{0};
  std::thread spam_a([&] {
    for (uint32_t i = 0; run; ++i) {
      if (a.net->send(b.pk(), message(1, i, 4096)).ok()) ++ok_sends;
    }
  });
  std::thread spam_b([&] {
    for (uint32_t i = 0; run; ++i) {
      if (b.net->send(a.pk(), message(2, i, 4096)).ok()) ++ok_sends;
    }
  });
  ASSERT_TRUE(wait_until([&] { return b.count_from(a.pk()) > 50 && a.count_from(b.pk()) > 50; }));
  b.net->stop();
  a.net->stop();
  run = false;
  spam_a.join();
  spam_b.join();
  EXPECT_EQ(a.net->send(b.pk(), {1}).code(), StatusCode::unavailable);
  a.net->stop();  // Idempotent.
  EXPECT_GT(ok_sends.load(), 0u);
}

TEST(PeerNetwork, DialingAnAddressThatAnswersWithAnotherKeyOrOurselvesIsRefused) {
  Node a(1), b(2);
  const KeyPair c = key(3);
  b.start({accept_only(a.id)});
  // a believes c lives at b's address, and d at a's own address.
  const KeyPair d = key(4);
  a.start({{c.public_key(), "127.0.0.1", b.net->port()}, accept_only(d)});
  ASSERT_TRUE(a.net->connect(d.public_key(), "127.0.0.1", a.net->port()).ok());
  ASSERT_TRUE(wait_until([&] {
    const auto cnt = a.net->counters();
    return cnt.handshake_failed(HandshakeError::unexpected_identity) >= 1 &&
           cnt.handshake_failed(HandshakeError::self_connection) >= 1;
  }));
  EXPECT_FALSE(a.connected_to(c.public_key()));
  EXPECT_FALSE(a.connected_to(d.public_key()));
}

TEST(PeerNetwork, FailedDialsBackOff) {
  // A port with nothing listening: bind one, note it, close it.
  uint16_t dead_port = 0;
  {
    Node tmp(9);
    tmp.start({});
    dead_port = tmp.net->port();
  }
  Node a(1);
  const KeyPair b = key(2);
  const auto start = Clock::now();
  a.start({{b.public_key(), "127.0.0.1", dead_port}});  // Backoff 20 ms doubling to 200 ms.
  ASSERT_TRUE(wait_until([&] { return a.net->counters().peers.at(b.public_key()).dials >= 7; }));
  const auto elapsed = Clock::now() - start;
  // Dials 2 to 7 wait at least 40 + 80 + 160 + 200 + 200 + 200 ms; a retry loop without
  // backoff would make them within milliseconds. (A lower bound: slowness cannot break it.)
  EXPECT_GE(elapsed, 880ms);
  const auto pc = a.net->counters().peers.at(b.public_key());
  EXPECT_GE(pc.dial_failures + pc.reconnects, 6u + 6u);
  EXPECT_FALSE(pc.connected);
}

TEST_F(RawPeerTest, ConnectionFloodIsCappedAndCounted) {
  Node n(1);
  n.start({accept_only(raw_id), accept_only(good.id)}, 0,
          [](PeerNetworkOptions& o) { o.pending_handshakes_max = 3; });
  std::vector<std::unique_ptr<RawPeer>> flood;
  for (int i = 0; i < 3; ++i) flood.push_back(std::make_unique<RawPeer>(n.net->port()));
  ASSERT_TRUE(wait_until([&] { return n.net->counters().handshakes_pending == 3; }));
  RawPeer extra(n.net->port());
  EXPECT_TRUE(extra.closed_by_peer());
  EXPECT_EQ(n.net->counters().connections_refused, 1u);
  flood.clear();  // The flood goes away; its slots free up.
  ASSERT_TRUE(wait_until([&] { return n.net->counters().handshakes_pending == 0; }));
  good.start({at(n)});
  ASSERT_TRUE(wait_until([&] { return n.connected_to(good.pk()); }));
}

TEST(PeerNetwork, InvalidOptionsAreRefused) {
  const KeyPair me = key(1);
  auto handler = [](const PublicKey&, Bytes) {};
  {
    PeerNetworkOptions o;
    o.peers = {accept_only(me)};
    EXPECT_EQ(PeerNetwork::start(me, o, handler).status().code(), StatusCode::invalid_argument);
  }
  {
    PeerNetworkOptions o;
    o.peers = {accept_only(key(2)), accept_only(key(2))};
    EXPECT_EQ(PeerNetwork::start(me, o, handler).status().code(), StatusCode::invalid_argument);
  }
  {
    PeerNetworkOptions o;
    o.frame_bytes_max = 0;
    EXPECT_EQ(PeerNetwork::start(me, o, handler).status().code(), StatusCode::invalid_argument);
  }
  {
    PeerNetworkOptions o;
    EXPECT_EQ(PeerNetwork::start(me, o, nullptr).status().code(), StatusCode::invalid_argument);
  }
  {
    PeerNetworkOptions o;
    o.listen_address = "203.0.113.254";  // Not a local address: bind fails.
    EXPECT_EQ(PeerNetwork::start(me, o, handler).status().code(), StatusCode::io_error);
  }
}

}  // namespace
}  // namespace corridor::net
