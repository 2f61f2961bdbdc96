#include "consensus/types.h"

#include <algorithm>
#include <string_view>

#include "base/encoding.h"

namespace corridor::consensus {

namespace {

constexpr std::string_view vote_domain = "corridor.vote.v1";
constexpr std::string_view timeout_domain = "corridor.timeout.v1";
constexpr std::string_view proposal_domain = "corridor.proposal.v1";
constexpr std::string_view block_domain = "corridor.block.v1";
constexpr std::string_view genesis_domain = "corridor.genesis.v1";

enum class Kind : uint8_t {
  proposal = 1,
  vote = 2,
  timeout = 3,
  block_request = 4,
  block_response = 5,
  epoch_request = 6,
  epoch_proof = 7,
};

void put_qc(Writer& w, const QuorumCert& qc) {
  w.u64(qc.epoch);
  w.u64(qc.round);
  w.u64(qc.height);
  w.fixed(qc.block_id);
  w.u16(static_cast<uint16_t>(qc.votes.size()));
  for (const auto& [i, sig] : qc.votes) {
    w.u32(i);
    w.fixed(sig);
  }
}

void put_tc(Writer& w, const TimeoutCert& tc) {
  w.u64(tc.epoch);
  w.u64(tc.round);
  w.u16(static_cast<uint16_t>(tc.entries.size()));
  for (const auto& e : tc.entries) {
    w.u32(e.signer);
    w.u64(e.high_qc_round);
    w.fixed(e.signature);
  }
}

// Every field of a block but the payload's bytes: up to and including the payload's length.
void put_block_header(Writer& w, const Block& b) {
  w.u64(b.epoch);
  w.u64(b.round);
  w.u64(b.height);
  w.fixed(b.parent_id);
  put_qc(w, b.qc);
  w.u32(b.author);
  w.u64(b.time_ms);
  w.u64(b.exec_height);
  w.fixed(b.exec_state_root);
  CORRIDOR_ASSERT(b.payload.size() <= UINT32_MAX);
  w.u32(static_cast<uint32_t>(b.payload.size()));
}

void put_block_fields(Writer& w, const Block& b) {
  put_block_header(w, b);
  w.raw(b.payload);
}

bool get_qc(Reader& r, QuorumCert& qc) {
  uint16_t n = 0;
  if (!(r.u64(qc.epoch) && r.u64(qc.round) && r.u64(qc.height) && r.fixed(qc.block_id) && r.u16(n)))
    return false;
  if (n > validators_max) return r.fail("quorum certificate with too many votes");
  qc.votes.resize(n);
  for (auto& [i, sig] : qc.votes)
    if (!(r.u32(i) && r.fixed(sig))) return false;
  return true;
}

bool get_tc(Reader& r, TimeoutCert& tc) {
  uint16_t n = 0;
  if (!(r.u64(tc.epoch) && r.u64(tc.round) && r.u16(n))) return false;
  if (n > validators_max) return r.fail("timeout certificate with too many entries");
  tc.entries.resize(n);
  for (auto& e : tc.entries)
    if (!(r.u32(e.signer) && r.u64(e.high_qc_round) && r.fixed(e.signature))) return false;
  return true;
}

bool get_block(Reader& r, Block& b) {
  if (!(r.u64(b.epoch) && r.u64(b.round) && r.u64(b.height) && r.fixed(b.parent_id) &&
        get_qc(r, b.qc) && r.u32(b.author) && r.u64(b.time_ms) && r.u64(b.exec_height) &&
        r.fixed(b.exec_state_root)))
    return false;
  ByteView payload;
  if (!r.var_bytes(payload, block_payload_bytes_max)) return false;
  b.payload.assign(payload.begin(), payload.end());
  return true;
}

Bytes domain_message(std::string_view domain, size_t extra) {
  Bytes out;
  out.reserve(domain.size() + extra);
  out.insert(out.end(), domain.begin(), domain.end());
  return out;
}

}  // namespace

ValidatorSet::ValidatorSet(Epoch epoch, std::vector<PublicKey> keys)
    : epoch_(epoch), keys_(std::move(keys)) {
  CORRIDOR_ASSERT_MSG(!keys_.empty() && keys_.size() <= validators_max, "validator set size");
}

std::optional<ValidatorIndex> ValidatorSet::index_of(const PublicKey& key) const {
  for (size_t i = 0; i < keys_.size(); ++i)
    if (keys_[i] == key) return static_cast<ValidatorIndex>(i);
  return std::nullopt;
}

Hash256 ValidatorSet::digest() const {
  Bytes b;
  Writer w(b);
  w.u64(epoch_);
  w.u32(static_cast<uint32_t>(keys_.size()));
  for (const auto& k : keys_) w.fixed(k);
  return sha256(b);
}

Round TimeoutCert::max_high_qc_round() const {
  Round m = 0;
  for (const auto& e : entries) m = std::max(m, e.high_qc_round);
  return m;
}

Hash256 Block::compute_id() const {
  // The hash of the domain and the block's encoding. The payload (megabytes in a busy block)
  // is hashed where it lies instead of being copied behind the header first.
  Bytes header = domain_message(block_domain, 256);
  Writer w(header);
  put_block_header(w, *this);
  Sha256 hash;
  hash.update(header);
  hash.update(payload);
  return hash.finish();
}

Bytes vote_signing_message(Epoch epoch, Round round, uint64_t height, const Hash256& block_id) {
  Bytes b = domain_message(vote_domain, 56);
  Writer w(b);
  w.u64(epoch);
  w.u64(round);
  w.u64(height);
  w.fixed(block_id);
  return b;
}

Bytes timeout_signing_message(Epoch epoch, Round round, Round high_qc_round) {
  Bytes b = domain_message(timeout_domain, 24);
  Writer w(b);
  w.u64(epoch);
  w.u64(round);
  w.u64(high_qc_round);
  return b;
}

Bytes proposal_signing_message(Epoch epoch, const Hash256& block_id) {
  Bytes b = domain_message(proposal_domain, 40);
  Writer w(b);
  w.u64(epoch);
  w.fixed(block_id);
  return b;
}

Bytes encode_qc(const QuorumCert& qc) {
  Bytes out;
  Writer w(out);
  w.u64(qc.epoch);
  w.u64(qc.round);
  w.u64(qc.height);
  w.fixed(qc.block_id);
  w.u32(static_cast<uint32_t>(qc.votes.size()));
  for (const auto& [index, signature] : qc.votes) {
    w.u32(index);
    w.fixed(signature);
  }
  return out;
}

Result<QuorumCert> decode_qc(ByteView bytes) {
  Reader r(bytes);
  QuorumCert qc;
  uint32_t count = 0;
  r.u64(qc.epoch) && r.u64(qc.round) && r.u64(qc.height) && r.fixed(qc.block_id) && r.u32(count);
  if (r.ok() && count > validators_max) r.fail("too many votes");
  for (uint32_t i = 0; r.ok() && i < count; ++i) {
    std::pair<ValidatorIndex, Signature> vote;
    if (r.u32(vote.first) && r.fixed(vote.second)) qc.votes.push_back(vote);
  }
  CORRIDOR_RETURN_IF_ERROR(r.finish("quorum certificate"));
  return qc;
}

Bytes encode_message(const Message& m) {
  Bytes out;
  Writer w(out);
  std::visit(
      [&](const auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, Proposal>) {
          w.u8(static_cast<uint8_t>(Kind::proposal));
          put_block_fields(w, msg.block);
          w.fixed(msg.block_id);
          w.fixed(msg.signature);
          w.u8(msg.tc ? 1 : 0);
          if (msg.tc) put_tc(w, *msg.tc);
        } else if constexpr (std::is_same_v<T, Vote>) {
          w.u8(static_cast<uint8_t>(Kind::vote));
          w.u64(msg.epoch);
          w.u64(msg.round);
          w.u64(msg.height);
          w.fixed(msg.block_id);
          w.u32(msg.voter);
          w.fixed(msg.signature);
        } else if constexpr (std::is_same_v<T, Timeout>) {
          w.u8(static_cast<uint8_t>(Kind::timeout));
          w.u64(msg.epoch);
          w.u64(msg.round);
          put_qc(w, msg.high_qc);
          w.u32(msg.author);
          w.fixed(msg.signature);
          w.u8(msg.last_tc ? 1 : 0);
          if (msg.last_tc) put_tc(w, *msg.last_tc);
        } else if constexpr (std::is_same_v<T, BlockRequest>) {
          w.u8(static_cast<uint8_t>(Kind::block_request));
          w.fixed(msg.block_id);
          w.u32(msg.count);
        } else if constexpr (std::is_same_v<T, BlockResponse>) {
          w.u8(static_cast<uint8_t>(Kind::block_response));
          w.u32(static_cast<uint32_t>(msg.blocks.size()));
          for (const auto& b : msg.blocks) put_block_fields(w, b);
        } else if constexpr (std::is_same_v<T, EpochRequest>) {
          w.u8(static_cast<uint8_t>(Kind::epoch_request));
          w.u64(msg.epoch);
        } else {
          static_assert(std::is_same_v<T, EpochProof>);
          w.u8(static_cast<uint8_t>(Kind::epoch_proof));
          put_qc(w, msg.qc);
          w.u32(static_cast<uint32_t>(msg.blocks.size()));
          for (const auto& b : msg.blocks) put_block_fields(w, b);
        }
      },
      m);
  return out;
}

Result<Message> decode_message(ByteView bytes) {
  if (bytes.size() > message_bytes_max) return invalid_argument("consensus message too large");
  Reader r(bytes);
  uint8_t kind = 0;
  if (!r.u8(kind)) return r.status("consensus message");
  Message out;
  switch (static_cast<Kind>(kind)) {
    case Kind::proposal: {
      Proposal p;
      uint8_t has_tc = 0;
      if (get_block(r, p.block) && r.fixed(p.block_id) && r.fixed(p.signature) && r.u8(has_tc)) {
        if (has_tc > 1) {
          r.fail("non-canonical tc flag");
        } else if (has_tc == 1) {
          TimeoutCert tc;
          if (get_tc(r, tc)) p.tc = std::move(tc);
        }
      }
      out = std::move(p);
      break;
    }
    case Kind::vote: {
      Vote v;
      r.u64(v.epoch) && r.u64(v.round) && r.u64(v.height) && r.fixed(v.block_id) &&
          r.u32(v.voter) && r.fixed(v.signature);
      out = v;
      break;
    }
    case Kind::timeout: {
      Timeout t;
      uint8_t has_tc = 0;
      if (r.u64(t.epoch) && r.u64(t.round) && get_qc(r, t.high_qc) && r.u32(t.author) &&
          r.fixed(t.signature) && r.u8(has_tc)) {
        if (has_tc > 1) {
          r.fail("non-canonical tc flag");
        } else if (has_tc == 1) {
          TimeoutCert tc;
          if (get_tc(r, tc)) t.last_tc = std::move(tc);
        }
      }
      out = std::move(t);
      break;
    }
    case Kind::block_request: {
      BlockRequest q;
      r.fixed(q.block_id) && r.u32(q.count);
      out = q;
      break;
    }
    case Kind::block_response: {
      BlockResponse resp;
      uint32_t n = 0;
      if (r.u32(n)) {
        if (n > sync_blocks_max) {
          r.fail("block response with too many blocks");
        } else {
          resp.blocks.resize(n);
          for (auto& b : resp.blocks)
            if (!get_block(r, b)) break;
        }
      }
      out = std::move(resp);
      break;
    }
    case Kind::epoch_request: {
      EpochRequest q;
      r.u64(q.epoch);
      out = q;
      break;
    }
    case Kind::epoch_proof: {
      EpochProof proof;
      uint32_t n = 0;
      if (get_qc(r, proof.qc) && r.u32(n)) {
        if (n < 2 || n > sync_blocks_max) {
          r.fail("epoch proof with " + std::to_string(n) + " blocks");
        } else {
          proof.blocks.resize(n);
          for (auto& b : proof.blocks)
            if (!get_block(r, b)) break;
        }
      }
      out = std::move(proof);
      break;
    }
    default:
      r.fail("unknown consensus message kind " + std::to_string(kind));
  }
  CORRIDOR_RETURN_IF_ERROR(r.finish("consensus message"));
  return out;
}

Status verify_qc(const QuorumCert& qc, const ValidatorSet& validators) {
  if (qc.epoch != validators.epoch()) return invalid_argument("qc from another epoch");
  if (qc.votes.size() < validators.quorum()) return invalid_argument("qc below quorum");
  Bytes msg = vote_signing_message(qc.epoch, qc.round, qc.height, qc.block_id);
  for (size_t i = 0; i < qc.votes.size(); ++i) {
    const auto& [signer, sig] = qc.votes[i];
    if (signer >= validators.size()) return invalid_argument("qc signer out of range");
    if (i > 0 && qc.votes[i - 1].first >= signer)
      return invalid_argument("qc signers not strictly ordered");
    if (!verify_signature(validators.key(signer), msg, sig))
      return invalid_argument("qc signature invalid");
  }
  return Status();
}

Status verify_tc(const TimeoutCert& tc, const ValidatorSet& validators) {
  if (tc.epoch != validators.epoch()) return invalid_argument("tc from another epoch");
  if (tc.entries.size() < validators.quorum()) return invalid_argument("tc below quorum");
  for (size_t i = 0; i < tc.entries.size(); ++i) {
    const auto& e = tc.entries[i];
    if (e.signer >= validators.size()) return invalid_argument("tc signer out of range");
    if (i > 0 && tc.entries[i - 1].signer >= e.signer)
      return invalid_argument("tc signers not strictly ordered");
    if (e.high_qc_round >= tc.round)
      return invalid_argument("tc entry's qc round not below the tc round");
    if (!verify_signature(validators.key(e.signer),
                          timeout_signing_message(tc.epoch, tc.round, e.high_qc_round),
                          e.signature))
      return invalid_argument("tc signature invalid");
  }
  return Status();
}

Block genesis_block(const ValidatorSet& validators, const Hash256& network_id) {
  Block g;
  g.epoch = validators.epoch();
  Bytes seed = domain_message(genesis_domain, 64);
  seed.insert(seed.end(), network_id.bytes.begin(), network_id.bytes.end());
  Hash256 vs = validators.digest();
  seed.insert(seed.end(), vs.bytes.begin(), vs.bytes.end());
  // The genesis "parent" commits to the network and the validator set, so two networks (or
  // two validator sets) never share a genesis id.
  g.parent_id = sha256(seed);
  return g;
}

QuorumCert genesis_qc(const Hash256& genesis_id, uint64_t height) {
  QuorumCert qc;
  qc.block_id = genesis_id;
  qc.height = height;
  return qc;
}

std::optional<Epoch> message_epoch(const Message& m) {
  if (const auto* p = std::get_if<Proposal>(&m)) return p->block.epoch;
  if (const auto* v = std::get_if<Vote>(&m)) return v->epoch;
  if (const auto* t = std::get_if<Timeout>(&m)) return t->epoch;
  return std::nullopt;
}

}  // namespace corridor::consensus
