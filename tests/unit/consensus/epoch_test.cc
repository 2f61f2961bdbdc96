// Epochs in the consensus core: an epoch that starts above height 0, observers that follow
// without signing, and the EpochProof a lagging validator crosses an epoch boundary with.
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <optional>

#include "consensus/core.h"

namespace corridor::consensus {
namespace {

struct StoreAdaptor : Adaptor {
  std::map<Hash256, Block> committed;
  Bytes make_payload(Round round, uint64_t) override {
    return Bytes(8, static_cast<uint8_t>(round));
  }
  std::optional<Block> load_committed_block(const Hash256& id) override {
    auto it = committed.find(id);
    if (it == committed.end()) return std::nullopt;
    return it->second;
  }
};

KeyPair key_for(int i) {
  return KeyPair::from_seed(
      Seed::from_view(sha256(as_bytes("epoch-validator-" + std::to_string(i))).view()));
}

// `validators` members plus `observers` non-members, all starting from `start` (the epoch's
// first block) in epoch `epoch`. Messages take 1 ms, in order.
class EpochNet {
 public:
  EpochNet(size_t validators, size_t observers, Epoch epoch, const Block& start) {
    std::vector<PublicKey> keys;
    for (size_t i = 0; i < validators; ++i)
      keys.push_back(key_for(static_cast<int>(i)).public_key());
    set_ = ValidatorSet(epoch, keys);
    start_id_ = start.compute_id();
    const size_t n = validators + observers;
    adaptors_.resize(n);
    down_.assign(n, false);
    timers_.assign(n, UINT64_MAX);
    commits_.resize(n);
    signed_.assign(n, 0);
    for (size_t i = 0; i < n; ++i) {
      RecoveryState rs{
          SafetyData{}, start_id_, start, start_id_, genesis_qc(start_id_, start.height),
          start.height};
      CoreConfig cfg;
      cfg.round_timeout_ms_base = 100;
      std::optional<ValidatorIndex> me;
      if (i < validators) me = static_cast<ValidatorIndex>(i);
      cores_.push_back(
          std::make_unique<Core>(set_, me, key_for(static_cast<int>(i)), rs, cfg, adaptors_[i]));
    }
  }

  void start() {
    for (size_t i = 0; i < cores_.size(); ++i)
      if (!down_[i]) apply(i, cores_[i]->start(now_));
  }
  void run(uint64_t until_ms) {
    while (now_ < until_ms) {
      while (!queue_.empty() && queue_.front().at <= now_) {
        auto m = std::move(queue_.front());
        queue_.pop_front();
        if (down_[m.to] || down_[m.from_node]) continue;
        auto decoded = decode_message(encode_message(m.msg));
        ASSERT_TRUE(decoded.ok());
        deliver(m.to, m.from, *decoded);
      }
      for (size_t i = 0; i < cores_.size(); ++i)
        if (!down_[i] && timers_[i] <= now_) {
          timers_[i] = UINT64_MAX;
          apply(i, cores_[i]->on_timer(now_));
        }
      ++now_;
    }
  }
  void deliver(size_t to, ValidatorIndex from, const Message& m) {
    apply(to, cores_[to]->on_message(from, m, now_));
  }

  void apply(size_t i, std::vector<Action> actions) {
    for (auto& a : actions) {
      if (auto* s = std::get_if<SendAction>(&a)) {
        ++signed_[i];
        push(i, s->to, s->message);
      } else if (auto* b = std::get_if<BroadcastAction>(&a)) {
        ++signed_[i];
        for (size_t j = 0; j < cores_.size(); ++j)
          if (j != i) queue_.push_back({i, sender_index(i), j, b->message, now_ + 1});
      } else if (auto* t = std::get_if<SetTimerAction>(&a)) {
        timers_[i] = t->deadline_ms;
      } else if (auto* c = std::get_if<CommitAction>(&a)) {
        for (size_t k = 0; k < c->blocks.size(); ++k) {
          commits_[i].push_back(c->ids[k]);
          adaptors_[i].committed[c->ids[k]] = c->blocks[k];
          cores_[i]->on_executed(c->blocks[k].height, sha256(c->ids[k].view()));
        }
        last_commit_[i] = *c;
      } else if (std::holds_alternative<PersistSafetyAction>(a)) {
        ++signed_[i];
      }
    }
  }
  // Observers' sends (block requests) are addressed by validator index; replies come back to
  // the observer, which the harness tracks by node.
  void push(size_t from_node, ValidatorIndex to, const Message& m) {
    if (std::holds_alternative<BlockResponse>(m) && pending_reply_) {
      queue_.push_back({from_node, sender_index(from_node), *pending_reply_, m, now_ + 1});
      return;
    }
    queue_.push_back({from_node, sender_index(from_node), to, m, now_ + 1});
  }
  ValidatorIndex sender_index(size_t node) const {
    return node < set_.size() ? static_cast<ValidatorIndex>(node) : 0;
  }

  struct InFlight {
    size_t from_node;
    ValidatorIndex from;
    size_t to;
    Message msg;
    uint64_t at;
  };
  ValidatorSet set_;
  Hash256 start_id_;
  std::vector<StoreAdaptor> adaptors_;
  std::vector<std::unique_ptr<Core>> cores_;
  std::deque<InFlight> queue_;
  std::vector<bool> down_;
  std::vector<uint64_t> timers_;
  std::vector<std::vector<Hash256>> commits_;
  std::vector<uint64_t> signed_;  // Sends, broadcasts and safety writes per node.
  std::map<size_t, CommitAction> last_commit_;
  std::optional<size_t> pending_reply_;
  uint64_t now_ = 0;
};

// An epoch's first block at height 40: what the last block of the previous epoch looks like
// to the new one (only its id and height matter).
Block later_start() {
  Block b;
  b.epoch = 2;
  b.round = 17;
  b.height = 40;
  b.time_ms = 5;
  b.payload = Bytes{1, 2, 3};
  return b;
}

EpochProof proof_from(const CommitAction& c) {
  EpochProof p;
  p.qc = c.child_qc;
  p.blocks = {c.certified_child, c.blocks.back()};
  return p;
}

TEST(Epochs, AnEpochStartingAboveGenesisCommitsFromItsFirstBlock) {
  EpochNet net(4, 0, 3, later_start());
  net.start();
  net.run(1'000);
  for (size_t i = 0; i < 4; ++i) {
    ASSERT_GE(net.commits_[i].size(), 5u);
    EXPECT_EQ(net.commits_[i], std::vector<Hash256>(net.commits_[0].begin(),
                                                    net.commits_[0].begin() +
                                                        static_cast<long>(net.commits_[i].size())));
    EXPECT_EQ(net.cores_[i]->committed_height(), 40 + net.commits_[i].size());
  }
  EXPECT_EQ(net.cores_[0]->stats().invalid_messages, 0u);
}

TEST(Epochs, ObserversFollowWithoutSigningAnything) {
  EpochNet net(4, 2, 1, later_start());
  net.start();
  net.run(1'000);
  for (size_t obs : {4u, 5u}) {
    EXPECT_TRUE(net.cores_[obs]->is_observer());
    ASSERT_GE(net.commits_[obs].size(), 5u);
    for (size_t h = 0; h < net.commits_[obs].size(); ++h)
      EXPECT_EQ(net.commits_[obs][h], net.commits_[0][h]);
    EXPECT_EQ(net.signed_[obs], 0u) << "an observer sent, broadcast or persisted something";
    EXPECT_EQ(net.cores_[obs]->stats().votes_sent + net.cores_[obs]->stats().timeouts_sent +
                  net.cores_[obs]->stats().proposals_sent,
              0u);
  }
}

TEST(Epochs, AProofOfTheEpochsEndLetsALaggingValidatorCommitIt) {
  EpochNet net(4, 0, 1, later_start());
  net.down_[3] = true;
  net.start();
  net.run(1'000);
  ASSERT_GE(net.commits_[0].size(), 5u);
  ASSERT_TRUE(net.commits_[3].empty());
  // Node 0's last commit stands for "the epoch ended here"; node 3 receives only the proof and
  // fetches the missing ancestors from node 0.
  const CommitAction& end = net.last_commit_.at(0);
  const size_t ended_at = net.commits_[0].size();
  for (size_t i = 0; i < 3; ++i) net.down_[i] = true;  // Nothing else reaches node 3.
  net.down_[3] = false;
  net.down_[0] = false;
  net.timers_[0] = UINT64_MAX;
  net.deliver(3, 0, proof_from(end));
  net.run(net.now_ + 50);
  EXPECT_EQ(net.cores_[3]->stats().epoch_proofs_accepted, 1u);
  ASSERT_GE(net.commits_[3].size(), ended_at);
  for (size_t h = 0; h < ended_at; ++h) EXPECT_EQ(net.commits_[3][h], net.commits_[0][h]);
}

TEST(Epochs, ForgedOrBrokenProofsAreRefusedAndCounted) {
  EpochNet net(4, 0, 1, later_start());
  net.down_[3] = true;
  net.start();
  net.run(1'000);
  const EpochProof good = proof_from(net.last_commit_.at(0));
  net.down_[3] = false;
  Core& lagging = *net.cores_[3];
  auto expect_refused = [&](const EpochProof& p, const char* what) {
    const uint64_t before = lagging.stats().invalid_messages;
    auto actions = lagging.on_message(0, p, net.now_);
    EXPECT_EQ(lagging.stats().invalid_messages, before + 1) << what;
    EXPECT_EQ(lagging.committed_height(), 40u) << what;
    for (const Action& a : actions) EXPECT_FALSE(std::holds_alternative<CommitAction>(a)) << what;
  };
  EpochProof p = good;
  p.qc.votes.front().second.bytes[0] ^= 1;
  expect_refused(p, "a forged signature in the certificate");
  p = good;
  p.qc.votes.pop_back();
  p.qc.votes.pop_back();
  expect_refused(p, "a certificate below quorum");
  p = good;
  p.qc.epoch = 2;
  expect_refused(p, "a certificate of another epoch");
  p = good;
  p.blocks[1].payload.push_back(9);
  expect_refused(p, "a chain that is not hash-linked");
  p = good;
  std::swap(p.blocks[0], p.blocks[1]);
  expect_refused(p, "blocks out of order");
  p = good;
  p.blocks.pop_back();
  expect_refused(p, "a single block proves no commit");
  EXPECT_EQ(lagging.stats().epoch_proofs_accepted, 0u);
  // The genuine proof is still accepted after all that.
  lagging.on_message(0, good, net.now_);
  EXPECT_EQ(lagging.stats().epoch_proofs_accepted, 1u);
}

TEST(Epochs, TheNetworkGenesisCertificateIsInvalidInALaterEpoch) {
  EpochNet net(4, 0, 1, later_start());
  Core& core = *net.cores_[1];
  // A proposal extending a genesis certificate at height 0 (another start) is refused.
  Proposal p;
  p.block.epoch = 1;
  p.block.round = 1;
  p.block.height = 1;
  p.block.qc = genesis_qc(net.start_id_, 0);
  p.block.parent_id = net.start_id_;
  p.block.author = 1;
  p.block_id = p.block.compute_id();
  p.signature = key_for(1).sign(proposal_signing_message(1, p.block_id));
  core.on_message(1, p, 0);
  EXPECT_EQ(core.stats().invalid_messages, 1u);
  EXPECT_EQ(core.stats().votes_sent, 0u);
}

TEST(Epochs, MessageCodecCarriesEpochRequestsAndProofs) {
  EpochNet net(4, 0, 1, later_start());
  net.start();
  net.run(500);
  const EpochProof proof = proof_from(net.last_commit_.at(0));
  auto back = decode_message(encode_message(proof));
  ASSERT_TRUE(back.ok());
  const auto& p = std::get<EpochProof>(*back);
  EXPECT_EQ(p.qc, proof.qc);
  ASSERT_EQ(p.blocks.size(), 2u);
  EXPECT_EQ(p.blocks[0].compute_id(), proof.blocks[0].compute_id());
  auto req = decode_message(encode_message(EpochRequest{7}));
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(std::get<EpochRequest>(*req).epoch, 7u);
  EXPECT_EQ(message_epoch(*req), std::nullopt);
  // Every truncation of a proof is refused.
  Bytes bytes = encode_message(proof);
  for (size_t n = 0; n < bytes.size(); n += 7)
    EXPECT_FALSE(decode_message(ByteView(bytes.data(), n)).ok()) << n;
}

}  // namespace
}  // namespace corridor::consensus
