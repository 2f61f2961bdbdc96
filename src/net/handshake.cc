#include "net/handshake.h"

#include <sodium.h>

#include <cstring>
#include <limits>
#include <utility>

namespace corridor::net {

namespace {

constexpr uint8_t kTypeHello = 1;
constexpr uint8_t kTypeResponse = 2;
constexpr uint8_t kTypeFinish = 3;
constexpr size_t kHeaderBytes = 6;  // magic, version, type

constexpr std::string_view kResponderDomain = "corridor.net.handshake.v1.responder";
constexpr std::string_view kInitiatorDomain = "corridor.net.handshake.v1.initiator";
constexpr std::string_view kSessionDomain = "corridor.net.session.v1";

static_assert(crypto_kx_PUBLICKEYBYTES == 32 && crypto_kx_SECRETKEYBYTES == 32);
static_assert(crypto_kx_SESSIONKEYBYTES == 32);
static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == 32);
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12);
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == frame_tag_bytes);
static_assert(hello_bytes == kHeaderBytes + 32 + 32);
static_assert(response_bytes == kHeaderBytes + 32 + 32 + 32 + 64);
static_assert(finish_bytes == kHeaderBytes + 32 + 64);

void put_header(Bytes& out, uint8_t type) {
  out.insert(out.end(), handshake_magic.begin(), handshake_magic.end());
  out.push_back(handshake_version);
  out.push_back(type);
}

bool header_ok(ByteView m, size_t size, uint8_t type) {
  return m.size() == size && std::memcmp(m.data(), handshake_magic.data(), 4) == 0 &&
         m[4] == handshake_version && m[5] == type;
}

void append(Bytes& out, ByteView b) {
  out.insert(out.end(), b.begin(), b.end());
}

std::array<uint8_t, 12> nonce_for(uint64_t counter) {
  std::array<uint8_t, 12> n{};
  for (size_t i = 0; i < 8; ++i) n[i] = static_cast<uint8_t>(counter >> (8 * i));
  return n;
}

SessionKey bind_to_transcript(const SessionKey& kx_key, const Hash256& transcript_hash) {
  SessionKey out{};
  crypto_generichash(out.data(), out.size(), transcript_hash.data(), transcript_hash.size(),
                     kx_key.data(), kx_key.size());
  return out;
}

}  // namespace

std::string_view handshake_error_name(HandshakeError e) {
  switch (e) {
    case HandshakeError::none:
      return "none";
    case HandshakeError::malformed:
      return "malformed";
    case HandshakeError::wrong_network:
      return "wrong_network";
    case HandshakeError::unknown_peer:
      return "unknown_peer";
    case HandshakeError::unexpected_identity:
      return "unexpected_identity";
    case HandshakeError::bad_signature:
      return "bad_signature";
    case HandshakeError::self_connection:
      return "self_connection";
    case HandshakeError::oversize:
      return "oversize";
    case HandshakeError::timeout:
      return "timeout";
  }
  return "unknown";
}

Bytes responder_transcript(const Hash256& network_id, ByteView initiator_eph,
                           ByteView responder_eph, const PublicKey& responder_id) {
  Bytes t;
  append(t, as_bytes(kResponderDomain));
  append(t, network_id.view());
  append(t, initiator_eph);
  append(t, responder_eph);
  append(t, responder_id.view());
  return t;
}

Bytes initiator_transcript(const Hash256& network_id, ByteView initiator_eph,
                           ByteView responder_eph, const PublicKey& responder_id,
                           const PublicKey& initiator_id) {
  Bytes t;
  append(t, as_bytes(kInitiatorDomain));
  append(t, network_id.view());
  append(t, initiator_eph);
  append(t, responder_eph);
  append(t, responder_id.view());
  append(t, initiator_id.view());
  return t;
}

Bytes with_length_prefix(ByteView body) {
  CORRIDOR_ASSERT(body.size() <= std::numeric_limits<uint32_t>::max());
  Bytes out;
  out.reserve(length_prefix_bytes + body.size());
  const auto n = static_cast<uint32_t>(body.size());
  for (size_t i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  append(out, body);
  return out;
}

uint32_t read_length_prefix(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

Handshake Handshake::initiator(const KeyPair& identity, const Hash256& network_id,
                               const PublicKey& expected_peer) {
  crypto_init();
  Handshake h;
  h.identity_ = &identity;
  h.network_id_ = network_id;
  h.initiator_ = true;
  h.expected_peer_ = expected_peer;
  crypto_kx_keypair(h.eph_pk_.data(), h.eph_sk_.data());
  return h;
}

Handshake Handshake::responder(const KeyPair& identity, const Hash256& network_id,
                               AllowedFn allowed) {
  crypto_init();
  Handshake h;
  h.identity_ = &identity;
  h.network_id_ = network_id;
  h.initiator_ = false;
  h.allowed_ = std::move(allowed);
  h.state_ = State::await_hello;
  crypto_kx_keypair(h.eph_pk_.data(), h.eph_sk_.data());
  return h;
}

Handshake::Handshake(Handshake&&) noexcept = default;
Handshake& Handshake::operator=(Handshake&&) noexcept = default;

Handshake::~Handshake() {
  sodium_memzero(eph_sk_.data(), eph_sk_.size());
  if (session_) {
    sodium_memzero(session_->tx.data(), session_->tx.size());
    sodium_memzero(session_->rx.data(), session_->rx.size());
  }
}

Bytes Handshake::hello() {
  CORRIDOR_ASSERT_MSG(initiator_ && state_ == State::start, "hello() out of order");
  state_ = State::await_response;
  Bytes m;
  m.reserve(hello_bytes);
  put_header(m, kTypeHello);
  append(m, network_id_.view());
  append(m, eph_pk_);
  return m;
}

Handshake::Step Handshake::fail(HandshakeError e) {
  state_ = State::failed;
  sodium_memzero(eph_sk_.data(), eph_sk_.size());
  return Step{e, {}};
}

Handshake::Step Handshake::on_message(ByteView m) {
  switch (state_) {
    case State::await_hello:
      return on_hello(m);
    case State::await_response:
      return on_response(m);
    case State::await_finish:
      return on_finish(m);
    default:
      return fail(HandshakeError::malformed);
  }
}

Handshake::Step Handshake::on_hello(ByteView m) {
  if (!header_ok(m, hello_bytes, kTypeHello)) return fail(HandshakeError::malformed);
  if (std::memcmp(m.data() + kHeaderBytes, network_id_.data(), 32) != 0) {
    return fail(HandshakeError::wrong_network);
  }
  std::memcpy(peer_eph_.data(), m.data() + kHeaderBytes + 32, 32);
  const PublicKey& me = identity_->public_key();
  const Signature sig = identity_->sign(responder_transcript(network_id_, peer_eph_, eph_pk_, me));
  Step step;
  step.reply.reserve(response_bytes);
  put_header(step.reply, kTypeResponse);
  append(step.reply, network_id_.view());
  append(step.reply, eph_pk_);
  append(step.reply, me.view());
  append(step.reply, sig.view());
  state_ = State::await_finish;
  return step;
}

Handshake::Step Handshake::on_response(ByteView m) {
  if (!header_ok(m, response_bytes, kTypeResponse)) return fail(HandshakeError::malformed);
  const uint8_t* p = m.data() + kHeaderBytes;
  if (std::memcmp(p, network_id_.data(), 32) != 0) return fail(HandshakeError::wrong_network);
  std::memcpy(peer_eph_.data(), p + 32, 32);
  const PublicKey responder = PublicKey::from_view(ByteView(p + 64, 32));
  const Signature sig = Signature::from_view(ByteView(p + 96, 64));
  const PublicKey& me = identity_->public_key();
  if (responder == me) return fail(HandshakeError::self_connection);
  if (responder != expected_peer_) return fail(HandshakeError::unexpected_identity);
  if (!verify_signature(responder, responder_transcript(network_id_, eph_pk_, peer_eph_, responder),
                        sig)) {
    return fail(HandshakeError::bad_signature);
  }
  if (!derive(me, responder, responder)) return fail(HandshakeError::malformed);
  const Signature my_sig =
      identity_->sign(initiator_transcript(network_id_, eph_pk_, peer_eph_, responder, me));
  Step step;
  step.reply.reserve(finish_bytes);
  put_header(step.reply, kTypeFinish);
  append(step.reply, me.view());
  append(step.reply, my_sig.view());
  state_ = State::done;
  sodium_memzero(eph_sk_.data(), eph_sk_.size());
  return step;
}

Handshake::Step Handshake::on_finish(ByteView m) {
  if (!header_ok(m, finish_bytes, kTypeFinish)) return fail(HandshakeError::malformed);
  const uint8_t* p = m.data() + kHeaderBytes;
  const PublicKey initiator = PublicKey::from_view(ByteView(p, 32));
  const Signature sig = Signature::from_view(ByteView(p + 32, 64));
  const PublicKey& me = identity_->public_key();
  if (initiator == me) return fail(HandshakeError::self_connection);
  if (!allowed_ || !allowed_(initiator)) return fail(HandshakeError::unknown_peer);
  if (!verify_signature(
          initiator, initiator_transcript(network_id_, peer_eph_, eph_pk_, me, initiator), sig)) {
    return fail(HandshakeError::bad_signature);
  }
  if (!derive(initiator, me, initiator)) return fail(HandshakeError::malformed);
  state_ = State::done;
  sodium_memzero(eph_sk_.data(), eph_sk_.size());
  return Step{};
}

bool Handshake::derive(const PublicKey& initiator_id, const PublicKey& responder_id,
                       const PublicKey& peer) {
  SessionKey rx{};
  SessionKey tx{};
  const uint8_t* initiator_eph = initiator_ ? eph_pk_.data() : peer_eph_.data();
  const uint8_t* responder_eph = initiator_ ? peer_eph_.data() : eph_pk_.data();
  // crypto_kx fails when the peer's ephemeral is a low-order point (all-zero shared secret).
  const int rc = initiator_ ? crypto_kx_client_session_keys(rx.data(), tx.data(), eph_pk_.data(),
                                                            eph_sk_.data(), peer_eph_.data())
                            : crypto_kx_server_session_keys(rx.data(), tx.data(), eph_pk_.data(),
                                                            eph_sk_.data(), peer_eph_.data());
  if (rc != 0) return false;
  Sha256 h;
  h.update(kSessionDomain);
  h.update(network_id_.view());
  h.update(ByteView(initiator_eph, 32));
  h.update(ByteView(responder_eph, 32));
  h.update(responder_id.view());
  h.update(initiator_id.view());
  const Hash256 th = h.finish();
  Session s;
  s.peer = peer;
  s.tx = bind_to_transcript(tx, th);
  s.rx = bind_to_transcript(rx, th);
  sodium_memzero(tx.data(), tx.size());
  sodium_memzero(rx.data(), rx.size());
  session_ = s;
  return true;
}

FrameSealer::~FrameSealer() {
  sodium_memzero(key_.data(), key_.size());
}

Result<Bytes> FrameSealer::seal(ByteView plaintext) {
  if (counter_ == std::numeric_limits<uint64_t>::max()) {
    return resource_exhausted("frame counter exhausted");
  }
  if (plaintext.size() > std::numeric_limits<uint32_t>::max() - frame_tag_bytes) {
    return invalid_argument("frame too large");
  }
  const auto sealed_len = static_cast<uint32_t>(plaintext.size() + frame_tag_bytes);
  Bytes out(length_prefix_bytes + sealed_len);
  for (size_t i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(sealed_len >> (8 * i));
  const auto nonce = nonce_for(counter_);
  unsigned long long written = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(
      out.data() + length_prefix_bytes, &written, plaintext.data(), plaintext.size(), out.data(),
      length_prefix_bytes, nullptr, nonce.data(), key_.data());
  CORRIDOR_ASSERT(written == sealed_len);
  ++counter_;
  return out;
}

FrameOpener::~FrameOpener() {
  sodium_memzero(key_.data(), key_.size());
}

Result<Bytes> FrameOpener::open(ByteView prefix, ByteView sealed) {
  if (prefix.size() != length_prefix_bytes || read_length_prefix(prefix.data()) != sealed.size()) {
    return invalid_argument("frame length prefix does not match the frame");
  }
  if (sealed.size() < frame_tag_bytes) return invalid_argument("frame shorter than its tag");
  if (counter_ == std::numeric_limits<uint64_t>::max()) {
    return resource_exhausted("frame counter exhausted");
  }
  Bytes out(sealed.size() - frame_tag_bytes);
  const auto nonce = nonce_for(counter_);
  unsigned long long written = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &written, nullptr, sealed.data(),
                                                sealed.size(), prefix.data(), prefix.size(),
                                                nonce.data(), key_.data()) != 0) {
    return corruption("frame failed authentication");
  }
  ++counter_;
  return out;
}

}  // namespace corridor::net
