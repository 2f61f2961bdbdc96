// BftOrderer: four validator nodes and an observer in one process, each with its own store
// and a real PeerNetwork on loopback. Transactions submitted to different nodes become final
// everywhere with identical blocks and state roots; the network keeps committing with one
// validator stopped, and the validator catches up from its store and its peers on restart.
#include "node/bft_orderer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/encoding.h"
#include "consensus/store_layout.h"
#include "ledger/block.h"
#include "ledger/operation.h"
#include "net/peer_network.h"
#include "node/genesis.h"
#include "storage/kv_cell.h"
#include "storage/kv_record_journal.h"
#include "storage/mem_kv_store.h"
#include "support/test_support.h"

namespace corridor::node {
namespace {

using namespace std::chrono_literals;

constexpr size_t kValidators = 4;
// Generous for a shared two-core machine.
constexpr auto kWait = 60s;

// What a member's votes found as they left: how many, and how many of them left while the
// record of the proposal voted for was not durable in the member's store.
struct VoteWatch {
  std::atomic<uint64_t> votes{0};
  std::atomic<uint64_t> without_durable_record{0};
};

// The key prefix of the proposals a node keeps in its store when its journal has no room
// (docs/protocol.md, "Proposal journal"), and the one the tests give a journal apart.
const Bytes kStoreJournalPrefix{'U', 0x02};
const Bytes kJournalPrefix{'J'};

// Whether a power loss now would leave, under `prefix` of `kv`, the record of a proposal for
// this height and round (a record's value: its height, big-endian, then the proposal).
bool durable_proposal(const storage::MemKvStore& kv, const Bytes& prefix, uint64_t height,
                      uint64_t round) {
  for (const Bytes& value : kv.durable_values(prefix)) {
    if (value.size() < 8 || get_be64(value) != height) continue;
    auto m = consensus::decode_message(ByteView(value).subspan(8));
    if (!m.ok()) continue;
    const auto* p = std::get_if<consensus::Proposal>(&*m);
    if (p && p->block.height == height && p->block.round == round) return true;
  }
  return false;
}

// The voluntary context switches of every thread of this process named `name`, summed: how
// often they slept and were woken (/proc/self/task/*/status).
uint64_t voluntary_switches_of(const std::string& name) {
  uint64_t total = 0;
  for (const std::string& dir : test::thread_dirs_named(name)) {
    std::ifstream status(dir + "/status");
    for (std::string line; std::getline(status, line);)
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0)
        total += std::stoull(line.substr(line.find(':') + 1));
  }
  return total;
}

struct Member {
  std::string name;
  KeyPair key;
  std::shared_ptr<storage::MemKvStore> kv = std::make_shared<storage::MemKvStore>();
  // Used when the fixture keeps each safety cell and proposal journal apart from the store
  // (cells_apart_).
  std::shared_ptr<storage::MemKvStore> cell_kv = std::make_shared<storage::MemKvStore>();
  std::shared_ptr<storage::MemKvStore> journal_kv = std::make_shared<storage::MemKvStore>();
  std::shared_ptr<VoteWatch> vote_watch = std::make_shared<VoteWatch>();
  std::unique_ptr<Node> node = nullptr;
  BftOrderer* orderer = nullptr;
  uint16_t port = 0;
};

class BftOrdererTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto_init();
    std::vector<GenesisPeer> validators;
    std::vector<GenesisPeer> observers;
    for (size_t i = 0; i <= kValidators; ++i) {
      std::string name = i < kValidators ? "v" + std::to_string(i) : "o0";
      members_.push_back(Member{name, test::test_key("bft-" + name)});
      GenesisPeer p{name, members_.back().key.public_key(), "127.0.0.1", 1};
      (i < kValidators ? validators : observers).push_back(p);
    }
    genesis_ = make_genesis("bft-test", validators, observers, test::test_key("bft-operator"),
                            root_interval_);
    auto block = genesis_ledger_block(genesis_);
    ASSERT_TRUE(block.ok()) << block.status().to_string();
    block_ = *block;
    for (size_t i = 0; i < members_.size(); ++i) boot(i);
    for (size_t i = 0; i < members_.size(); ++i) wire(i);
  }

  void TearDown() override {
    for (auto& m : members_)
      if (m.node) m.node->stop();
  }

  void boot(size_t i) {
    Member& m = members_[i];
    NodeConfig config;
    config.network_name = "bft-test";
    config.mode = NodeConfig::Mode::bft;  // As a node started from a BFT configuration is.
    config.storage = StorageEngine::memory;
    config.state_root_interval_blocks = genesis_.state_root_interval_blocks;
    std::unique_ptr<storage::DurableCell> cell;
    std::unique_ptr<storage::RecordJournal> journal;
    if (cells_apart_) {
      cell = std::make_unique<storage::KvCell>(m.cell_kv, Bytes{'S'});
      auto opened =
          storage::KvRecordJournal::open(m.journal_kv, kJournalPrefix, journal_bytes_max_);
      ASSERT_TRUE(opened.ok()) << opened.status().to_string();
      journal = std::move(opened).value();
    }
    auto node = Node::open(config, m.kv, &block_, std::move(cell), std::move(journal));
    ASSERT_TRUE(node.ok()) << node.status().to_string();
    m.node = std::move(node).value();
    BftOptions options;
    options.empty_block_delay_ms = 50;
    options.core.round_timeout_ms_base = 300;
    if (tune_) tune_(i, options);
    if (cells_apart_) {
      options.sending_for_test = [kv = m.kv, journal_kv = m.journal_kv,
                                  watch = m.vote_watch](const consensus::Message& msg) {
        const auto* vote = std::get_if<consensus::Vote>(&msg);
        if (!vote) return;
        ++watch->votes;
        if (!durable_proposal(*journal_kv, kJournalPrefix, vote->height, vote->round) &&
            !durable_proposal(*kv, kStoreJournalPrefix, vote->height, vote->round))
          ++watch->without_durable_record;
      };
    }
    for (const auto& other : members_)
      if (other.name != m.name) options.peers.push_back({other.key.public_key(), "", 0});
    auto orderer = BftOrderer::create(*m.node, m.key, options);
    ASSERT_TRUE(orderer.ok()) << orderer.status().to_string();
    m.orderer = orderer->get();
    m.port = m.orderer->port();
    m.node->start(std::move(orderer).value());
  }

  // Tells member i where every other member listens, and every other member where i does.
  void wire(size_t i) {
    for (size_t j = 0; j < members_.size(); ++j) {
      if (j == i || !members_[j].node) continue;
      ASSERT_TRUE(members_[i]
                      .orderer->connect(members_[j].key.public_key(), "127.0.0.1", members_[j].port)
                      .ok());
      ASSERT_TRUE(members_[j]
                      .orderer->connect(members_[i].key.public_key(), "127.0.0.1", members_[i].port)
                      .ok());
    }
  }

  // Submits a transaction creating a fresh account to member i; counts it final when it is.
  // A transaction creating a fresh account, signed for member i's network.
  ledger::Transaction account_tx(size_t i, const std::string& account) {
    KeyPair key = test::test_key(account);
    ledger::Transaction tx;
    tx.network_id = members_[i].node->network_id();
    tx.source = key.account_id();
    tx.valid_until_height = members_[i].node->status().height + 1'000;
    tx.ops.push_back(ledger::CreateAccountOp{key.public_key()});
    tx.sign(key);
    return tx;
  }

  // Waits until every member holds member i's current height.
  bool wait_all_reach_height_of(size_t i) {
    const uint64_t h = members_[i].node->status().height;
    return wait_for([&] {
      for (auto& m : members_)
        if (m.node->status().height < h) return false;
      return true;
    });
  }

  void submit(size_t i, const std::string& account) {
    const ledger::Transaction tx = account_tx(i, account);
    Bytes envelope = ledger::encode_transaction(tx);
    auto r = members_[i].node->submit(tx, envelope, [this](const Status& s, const Finality& f) {
      if (!s.ok() || f.outcome.code != ledger::ResultCode::ok) return;
      uint64_t seen = last_final_height_.load();
      while (seen < f.height && !last_final_height_.compare_exchange_weak(seen, f.height)) {
      }
      ++finals_;
    });
    ASSERT_EQ(r.kind, SubmitResult::Kind::accepted) << account;
  }

  template <typename Pred>
  bool wait_for(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(20ms);
    }
    return pred();
  }

  // Starts the network afresh with leaders that would hold an empty proposal for an hour, and
  // for 20 ms while a state root is due; rounds time out after a second. Only transactions,
  // round timeouts and those short holds make blocks then.
  void restart_with_idle_leaders() {
    TearDown();
    members_.clear();
    tune_ = [](size_t, BftOptions& o) {
      o.empty_block_delay_ms = 3'600'000;
      o.root_block_delay_ms = 20;
      o.core.round_timeout_ms_base = 1'000;
    };
    SetUp();
  }

  // Waits until the validators are idle: a leader holds an empty proposal, every validator has
  // executed all that any of them committed (a leader holds as soon as it has committed, while
  // others may still be executing the last block), and no block comes for 300 ms (a shorter
  // hold, while a state root is due, is not idle). Returns that height.
  uint64_t wait_idle() {
    uint64_t idle_height = 0;
    auto settled = [&] {
      bool held = false;
      uint64_t committed = 0;
      for (size_t i = 0; i < kValidators; ++i) {
        const NodeStatus s = members_[i].node->status();
        held = held || s.consensus->proposal_held;
        committed = std::max(committed, s.consensus->committed_height);
      }
      if (!held) return false;
      for (size_t i = 0; i < kValidators; ++i)
        if (members_[i].node->status().height != committed) return false;
      idle_height = committed;
      return true;
    };
    EXPECT_TRUE(wait_for([&] {
      if (!settled()) return false;
      const uint64_t before = idle_height;
      std::this_thread::sleep_for(300ms);
      return settled() && idle_height == before;
    })) << "the network did not idle; it is at height "
        << idle_height;
    return idle_height;
  }

  // Every running member holds the same block and state root at the lowest head among them.
  void expect_agreement() {
    uint64_t h = UINT64_MAX;
    for (auto& m : members_)
      if (m.node) h = std::min(h, m.node->status().height);
    ASSERT_GT(h, 0u);
    std::optional<BlockInfo> first;
    for (auto& m : members_) {
      if (!m.node) continue;
      auto b = m.node->block(h);
      ASSERT_TRUE(b.ok() && b->has_value()) << m.name << " has no block " << h;
      if (!first) {
        first = **b;
        continue;
      }
      EXPECT_EQ((*b)->hash, first->hash) << m.name << " at height " << h;
      EXPECT_EQ((*b)->result.state_root, first->result.state_root) << m.name << " at height " << h;
    }
  }

  std::vector<Member> members_;
  Genesis genesis_;
  ledger::Block block_;
  std::atomic<int> finals_{0};
  // The highest block that made one of them final.
  std::atomic<uint64_t> last_final_height_{0};
  // Adjusts member i's orderer options before it boots.
  std::function<void(size_t, BftOptions&)> tune_;
  // The network's state root interval (genesis); a derived fixture sets it before SetUp.
  uint64_t root_interval_ = 1;
  // Whether each node keeps its safety data in a cell apart from its store, as a node over
  // RocksDB does, instead of under a key of the store; its votes are then watched (VoteWatch).
  bool cells_apart_ = false;
  // With cells apart: how many bytes of proposals each journal holds at most (0: no limit).
  size_t journal_bytes_max_ = 0;
};

TEST_F(BftOrdererTest, SubmissionsToAnyNodeBecomeFinalEverywhere) {
  constexpr int kTxs = 20;
  // The observer (member 4) takes submissions too: it forwards them to the validators.
  for (int t = 0; t < kTxs; ++t)
    submit(static_cast<size_t>(t) % members_.size(), "a" + std::to_string(t));
  ASSERT_TRUE(wait_for([&] { return finals_.load() == kTxs; })) << finals_.load() << " final";
  for (auto& m : members_) EXPECT_FALSE(m.orderer->status().core.conflicting_commits);
  EXPECT_TRUE(members_[kValidators].orderer->status().observer);
  // The node reports its orderer's live state: roles, rounds and every peer channel.
  for (size_t i = 0; i < members_.size(); ++i) {
    const auto c = members_[i].node->status().consensus;
    ASSERT_TRUE(c.has_value()) << "member " << i;
    EXPECT_EQ(c->observer, i == kValidators) << "member " << i;
    EXPECT_GT(c->round, 0u) << "member " << i;
    EXPECT_LT(c->leader_index, static_cast<uint32_t>(kValidators)) << "member " << i;
    EXPECT_EQ(c->peers.size(), members_.size() - 1) << "member " << i;
    // Every other validator has sent proposals, votes or blocks (an observer sends only the
    // transactions it forwards, so its channel may be quiet).
    size_t heard = 0;
    for (const auto& p : c->peers) heard += p.frames_in > 0 ? 1 : 0;
    EXPECT_GE(heard, static_cast<size_t>(i == kValidators ? kValidators : kValidators - 1))
        << "member " << i;
    // Each member took kTxs / 5 submissions through its API and sent on to the validators
    // those not committed already (all of the observer's, which never proposes); each
    // validator admitted frames the others forwarded, none of them refused.
    const uint64_t own = static_cast<uint64_t>(kTxs) / members_.size();
    if (i == kValidators) {
      EXPECT_EQ(c->txs_forwarded, own);
    } else {
      EXPECT_LE(c->txs_forwarded, own) << "member " << i;
    }
    EXPECT_EQ(c->forwarded_frames_undecodable, 0u) << "member " << i;
    EXPECT_EQ(c->compact_proposals.refused, 0u) << "member " << i;
    // (A frame may be admitted after its transactions are final: another validator proposed
    // them.)
    if (i < kValidators) {
      EXPECT_TRUE(wait_for([&] {
        return members_[i].node->status().consensus->forwarded_frames_admitted > 0;
      })) << "member "
          << i;
    }
    // Every member committed blocks with transactions, and each stage of their way has figures.
    const StageLatencies l = members_[i].node->status().latency;
    EXPECT_GT(l.proposal_to_commit.samples, 0u) << "member " << i;
    EXPECT_GT(l.commit_to_durable.samples, 0u) << "member " << i;
    EXPECT_GT(l.admission_to_proposal.samples, 0u) << "member " << i;
    EXPECT_GT(l.admission_to_durable.samples, 0u) << "member " << i;
    if (i == kValidators) {
      EXPECT_FALSE(c->leader);
      EXPECT_EQ(c->core.votes_sent, 0u) << "an observer never signs";
      EXPECT_EQ(c->safety_write_ms.samples, 0u) << "nor keeps safety data";
    } else {
      EXPECT_GT(c->core.votes_sent, 0u) << "member " << i;
      // Each vote waited for its synced safety write, whose time the status shows.
      EXPECT_GT(c->safety_write_ms.samples, 0u) << "member " << i;
      EXPECT_LE(c->safety_write_ms.p50_ms, c->safety_write_ms.max_ms) << "member " << i;
    }
  }
  // Proposals and committed blocks carry the envelopes the nodes admitted (from clients or
  // forwarded by peers): each node takes them decoded from admission, at least every commit of
  // a transaction on the validator its client submitted to.
  uint64_t reused = 0;
  for (auto& m : members_) reused += m.node->status().consensus->envelopes_reused;
  EXPECT_GE(reused, static_cast<uint64_t>(kTxs));
  // Every node, the observer included, holds every account.
  ASSERT_TRUE(wait_for([&] {
    for (auto& m : members_)
      if (m.node->status().accounts < static_cast<size_t>(kTxs) + 1) return false;
    return true;
  }));
  expect_agreement();
  // A committed block's payload is stored once, in its ledger block: the consensus record of a
  // block with transactions leaves it out, and reads back whole from the ledger block.
  for (auto& m : members_) {
    size_t elided = 0;
    for (uint64_t h = 1; h <= m.node->status().height; ++h) {
      auto full = m.node->kv().get(consensus::block_height_key(h));
      auto without = m.node->kv().get(consensus::elided_block_height_key(h));
      ASSERT_TRUE(full.ok() && without.ok());
      ASSERT_NE(full->has_value(), without->has_value()) << m.name << " at height " << h;
      if (!without->has_value()) continue;
      ++elided;
      auto ledger_block = m.node->block_bytes(h);
      ASSERT_TRUE(ledger_block.ok() && ledger_block->has_value());
      auto payload = ledger::block_payload(**ledger_block);
      ASSERT_TRUE(payload.ok());
      auto block = consensus::read_elided_block(**without, *payload);
      ASSERT_TRUE(block.ok()) << m.name << " at height " << h << ": " << block.status().to_string();
      EXPECT_EQ(block->height, h);
    }
    EXPECT_GT(elided, 0u) << m.name;
  }
}

// An idle leader waits for transactions before proposing an empty block, and proposes the
// moment one arrives: with a hold of an hour, a submission still becomes final within the
// test's wait, and the idle network makes no blocks (rounds that time out make none either).
TEST_F(BftOrdererTest, ProposalsTravelCompactAndExpandFromForwardedTransactions) {
  // Submissions to every validator: each leader names by id what it proposes, and its peers,
  // holding what was forwarded to them, rebuild its proposals without asking for them in full.
  constexpr int kTxs = 40;
  for (int t = 0; t < kTxs; ++t)
    submit(static_cast<size_t>(t) % kValidators, "c" + std::to_string(t));
  ASSERT_TRUE(wait_for([&] { return finals_.load() == kTxs; })) << finals_.load() << " final";
  uint64_t sent = 0;
  uint64_t expanded = 0;
  for (size_t i = 0; i < kValidators; ++i) {
    const CompactProposalCounters c = members_[i].node->status().consensus->compact_proposals;
    sent += c.sent;
    expanded += c.expanded;
    EXPECT_EQ(c.refused, 0u) << "member " << i;
  }
  EXPECT_GT(sent, 0u);
  EXPECT_GT(expanded, 0u);
  // The observer holds no forwarded transactions: it gets proposals in full.
  const CompactProposalCounters o =
      members_[kValidators].node->status().consensus->compact_proposals;
  EXPECT_EQ(o.expanded + o.incomplete, 0u);
  expect_agreement();
}

// Member indices of the validators in the set's order (the order that designates checkers).
std::vector<size_t> set_order(const std::vector<Member>& members) {
  const auto set = members[0].node->validator_set();
  std::vector<size_t> order;
  if (!set) return order;
  for (const PublicKey& k : set->validators)
    for (size_t i = 0; i < kValidators; ++i)
      if (members[i].key.public_key() == k) order.push_back(i);
  return order;
}

TEST_F(BftOrdererTest, ForwardedSignaturesAreCheckedByOneValidatorBesidesTheForwarder) {
  // f = 1 of four validators. What the forwarder's API admitted (and verified) the next
  // validator in the set verifies again and vouches for to the other two, who admit it
  // without verifying: two words, one of them from a correct validator.
  const std::vector<size_t> order = set_order(members_);
  ASSERT_EQ(order.size(), kValidators);
  const size_t forwarder = order[0];
  const size_t checker = order[1];
  std::vector<NodeStatus> before;
  for (auto& m : members_) before.push_back(m.node->status());
  constexpr int kTxs = 20;
  for (int t = 0; t < kTxs; ++t) submit(forwarder, "vouched" + std::to_string(t));
  ASSERT_TRUE(wait_for([&] { return finals_.load() == kTxs; })) << finals_.load() << " final";
  auto relay = [&](size_t i) { return *members_[i].node->status().consensus; };
  for (size_t k = 2; k < kValidators; ++k)
    ASSERT_TRUE(wait_for([&] { return relay(order[k]).vouches_received >= kTxs; }))
        << "member " << order[k] << " has " << relay(order[k]).vouches_received << " vouches";
  auto delta = [&](size_t i, uint64_t NodeStatus::*field) {
    return members_[i].node->status().*field - before[i].*field;
  };
  EXPECT_EQ(delta(forwarder, &NodeStatus::admission_verifications), kTxs);
  EXPECT_EQ(delta(checker, &NodeStatus::admission_verifications), kTxs);
  EXPECT_EQ(relay(checker).txs_vouched_out, kTxs);
  EXPECT_EQ(relay(checker).forwarded_txs_vouched_in, 0u);
  for (size_t k = 2; k < kValidators; ++k) {
    const size_t i = order[k];
    EXPECT_EQ(delta(i, &NodeStatus::admission_verifications), 0u) << "member " << i;
    EXPECT_EQ(relay(i).forwarded_txs_vouched_in, kTxs) << "member " << i;
    EXPECT_EQ(relay(i).vouches_received, kTxs) << "member " << i;
    EXPECT_EQ(relay(i).vouch_frames_refused, 0u) << "member " << i;
  }
  // The two that verified at admission verify nothing again when executing; the observer,
  // which holds no forwards or vouches, verifies every one as it executes.
  ASSERT_TRUE(wait_all_reach_height_of(forwarder));
  EXPECT_EQ(delta(forwarder, &NodeStatus::execution_verifications), 0u);
  EXPECT_EQ(delta(checker, &NodeStatus::execution_verifications), 0u);
  EXPECT_GE(delta(kValidators, &NodeStatus::execution_verifications), kTxs);
  expect_agreement();
}

TEST_F(BftOrdererTest, AForwarderCannotVouchAForgedSignaturePastTheOthers) {
  TearDown();
  members_.clear();
  // The first validator in the set forwards what its API admitted under a forged signature (the
  // last byte of the envelope is the last signature's). Its checker refuses the forgeries; the
  // two others hold them on its word alone, one voucher of the two needed, so any block that
  // carries one verifies it, and it fails there on every node.
  tune_ = [](size_t, BftOptions& o) {
    o.forwarded_envelope_for_test = [](Bytes& envelope) { envelope.back() ^= 0x01; };
  };
  SetUp();
  const std::vector<size_t> order = set_order(members_);
  ASSERT_EQ(order.size(), kValidators);
  const size_t forwarder = order[0];
  const size_t checker = order[1];
  constexpr int kTxs = 12;
  std::atomic<int> answered{0};
  for (int t = 0; t < kTxs; ++t) {
    const ledger::Transaction tx = account_tx(forwarder, "forged" + std::to_string(t));
    auto r = members_[forwarder].node->submit(tx, ledger::encode_transaction(tx),
                                              [&](const Status&, const Finality&) { ++answered; });
    ASSERT_EQ(r.kind, SubmitResult::Kind::accepted);
  }
  // Each is answered: applied (a block carried the genuine envelope) or failed on its forged
  // signature (a block carried the forgery).
  ASSERT_TRUE(wait_for([&] { return answered.load() == kTxs; })) << answered.load();
  EXPECT_EQ(members_[checker].node->status().consensus->txs_vouched_out, 0u);
  ASSERT_TRUE(wait_all_reach_height_of(forwarder));
  expect_agreement();
  // No node applied a transaction under a signature that does not verify.
  const uint64_t top = members_[forwarder].node->status().height;
  for (auto& m : members_) {
    EXPECT_EQ(m.node->status().consensus->core.exec_root_mismatches, 0u) << m.name;
    for (uint64_t h = 1; h <= top; ++h) {
      auto b = m.node->block(h);
      ASSERT_TRUE(b.ok() && b->has_value()) << m.name << " lacks block " << h;
      const BlockInfo& info = **b;
      for (size_t i = 0; i < info.block.txs.size(); ++i) {
        if (info.result.outcomes[i].code != ledger::ResultCode::ok) continue;
        EXPECT_EQ(ledger::check_signatures(info.block.txs[i], m.node->network_id()).code,
                  ledger::ResultCode::ok)
            << m.name << " applied a forged signature at height " << h;
      }
    }
  }
}

TEST_F(BftOrdererTest, APeerLackingATransactionOfACompactProposalGetsItInFull) {
  TearDown();
  members_.clear();
  // Validator 0 keeps what its API admits: its compact proposals name transactions that no
  // other validator holds.
  tune_ = [](size_t i, BftOptions& o) {
    if (i == 0) o.forward_admissions_for_test = false;
  };
  SetUp();
  constexpr int kTxs = 5;
  for (int t = 0; t < kTxs; ++t) submit(0, "unforwarded" + std::to_string(t));
  ASSERT_TRUE(wait_for([&] { return finals_.load() == kTxs; })) << finals_.load() << " final";
  const CompactProposalCounters leader = members_[0].node->status().consensus->compact_proposals;
  EXPECT_GT(leader.sent, 0u);
  EXPECT_GT(leader.full_served, 0u);
  uint64_t incomplete = 0;
  for (size_t i = 1; i < kValidators; ++i) {
    const CompactProposalCounters c = members_[i].node->status().consensus->compact_proposals;
    incomplete += c.incomplete;
    EXPECT_EQ(c.refused, 0u) << "member " << i;
  }
  EXPECT_GT(incomplete, 0u);
  // Every member, the observer too, holds the transactions: the full proposals served them.
  ASSERT_TRUE(wait_all_reach_height_of(0));
  expect_agreement();
}

TEST_F(BftOrdererTest, AnIdleLeaderProposesAsSoonAsATransactionArrives) {
  restart_with_idle_leaders();
  const uint64_t idle_height = wait_idle();
  submit(1, "prompt");
  ASSERT_TRUE(wait_for([&] { return finals_.load() == 1; }));
  EXPECT_GT(members_[0].node->status().height, idle_height);
}

// An idle network's consensus loops sleep until something happens: a message, an admission or
// a timer. They used to wake every 5 ms besides, to drain the mempool, which the wake each
// admission into an empty mempool makes unnecessary while the drains empty it.
TEST_F(BftOrdererTest, IdleLoopsSleepUntilSomethingHappens) {
  restart_with_idle_leaders();
  wait_idle();
  const uint64_t before = voluntary_switches_of("consensus");
  std::this_thread::sleep_for(1s);
  const uint64_t woken = voluntary_switches_of("consensus") - before;
  // Five loops (four validators and the observer). What wakes them now is a round timing out
  // about once a second, and its messages; a 5 ms tick alone would be 1,000 wakes.
  EXPECT_LT(woken, 250u) << "the idle loops woke " << woken << " times in a second";
  // And an admission still wakes them at once.
  submit(2, "after-sleep");
  ASSERT_TRUE(wait_for([&] { return finals_.load() == 1; }));
}

// A network with a state root every 16 blocks and leaders that would hold an empty proposal
// for an hour: after a transaction the leaders still propose the empty blocks up to the next
// root height and the two that commit it, each after the short hold while a root is due, so
// the root covering the transaction comes within seconds; then the network idles again.
class BftIdleRootTest : public BftOrdererTest {
 protected:
  BftIdleRootTest() { root_interval_ = 16; }
};

TEST_F(BftIdleRootTest, EmptyBlocksRunOnToTheRootCoveringATransactionThenIdle) {
  restart_with_idle_leaders();
  const uint64_t idle_height = wait_idle();
  submit(1, "rooted");
  ASSERT_TRUE(wait_for([&] { return finals_.load() == 1; }));
  const uint64_t final_height = last_final_height_.load();
  ASSERT_GT(final_height, idle_height);
  for (size_t i = 0; i < kValidators; ++i)
    ASSERT_TRUE(wait_for([&] {
      return members_[i].node->status().state_root_height >= final_height;
    })) << members_[i].name
        << " has no root at or above height " << final_height << ", only at "
        << members_[i].node->status().state_root_height;
  const uint64_t rooted_idle_height = wait_idle();
  EXPECT_LE(rooted_idle_height, final_height + root_interval_ + 2);
  expect_agreement();
}

// A store from before the proposal journal kept each proposal under 'U' 0x00 height round; a
// node erases those at start (docs/protocol.md), and goes on as usual.
TEST_F(BftOrdererTest, ProposalRecordsOfTheOldLayoutAreErasedAtStart) {
  submit(0, "before");
  ASSERT_TRUE(wait_for([&] { return finals_.load() == 1; }));
  Member& m = members_[1];
  m.node->stop();
  m.node.reset();
  Bytes legacy{'U', 0x00};
  put_be64(legacy, 1'000'000);
  put_be64(legacy, 7);
  storage::WriteBatch batch;
  batch.put(legacy, Bytes{1, 2, 3});
  ASSERT_TRUE(m.kv->write(batch, true).ok());
  boot(1);
  wire(1);
  ASSERT_TRUE(wait_for([&] {
    auto v = m.kv->get(legacy);
    return v.ok() && !v->has_value();
  }));
  submit(1, "after");
  ASSERT_TRUE(wait_for([&] { return finals_.load() == 2; }));
  expect_agreement();
}

TEST_F(BftOrdererTest, StoppedValidatorCatchesUpAfterRestart) {
  submit(0, "before");
  ASSERT_TRUE(wait_for([&] { return finals_.load() == 1; }));
  // Validator 3 stops; the other three are a quorum and keep committing.
  members_[3].node->stop();
  members_[3].node.reset();
  constexpr int kTxs = 10;
  for (int t = 0; t < kTxs; ++t) submit(static_cast<size_t>(t) % 3, "during" + std::to_string(t));
  ASSERT_TRUE(wait_for([&] { return finals_.load() == 1 + kTxs; })) << finals_.load() << " final";
  const uint64_t reached = members_[0].node->status().height;

  // It restarts from its store (safety data, consensus records, ledger) and syncs the rest.
  boot(3);
  wire(3);
  ASSERT_TRUE(wait_for([&] { return members_[3].node->status().height >= reached; }))
      << "stuck at " << members_[3].node->status().height << " of " << reached;
  submit(3, "after");
  ASSERT_TRUE(wait_for([&] { return finals_.load() == 2 + kTxs; }));
  ASSERT_TRUE(wait_for([&] {
    for (auto& m : members_)
      if (m.node->status().accounts < static_cast<size_t>(kTxs) + 3) return false;
    return true;
  }));
  expect_agreement();
}

TEST_F(BftOrdererTest, WholeNetworkRestartResumes) {
  for (int round = 0; round < 3; ++round) {
    submit(static_cast<size_t>(round) % kValidators, "r" + std::to_string(round));
    ASSERT_TRUE(wait_for([&] { return finals_.load() == round + 1; }));
    // Every node stops at once, in the middle of whatever rounds they are in, and restarts
    // from its store: the replayed proposals and timeouts let them leave those rounds.
    for (auto& m : members_) {
      m.node->stop();
      m.node.reset();
    }
    for (size_t i = 0; i < members_.size(); ++i) boot(i);
    for (size_t i = 0; i < members_.size(); ++i) wire(i);
  }
  submit(1, "after");
  ASSERT_TRUE(wait_for([&] { return finals_.load() == 4; }));
  expect_agreement();
}

class BftCellsApartTest : public BftOrdererTest {
 protected:
  void SetUp() override {
    cells_apart_ = true;
    BftOrdererTest::SetUp();
  }

  // Submits `txs` transactions round the validators and waits for them to be final; every
  // validator voted, and none of its votes left before the proposal's record was durable.
  void submit_and_check_votes(int txs, const std::string& prefix) {
    for (int t = 0; t < txs; ++t)
      submit(static_cast<size_t>(t) % kValidators, prefix + std::to_string(t));
    ASSERT_TRUE(wait_for([&] { return finals_.load() == txs; })) << finals_.load() << " final";
    for (size_t i = 0; i < kValidators; ++i) {
      EXPECT_GT(members_[i].vote_watch->votes.load(), 0u) << members_[i].name;
      EXPECT_EQ(members_[i].vote_watch->without_durable_record.load(), 0u)
          << members_[i].name << " sent votes before the proposal's record was durable";
    }
  }

  // Power fails everywhere at once: every write to a store or journal not synced is lost, the
  // cells keep theirs. The network must resume from what the votes rested on.
  void lose_power_everywhere_and_resume() {
    const int finals_before = finals_.load();
    for (auto& m : members_) {
      m.node->stop();
      m.node.reset();
      m.kv->crash_lose_all_unsynced();
      m.journal_kv->crash_lose_all_unsynced();
    }
    for (size_t i = 0; i < members_.size(); ++i) boot(i);
    for (size_t i = 0; i < members_.size(); ++i) wire(i);
    submit(2, "after");
    ASSERT_TRUE(wait_for([&] { return finals_.load() == finals_before + 1; }));
    expect_agreement();
  }
};

// A vote rests on the proposal's record, which after a power loss of the whole network may be
// the only copy of a certified block. With the safety data and the proposals each in a file of
// their own, the safety write's sync reaches neither the journal nor the store, so the record
// must be synced on its own before the vote leaves.
TEST_F(BftCellsApartTest, NoVoteLeavesBeforeTheRecordsItRestsOnAreDurable) {
  submit_and_check_votes(12, "p");
  lose_power_everywhere_and_resume();
}

class BftJournalFullTest : public BftCellsApartTest {
 protected:
  void SetUp() override {
    // Room for an empty proposal or two, not for one that carries transactions.
    journal_bytes_max_ = 1'500;
    BftCellsApartTest::SetUp();
  }
};

// What the journal has no room for goes to the store, synced there before the vote leaves;
// both kinds of record survive a power loss of the whole network.
TEST_F(BftJournalFullTest, ProposalsTheJournalCannotHoldGoToTheStoreDurably) {
  submit_and_check_votes(12, "q");
  for (size_t i = 0; i < kValidators; ++i)
    EXPECT_GT(members_[i].orderer->status().proposals_spilled, 0u) << members_[i].name;
  lose_power_everywhere_and_resume();
}

TEST_F(BftOrdererTest, GovernanceChangeSwitchesEveryNodeToTheNewEpoch) {
  // Validator 3 leaves and the observer joins: approved by a quorum of the current set.
  std::vector<PublicKey> next;
  for (size_t i = 0; i < 3; ++i) next.push_back(members_[i].key.public_key());
  next.push_back(members_[kValidators].key.public_key());
  const Hash256 network_id = members_[0].node->network_id();
  ledger::SetValidatorsOp op{1, next, {}};
  Bytes message = ledger::validator_set_approval_message(network_id, 1, next);
  for (size_t i = 0; i < 3; ++i)
    op.approvals.push_back({members_[i].key.public_key(), members_[i].key.sign(message)});
  KeyPair operator_key = test::test_key("bft-operator");
  ledger::Transaction tx;
  tx.network_id = network_id;
  tx.source = operator_key.account_id();
  tx.nonce = 2;
  tx.valid_until_height = members_[1].node->status().height + 1'000;
  tx.ops.push_back(op);
  tx.sign(operator_key);
  auto r = members_[1].node->submit(tx, ledger::encode_transaction(tx),
                                    [this](const Status& s, const Finality& f) {
                                      if (s.ok() && f.outcome.code == ledger::ResultCode::ok)
                                        ++finals_;
                                    });
  ASSERT_EQ(r.kind, SubmitResult::Kind::accepted);
  ASSERT_TRUE(wait_for([&] { return finals_.load() == 1; }));
  ASSERT_TRUE(wait_for([&] {
    for (auto& m : members_)
      if (m.orderer->status().epoch != 1) return false;
    return true;
  }));
  EXPECT_FALSE(members_[kValidators].orderer->status().observer);
  EXPECT_TRUE(members_[3].orderer->status().observer);
  // Every node's status reports the ledger's new set.
  for (auto& m : members_) {
    EXPECT_EQ(m.node->status().epoch, std::optional<uint64_t>(1));
    EXPECT_EQ(m.node->status().validators, kValidators);
  }
  // The new set commits, and the old validator follows it as an observer.
  constexpr int kTxs = 8;
  for (int t = 0; t < kTxs; ++t)
    submit(static_cast<size_t>(t) % members_.size(), "e" + std::to_string(t));
  ASSERT_TRUE(wait_for([&] { return finals_.load() == 1 + kTxs; })) << finals_.load() << " final";
  expect_agreement();
}

namespace {

// State sync: small thresholds so that a test network is "far ahead" within seconds.
constexpr uint64_t kSyncLag = 16;
constexpr uint64_t kSnapshotEvery = 8;
// How long a slowed summary worker takes (AnOfferWaitsForTheSummaryWorkerWhileConsensusGoesOn).
constexpr uint32_t kSummaryDelayMs = 1'500;

void tune_state_sync(BftOptions& o) {
  o.state_sync_lag_blocks = kSyncLag;
  o.state_sync_snapshot_interval_blocks = kSnapshotEvery;
}

}  // namespace

class BftStateSyncTest : public BftOrdererTest {
 protected:
  // Restarts every member on its store with the test's tune_ (SetUp started them without it).
  void restart_all() {
    for (size_t i = 0; i < members_.size(); ++i) {
      members_[i].node->stop();
      members_[i].node.reset();
    }
    for (size_t i = 0; i < members_.size(); ++i) boot(i);
    for (size_t i = 0; i < members_.size(); ++i) wire(i);
  }
  // Makes blocks with state in them until the network is `height` high.
  void grow_to(uint64_t height) {
    // Also after earlier submissions: fresh account names, and the finals counted from here.
    int t = finals_.load();
    while (members_[0].node->status().height < height) {
      submit(static_cast<size_t>(t) % kValidators, "grow" + std::to_string(t));
      ++t;
      ASSERT_TRUE(wait_for([&] { return finals_.load() == t; }));
    }
  }

  // Member i takes a new transaction and makes it final, catches up with validator 0, and all
  // members agree on blocks and state roots.
  void expect_final_and_agreed(size_t i, const std::string& account) {
    const int before = finals_.load();
    submit(i, account);
    ASSERT_TRUE(wait_for([&] { return finals_.load() == before + 1; }));
    ASSERT_TRUE(wait_for(
        [&] { return members_[i].node->status().height >= members_[0].node->status().height; }));
    expect_agreement();
  }
  // Stops member i and starts it again on its store.
  void restart(size_t i) {
    members_[i].node->stop();
    members_[i].node.reset();
    boot(i);
    wire(i);
  }

  // Stops member i, throws its store away and starts it on an empty one.
  void wipe_and_restart(size_t i) {
    members_[i].node->stop();
    members_[i].node.reset();
    members_[i].kv = std::make_shared<storage::MemKvStore>();
    boot(i);
    wire(i);
  }

  // Validators 1 and 2 stop: no quorum, so validator 0's height and snapshots hold still.
  void halt() {
    for (size_t i : {size_t{1}, size_t{2}}) {
      members_[i].node->stop();
      members_[i].node.reset();
    }
    uint64_t still = 0;
    ASSERT_TRUE(wait_for([&] {
      const uint64_t h = members_[0].node->status().height;
      if (h != still) {
        still = h;
        return false;
      }
      std::this_thread::sleep_for(300ms);
      return members_[0].node->status().height == h;
    }));
  }

  // A bare peer network of the test's own under the observer's key (a peer validator 0 knows;
  // the observer is stopped), which asks validator 0 for checkpoints and keeps what comes back.
  struct Answer {
    SyncMessage message;
    Bytes encoded;
    std::chrono::steady_clock::time_point at;
  };
  class Asker {
   public:
    ~Asker() {
      if (net_) net_->stop();
    }
    void ask(uint64_t above_height) {
      Bytes request{peer_channel_state_sync};
      const Bytes body = encode_sync_message(CheckpointRequest{above_height});
      request.insert(request.end(), body.begin(), body.end());
      ASSERT_TRUE(net_->send(to_, request).ok());
    }
    std::vector<Answer> answers() {
      std::lock_guard lock(mu_);
      return answers_;
    }

   private:
    friend class BftStateSyncTest;
    PublicKey to_;
    std::unique_ptr<net::PeerNetwork> net_;
    std::mutex mu_;
    std::vector<Answer> answers_;
  };
  void start_asker(std::unique_ptr<Asker>& asker) {
    Member& observer = members_[kValidators];
    observer.node->stop();
    observer.node.reset();
    asker = std::make_unique<Asker>();
    Asker* a = asker.get();
    a->to_ = members_[0].key.public_key();
    net::PeerNetworkOptions net_options;
    net_options.network_id = members_[0].node->network_id();
    net_options.peers = {{a->to_, "127.0.0.1", members_[0].port}};
    net_options.frame_bytes_max = consensus::message_bytes_max + 1;
    auto started =
        net::PeerNetwork::start(observer.key, net_options, [a](const PublicKey&, Bytes f) {
          if (f.empty() || f[0] != peer_channel_state_sync) return;
          Bytes encoded(f.begin() + 1, f.end());
          auto m = decode_sync_message(encoded);
          if (!m.ok()) return;
          std::lock_guard lock(a->mu_);
          a->answers_.push_back(
              {std::move(m).value(), std::move(encoded), std::chrono::steady_clock::now()});
        });
    ASSERT_TRUE(started.ok()) << started.status().to_string();
    a->net_ = std::move(started).value();
    ASSERT_TRUE(wait_for([&] {
      const auto c = a->net_->counters();
      const auto it = c.peers.find(a->to_);
      return it != c.peers.end() && it->second.connected;
    }));
  }

  // Member i has installed a checkpoint and followed the chain to where member `ref` was.
  void expect_synced(size_t i, uint64_t reached) {
    ASSERT_TRUE(wait_for([&] {
      auto p = members_[i].node->sync_progress();
      return p && p->checkpoints_installed >= 1 && members_[i].node->status().height >= reached;
    })) << "at "
        << members_[i].node->status().height << " of " << reached;
    auto p = members_[i].node->sync_progress();
    ASSERT_TRUE(p.has_value());
    EXPECT_GT(p->last_installed_height, kSyncLag);
    EXPECT_LT(p->last_installed_height % kSnapshotEvery,
              std::min(state_sync_snapshot_window_blocks * root_interval_, kSnapshotEvery));
    EXPECT_EQ(p->last_installed_height % root_interval_, 0u) << "not at a root height";
    // Not replayed from genesis: the node holds none of the blocks after genesis (a node still
    // far behind after its first checkpoint may install a later one, so only the blocks below
    // any checkpoint are checked), and executed only blocks after its checkpoint.
    for (uint64_t h = 1; h <= kSyncLag; ++h) {
      auto b = members_[i].node->block(h);
      ASSERT_TRUE(b.ok());
      EXPECT_FALSE(b->has_value()) << "block " << h << " was replayed";
    }
    auto at = members_[i].node->block(p->last_installed_height);
    ASSERT_TRUE(at.ok() && at->has_value());
    EXPECT_LE(members_[i].orderer->status().core.blocks_committed,
              members_[i].node->status().height - p->last_installed_height);
  }
};

TEST_F(BftStateSyncTest, WipedValidatorInstallsACheckpointInsteadOfReplaying) {
  tune_ = [](size_t, BftOptions& o) {
    tune_state_sync(o);
    // About two entries a chunk: each range takes several requests, several in flight.
    o.state_sync_chunk_bytes = 120;
  };
  restart_all();

  grow_to(3 * kSyncLag);
  const uint64_t reached = members_[0].node->status().height;
  wipe_and_restart(3);
  expect_synced(3, reached);
  // The checkpoint's state is the network's: it takes and finalizes new work, and every node
  // agrees on blocks and state roots from there on.
  expect_final_and_agreed(3, "after-sync");
  EXPECT_EQ(members_[3].node->sync_progress()->bad_chunks, 0u);
  // Paged: more chunks served than the offer's 16 ranges.
  uint64_t served = 0;
  for (size_t i = 0; i < members_.size(); ++i)
    if (i != 3) served += members_[i].node->sync_progress()->chunks_served;
  EXPECT_GT(served, state_sync_ranges_max);
  // It restarts from the installed state like from any other.
  restart(3);
  expect_final_and_agreed(3, "after-restart");
}

// A network that recomputes its state root every 4 blocks: the validators agree on every
// block's result, snapshots fall on root heights only, and a wiped validator installs a
// checkpoint at one (its state checked against the attested root), executes the blocks above
// it, and agrees with the others from there on, also after a restart.
class BftStateRootIntervalTest : public BftStateSyncTest {
 protected:
  BftStateRootIntervalTest() { root_interval_ = 4; }
};

TEST_F(BftStateRootIntervalTest, AWipedValidatorSyncsFromARootHeightAndAgrees) {
  tune_ = [](size_t, BftOptions& o) { tune_state_sync(o); };
  restart_all();
  grow_to(3 * kSyncLag);
  const uint64_t reached = members_[0].node->status().height;
  // Between root heights the results repeat the last root.
  for (uint64_t h = 1; h < reached; ++h) {
    auto b = members_[0].node->block(h);
    auto root = members_[0].node->block(h - h % root_interval_);
    ASSERT_TRUE(b.ok() && b->has_value() && root.ok() && root->has_value());
    EXPECT_EQ((*b)->result.state_root, (*root)->result.state_root) << "block " << h;
  }
  wipe_and_restart(3);
  expect_synced(3, reached);
  expect_final_and_agreed(3, "after-sync");
  restart(3);
  expect_final_and_agreed(3, "after-restart");
}

TEST_F(BftStateSyncTest, CorruptChunkIsRefusedCountedAndAnotherPeerServes) {
  // Two nodes serve state, one of which corrupts a value in every chunk it sends; validators 1
  // and 2 do not serve. The corrupt one is tried first: with the network halted its snapshots
  // are at least as recent as the honest one's (taken 4 times as often), and on a tie the
  // client takes the lower key.
  const size_t a =
      members_[0].key.public_key() < members_[kValidators].key.public_key() ? 0 : kValidators;
  const size_t b = a == 0 ? kValidators : 0;
  tune_ = [a, b](size_t i, BftOptions& o) {
    tune_state_sync(o);
    if (i == a) o.state_sync_corrupt_chunks_for_test = true;
    if (i == b) o.state_sync_snapshot_interval_blocks = 4 * kSnapshotEvery;
    if (i == 1 || i == 2) o.state_sync_snapshot_interval_blocks = 0;
  };
  restart_all();

  grow_to(5 * kSyncLag);
  // Validator 3 loses its store, and validators 1 and 2 stop: no quorum, so the servers' heads
  // hold still while validator 3 syncs.
  for (size_t i : {size_t{1}, size_t{2}, size_t{3}}) {
    members_[i].node->stop();
    members_[i].node.reset();
  }
  uint64_t still = 0;
  ASSERT_TRUE(wait_for([&] {
    const uint64_t h = members_[a].node->status().height;
    if (h != members_[b].node->status().height || h != still) {
      still = h;
      return false;
    }
    std::this_thread::sleep_for(300ms);
    return members_[a].node->status().height == h && members_[b].node->status().height == h;
  })) << "heights "
      << members_[a].node->status().height << " (serving corrupt chunks) and "
      << members_[b].node->status().height;
  const uint64_t reached = still;
  members_[3].kv = std::make_shared<storage::MemKvStore>();
  boot(3);
  wire(3);
  ASSERT_TRUE(wait_for([&] {
    auto p = members_[3].node->sync_progress();
    return p && p->checkpoints_installed >= 1;
  }));
  auto p = members_[3].node->sync_progress();
  EXPECT_EQ(p->bad_chunks, 1u);
  EXPECT_GE(members_[a].node->sync_progress()->chunks_served, 1u);
  EXPECT_GE(members_[b].node->sync_progress()->chunks_served, 1u);
  // The quorum returns and validator 3 follows the chain from the checkpoint.
  for (size_t i : {size_t{1}, size_t{2}}) {
    boot(i);
    wire(i);
  }
  expect_synced(3, reached);
  submit(3, "after-sync");
  ASSERT_TRUE(wait_for([&] {
    return members_[3].node->status().accounts == members_[0].node->status().accounts &&
           members_[3].node->status().height >= members_[0].node->status().height;
  }));
  expect_agreement();
}

// Serving a checkpoint never runs the offer's pass over the state on the consensus thread: a
// peer's request hands it to the serving node's summary worker, and the offer goes out when the
// worker is done, while consensus goes on. Validator 0's worker is slowed down to the seconds
// a state near the limits would take; the observer's key is used by a bare peer network of the
// test's own, a peer validator 0 knows, which asks and shows what comes back.
TEST_F(BftStateSyncTest, AnOfferWaitsForTheSummaryWorkerWhileConsensusGoesOn) {
  tune_ = [](size_t i, BftOptions& o) {
    tune_state_sync(o);
    if (i == 0) o.state_sync_summary_delay_ms_for_test = kSummaryDelayMs;
  };
  const auto kSummaryDelay = std::chrono::milliseconds(kSummaryDelayMs);
  restart_all();
  grow_to(2 * kSyncLag);
  std::unique_ptr<Asker> asker;
  ASSERT_NO_FATAL_FAILURE(start_asker(asker));

  // A faulty peer repeats its request, twenty times within a second.
  const uint64_t asked_at_height = members_[0].node->status().height;
  const auto asked_at = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    ASSERT_NO_FATAL_FAILURE(asker->ask(0));
    std::this_thread::sleep_for(50ms);
  }
  // Validator 0's height, read while no answer had come yet.
  uint64_t height_unanswered = asked_at_height;
  ASSERT_TRUE(wait_for([&] {
    const uint64_t h = members_[0].node->status().height;
    if (!asker->answers().empty()) return true;
    height_unanswered = h;
    return false;
  }));
  // Any answer to the repeated requests would be here by now.
  std::this_thread::sleep_for(1s);
  std::vector<Answer> got = asker->answers();
  ASSERT_EQ(got.size(), 1u) << "one answer for twenty requests";
  const auto* offer = std::get_if<CheckpointOffer>(&got[0].message);
  ASSERT_NE(offer, nullptr) << "the answer is not an offer";
  // The offer came after the worker's summary, one for all the requests, and validator 0 went on
  // committing blocks in the meantime: its consensus thread did not wait for the pass.
  EXPECT_GE(got[0].at - asked_at, kSummaryDelay);
  EXPECT_EQ(members_[0].orderer->state_sync_summaries_started(), 1u);
  EXPECT_GE(height_unanswered, asked_at_height + 3);
  // A real offer: it passes a syncing node's checks, its ranges cut by the one-pass summary.
  const auto set = members_[0].node->validator_set();
  ASSERT_TRUE(set.has_value());
  auto verified = verify_offer(*offer, consensus::ValidatorSet(set->epoch, set->validators), 0);
  EXPECT_TRUE(verified.ok()) << verified.status().to_string();
  EXPECT_EQ(offer->split_keys.size(), state_sync_ranges_max - 1);

  // With the network halted, validator 0's snapshots hold still: once one was summarised for an
  // asker, asking again is answered at once, from the summary kept with the snapshot, with no
  // further pass.
  ASSERT_NO_FATAL_FAILURE(halt());
  ASSERT_NO_FATAL_FAILURE(asker->ask(0));
  ASSERT_TRUE(wait_for([&] { return asker->answers().size() == 2; }));
  ASSERT_TRUE(std::holds_alternative<CheckpointOffer>(asker->answers()[1].message));
  const uint64_t passes = members_[0].orderer->state_sync_summaries_started();
  const auto asked_again_at = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(asker->ask(0));
  ASSERT_TRUE(wait_for([&] { return asker->answers().size() == 3; }));
  got = asker->answers();
  ASSERT_TRUE(std::holds_alternative<CheckpointOffer>(got[2].message));
  EXPECT_EQ(std::get<CheckpointOffer>(got[2].message).height,
            std::get<CheckpointOffer>(got[1].message).height);
  EXPECT_LT(got[2].at - asked_again_at, kSummaryDelay);
  EXPECT_EQ(members_[0].orderer->state_sync_summaries_started(), passes);
}

// Answering a checkpoint request builds a snapshot's evidence (up to 64 blocks loaded from the
// store, and the offer encoded) on the consensus thread. A peer repeating its request, however
// often and whatever height it asks to be above, is answered every time, from the evidence
// built once; a change of the snapshots held gives the answer anew. Validator 0 reuses its
// evidence for ten minutes here, so that only a change of its state, never the clock, can make
// it build again.
TEST_F(BftStateSyncTest, RepeatedCheckpointRequestsAreAllAnsweredFromOneEvidenceBuild) {
  tune_ = [](size_t i, BftOptions& o) {
    tune_state_sync(o);
    if (i == 0) o.state_sync_evidence_reuse_ms = 600'000;
  };
  restart_all();
  grow_to(2 * kSyncLag);
  std::unique_ptr<Asker> asker;
  ASSERT_NO_FATAL_FAILURE(start_asker(asker));
  ASSERT_NO_FATAL_FAILURE(halt());
  BftOrderer& v0 = *members_[0].orderer;
  auto cached = [&] { return members_[0].node->sync_progress()->checkpoint_requests_cached; };

  // The first request waits for the summary of the newest snapshot the chain attests, and is
  // answered with its offer (the evidence built while the snapshot had no summary says only that
  // it is worth waiting for: it is not reused for the offer).
  ASSERT_NO_FATAL_FAILURE(asker->ask(0));
  ASSERT_TRUE(wait_for([&] { return asker->answers().size() == 1; }));
  const Answer first = asker->answers()[0];
  const auto* offer = std::get_if<CheckpointOffer>(&first.message);
  ASSERT_NE(offer, nullptr) << "the answer is not an offer";
  const uint64_t offered = offer->height;
  ASSERT_GT(offered, 0u);
  const uint64_t builds = v0.state_sync_evidence_builds();
  const uint64_t cached_before = cached();
  EXPECT_GE(builds, 1u);

  // Repeated at once, asking to be above 0 or just below the offered height (which selects the
  // same snapshot): every request is answered with the same offer, and none builds evidence.
  constexpr size_t kRepeats = 30;
  for (size_t i = 0; i < kRepeats; ++i)
    ASSERT_NO_FATAL_FAILURE(asker->ask(i % 2 ? offered - 1 : 0));
  ASSERT_TRUE(wait_for([&] { return asker->answers().size() == 1 + kRepeats; }))
      << asker->answers().size() << " answers to " << 1 + kRepeats << " requests";
  for (const Answer& a : asker->answers()) EXPECT_EQ(a.encoded, first.encoded);
  EXPECT_EQ(v0.state_sync_evidence_builds(), builds);
  ASSERT_TRUE(wait_for([&] { return cached() == cached_before + kRepeats; }))
      << cached() - cached_before << " of " << kRepeats << " counted";

  // The network goes on for eight snapshot windows: the snapshot offered is dropped, and newer
  // ones are held. The same request now gets an offer of a newer snapshot, not the one built
  // before (which would still be reused for minutes).
  for (size_t i : {size_t{1}, size_t{2}}) {
    boot(i);
    wire(i);
  }
  grow_to(members_[0].node->status().height + 8 * kSnapshotEvery);
  ASSERT_NO_FATAL_FAILURE(halt());
  ASSERT_NO_FATAL_FAILURE(asker->ask(0));
  ASSERT_TRUE(wait_for([&] { return asker->answers().size() == 2 + kRepeats; }));
  const Answer after = asker->answers().back();
  const auto* newer = std::get_if<CheckpointOffer>(&after.message);
  ASSERT_NE(newer, nullptr) << "the answer is not an offer";
  EXPECT_GT(newer->height, offered);
  EXPECT_GT(v0.state_sync_evidence_builds(), builds);
  const auto set = members_[0].node->validator_set();
  ASSERT_TRUE(set.has_value());
  auto verified = verify_offer(*newer, consensus::ValidatorSet(set->epoch, set->validators), 0);
  EXPECT_TRUE(verified.ok()) << verified.status().to_string();
}

}  // namespace
}  // namespace corridor::node
