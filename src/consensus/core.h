// The BFT engine's core, sans I/O: it consumes one input (a message from a peer, a timer tick,
// an execution result) with the current time and returns the actions the caller must perform,
// in order. The same code runs in the deterministic simulator and in the node.
//
// Protocol: 2-chain, pipelined, rotating-leader HotStuff (Jolteon). The leader of round r
// proposes a block extending its highest QC; validators vote (to every peer) when
// safe_to_vote holds; n - f votes form a QC, at every node that receives them, which moves it
// to round r + 1 (the leader of r + 1 then proposes). A block
// whose child is certified in the very next round is committed with all its ancestors. A
// round that produces no QC in time ends with timeouts; n - f of them form a TC that moves
// everyone on. docs/consensus.md has the pseudocode and the argument.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/keys.h"
#include "consensus/safety_rules.h"
#include "consensus/types.h"

namespace corridor::consensus {

struct CoreConfig {
  // Round timeout: base * 2^k, k = rounds since the last QC, capped; the pacemaker backs off
  // exponentially while rounds fail and snaps back with the first QC.
  uint64_t round_timeout_ms_base = 1'000;
  uint32_t round_timeout_backoff_exp_max = 5;
  // A proposal whose time is further than this ahead of the voter's clock is refused.
  uint64_t block_time_skew_ms_max = 2'000;
  // Committed blocks kept in memory to serve peers' sync requests without the adaptor.
  size_t recent_committed_blocks_max = 256;
  // Proposals kept while their ancestors are fetched.
  size_t pending_proposals_max = 32;
  // A block request not answered within this long is sent again (to the next peer asked).
  uint64_t sync_retry_ms = 500;
  // Payload bytes of the blocks in one answer to a block request, at most (at least one block
  // is always sent). An answer must fit in one message (message_bytes_max), and a node that
  // lags by many large blocks fetches them in several answers instead of none.
  size_t sync_response_payload_bytes_max = block_payload_bytes_max;
  // The network's state root interval (ledger.h): roots change only at its multiples, so a
  // proposal's execution claim names the last multiple at or below the executed height, with
  // that height's root. A state-sync checkpoint exists only at such a height and needs a
  // committed claim at exactly it; every proposal made while the executor is in the interval
  // above it gives one.
  uint64_t exec_claim_interval_blocks = 1;
};

// What the core asks of its host. Implementations must be deterministic given the same
// history (the simulator depends on it) and must not block.
class Adaptor {
 public:
  virtual ~Adaptor() = default;
  // The payload of a block this validator proposes at `height` (transactions from the
  // mempool). Called once per proposal.
  virtual Bytes make_payload(Round round, uint64_t height) = 0;
  // Asked with the payload make_payload gave (opaque to the core): true holds the proposal
  // back, unbuilt and unsigned, until the host calls Core::propose_held, so that an idle
  // leader can wait for something to order and propose the moment it arrives; false proposes
  // now. Nothing is signed or persisted while a proposal is held.
  virtual bool hold_proposal(Round, uint64_t /*height*/, const Bytes& /*payload*/) { return false; }
  // A committed block by id from durable storage, to answer a peer's sync request.
  virtual std::optional<Block> load_committed_block(const Hash256& id) = 0;
};

// Actions, executed by the host in the order given.
struct SendAction {
  ValidatorIndex to;
  Message message;
};
struct BroadcastAction {  // To every other validator.
  Message message;
};
// Must be durable before any later action of the same batch is carried out.
struct PersistSafetyAction {
  SafetyData data;
};
// Blocks committed, in height order; the host executes and stores them, then reports each
// state root with on_executed.
struct CommitAction {
  std::vector<Block> blocks;
  std::vector<Hash256> ids;
  // The QC certifying the last block; with it the last block is provably certified, and it
  // is what a restarted validator resumes from (RecoveryState::last_committed_qc).
  QuorumCert commit_qc;
  // The evidence of the commit: the last block's child, of the very next round, and the QC
  // certifying that child. The host keeps it when one of the blocks ends the epoch, to build
  // the EpochProof that lagging validators need.
  Block certified_child;
  QuorumCert child_qc;
};
struct SetTimerAction {
  uint64_t deadline_ms;
};
using Action =
    std::variant<SendAction, BroadcastAction, PersistSafetyAction, CommitAction, SetTimerAction>;

// The durable state a validator restarts from.
struct RecoveryState {
  // Safety data of an earlier epoch is replaced by a fresh one for this epoch: signatures are
  // bound to their epoch, so rounds of the old one constrain nothing in the new.
  SafetyData safety;
  // The epoch's first block: the network's genesis, or the last block of the previous epoch.
  Hash256 genesis_id;
  Block last_committed;  // The genesis block on a new validator.
  Hash256 last_committed_id;
  QuorumCert last_committed_qc;  // Certifies last_committed (genesis_qc for genesis).
  uint64_t genesis_height = 0;   // The height of genesis_id.
};

// Counters for operators and tests.
struct CoreStats {
  uint64_t proposals_sent = 0;
  uint64_t votes_sent = 0;
  uint64_t timeouts_sent = 0;
  uint64_t qcs_formed = 0;
  uint64_t tcs_formed = 0;
  uint64_t blocks_committed = 0;
  uint64_t sync_requests = 0;
  uint64_t invalid_messages = 0;  // Dropped after a failed check.
  uint64_t equivocations_seen = 0;
  uint64_t exec_root_mismatches = 0;
  // Certified chains that do not extend the committed block. Only more than f faulty
  // validators can produce one; the core refuses to commit it and the host should halt.
  uint64_t conflicting_commits = 0;
  uint64_t epoch_proofs_accepted = 0;
};

class Core {
 public:
  // `me` is this validator's index in `validators`; nullopt makes an observer, which follows
  // and commits certified blocks but never signs anything (a validator removed from the set,
  // or one about to join it).
  Core(ValidatorSet validators, std::optional<ValidatorIndex> me, KeyPair key,
       const RecoveryState& recovery, CoreConfig config, Adaptor& adaptor);

  std::vector<Action> start(uint64_t now_ms);
  std::vector<Action> on_message(ValidatorIndex from, const Message& message, uint64_t now_ms);
  // on_message for a proposal, also telling whether it passed every check (its id recomputed
  // from the block, never taken from the message; the author's signature and the
  // certificates verified). A host that keeps proposals for a restart stores the valid ones
  // before it carries out the actions, and so neither hashes nor verifies them again.
  struct ProposalOutcome {
    bool valid = false;
    std::vector<Action> actions;
  };
  ProposalOutcome on_proposal(ValidatorIndex from, const Proposal& proposal, uint64_t now_ms);
  std::vector<Action> on_timer(uint64_t now_ms);
  // Builds and sends the proposal the adaptor asked to hold (Adaptor::hold_proposal),
  // with whatever make_payload now gives; nothing when no proposal of the current round is
  // held (the round moved on, or it was sent already).
  std::vector<Action> propose_held(uint64_t now_ms);
  bool proposal_held() const { return held_round_ != 0 && held_round_ == round_; }
  // The state root after executing the committed block at `height`.
  void on_executed(uint64_t height, const Hash256& state_root);
  // The answer to a peer's block request: the block and its ancestors, newest first, from
  // memory or the adaptor's storage. Hosts may call it for peers outside the current set.
  BlockResponse serve(const BlockRequest& request);
  bool is_observer() const { return !member_; }

  Round current_round() const { return round_; }
  uint64_t committed_height() const { return committed_height_; }
  const Hash256& committed_id() const { return committed_id_; }
  const QuorumCert& high_qc() const { return high_qc_; }
  const SafetyData& safety() const { return safety_; }
  const CoreStats& stats() const { return stats_; }
  const ValidatorSet& validators() const { return validators_; }

 private:
  struct Out;
  void handle(Out& out, ValidatorIndex from, const Proposal& p, uint64_t now);
  void handle(Out& out, ValidatorIndex from, const Vote& v, uint64_t now);
  void handle(Out& out, ValidatorIndex from, const Timeout& t, uint64_t now);
  void handle(Out& out, ValidatorIndex from, const BlockRequest& r, uint64_t now);
  void handle(Out& out, ValidatorIndex from, const BlockResponse& r, uint64_t now);
  void handle(Out& out, ValidatorIndex from, const EpochRequest& r, uint64_t now);
  void handle(Out& out, ValidatorIndex from, const EpochProof& p, uint64_t now);
  // Checks a newest-first chain of blocks: hash-linked, of this epoch above its genesis, each
  // QC certifying the parent. Fills ids (the caller may pass blocks[0]'s, computed already, as
  // its only entry); false (and counts it) if anything is wrong.
  bool check_chain(const std::vector<Block>& blocks, std::vector<Hash256>& ids);
  void insert_chain(const std::vector<Block>& blocks, const std::vector<Hash256>& ids);

  bool check_proposal(const Proposal& p, uint64_t now);
  // What follows the checks for a proposal that passed them (or is this validator's own):
  // certificates, equivocation, the parent, voting.
  void accept_proposal(Out& out, ValidatorIndex from, const Proposal& p, uint64_t now);
  bool qc_valid(const QuorumCert& qc);
  void process_qc(Out& out, const QuorumCert& qc, uint64_t now);
  void process_tc(Out& out, const TimeoutCert& tc, uint64_t now);
  void try_commit(Out& out, const QuorumCert& qc);
  void insert_block(const Hash256& id, Block block);
  void maybe_vote(Out& out, const Proposal& p, uint64_t now);
  void advance_round(Out& out, Round round, uint64_t now);
  void propose(Out& out, uint64_t now, bool allow_hold = true);
  void send_timeout(Out& out, uint64_t now);
  // Asks `peer` for block `block_id`, at `height`, and the blocks below it that this node may
  // lack: those above its committed height.
  void request_sync(Out& out, ValidatorIndex peer, const Hash256& block_id, uint64_t height,
                    uint64_t now);
  void retry_pending(Out& out, uint64_t now);
  uint64_t timeout_ms() const;
  const Block* find_block(const Hash256& id) const;

  ValidatorSet validators_;
  // An observer's index is out of range, so it never matches a leader or a voter.
  ValidatorIndex me_;
  bool member_;
  KeyPair key_;
  CoreConfig config_;
  Adaptor& adaptor_;
  Hash256 genesis_id_;
  uint64_t genesis_height_ = 0;

  SafetyData safety_;
  Round round_ = 1;
  QuorumCert high_qc_;
  std::optional<TimeoutCert> high_tc_;
  uint64_t timer_deadline_ms_ = 0;
  Round timed_out_round_ = 0;

  // Uncommitted blocks (and the last committed one), by id.
  std::unordered_map<Hash256, Block, FixedBytesHasher> tree_;
  uint64_t committed_height_ = 0;
  Round committed_round_ = 0;
  Hash256 committed_id_;
  std::deque<std::pair<Hash256, Block>> recent_committed_;

  // Votes for blocks, by (round, block id), of the current and the previous round and up to
  // vote_round_ahead_max ahead (every validator collects them and forms the QC), and the block
  // each voter's first vote of a round was for: one vote per voter and round is kept, so
  // memory stays within n per round whatever a Byzantine peer sends. Timeouts: each
  // validator's highest, which bounds memory by n too.
  std::map<std::pair<Round, Hash256>, std::map<ValidatorIndex, Signature>> votes_;
  std::map<std::pair<Round, ValidatorIndex>, Hash256> vote_of_;
  std::map<ValidatorIndex, Timeout> latest_timeouts_;
  // QCs whose signatures were checked, by (round, block id), so each is verified once.
  std::set<std::pair<Round, Hash256>> verified_qcs_;
  Round proposed_round_ = 0;
  // The round whose proposal the adaptor asked to hold; 0 when none is held.
  Round held_round_ = 0;
  // The first proposal seen per round, to notice equivocation.
  std::map<Round, Hash256> proposal_ids_;
  // Proposals whose ancestors are being fetched, keyed by the missing ancestor's id. Each
  // passed check_proposal on arrival and is not checked (nor hashed) again.
  std::multimap<Hash256, std::pair<ValidatorIndex, Proposal>> pending_;
  // Outstanding block requests: when each was last sent. A response must start at one.
  std::map<Hash256, uint64_t> requested_;
  // An ancestor found missing while trying to commit; asked for again until it arrives.
  std::optional<Hash256> missing_ancestor_;
  uint64_t missing_ancestor_height_ = 0;  // The height of missing_ancestor_.
  // The QC whose commit waits for that ancestor (from an EpochProof, or a proposal's chain).
  std::optional<QuorumCert> pending_commit_qc_;
  // Executed state roots of recent heights, to compare with proposals' claims.
  std::map<uint64_t, Hash256> executed_roots_;
  uint64_t executed_height_ = 0;
  Hash256 executed_root_;

  CoreStats stats_;
};

}  // namespace corridor::consensus
