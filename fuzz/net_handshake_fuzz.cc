// Peer transport input from the network: the bytes are split the way PeerNetwork splits its
// stream (u32 little-endian length prefixes, refused above the limits) and fed to a handshake
// responder, to an initiator after its hello, and as frames to a frame opener. Nothing crashes,
// and a handshake that completes names a pinned peer. (The handshakes draw fresh ephemeral keys,
// so runs are not bit-for-bit reproducible; the decoders under test are.)
#include <cstring>

#include "base/assert.h"
#include "net/handshake.h"

using namespace corridor;
using namespace corridor::net;

namespace {

KeyPair key(uint8_t n) {
  Seed s;
  s.bytes.fill(n);
  return KeyPair::from_seed(s);
}

// Splits `in` into length-prefixed messages of at most `max` bytes; stops at the first prefix
// above it or a truncated message, as the transport closes the connection there.
template <typename F>
void for_each_message(ByteView in, size_t max, F&& f) {
  size_t pos = 0;
  while (in.size() - pos >= length_prefix_bytes) {
    const uint32_t n = read_length_prefix(in.data() + pos);
    if (n > max || in.size() - pos - length_prefix_bytes < n) return;
    if (!f(in.subspan(pos, length_prefix_bytes), in.subspan(pos + length_prefix_bytes, n))) return;
    pos += length_prefix_bytes + n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const KeyPair me = key(1);
  static const KeyPair pinned = key(2);
  static const Hash256 network = sha256(as_bytes(std::string_view("fuzz-net")));
  const ByteView in(data, size);
  auto allowed = [](const PublicKey& k) { return k == pinned.public_key(); };

  Handshake responder = Handshake::responder(me, network, allowed);
  for_each_message(in, handshake_message_bytes_max, [&](ByteView, ByteView m) {
    auto step = responder.on_message(m);
    if (responder.done()) {
      CORRIDOR_ASSERT_MSG(responder.session().peer == pinned.public_key(),
                          "handshake completed with a key that is not pinned");
      return false;
    }
    return step.error == HandshakeError::none;
  });

  Handshake initiator = Handshake::initiator(me, network, pinned.public_key());
  (void)initiator.hello();
  for_each_message(in, handshake_message_bytes_max, [&](ByteView, ByteView m) {
    auto step = initiator.on_message(m);
    if (initiator.done()) {
      CORRIDOR_ASSERT_MSG(initiator.session().peer == pinned.public_key(),
                          "handshake completed with an unexpected key");
      return false;
    }
    return step.error == HandshakeError::none;
  });

  SessionKey k{};
  k.fill(0x42);
  FrameOpener opener(k);
  for_each_message(in, 1 << 20, [&](ByteView prefix, ByteView sealed) {
    auto opened = opener.open(prefix, sealed);
    if (opened.ok()) {
      CORRIDOR_ASSERT(opened->size() + frame_tag_bytes == sealed.size());
    }
    return opened.ok();
  });
  return 0;
}
