// The peer channel's cryptography, sans-IO: the authenticated key exchange (handshake) and the
// sealing and opening of encrypted frames. No sockets here, so it is unit tested and fuzzed
// directly; PeerNetwork (peer_network.h) drives it over TCP. Byte layouts: docs/protocol.md,
// "Peer transport".
//
// The handshake composes libsodium: fresh X25519 ephemeral keys on both sides (crypto_kx), each
// side signing the transcript (network id, both ephemerals, the identities) with its Ed25519
// identity key, directional session keys from crypto_kx bound to the transcript hash with keyed
// BLAKE2b, then ChaCha20-Poly1305-IETF per frame with a 64-bit counter nonce per direction.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/hash.h"
#include "base/keys.h"
#include "base/status.h"

namespace corridor::net {

// Every wire message, handshake or frame, starts with this u32 little-endian length prefix.
inline constexpr size_t length_prefix_bytes = 4;
// A handshake message longer than this is refused before it is read (the three messages are 70,
// 166 and 102 bytes).
inline constexpr size_t handshake_message_bytes_max = 256;
// ChaCha20-Poly1305 authentication tag appended to every frame's ciphertext.
inline constexpr size_t frame_tag_bytes = 16;

inline constexpr std::array<uint8_t, 4> handshake_magic = {'C', 'N', 'E', 'T'};
inline constexpr uint8_t handshake_version = 1;
inline constexpr size_t hello_bytes = 70;      // initiator -> responder
inline constexpr size_t response_bytes = 166;  // responder -> initiator
inline constexpr size_t finish_bytes = 102;    // initiator -> responder

// Why a handshake was refused. Stable names (handshake_error_name) appear in counters and logs.
enum class HandshakeError : uint8_t {
  none = 0,
  malformed = 1,            // Wrong length, magic, version or message type; unusable key.
  wrong_network = 2,        // The peer is on another network (network id differs).
  unknown_peer = 3,         // The peer's identity key is not in the pinned set.
  unexpected_identity = 4,  // We dialed one pinned key and another answered.
  bad_signature = 5,        // The transcript signature does not verify (forged or replayed).
  self_connection = 6,      // The peer presented our own identity.
  oversize = 7,             // A length prefix above handshake_message_bytes_max.
  timeout = 8,              // Not completed within the handshake timeout.
};
inline constexpr size_t handshake_error_count = 9;
std::string_view handshake_error_name(HandshakeError e);

using SessionKey = std::array<uint8_t, 32>;

// The outcome of a completed handshake.
struct Session {
  PublicKey peer;   // The authenticated identity of the other side.
  SessionKey tx{};  // Seals frames we send.
  SessionKey rx{};  // Opens frames we receive.
};

// One side of one handshake. The initiator (the side that dialed) sends hello(), reads the
// response and sends finish; the responder reads the hello, sends its response and reads the
// finish. Each object uses a fresh ephemeral key, so a recorded handshake replayed to either side
// fails its signature check.
class Handshake {
 public:
  using AllowedFn = std::function<bool(const PublicKey&)>;

  // `identity` must outlive the handshake. `expected_peer` is the pinned key we dialed.
  static Handshake initiator(const KeyPair& identity, const Hash256& network_id,
                             const PublicKey& expected_peer);
  static Handshake responder(const KeyPair& identity, const Hash256& network_id, AllowedFn allowed);

  Handshake(Handshake&&) noexcept;
  Handshake& operator=(Handshake&&) noexcept;
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;
  ~Handshake();  // Wipes the ephemeral secret.

  bool is_initiator() const { return initiator_; }

  // Initiator only, first step: the hello message (without length prefix).
  Bytes hello();

  // Feeds the next message received from the peer (without its length prefix). On success
  // `reply` is what to send next (possibly empty), and done() tells whether the session is
  // established. Any error ends the handshake; the connection must be closed.
  struct Step {
    HandshakeError error = HandshakeError::none;
    Bytes reply;
  };
  Step on_message(ByteView message);

  bool done() const { return session_.has_value(); }
  const Session& session() const { return *session_; }

 private:
  enum class State { start, await_hello, await_response, await_finish, done, failed };
  Handshake() = default;
  Step fail(HandshakeError e);
  Step on_hello(ByteView m);
  Step on_response(ByteView m);
  Step on_finish(ByteView m);
  bool derive(const PublicKey& initiator_id, const PublicKey& responder_id, const PublicKey& peer);

  const KeyPair* identity_ = nullptr;
  Hash256 network_id_;
  bool initiator_ = false;
  State state_ = State::start;
  PublicKey expected_peer_;
  AllowedFn allowed_;
  std::array<uint8_t, 32> eph_pk_{};
  std::array<uint8_t, 32> eph_sk_{};
  std::array<uint8_t, 32> peer_eph_{};
  PublicKey responder_id_;  // Initiator: the identity the response carried.
  std::optional<Session> session_;
};

// The transcript each side signs; exposed for tests that forge handshakes.
Bytes responder_transcript(const Hash256& network_id, ByteView initiator_eph,
                           ByteView responder_eph, const PublicKey& responder_id);
Bytes initiator_transcript(const Hash256& network_id, ByteView initiator_eph,
                           ByteView responder_eph, const PublicKey& responder_id,
                           const PublicKey& initiator_id);

// Prepends the u32 little-endian length prefix.
Bytes with_length_prefix(ByteView body);
uint32_t read_length_prefix(const uint8_t* p);

// Seals outgoing frames of one direction: prefix (u32 LE ciphertext length) || ciphertext ||
// tag, with the prefix as associated data and the frame counter as nonce.
class FrameSealer {
 public:
  FrameSealer() = default;
  explicit FrameSealer(const SessionKey& key) : key_(key) {}
  ~FrameSealer();
  FrameSealer(const FrameSealer&) = delete;
  FrameSealer& operator=(const FrameSealer&) = delete;
  FrameSealer(FrameSealer&&) = default;
  FrameSealer& operator=(FrameSealer&&) = default;

  // The whole wire frame, prefix included. Fails only when the counter is exhausted (2^64
  // frames) or the plaintext does not fit a u32 length.
  Result<Bytes> seal(ByteView plaintext);
  uint64_t counter() const { return counter_; }

 private:
  SessionKey key_{};
  uint64_t counter_ = 0;
};

// Opens incoming frames of one direction, in order.
class FrameOpener {
 public:
  FrameOpener() = default;
  explicit FrameOpener(const SessionKey& key) : key_(key) {}
  ~FrameOpener();
  FrameOpener(const FrameOpener&) = delete;
  FrameOpener& operator=(const FrameOpener&) = delete;
  FrameOpener(FrameOpener&&) = default;
  FrameOpener& operator=(FrameOpener&&) = default;

  // `prefix` is the frame's 4-byte length prefix, `sealed` the ciphertext and tag it announced.
  // A frame that fails authentication (tampered, reordered, replayed, wrong key) is corruption;
  // the counter does not advance and the connection must be closed.
  Result<Bytes> open(ByteView prefix, ByteView sealed);
  uint64_t counter() const { return counter_; }

 private:
  SessionKey key_{};
  uint64_t counter_ = 0;
};

}  // namespace corridor::net
