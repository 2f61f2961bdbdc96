// Consensus data: validator sets, blocks, votes, quorum and timeout certificates, and the
// messages validators exchange. Everything signed has a canonical encoding with its own
// domain string (docs/consensus.md), and every signature is bound to its epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/hash.h"
#include "base/keys.h"
#include "base/quorum.h"
#include "base/status.h"

namespace corridor::consensus {

using Round = uint64_t;
using Epoch = uint64_t;
using ValidatorIndex = uint32_t;

// Limits on everything a peer can send; checked before a message touches state.
inline constexpr size_t validators_max = 256;
inline constexpr size_t block_payload_bytes_max = 64 << 20;
inline constexpr size_t message_bytes_max = block_payload_bytes_max + (1 << 20);
// A block response carries at most this many blocks; a node far behind asks repeatedly.
inline constexpr uint32_t sync_blocks_max = 64;
// Rounds further ahead of ours than this are not believed without a certificate.
inline constexpr Round round_jump_max = 1'000'000;

// The validators of one epoch, in a fixed order. n = 3f + 1 (or more); a quorum is n - f.
class ValidatorSet {
 public:
  ValidatorSet() = default;
  ValidatorSet(Epoch epoch, std::vector<PublicKey> keys);

  Epoch epoch() const { return epoch_; }
  size_t size() const { return keys_.size(); }
  size_t f() const { return bft_faults_max(keys_.size()); }
  size_t quorum() const { return bft_quorum(keys_.size()); }
  const PublicKey& key(ValidatorIndex i) const { return keys_[i]; }
  const std::vector<PublicKey>& keys() const { return keys_; }
  std::optional<ValidatorIndex> index_of(const PublicKey& key) const;
  // Round-robin leader: every validator leads equally often, and a crashed leader costs one
  // round in n.
  ValidatorIndex leader(Round round) const {
    return static_cast<ValidatorIndex>(round % keys_.size());
  }
  Hash256 digest() const;

 private:
  Epoch epoch_ = 0;
  std::vector<PublicKey> keys_;
};

// A quorum certificate: n - f validators' votes for one block.
struct QuorumCert {
  Epoch epoch = 0;
  Round round = 0;
  uint64_t height = 0;
  Hash256 block_id;
  std::vector<std::pair<ValidatorIndex, Signature>> votes;  // Sorted by validator index.

  bool is_genesis() const { return round == 0; }
  friend bool operator==(const QuorumCert&, const QuorumCert&) = default;
};

// A timeout certificate for a round: n - f validators' timeouts, each naming the round of the
// highest QC its signer held. The next leader must extend a QC at least that high.
struct TimeoutCert {
  Epoch epoch = 0;
  Round round = 0;
  struct Entry {
    ValidatorIndex signer;
    Round high_qc_round;
    Signature signature;
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  std::vector<Entry> entries;  // Sorted by signer.

  Round max_high_qc_round() const;
  friend bool operator==(const TimeoutCert&, const TimeoutCert&) = default;
};

// A block of the consensus chain. The payload is opaque here: the node fills it with
// transactions and the executor interprets it. exec_height/exec_state_root are the proposer's
// latest executed height and state root, so a validator whose execution diverged is detected.
struct Block {
  Epoch epoch = 0;
  Round round = 0;
  uint64_t height = 0;
  Hash256 parent_id;
  QuorumCert qc;  // Certifies the parent.
  ValidatorIndex author = 0;
  uint64_t time_ms = 0;
  uint64_t exec_height = 0;
  Hash256 exec_state_root;
  Bytes payload;

  // The block's id: a hash over all of it, payload included, so it costs a pass over megabytes
  // in a busy block. A node computes it once per proposal (Core::check_proposal for a peer's,
  // Core::propose for its own) and passes it on; it never takes the id a message claims.
  Hash256 compute_id() const;
};

struct Proposal {
  Block block;
  Hash256 block_id;
  Signature signature;            // The author's, over block_id.
  std::optional<TimeoutCert> tc;  // Present when block.round != block.qc.round + 1.
};

struct Vote {
  Epoch epoch = 0;
  Round round = 0;
  uint64_t height = 0;
  Hash256 block_id;
  ValidatorIndex voter = 0;
  Signature signature;
};

struct Timeout {
  Epoch epoch = 0;
  Round round = 0;
  QuorumCert high_qc;
  ValidatorIndex author = 0;
  Signature signature;  // Over (epoch, round, high_qc.round).
  // The highest TC the author knows (unsigned by it; it carries its own signatures), so a
  // validator that missed the TC moving everyone to this round catches up from any timeout.
  std::optional<TimeoutCert> last_tc;
};

// Asks a peer for up to `count` blocks: the block `block_id` and its ancestors, newest first.
struct BlockRequest {
  Hash256 block_id;
  uint32_t count = 0;
};
struct BlockResponse {
  std::vector<Block> blocks;  // Newest first; each the parent of the one before.
};

// Epochs. The validator set changes when a committed block's execution says so (a governance
// transaction); that block is the last of its epoch and the first (the "genesis") of the next.
// A validator that missed the end of its epoch asks a peer how it ended: the proof is a chain
// of committed blocks of the old epoch, newest first, whose last element is the epoch's last
// block and whose first two have consecutive rounds with the first certified by `qc`, which is
// exactly the 2-chain commit rule, checkable with the old validator set alone.
struct EpochRequest {
  Epoch epoch = 0;  // The requester's epoch, whose end it asks for.
};
struct EpochProof {
  QuorumCert qc;
  std::vector<Block> blocks;  // Newest first; 2 to sync_blocks_max blocks.
};

using Message =
    std::variant<Proposal, Vote, Timeout, BlockRequest, BlockResponse, EpochRequest, EpochProof>;
// The epoch a proposal, vote or timeout belongs to; nullopt for the other messages.
std::optional<Epoch> message_epoch(const Message& m);

// The messages signers sign, each with its own domain so that no signature can be replayed
// as another kind of message.
Bytes vote_signing_message(Epoch epoch, Round round, uint64_t height, const Hash256& block_id);
Bytes timeout_signing_message(Epoch epoch, Round round, Round high_qc_round);
Bytes proposal_signing_message(Epoch epoch, const Hash256& block_id);

Bytes encode_message(const Message& m);
// A QC on its own, as hosts store it: epoch, round, height, block id, u32 count, then
// (u32 index, signature) per vote.
Bytes encode_qc(const QuorumCert& qc);
Result<QuorumCert> decode_qc(ByteView bytes);
Result<Message> decode_message(ByteView bytes);

// Signature and structure checks against a validator set.
Status verify_qc(const QuorumCert& qc, const ValidatorSet& validators);
Status verify_tc(const TimeoutCert& tc, const ValidatorSet& validators);

// The genesis block every validator of a network starts from: round 0, height 0.
Block genesis_block(const ValidatorSet& validators, const Hash256& network_id);
// The certificate an epoch starts from: round 0, no votes, naming the epoch's first block
// (the network's genesis, or the last block of the previous epoch) at its height.
QuorumCert genesis_qc(const Hash256& genesis_id, uint64_t height = 0);

}  // namespace corridor::consensus
