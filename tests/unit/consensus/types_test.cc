// The consensus codec and certificate checks: round trips, limits, and that decoding any
// prefix or corruption of a valid message fails cleanly.
#include "consensus/types.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "consensus/store_layout.h"

namespace corridor::consensus {
namespace {

struct Fixture {
  std::vector<KeyPair> keys;
  ValidatorSet vs;
  Fixture() {
    crypto_init();
    std::vector<PublicKey> pubs;
    for (int i = 0; i < 4; ++i) {
      keys.push_back(
          KeyPair::from_seed(Seed::from_view(sha256(as_bytes("v" + std::to_string(i))).view())));
      pubs.push_back(keys.back().public_key());
    }
    vs = ValidatorSet(1, pubs);
  }
  QuorumCert qc(Round round, uint64_t height, const Hash256& id,
                std::vector<ValidatorIndex> signers) {
    QuorumCert q{1, round, height, id, {}};
    for (auto i : signers)
      q.votes.push_back({i, keys[i].sign(vote_signing_message(1, round, height, id))});
    return q;
  }
};

TEST(ConsensusTypes, QuorumIsNMinusF) {
  Fixture f;
  EXPECT_EQ(f.vs.f(), 1u);
  EXPECT_EQ(f.vs.quorum(), 3u);
  EXPECT_EQ(ValidatorSet(0, std::vector<PublicKey>(7)).quorum(), 5u);
  EXPECT_EQ(ValidatorSet(0, std::vector<PublicKey>(10)).quorum(), 7u);
}

TEST(ConsensusTypes, QcVerification) {
  Fixture f;
  Hash256 id = sha256(as_bytes("block"));
  EXPECT_TRUE(verify_qc(f.qc(3, 2, id, {0, 1, 2}), f.vs).ok());
  EXPECT_FALSE(verify_qc(f.qc(3, 2, id, {0, 1}), f.vs).ok()) << "below quorum";
  EXPECT_FALSE(verify_qc(f.qc(3, 2, id, {1, 0, 2}), f.vs).ok()) << "unordered signers";
  EXPECT_FALSE(verify_qc(f.qc(3, 2, id, {0, 0, 1}), f.vs).ok()) << "duplicate signer";
  auto q = f.qc(3, 2, id, {0, 1, 2});
  q.round = 4;
  EXPECT_FALSE(verify_qc(q, f.vs).ok()) << "signatures bound to the round";
  q = f.qc(3, 2, id, {0, 1, 2});
  q.epoch = 2;
  EXPECT_FALSE(verify_qc(q, f.vs).ok()) << "signatures bound to the epoch";
  q = f.qc(3, 2, id, {0, 1, 2});
  q.votes[1].first = 9;
  EXPECT_FALSE(verify_qc(q, f.vs).ok()) << "signer out of range";
}

TEST(ConsensusTypes, TcVerification) {
  Fixture f;
  TimeoutCert tc{1, 5, {}};
  for (ValidatorIndex i : {0u, 2u, 3u})
    tc.entries.push_back({i, 3, f.keys[i].sign(timeout_signing_message(1, 5, 3))});
  EXPECT_TRUE(verify_tc(tc, f.vs).ok());
  EXPECT_EQ(tc.max_high_qc_round(), 3u);
  auto bad = tc;
  bad.entries[0].high_qc_round = 4;  // Not what was signed.
  EXPECT_FALSE(verify_tc(bad, f.vs).ok());
  bad = tc;
  bad.entries.pop_back();
  EXPECT_FALSE(verify_tc(bad, f.vs).ok());
}

Message sample_proposal(Fixture& f) {
  Block g = genesis_block(f.vs, Hash256{});
  Block b;
  b.epoch = 1;
  b.round = 2;
  b.height = 1;
  b.parent_id = g.compute_id();
  b.qc = genesis_qc(b.parent_id);
  b.author = 2;
  b.time_ms = 123;
  b.payload = Bytes{1, 2, 3};
  Proposal p{b, b.compute_id(), {}, std::nullopt};
  p.signature = f.keys[2].sign(proposal_signing_message(1, p.block_id));
  TimeoutCert tc{1, 1, {}};
  for (ValidatorIndex i : {0u, 1u, 2u})
    tc.entries.push_back({i, 0, f.keys[i].sign(timeout_signing_message(1, 1, 0))});
  p.tc = tc;
  return p;
}

TEST(ConsensusTypes, EveryMessageRoundTrips) {
  Fixture f;
  Hash256 id = sha256(as_bytes("x"));
  std::vector<Message> msgs = {
      sample_proposal(f),
      Vote{1, 4, 3, id, 1, f.keys[1].sign(vote_signing_message(1, 4, 3, id))},
      Timeout{1, 5, f.qc(4, 3, id, {0, 1, 3}), 0, {}, std::nullopt},
      BlockRequest{id, 10},
      BlockResponse{{std::get<Proposal>(sample_proposal(f)).block}},
  };
  for (const auto& m : msgs) {
    Bytes enc = encode_message(m);
    auto dec = decode_message(enc);
    ASSERT_TRUE(dec.ok()) << dec.status().to_string();
    EXPECT_EQ(encode_message(*dec), enc);
    // Every strict prefix fails, and so does a trailing byte.
    for (size_t n = 0; n < enc.size(); ++n)
      EXPECT_FALSE(decode_message(ByteView(enc).first(n)).ok());
    Bytes longer = enc;
    longer.push_back(0);
    EXPECT_FALSE(decode_message(longer).ok());
  }
}

TEST(ConsensusTypes, RandomBytesNeverCrashTheDecoder) {
  std::mt19937_64 rng(5);
  Fixture f;
  Bytes base = encode_message(sample_proposal(f));
  for (int i = 0; i < 2000; ++i) {
    Bytes b = base;
    for (int k = 0; k < 4; ++k) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    (void)decode_message(b);
    Bytes r(rng() % 300);
    for (auto& x : r) x = static_cast<uint8_t>(rng());
    (void)decode_message(r);
  }
}

TEST(ConsensusTypes, GenesisDependsOnNetworkAndValidators) {
  Fixture f;
  Hash256 a = genesis_block(f.vs, sha256(as_bytes("net-a"))).compute_id();
  Hash256 b = genesis_block(f.vs, sha256(as_bytes("net-b"))).compute_id();
  EXPECT_NE(a, b);
  std::vector<PublicKey> other = f.vs.keys();
  other.pop_back();
  EXPECT_NE(genesis_block(ValidatorSet(1, other), sha256(as_bytes("net-a"))).compute_id(), a);
}

// The id is the hash of the block domain and the block's encoding, payload included, however
// compute_id goes about it: here it is rebuilt from the block as a block response encodes it.
TEST(ConsensusTypes, BlockIdHashesTheDomainAndTheWholeEncoding) {
  Fixture f;
  Block b = std::get<Proposal>(sample_proposal(f)).block;
  b.qc = f.qc(1, 0, b.parent_id, {0, 1, 3});
  for (size_t size : {size_t{0}, size_t{3}, size_t{1} << 20}) {
    b.payload = Bytes(size, 0x5a);
    if (size > 0) b.payload.front() = 1;
    const Bytes response = encode_message(BlockResponse{{b}});
    // A block response is its kind byte and a u32 block count, then the block's fields.
    // Sized up front: GCC 12 at -O2 reports (falsely, GCC bug 107852) that appending to a
    // small fresh vector overflows it.
    const ByteView domain = as_bytes("corridor.block.v1");
    Bytes hashed(domain.size() + response.size() - 5);
    std::copy(domain.begin(), domain.end(), hashed.begin());
    std::copy(response.begin() + 5, response.end(), hashed.begin() + domain.size());
    EXPECT_EQ(b.compute_id(), sha256(hashed)) << size << " payload bytes";
  }
  Block other = b;
  other.payload.back() ^= 1;
  EXPECT_NE(other.compute_id(), b.compute_id());
}

// A committed block stored without its payload reads back only with that payload: any other
// gives a different id and is refused as corruption.
TEST(StoreLayout, AnElidedBlockReadsBackOnlyWithItsOwnPayload) {
  Fixture f;
  Block b;
  b.epoch = 1;
  b.round = 3;
  b.height = 2;
  b.parent_id = sha256(as_bytes("parent"));
  b.qc = f.qc(2, 1, b.parent_id, {0, 1, 2});
  b.author = 1;
  b.time_ms = 1'000;
  b.payload = Bytes(200, 7);
  const Hash256 id = b.compute_id();
  std::map<Bytes, Bytes> store;
  struct Batch {
    std::map<Bytes, Bytes>& out;
    void put(Bytes k, Bytes v) { out[std::move(k)] = std::move(v); }
  } batch{store};
  put_committed_block_elided(batch, b, id);
  ASSERT_TRUE(store.contains(elided_block_height_key(2)));
  EXPECT_FALSE(store.contains(block_height_key(2)));
  EXPECT_EQ(store.at(block_id_key(id)), (Bytes{0, 0, 0, 0, 0, 0, 0, 2}));
  const Bytes& value = store.at(elided_block_height_key(2));
  EXPECT_LT(value.size(), encode_message(BlockResponse{{b}}).size());

  auto back = read_elided_block(value, b.payload);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->compute_id(), id);
  EXPECT_EQ(back->payload, b.payload);
  Bytes other = b.payload;
  other.back() ^= 1;
  auto wrong = read_elided_block(value, other);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::corruption);
  EXPECT_FALSE(read_elided_block(ByteView(value).first(10), b.payload).ok());
}

}  // namespace
}  // namespace corridor::consensus
