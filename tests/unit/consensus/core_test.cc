// The consensus core driven by a small in-process network: messages are delivered in FIFO
// order with optional drops, timers fire when the virtual clock reaches them. These tests pin
// the core's behaviour; the simulator (tests/sim) explores faults at scale.
#include "consensus/core.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <random>
#include <set>

namespace corridor::consensus {
namespace {

struct TestAdaptor : Adaptor {
  std::map<Hash256, Block> committed;
  Bytes make_payload(Round round, uint64_t height) override {
    Bytes b(16);
    for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(round >> (8 * i));
    for (int i = 0; i < 8; ++i) b[8 + i] = static_cast<uint8_t>(height >> (8 * i));
    return b;
  }
  // When set, every proposal is held until the test calls Core::propose_held.
  bool hold = false;
  int holds_asked = 0;
  bool hold_proposal(Round, uint64_t, const Bytes&) override {
    ++holds_asked;
    return hold;
  }
  std::optional<Block> load_committed_block(const Hash256& id) override {
    auto it = committed.find(id);
    if (it == committed.end()) return std::nullopt;
    return it->second;
  }
};

KeyPair key_for(int i) {
  return KeyPair::from_seed(
      Seed::from_view(sha256(as_bytes("validator-" + std::to_string(i))).view()));
}

// n validators connected by a FIFO queue; `down` nodes receive and send nothing.
class Network {
 public:
  explicit Network(size_t n, uint64_t seed = 1,
                   size_t sync_response_payload_bytes_max = block_payload_bytes_max,
                   uint64_t root_interval = 1)
      : rng_(seed),
        sync_response_payload_bytes_max_(sync_response_payload_bytes_max),
        root_interval_(root_interval) {
    crypto_init();
    std::vector<PublicKey> keys;
    for (size_t i = 0; i < n; ++i) keys.push_back(key_for(static_cast<int>(i)).public_key());
    validators_ = ValidatorSet(1, keys);
    genesis_ = genesis_block(validators_, Hash256{});
    genesis_id_ = genesis_.compute_id();
    adaptors_.resize(n);
    down_.assign(n, false);
    timers_.assign(n, UINT64_MAX);
    commits_.resize(n);
    for (size_t i = 0; i < n; ++i) cores_.push_back(make_core(i, SafetyData{}));
  }

  // Validator i's core at genesis, with `safety` as its persisted safety data.
  std::unique_ptr<Core> make_core(size_t i, const SafetyData& safety) {
    RecoveryState rs{safety, genesis_id_, genesis_, genesis_id_, genesis_qc(genesis_id_)};
    CoreConfig cfg;
    cfg.round_timeout_ms_base = 100;
    cfg.sync_response_payload_bytes_max = sync_response_payload_bytes_max_;
    cfg.exec_claim_interval_blocks = root_interval_;
    return std::make_unique<Core>(validators_, static_cast<ValidatorIndex>(i),
                                  key_for(static_cast<int>(i)), rs, cfg, adaptors_[i]);
  }

  void start() {
    for (size_t i = 0; i < cores_.size(); ++i) apply(i, cores_[i]->start(now_));
  }
  // Validator i comes back from its persisted safety data alone, its chain lost: it starts
  // again from genesis and fetches the blocks from its peers.
  void restart(size_t i) {
    cores_[i] = make_core(i, persisted_[i]);
    commits_[i].clear();
    adaptors_[i].committed.clear();
    timers_[i] = UINT64_MAX;
    apply(i, cores_[i]->start(now_));
  }
  // Releases validator i's held proposal, if any, and returns what that produced.
  std::vector<Action> propose_held_results(size_t i) {
    auto actions = cores_[i]->propose_held(now_);
    apply(i, actions);
    return actions;
  }

  // Runs until `until_ms` of virtual time; each message takes 1 ms.
  void run(uint64_t until_ms) {
    while (now_ < until_ms) {
      while (!queue_.empty() && queue_.front().at <= now_) {
        auto m = std::move(queue_.front());
        queue_.pop_front();
        if (down_[m.to] || down_[m.from]) continue;
        if (drop_rate_ > 0 && std::uniform_real_distribution<>(0, 1)(rng_) < drop_rate_) continue;
        if (proposals_to_drop_ > 0 && m.to == drop_proposals_to_ &&
            std::holds_alternative<Proposal>(m.msg)) {
          --proposals_to_drop_;
          continue;
        }
        if (hold_back_ && hold_back_(m)) {
          held_.push_back(std::move(m));
          continue;
        }
        if (const auto* r = std::get_if<BlockResponse>(&m.msg)) responses_.push_back({m.to, *r});
        auto decoded = decode_message(encode_message(m.msg));
        ASSERT_TRUE(decoded.ok());
        apply(m.to, cores_[m.to]->on_message(m.from, *decoded, now_));
      }
      for (size_t i = 0; i < cores_.size(); ++i)
        if (!down_[i] && timers_[i] <= now_) {
          timers_[i] = UINT64_MAX;
          apply(i, cores_[i]->on_timer(now_));
        }
      ++now_;
    }
  }

  void apply(size_t i, std::vector<Action> actions) {
    for (auto& a : actions) {
      if (auto* s = std::get_if<SendAction>(&a)) {
        if (const auto* r = std::get_if<BlockRequest>(&s->message))
          requests_.push_back({static_cast<ValidatorIndex>(i), *r, commits_[i].size()});
        queue_.push_back({static_cast<ValidatorIndex>(i), s->to, s->message, now_ + 1});
      } else if (auto* b = std::get_if<BroadcastAction>(&a)) {
        // A proposal leaves only once the safety data on disk records its round as proposed
        // in: written before it among these actions, or earlier.
        if (const auto* p = std::get_if<Proposal>(&b->message)) {
          ASSERT_TRUE(persisted_.contains(i)) << "validator " << i << " proposed unpersisted";
          ASSERT_GE(persisted_[i].last_proposed_round, p->block.round)
              << "validator " << i << " sent a proposal its safety data does not record";
          ++proposals_broadcast_[i];
          proposal_rounds_[i].insert(p->block.round);
        }
        for (size_t j = 0; j < cores_.size(); ++j)
          if (j != i)
            queue_.push_back({static_cast<ValidatorIndex>(i), static_cast<ValidatorIndex>(j),
                              b->message, now_ + 1});
      } else if (auto* t = std::get_if<SetTimerAction>(&a)) {
        timers_[i] = t->deadline_ms;
      } else if (auto* c = std::get_if<CommitAction>(&a)) {
        for (size_t k = 0; k < c->blocks.size(); ++k) {
          commits_[i].push_back(c->ids[k]);
          adaptors_[i].committed[c->ids[k]] = c->blocks[k];
          ASSERT_EQ(c->blocks[k].height, commits_[i].size()) << "commits skip or repeat a height";
          // A root per block, or with an interval the root of the last multiple of it (the
          // genesis's below the first).
          const uint64_t h = c->blocks[k].height;
          const uint64_t at = h - h % root_interval_;
          Hash256 root = at == 0 ? Hash256{} : sha256(commits_[i][at - 1].view());
          if (static_cast<int>(i) == diverge_) root.bytes[0] ^= 1;
          cores_[i]->on_executed(c->blocks[k].height, root);
        }
      } else if (auto* p = std::get_if<PersistSafetyAction>(&a)) {
        persisted_[i] = p->data;
        ++safety_writes_[i];
      }
    }
  }

  // Agreement: every pair of committed sequences is a prefix of the other.
  void check_agreement() const {
    for (size_t i = 0; i < commits_.size(); ++i)
      for (size_t j = i + 1; j < commits_.size(); ++j) {
        size_t common = std::min(commits_[i].size(), commits_[j].size());
        for (size_t h = 0; h < common; ++h)
          ASSERT_EQ(commits_[i][h], commits_[j][h])
              << "nodes " << i << " and " << j << " disagree at height " << h + 1;
      }
  }

  size_t min_committed(const std::vector<size_t>& nodes) const {
    size_t m = SIZE_MAX;
    for (size_t i : nodes) m = std::min(m, commits_[i].size());
    return m;
  }

  struct InFlight {
    ValidatorIndex from, to;
    Message msg;
    uint64_t at;
  };
  std::mt19937_64 rng_;
  ValidatorSet validators_;
  Block genesis_;
  Hash256 genesis_id_;
  std::vector<TestAdaptor> adaptors_;
  std::vector<std::unique_ptr<Core>> cores_;
  std::deque<InFlight> queue_;
  std::vector<bool> down_;
  std::vector<uint64_t> timers_;
  std::vector<std::vector<Hash256>> commits_;
  std::map<size_t, SafetyData> persisted_;
  std::map<size_t, uint64_t> safety_writes_;
  std::map<size_t, uint64_t> proposals_broadcast_;
  std::map<size_t, std::set<Round>> proposal_rounds_;
  double drop_rate_ = 0;
  // Messages for which hold_back_ says so wait in held_ until a test delivers them.
  std::function<bool(const InFlight&)> hold_back_;
  std::vector<InFlight> held_;
  // The next `proposals_to_drop_` proposals addressed to validator `drop_proposals_to_` are lost.
  ValidatorIndex drop_proposals_to_ = 0;
  int proposals_to_drop_ = 0;
  struct SentRequest {
    ValidatorIndex from;
    BlockRequest request;
    size_t committed;  // The sender's committed height when it asked.
  };
  std::vector<SentRequest> requests_;
  std::vector<std::pair<ValidatorIndex, BlockResponse>> responses_;  // (to, response) delivered.
  int diverge_ = -1;
  size_t sync_response_payload_bytes_max_ = block_payload_bytes_max;
  uint64_t root_interval_ = 1;
  uint64_t now_ = 0;
};

TEST(ConsensusCore, FourHonestValidatorsCommitInOrder) {
  Network net(4);
  net.start();
  net.run(2'000);
  net.check_agreement();
  EXPECT_GT(net.min_committed({0, 1, 2, 3}), 100u);
  for (auto& c : net.cores_) EXPECT_EQ(c->stats().invalid_messages, 0u);
}

TEST(ConsensusCore, OneCrashedValidatorDoesNotStopCommits) {
  Network net(4);
  net.down_[2] = true;
  net.start();
  net.run(10'000);
  net.check_agreement();
  EXPECT_GT(net.min_committed({0, 1, 3}), 20u);
}

TEST(ConsensusCore, TwoCrashedOfFourStopCommitsButNeverForks) {
  Network net(4);
  net.start();
  net.run(500);
  size_t before = net.min_committed({0, 1});
  net.down_[2] = net.down_[3] = true;
  net.run(5'000);
  net.check_agreement();
  // Without a quorum at most the blocks already certified can commit.
  EXPECT_LE(net.min_committed({0, 1}), before + 2);
  net.down_[2] = net.down_[3] = false;
  net.run(12'000);
  net.check_agreement();
  EXPECT_GT(net.min_committed({0, 1, 2, 3}), before + 5) << "no progress after healing";
}

TEST(ConsensusCore, MessageLossSlowsButDoesNotBreak) {
  Network net(4, 42);
  net.drop_rate_ = 0.2;
  net.start();
  net.run(30'000);
  net.check_agreement();
  EXPECT_GT(net.min_committed({0, 1, 2, 3}), 10u);
}

TEST(ConsensusCore, SevenValidatorsWithTwoDown) {
  Network net(7);
  net.down_[0] = net.down_[4] = true;
  net.start();
  net.run(20'000);
  net.check_agreement();
  EXPECT_GT(net.min_committed({1, 2, 3, 5, 6}), 10u);
}

TEST(ConsensusCore, ADivergentExecutorIsExposedAndCannotLead) {
  Network net(4);
  // Validator 3 reports a different state root for every height it executes, as a node with
  // a broken executor would; its proposals name those roots.
  net.diverge_ = 3;
  net.start();
  net.run(3'000);
  net.check_agreement();
  uint64_t refused = 0;
  for (size_t i = 0; i < 3; ++i) refused += net.cores_[i]->stats().exec_root_mismatches;
  EXPECT_GT(refused, 0u) << "honest validators never noticed the divergent roots";
  // The honest three still commit without it (its rounds time out).
  EXPECT_GT(net.min_committed({0, 1, 2}), 10u);
}

// With a state root interval of 4, every proposal's execution claim names a multiple of 4 with
// its root, every multiple up to the committed height is claimed by some committed block (what
// a state-sync checkpoint at that height needs), and the validators agree on every claim.
TEST(ConsensusCore, ExecutionClaimsNameRootHeights) {
  Network net(4, 1, block_payload_bytes_max, /*root_interval=*/4);
  net.start();
  net.run(400);
  net.check_agreement();
  const size_t committed = net.min_committed({0, 1, 2, 3});
  ASSERT_GE(committed, 13u);
  std::set<uint64_t> claimed;
  for (const auto& [id, block] : net.adaptors_[0].committed) {
    EXPECT_EQ(block.exec_height % 4, 0u) << "block " << block.height;
    claimed.insert(block.exec_height);
  }
  for (uint64_t h = 4; h + 4 <= committed; h += 4) EXPECT_TRUE(claimed.contains(h)) << h;
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(net.cores_[i]->stats().exec_root_mismatches, 0u);
}

// Votes go to every validator, so each one forms the QC itself: a block is committed
// everywhere once the votes certifying its child are in, without the next round's proposal.
TEST(ConsensusCore, EveryValidatorCommitsFromTheVotesWithoutTheNextProposal) {
  Network net(4);
  using InFlight = Network::InFlight;
  net.hold_back_ = [](const InFlight& m) {
    const auto* p = std::get_if<Proposal>(&m.msg);
    return p && p->block.round >= 3;
  };
  net.start();
  net.run(50);  // Below the round timeout (100 ms).
  for (size_t i = 0; i < 4; ++i) {
    ASSERT_EQ(net.commits_[i].size(), 1u) << "validator " << i;
    EXPECT_EQ(net.cores_[i]->current_round(), 3u) << "validator " << i;
    EXPECT_EQ(net.cores_[i]->stats().qcs_formed, 2u) << "validator " << i;
  }
  net.check_agreement();
}

// The votes for a block can overtake the block (a large proposal, small votes): the QC they
// form commits the block's parent once the block itself arrives.
TEST(ConsensusCore, VotesThatOvertakeTheirBlockCommitItsParentWhenItArrives) {
  Network net(4);
  using InFlight = Network::InFlight;
  const ValidatorIndex late = net.validators_.leader(4);  // Not the leader of round 2 or 3.
  net.hold_back_ = [&](const InFlight& m) {
    const auto* p = std::get_if<Proposal>(&m.msg);
    return p && (p->block.round >= 3 || (m.to == late && p->block.round == 2));
  };
  net.start();
  net.run(50);
  // The others committed block 1; the late validator holds the QC for block 2 but not the
  // block, so it cannot tell what that QC commits.
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(net.commits_[i].size(), i == late ? 0u : 1u) << "validator " << i;
  EXPECT_EQ(net.cores_[late]->current_round(), 3u);
  // Block 2 arrives (from the leader of round 2); nothing else is delivered.
  net.hold_back_ = [](const InFlight& m) {
    const auto* p = std::get_if<Proposal>(&m.msg);
    return p && p->block.round >= 3;
  };
  std::vector<InFlight> held = std::move(net.held_);
  net.held_.clear();
  for (auto& m : held)
    if (m.to == late && std::get<Proposal>(m.msg).block.round == 2)
      net.apply(late, net.cores_[late]->on_message(m.from, m.msg, net.now_));
  ASSERT_EQ(net.commits_[late].size(), 1u);
  EXPECT_EQ(net.commits_[late][0], net.commits_[0][0]);
}

// A validator that signs votes for two blocks in one round is noticed; only its first vote
// counts, so no number of such votes grows what a core holds.
TEST(ConsensusCore, OnlyAVotersFirstVoteOfARoundCounts) {
  Network net(4);
  Core& core = *net.cores_[0];
  auto vote = [](uint8_t block, ValidatorIndex voter) {
    Hash256 id;
    id.bytes[0] = block;
    Vote v{1, 1, 1, id, voter, {}};
    v.signature = key_for(static_cast<int>(voter))
                      .sign(vote_signing_message(v.epoch, v.round, v.height, v.block_id));
    return v;
  };
  for (uint8_t block = 1; block <= 10; ++block) (void)core.on_message(1, vote(block, 1), 0);
  EXPECT_EQ(core.stats().equivocations_seen, 9u);
  // A vote under a forged signature does not take the voter's place.
  Vote forged = vote(20, 2);
  forged.signature = vote(21, 2).signature;
  (void)core.on_message(2, forged, 0);
  EXPECT_EQ(core.stats().invalid_messages, 1u);
  (void)core.on_message(2, vote(20, 2), 0);
  EXPECT_EQ(core.stats().equivocations_seen, 9u);
  EXPECT_EQ(core.stats().invalid_messages, 1u);
}

TEST(ConsensusCore, SafetyDataIsPersistedBeforeEveryVote) {
  Network net(4);
  net.start();
  net.run(300);
  for (size_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(net.persisted_.contains(i));
    EXPECT_EQ(net.persisted_[i], net.cores_[i]->safety());
    EXPECT_GE(net.cores_[i]->safety().last_voted_round, 1u);
  }
}

// A validator that leads the next round records it in the safety data its vote writes anyway,
// so that its proposal leaves without a write of its own: in a run without faults every
// validator writes once per vote or timeout, plus at most once for the first round it leads
// (entered before it had voted), not once more per proposal.
TEST(ConsensusCore, AProposalLeavesWithoutASafetyWriteOfItsOwn) {
  Network net(4);
  net.start();
  net.run(300);
  for (size_t i = 0; i < 4; ++i) {
    const CoreStats& st = net.cores_[i]->stats();
    EXPECT_GE(net.proposals_broadcast_[i], 10u) << "validator " << i;
    EXPECT_LE(net.safety_writes_[i], st.votes_sent + st.timeouts_sent + 1) << "validator " << i;
  }
  net.check_agreement();
}

// After a restart a validator never proposes in a round it reserved before it went down, even
// if it never sent that proposal: another block may have left for it. Here the leader holds
// its proposal (so it is never sent), goes down with the safety data its vote in the round
// before wrote, and comes back from it with its chain lost: it catches up, and the network
// goes on past the round, which times out, without it proposing there.
TEST(ConsensusCore, ARestartedLeaderSkipsTheRoundItReserved) {
  Network net(4);
  net.start();
  net.run(60);
  const Round round = net.cores_[0]->current_round();
  const size_t leader = net.validators_.leader(round + 2);
  net.adaptors_[leader].hold = true;
  net.run(net.now_ + 20);
  ASSERT_TRUE(net.cores_[leader]->proposal_held()) << "the leader did not reach its round";
  const Round reserved = net.cores_[leader]->current_round();
  ASSERT_GE(net.persisted_[leader].last_proposed_round, reserved);
  net.adaptors_[leader].hold = false;
  net.restart(leader);
  net.run(net.now_ + 1'000);
  EXPECT_FALSE(net.proposal_rounds_[leader].contains(reserved));
  EXPECT_GT(net.cores_[leader]->current_round(), reserved + 4);
  EXPECT_GT(net.cores_[leader]->stats().proposals_sent, 0u);
  net.check_agreement();
  EXPECT_GE(net.min_committed({0, 1, 2, 3}), 20u);
}

// A held proposal is neither signed, persisted nor sent; propose_held sends it, and the
// network goes on committing.
TEST(ConsensusCore, AHeldProposalGoesOutOnlyWhenReleased) {
  Network net(4);
  for (auto& a : net.adaptors_) a.hold = true;
  net.start();
  net.run(50);  // Below the round timeout (100 ms).
  size_t leader = 4;
  for (size_t i = 0; i < 4; ++i)
    if (net.cores_[i]->proposal_held()) leader = i;
  ASSERT_LT(leader, 4u) << "no validator holds its proposal";
  EXPECT_EQ(net.adaptors_[leader].holds_asked, 1);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(net.cores_[i]->stats().proposals_sent, 0u);
    EXPECT_TRUE(net.commits_[i].empty());
    EXPECT_FALSE(net.persisted_.contains(i)) << "validator " << i << " persisted safety data";
  }
  for (auto& a : net.adaptors_) a.hold = false;
  net.apply(leader, net.cores_[leader]->propose_held(net.now_));
  EXPECT_FALSE(net.cores_[leader]->proposal_held());
  EXPECT_EQ(net.cores_[leader]->stats().proposals_sent, 1u);
  // Released once: a second call has nothing to send.
  EXPECT_TRUE(net.cores_[leader]->propose_held(net.now_).empty());
  net.run(net.now_ + 60);
  net.check_agreement();
  EXPECT_GE(net.min_committed({0, 1, 2, 3}), 3u);
}

// A round that times out while its leader holds the proposal moves on: the hold never stalls
// the network longer than the round timeout, and a late release sends nothing for the old round.
TEST(ConsensusCore, AHoldOutlivedByItsRoundIsVoid) {
  Network net(4);
  for (auto& a : net.adaptors_) a.hold = true;
  net.start();
  net.run(20);
  size_t leader = 4;
  for (size_t i = 0; i < 4; ++i)
    if (net.cores_[i]->proposal_held()) leader = i;
  ASSERT_LT(leader, 4u);
  const Round held_round = net.cores_[leader]->current_round();
  for (auto& a : net.adaptors_) a.hold = false;
  net.run(400);  // The round times out; later leaders propose at once.
  EXPECT_GT(net.cores_[leader]->current_round(), held_round);
  const uint64_t sent = net.cores_[leader]->stats().proposals_sent;
  EXPECT_TRUE(net.propose_held_results(leader).empty());
  EXPECT_EQ(net.cores_[leader]->stats().proposals_sent, sent);
  net.check_agreement();
  EXPECT_GE(net.min_committed({0, 1, 2, 3}), 1u);
}

// A proposal is judged by the id computed from its block, never by the one it claims: a leader
// that signs one block's id and sends another block is refused, however valid its signature.
// A proposal that arrives after its child (lost here; late under load, when proposals are
// megabytes and votes are not) makes the validator fetch the parent. It asks only for the blocks
// above its committed height: asking for sync_blocks_max made each such fetch bring back 64
// blocks the validator mostly had.
TEST(ConsensusCore, AMissedProposalIsFetchedWithoutTheBlocksBelowTheCommittedHeight) {
  Network net(4);
  net.start();
  net.run(2'000);
  ASSERT_GT(net.commits_[3].size(), 2 * sync_blocks_max)
      << "the chain must be longer than a request";
  ASSERT_TRUE(net.requests_.empty());
  net.drop_proposals_to_ = 3;
  net.proposals_to_drop_ = 1;
  net.run(2'500);
  ASSERT_FALSE(net.requests_.empty()) << "validator 3 must have fetched the proposal it missed";
  for (const auto& sent : net.requests_) {
    EXPECT_EQ(sent.from, 3u);
    EXPECT_LE(sent.request.count, 3u) << "asked at committed height " << sent.committed;
  }
  ASSERT_FALSE(net.responses_.empty());
  for (const auto& [to, response] : net.responses_) {
    EXPECT_EQ(to, 3u);
    EXPECT_LE(response.blocks.size(), 3u);
  }
  // And it keeps up: it committed the block it missed and everything since.
  EXPECT_GE(net.commits_[3].size() + 3, net.commits_[0].size());
  net.check_agreement();
}

// An answer stops at the payload budget (but always carries one block), so that it fits in one
// message however large the blocks; a validator far behind then catches up over many answers.
TEST(ConsensusCore, BlockAnswersStopAtThePayloadBudgetAndALaggardStillCatchesUp) {
  // Payloads here are 16 bytes: a budget of 40 bytes is two blocks.
  Network net(4, 1, /*sync_response_payload_bytes_max=*/40);
  net.down_[3] = true;
  net.start();
  net.run(5'000);  // Every fourth round, validator 3's, times out: about six blocks a second.
  const size_t ahead = net.min_committed({0, 1, 2});
  ASSERT_GE(ahead, 20u);
  EXPECT_TRUE(net.commits_[3].empty());

  const Hash256 tip = net.commits_[0][ahead - 1];
  const BlockResponse two = net.cores_[0]->serve(BlockRequest{tip, sync_blocks_max});
  ASSERT_EQ(two.blocks.size(), 2u);
  EXPECT_EQ(two.blocks[0].height, ahead);
  EXPECT_EQ(two.blocks[1].height, ahead - 1);
  EXPECT_EQ(net.cores_[0]->serve(BlockRequest{tip, 1}).blocks.size(), 1u);

  net.down_[3] = false;
  net.run(8'000);
  EXPECT_GE(net.commits_[3].size() + 3, net.commits_[0].size());
  EXPECT_GT(net.responses_.size(), ahead / 2) << "two blocks an answer";
  for (const auto& [to, response] : net.responses_) EXPECT_LE(response.blocks.size(), 2u);
  net.check_agreement();
}

TEST(ConsensusCore, ABlockAnswerAlwaysCarriesOneBlockEvenAboveTheBudget) {
  Network net(4, 1, /*sync_response_payload_bytes_max=*/1);
  net.start();
  net.run(500);
  ASSERT_GE(net.commits_[0].size(), 3u);
  const BlockResponse one =
      net.cores_[0]->serve(BlockRequest{net.commits_[0].back(), sync_blocks_max});
  ASSERT_EQ(one.blocks.size(), 1u);
  EXPECT_EQ(one.blocks[0].compute_id(), net.commits_[0].back());
}

TEST(ConsensusCore, AProposalWhoseBlockDoesNotGiveItsIdIsRefused) {
  Network net(4);
  Core& voter = *net.cores_[0];
  Block b;
  b.epoch = 1;
  b.round = 1;
  b.height = 1;
  b.parent_id = net.genesis_id_;
  b.qc = genesis_qc(net.genesis_id_);
  b.author = net.validators_.leader(1);
  b.payload = Bytes{1, 2, 3};
  auto signed_as = [&](Block block, const Hash256& id) {
    Proposal p{std::move(block), id, {}, std::nullopt};
    p.signature = key_for(static_cast<int>(p.block.author))
                      .sign(proposal_signing_message(p.block.epoch, p.block_id));
    return p;
  };
  auto votes = [](const std::vector<Action>& actions) {
    int n = 0;
    for (const auto& a : actions)
      if (const auto* sent = std::get_if<BroadcastAction>(&a);
          sent && std::holds_alternative<Vote>(sent->message))
        ++n;
    return n;
  };

  // The leader signs the id of this block but sends it with another payload.
  Block other = b;
  other.payload = Bytes{9, 9, 9};
  const Proposal forged = signed_as(other, b.compute_id());
  auto refused = voter.on_proposal(b.author, forged, 0);
  EXPECT_FALSE(refused.valid);
  EXPECT_EQ(votes(refused.actions), 0);
  EXPECT_EQ(voter.stats().invalid_messages, 1u);
  EXPECT_EQ(voter.safety().last_voted_round, 0u);
  // The same through on_message.
  EXPECT_EQ(votes(voter.on_message(b.author, forged, 0)), 0);
  EXPECT_EQ(voter.stats().invalid_messages, 2u);

  // The block with the id it gives is accepted and voted for.
  auto accepted = voter.on_proposal(b.author, signed_as(b, b.compute_id()), 0);
  EXPECT_TRUE(accepted.valid);
  EXPECT_EQ(votes(accepted.actions), 1);
  EXPECT_EQ(voter.stats().invalid_messages, 2u);
  EXPECT_EQ(voter.safety().last_voted_round, 1u);
}

}  // namespace
}  // namespace corridor::consensus
