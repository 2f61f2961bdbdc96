#include <gtest/gtest.h>

#include <string>

#include "base/hash.h"

namespace corridor {
namespace {

// FIPS 180-2 appendix B and the well-known digest of the empty string.
TEST(Sha256, KnownAnswers) {
  EXPECT_EQ(sha256(as_bytes("abc")).hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256(as_bytes("")).hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).hex(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, IncrementalMatchesOneShotAcrossSplits) {
  std::string msg(200, '\0');
  for (size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<char>(i * 7 + 3);
  Hash256 whole = sha256(as_bytes(msg));
  for (size_t split : {0, 1, 55, 56, 63, 64, 65, 128, 199, 200}) {
    Sha256 h;
    h.update(std::string_view(msg).substr(0, split));
    h.update(as_bytes(std::string_view(msg).substr(split)));
    EXPECT_EQ(h.finish(), whole) << "split at " << split;
  }
  Sha256 abc;
  abc.update("a");
  abc.update("bc");
  EXPECT_EQ(abc.finish().hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, NodeHashIsTagThenChildren) {
  Hash256 left = sha256(as_bytes("l"));
  Hash256 right = sha256(as_bytes("r"));
  Bytes buf = {0x01};
  buf.insert(buf.end(), left.bytes.begin(), left.bytes.end());
  buf.insert(buf.end(), right.bytes.begin(), right.bytes.end());
  EXPECT_EQ(sha256_node(0x01, left, right), sha256(buf));
  EXPECT_NE(sha256_node(0x00, left, right), sha256_node(0x01, left, right));
  EXPECT_NE(sha256_node(0x01, right, left), sha256_node(0x01, left, right));
}

}  // namespace
}  // namespace corridor
