// The handshake and frame crypto without sockets: both roles against each other, and every way
// a peer can lie (wrong network, unknown or unexpected key, forged or replayed signatures,
// tampered or reordered frames).
#include "net/handshake.h"

#include <set>

#include <gtest/gtest.h>

namespace corridor::net {
namespace {

Hash256 network(std::string_view name) {
  return sha256(as_bytes(name));
}

KeyPair key(uint8_t n) {
  Seed s;
  s.bytes.fill(n);
  return KeyPair::from_seed(s);
}

struct Pair {
  Handshake initiator;
  Handshake responder;
};

Handshake::AllowedFn allow(std::set<PublicKey> keys) {
  return [keys = std::move(keys)](const PublicKey& k) { return keys.count(k) > 0; };
}

// Runs the three messages; returns the first error or none.
HandshakeError run(Handshake& i, Handshake& r, Bytes* hello_out = nullptr,
                   Bytes* response_out = nullptr, Bytes* finish_out = nullptr) {
  const Bytes hello = i.hello();
  if (hello_out) *hello_out = hello;
  auto s1 = r.on_message(hello);
  if (s1.error != HandshakeError::none) return s1.error;
  if (response_out) *response_out = s1.reply;
  auto s2 = i.on_message(s1.reply);
  if (s2.error != HandshakeError::none) return s2.error;
  if (finish_out) *finish_out = s2.reply;
  auto s3 = r.on_message(s2.reply);
  if (s3.error != HandshakeError::none) return s3.error;
  EXPECT_TRUE(s3.reply.empty());
  return HandshakeError::none;
}

class HandshakeTest : public ::testing::Test {
 protected:
  const KeyPair a = key(1);
  const KeyPair b = key(2);
  const KeyPair stranger = key(3);
  const Hash256 net = network("net-1");
};

TEST_F(HandshakeTest, BothSidesAgreeOnPeersAndDirectionalKeys) {
  auto i = Handshake::initiator(a, net, b.public_key());
  auto r = Handshake::responder(b, net, allow({a.public_key()}));
  Bytes hello, response, finish;
  ASSERT_EQ(run(i, r, &hello, &response, &finish), HandshakeError::none);
  EXPECT_EQ(hello.size(), hello_bytes);
  EXPECT_EQ(response.size(), response_bytes);
  EXPECT_EQ(finish.size(), finish_bytes);
  ASSERT_TRUE(i.done());
  ASSERT_TRUE(r.done());
  EXPECT_EQ(i.session().peer, b.public_key());
  EXPECT_EQ(r.session().peer, a.public_key());
  EXPECT_EQ(i.session().tx, r.session().rx);
  EXPECT_EQ(i.session().rx, r.session().tx);
  EXPECT_NE(i.session().tx, i.session().rx);

  // A second handshake between the same keys gets different session keys.
  auto i2 = Handshake::initiator(a, net, b.public_key());
  auto r2 = Handshake::responder(b, net, allow({a.public_key()}));
  ASSERT_EQ(run(i2, r2), HandshakeError::none);
  EXPECT_NE(i2.session().tx, i.session().tx);
}

TEST_F(HandshakeTest, WrongNetworkIsRefusedByEitherSide) {
  auto i = Handshake::initiator(a, network("net-2"), b.public_key());
  auto r = Handshake::responder(b, net, allow({a.public_key()}));
  EXPECT_EQ(run(i, r), HandshakeError::wrong_network);

  // The responder on the other network answers; the initiator refuses the response.
  auto i2 = Handshake::initiator(a, net, b.public_key());
  auto r2 = Handshake::responder(b, network("net-2"), allow({a.public_key()}));
  Bytes hello = i2.hello();
  const Hash256 other = network("net-2");
  std::copy(other.bytes.begin(), other.bytes.end(), hello.begin() + 6);
  auto s1 = r2.on_message(hello);
  ASSERT_EQ(s1.error, HandshakeError::none);
  EXPECT_EQ(i2.on_message(s1.reply).error, HandshakeError::wrong_network);
}

TEST_F(HandshakeTest, UnknownInitiatorIsRefused) {
  auto i = Handshake::initiator(stranger, net, b.public_key());
  auto r = Handshake::responder(b, net, allow({a.public_key()}));
  EXPECT_EQ(run(i, r), HandshakeError::unknown_peer);
  EXPECT_FALSE(r.done());
}

TEST_F(HandshakeTest, AnswerFromAnotherKeyThanDialedIsRefused) {
  auto i = Handshake::initiator(a, net, b.public_key());
  auto r = Handshake::responder(stranger, net, allow({a.public_key()}));
  EXPECT_EQ(run(i, r), HandshakeError::unexpected_identity);
}

TEST_F(HandshakeTest, SelfConnectionIsRefused) {
  auto i = Handshake::initiator(a, net, b.public_key());
  auto r = Handshake::responder(a, net, allow({a.public_key()}));
  EXPECT_EQ(run(i, r), HandshakeError::self_connection);
}

TEST_F(HandshakeTest, TamperedSignaturesAreRefused) {
  {
    auto i = Handshake::initiator(a, net, b.public_key());
    auto r = Handshake::responder(b, net, allow({a.public_key()}));
    auto s1 = r.on_message(i.hello());
    s1.reply.back() ^= 0x40;  // Last byte of the responder's signature.
    EXPECT_EQ(i.on_message(s1.reply).error, HandshakeError::bad_signature);
  }
  {
    auto i = Handshake::initiator(a, net, b.public_key());
    auto r = Handshake::responder(b, net, allow({a.public_key()}));
    auto s1 = r.on_message(i.hello());
    auto s2 = i.on_message(s1.reply);
    s2.reply.back() ^= 0x40;
    EXPECT_EQ(r.on_message(s2.reply).error, HandshakeError::bad_signature);
  }
  {
    // A man in the middle swapping the responder's ephemeral key breaks the signature.
    auto i = Handshake::initiator(a, net, b.public_key());
    auto r = Handshake::responder(b, net, allow({a.public_key()}));
    auto s1 = r.on_message(i.hello());
    s1.reply[6 + 32] ^= 0x01;
    EXPECT_EQ(i.on_message(s1.reply).error, HandshakeError::bad_signature);
  }
}

TEST_F(HandshakeTest, ReplayedMessagesFailAgainstFreshEphemerals) {
  auto i = Handshake::initiator(a, net, b.public_key());
  auto r = Handshake::responder(b, net, allow({a.public_key()}));
  Bytes hello, response, finish;
  ASSERT_EQ(run(i, r, &hello, &response, &finish), HandshakeError::none);

  // Replaying the initiator's hello and finish to a new responder.
  auto r2 = Handshake::responder(b, net, allow({a.public_key()}));
  ASSERT_EQ(r2.on_message(hello).error, HandshakeError::none);
  EXPECT_EQ(r2.on_message(finish).error, HandshakeError::bad_signature);

  // Replaying the responder's answer to a new initiator.
  auto i2 = Handshake::initiator(a, net, b.public_key());
  (void)i2.hello();
  EXPECT_EQ(i2.on_message(response).error, HandshakeError::bad_signature);
}

TEST_F(HandshakeTest, MalformedMessagesAndOutOfOrderUseAreRefused) {
  auto fresh = [&] { return Handshake::responder(b, net, allow({a.public_key()})); };
  auto i = Handshake::initiator(a, net, b.public_key());
  Bytes hello = i.hello();
  {
    auto r = fresh();
    EXPECT_EQ(r.on_message(ByteView(hello.data(), hello.size() - 1)).error,
              HandshakeError::malformed);
  }
  for (size_t at : {0, 4, 5}) {
    Bytes bad = hello;
    bad[at] ^= 0xff;
    auto r = fresh();
    EXPECT_EQ(r.on_message(bad).error, HandshakeError::malformed) << at;
  }
  {
    auto r = fresh();
    EXPECT_EQ(r.on_message({}).error, HandshakeError::malformed);
    // After a failure every further message is refused.
    EXPECT_EQ(r.on_message(hello).error, HandshakeError::malformed);
  }
  {
    // A responder that signs a low-order ephemeral key (all zeros): crypto_kx refuses it, so
    // the session never runs on a predictable key.
    auto i2 = Handshake::initiator(a, net, b.public_key());
    const Bytes h2 = i2.hello();
    const ByteView i_eph(h2.data() + 38, 32);
    const std::array<uint8_t, 32> zeros{};
    Bytes response(handshake_magic.begin(), handshake_magic.end());
    response.push_back(handshake_version);
    response.push_back(2);
    response.insert(response.end(), net.bytes.begin(), net.bytes.end());
    response.insert(response.end(), zeros.begin(), zeros.end());
    response.insert(response.end(), b.public_key().bytes.begin(), b.public_key().bytes.end());
    const Signature sig = b.sign(responder_transcript(net, i_eph, zeros, b.public_key()));
    response.insert(response.end(), sig.bytes.begin(), sig.bytes.end());
    ASSERT_EQ(response.size(), response_bytes);
    EXPECT_EQ(i2.on_message(response).error, HandshakeError::malformed);
    EXPECT_FALSE(i2.done());
  }
}

TEST(FrameTest, SealOpenInOrderAndRejectTamperReorderAndWrongKey) {
  SessionKey k{};
  k.fill(7);
  FrameSealer sealer(k);
  FrameOpener opener(k);
  const Bytes m1 = {1, 2, 3};
  const Bytes m2 = {};
  auto f1 = sealer.seal(m1);
  auto f2 = sealer.seal(m2);
  ASSERT_TRUE(f1.ok() && f2.ok());
  EXPECT_EQ(f1->size(), length_prefix_bytes + m1.size() + frame_tag_bytes);
  EXPECT_EQ(read_length_prefix(f1->data()), m1.size() + frame_tag_bytes);

  auto split = [](const Bytes& f) {
    return std::pair<ByteView, ByteView>{ByteView(f.data(), 4),
                                         ByteView(f.data() + 4, f.size() - 4)};
  };
  {
    // Reordered: the second frame first fails (counter mismatch).
    FrameOpener o(k);
    auto [p2, c2] = split(*f2);
    EXPECT_EQ(o.open(p2, c2).status().code(), StatusCode::corruption);
  }
  for (size_t at = 0; at < f1->size(); ++at) {
    Bytes bad = *f1;
    bad[at] ^= 0x01;
    FrameOpener o(k);
    auto [p, c] = split(bad);
    EXPECT_FALSE(o.open(p, c).ok()) << at;
  }
  {
    SessionKey other = k;
    other[0] ^= 1;
    FrameOpener o(other);
    auto [p, c] = split(*f1);
    EXPECT_EQ(o.open(p, c).status().code(), StatusCode::corruption);
  }
  auto [p1, c1] = split(*f1);
  auto o1 = opener.open(p1, c1);
  ASSERT_TRUE(o1.ok());
  EXPECT_EQ(*o1, m1);
  // Replaying the first frame again fails: the counter moved on.
  EXPECT_FALSE(opener.open(p1, c1).ok());
  auto [p2, c2] = split(*f2);
  auto o2 = opener.open(p2, c2);
  ASSERT_TRUE(o2.ok());
  EXPECT_EQ(*o2, m2);
  EXPECT_EQ(opener.counter(), 2u);
  EXPECT_FALSE(opener.open(ByteView(p1.data(), 3), c1).ok());
}

TEST(HandshakeErrorTest, NamesAreStable) {
  EXPECT_EQ(handshake_error_name(HandshakeError::unknown_peer), "unknown_peer");
  EXPECT_EQ(handshake_error_name(HandshakeError::timeout), "timeout");
  EXPECT_EQ(static_cast<size_t>(HandshakeError::timeout) + 1, handshake_error_count);
}

}  // namespace
}  // namespace corridor::net
