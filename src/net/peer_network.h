// PeerNetwork: authenticated, encrypted, length-framed TCP channels between the nodes of one
// network, each identified by an Ed25519 key pinned in advance (later: the genesis validator set
// and observer list). The wire format is in docs/protocol.md ("Peer transport"); the counters
// are explained in docs/operations.md.
//
// This header names only standard and base types: Asio lives in peer_network.cc behind a pimpl.
//
// Threading: the network runs one I/O thread of its own. The receive handler is called on that
// thread, one frame at a time, in the order the peer sent them; it must return quickly (the next
// frame from any peer is read only after it returns) and must not call stop(). send(),
// connect(), counters() and the test hooks may be called from any thread, the handler included.
//
// Delivery: frames to one peer arrive in order and unmodified, or the connection is closed.
// A successful send() means the frame was queued; it is written when a channel to the peer is
// up (the queue survives reconnects), but frames already on the wire when a connection breaks
// may be lost. Callers above (consensus) retransmit or sync; the transport never duplicates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/hash.h"
#include "base/keys.h"
#include "base/status.h"
#include "net/handshake.h"

namespace corridor::net {

// Default largest frame payload. Consensus messages reach consensus::message_bytes_max
// (65 MiB); the node passes that in PeerNetworkOptions::frame_bytes_max.
inline constexpr size_t frame_bytes_max_default = 16 << 20;
// No configuration may raise the frame limit above this (the u32 prefix allows 4 GiB).
inline constexpr size_t frame_bytes_limit = 1u << 30;
// Default bound on the bytes queued for one peer and not yet written to its socket.
inline constexpr size_t send_queue_bytes_max_default = 32 << 20;
// A handshake not completed within this is abandoned and counted.
inline constexpr uint32_t handshake_timeout_ms_default = 5'000;
// Reconnection backoff: base << attempts, capped; deterministic (no jitter).
inline constexpr uint32_t reconnect_ms_base_default = 100;
inline constexpr uint32_t reconnect_ms_max_default = 10'000;
// Inbound connections still in their handshake beyond this are closed when accepted.
inline constexpr size_t pending_handshakes_max_default = 64;

struct PeerAddress {
  PublicKey key;
  // Where to dial the peer. Empty host (or port 0) means: do not dial, only accept it.
  std::string host;
  uint16_t port = 0;
};

struct PeerNetworkOptions {
  Hash256 network_id;  // Both sides must agree, or the handshake fails with wrong_network.
  std::string listen_address = "127.0.0.1";  // Numeric address or host name.
  uint16_t listen_port = 0;                  // 0 picks an ephemeral port; see port().
  // The pinned peers: only these keys may connect, and only these can be sent to.
  std::vector<PeerAddress> peers;
  size_t frame_bytes_max = frame_bytes_max_default;
  size_t send_queue_bytes_max = send_queue_bytes_max_default;
  uint32_t handshake_timeout_ms = handshake_timeout_ms_default;
  uint32_t reconnect_ms_base = reconnect_ms_base_default;
  uint32_t reconnect_ms_max = reconnect_ms_max_default;
  size_t pending_handshakes_max = pending_handshakes_max_default;
};

// Per-peer counters and state, for operators.
struct PeerCounters {
  bool connected = false;
  bool outbound = false;  // The current channel was dialed by this node (else accepted).
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t bytes_in = 0;            // Payload bytes (plaintext), without prefix and tag.
  uint64_t bytes_out = 0;           // Payload bytes written to the socket.
  uint64_t queued_bytes = 0;        // Gauge: payload bytes waiting to be written.
  uint64_t queued_frames = 0;       // Gauge.
  uint64_t send_rejected = 0;       // send() refused with resource_exhausted (queue full).
  uint64_t connections = 0;         // Channels established with this peer (both directions).
  uint64_t disconnects = 0;         // Established channels that closed.
  uint64_t dials = 0;               // Outbound connection attempts.
  uint64_t reconnects = 0;          // Dials after a failed dial or a lost channel.
  uint64_t dial_failures = 0;       // Dials that failed before the handshake (refused, timeout).
  uint64_t duplicates_closed = 0;   // Second channels closed by the simultaneous-connect rule.
  uint64_t frames_auth_failed = 0;  // Frames that failed AEAD authentication (then closed).
  uint64_t frames_oversize = 0;     // Frames announcing more than frame_bytes_max (then closed).
  uint64_t frames_truncated = 0;    // Connection ended in the middle of a frame.
  uint64_t frames_dropped_by_test_fault = 0;
};

struct NetworkCounters {
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t connections_accepted = 0;  // Inbound TCP connections accepted (before handshake).
  uint64_t connections_refused = 0;   // Inbound closed at once: too many pending handshakes.
  uint64_t handshakes_pending = 0;    // Gauge: connections in their handshake.
  uint64_t handshakes_completed = 0;
  // Handshake failures, indexed by HandshakeError (see handshake_error_name); [0] is unused.
  uint64_t handshake_failures[handshake_error_count] = {};
  // Connection closed by the other side or an I/O error in the middle of the handshake (often
  // the peer refusing us: see its own counters).
  uint64_t handshakes_aborted = 0;
  uint64_t handler_exceptions = 0;  // The receive handler threw; the frame counts as delivered.
  uint64_t frames_auth_failed = 0;
  uint64_t frames_oversize = 0;
  uint64_t frames_malformed = 0;  // A frame shorter than its tag.
  uint64_t frames_truncated = 0;
  uint64_t send_rejected = 0;
  std::map<PublicKey, PeerCounters> peers;

  uint64_t handshake_failures_total() const {
    uint64_t n = 0;
    for (uint64_t v : handshake_failures) n += v;
    return n;
  }
  uint64_t handshake_failed(HandshakeError e) const {
    return handshake_failures[static_cast<size_t>(e)];
  }
};

// Called on the network's I/O thread for every frame received from an authenticated peer.
using ReceiveHandler = std::function<void(const PublicKey& peer, Bytes payload)>;

// Test-only fault injection, for chaos tests: what happens to traffic to one peer.
enum class TestFault : uint8_t {
  none = 0,
  drop_outbound,          // Frames for the peer are discarded instead of written (counted).
  block_outbound,         // Frames stay queued and nothing is written (the queue fills).
  drop_inbound,           // Frames from the peer are authenticated, then discarded (counted).
  corrupt_next_outbound,  // The next frame written has one ciphertext byte flipped; then none.
};

class PeerNetwork {
 public:
  // Binds, listens and starts the I/O thread, then dials every peer with an address. `identity`
  // is copied. Invalid options or a bind failure are returned, never thrown.
  [[nodiscard]] static Result<std::unique_ptr<PeerNetwork>> start(const KeyPair& identity,
                                                                  PeerNetworkOptions options,
                                                                  ReceiveHandler handler);
  PeerNetwork(const PeerNetwork&) = delete;
  PeerNetwork& operator=(const PeerNetwork&) = delete;
  ~PeerNetwork();

  [[nodiscard]] uint16_t port() const;
  [[nodiscard]] const PublicKey& public_key() const;

  // Sets (or changes) where a pinned peer is dialed, and dials it when not connected.
  // not_found when the key is not pinned.
  Status connect(const PublicKey& peer, std::string host, uint16_t port);

  // Queues one frame for a pinned peer. not_found for a key that is not pinned,
  // invalid_argument above frame_bytes_max, resource_exhausted when the peer's queue would pass
  // send_queue_bytes_max (a single frame is always accepted into an empty queue), unavailable
  // after stop(). Nothing is dropped silently: an ok frame is written unless its connection
  // breaks.
  Status send(const PublicKey& peer, Bytes payload);

  [[nodiscard]] NetworkCounters counters() const;

  // Closes every connection and the listener and joins the I/O thread; frames still queued are
  // discarded. Idempotent; must not be called from the receive handler.
  void stop();

  // Test-only: inject a fault on traffic to or from one pinned peer.
  void test_set_fault(const PublicKey& peer, TestFault fault);
  // Test-only: close the current channel to a peer (it reconnects with backoff).
  void test_disconnect(const PublicKey& peer);

 private:
  struct Impl;
  explicit PeerNetwork(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace corridor::net
