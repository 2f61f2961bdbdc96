// Node: admission, execution, durable commit and finality on an in-memory store. Most tests
// drive the node without start(), committing what submit() admitted with commit_batch() as an
// orderer would; the sequencer tests start it and wait on finality callbacks.
#include "node/node.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/encoding.h"
#include "consensus/safety_rules.h"
#include "consensus/store_layout.h"
#include "ledger/block.h"
#include "ledger/entries.h"
#include "ledger/limits.h"
#include "ledger/payload.h"
#include "ledger/state_store.h"
#include "node/pending_txs.h"
#include "node/state_sync.h"
#include "storage/mem_kv_store.h"
#include "support/test_support.h"

namespace corridor::node {
namespace {

using namespace std::chrono_literals;
using ledger::Operation;
using ledger::ResultCode;
using ledger::Transaction;
using ledger::TxOutcome;
using test::test_id;
using test::test_key;
namespace op = test::op;
using Kind = SubmitResult::Kind;

// Generous for a shared two-core machine: a timeout here means a callback never came.
constexpr auto kWait = 30s;
constexpr uint64_t kTime0 = 1'790'000'000'000;
constexpr Amount kLimit = 100'000'000;  // 1,000,000.00 USD

std::string kind_name(Kind k) {
  switch (k) {
    case Kind::accepted:
      return "accepted";
    case Kind::already_pending:
      return "already_pending";
    case Kind::already_final:
      return "already_final";
    case Kind::rejected:
      return "rejected";
    case Kind::unavailable:
      return "unavailable";
    case Kind::rate_limited:
      return "rate_limited";
  }
  return "?";
}

std::string describe(const SubmitResult& r) {
  return kind_name(r.kind) + " " + std::string(ledger::result_code_name(r.code)) +
         " op=" + std::to_string(r.op_index) + " " +
         std::string(ledger::result_code_name(r.op_code)) + " '" + r.message + "'";
}

NodeConfig memory_config(const std::string& network = "corridor-node-test") {
  NodeConfig c;
  c.storage = StorageEngine::memory;
  c.network_name = network;
  c.check_invariants = true;
  c.block_interval_ms = 5;
  c.verify_threads = 2;
  return c;
}

// Records every call of the finality callbacks it hands out. The callbacks share the log's
// state, so one that fires after the log is gone (a failed test's leftovers) is harmless.
class FinalityLog {
 public:
  struct Call {
    Status status;
    Finality finality;
  };

  FinalityCallback callback() {
    return [state = state_](const Status& s, const Finality& f) {
      {
        std::lock_guard lock(state->mu);
        state->calls.push_back({s, f});
      }
      state->cv.notify_all();
    };
  }
  std::vector<Call> calls() const {
    std::lock_guard lock(state_->mu);
    return state_->calls;
  }
  size_t count() const {
    std::lock_guard lock(state_->mu);
    return state_->calls.size();
  }
  // Waits until at least n calls have arrived; false on timeout.
  bool wait_for(size_t n) {
    std::unique_lock lock(state_->mu);
    return state_->cv.wait_for(lock, kWait, [&] { return state_->calls.size() >= n; });
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Call> calls;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// Builds signed transactions for the node's network with distinct nonces.
class TxMaker {
 public:
  explicit TxMaker(const Node& node) : node_(node) {}

  Transaction make(std::string_view source, std::vector<Operation> ops,
                   std::optional<uint64_t> valid_until = std::nullopt) {
    Transaction tx;
    tx.network_id = node_.network_id();
    tx.source = test_id(source);
    tx.nonce = next_nonce_++;
    tx.valid_until_height = valid_until.value_or(node_.status().height + 100);
    tx.ops = std::move(ops);
    tx.sign(test_key(source));
    return tx;
  }

 private:
  const Node& node_;
  std::atomic<uint64_t> next_nonce_{1};
};

// Stands in for an orderer on a node that was not started: what submit() accepted is committed
// by commit_block() as the next block.
class ManualOrderer {
 public:
  explicit ManualOrderer(Node& node) : node_(node) {}

  SubmitResult submit(const Transaction& tx, FinalityCallback on_final = nullptr) {
    Bytes envelope = ledger::encode_transaction(tx);
    SubmitResult r = node_.submit(tx, envelope, std::move(on_final));
    if (r.kind == Kind::accepted) admitted_.push_back(PendingTx{tx, std::move(envelope)});
    return r;
  }
  // Submits and expects the transaction to be accepted.
  void admit(const Transaction& tx, FinalityCallback on_final = nullptr) {
    SubmitResult r = submit(tx, std::move(on_final));
    EXPECT_EQ(r.kind, Kind::accepted) << describe(r);
  }
  // Commits everything accepted since the last block; returns the block's time.
  uint64_t commit_block() {
    time_ms_ += 1000;
    std::vector<PendingTx> txs;
    txs.swap(admitted_);
    node_.commit_batch(OrderedBatch{std::move(txs), time_ms_});
    return time_ms_;
  }
  // Admits the transactions, commits them as one block and expects each to be final with ok.
  void commit_ok(const std::vector<Transaction>& txs) {
    FinalityLog log;
    for (const auto& tx : txs) admit(tx, log.callback());
    const uint64_t height = node_.status().height + 1;
    commit_block();
    auto calls = log.calls();
    ASSERT_EQ(calls.size(), txs.size());
    for (size_t i = 0; i < calls.size(); ++i) {
      EXPECT_TRUE(calls[i].status.ok());
      EXPECT_EQ(calls[i].finality.id, txs[i].id);
      EXPECT_EQ(calls[i].finality.height, height);
      EXPECT_EQ(calls[i].finality.index, i);
      EXPECT_EQ(calls[i].finality.outcome, test::outcome_ok());
    }
  }
  size_t admitted() const { return admitted_.size(); }

 private:
  Node& node_;
  std::vector<PendingTx> admitted_;
  uint64_t time_ms_ = kTime0;
};

std::optional<Amount> balance(const Node& node, std::string_view holder, const AssetId& asset) {
  auto info = node.account(test_id(holder));
  if (!info) return std::nullopt;
  for (const auto& h : info->holdings)
    if (h.asset == asset) return h.holding.balance;
  return std::nullopt;
}

// The ledger most tests start from: an issuer of USD (scale 2), alice and bob holding it, and
// 500.00 issued to alice. Four blocks.
AssetId set_up_bank(ManualOrderer& orderer, TxMaker& maker) {
  const AssetId usd = test::asset("USD", "issuer");
  orderer.commit_ok({maker.make("issuer", {op::create_account("issuer")}),
                     maker.make("alice", {op::create_account("alice")}),
                     maker.make("bob", {op::create_account("bob")})});
  orderer.commit_ok({maker.make("issuer", {op::create_asset("USD", 2)})});
  orderer.commit_ok({maker.make("alice", {op::open_holding(usd, kLimit)}),
                     maker.make("bob", {op::open_holding(usd, kLimit)})});
  orderer.commit_ok({maker.make("issuer", {op::issue("alice", "USD", 500'00)})});
  return usd;
}

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override { open(memory_config()); }

  void open(const NodeConfig& config) {
    config_ = config;
    auto n = Node::open(config_, kv_);
    ASSERT_TRUE(n.ok()) << n.status().to_string();
    node_ = std::move(n).value();
    maker_ = std::make_unique<TxMaker>(*node_);
    orderer_ = std::make_unique<ManualOrderer>(*node_);
  }
  // Closes the node (as a process exit would); the store stays.
  void close() {
    orderer_.reset();
    maker_.reset();
    node_.reset();
  }

  NodeConfig config_;
  std::shared_ptr<storage::MemKvStore> kv_ = std::make_shared<storage::MemKvStore>();
  std::unique_ptr<Node> node_;
  std::unique_ptr<TxMaker> maker_;
  std::unique_ptr<ManualOrderer> orderer_;
};

TEST_F(NodeTest, FreshNodeIsEmpty) {
  NodeStatus s = node_->status();
  EXPECT_EQ(s.network_name, "corridor-node-test");
  EXPECT_EQ(s.network_id, network_id_for_name("corridor-node-test"));
  EXPECT_EQ(node_->network_id(), s.network_id);
  EXPECT_EQ(s.height, 0u);
  EXPECT_TRUE(s.block_hash.is_zero());
  EXPECT_EQ(s.accounts, 0u);
  EXPECT_EQ(s.mempool_txs, 0u);
  auto b = node_->block(1);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  EXPECT_TRUE(node_->check_invariants().ok());
}

TEST_F(NodeTest, BuildsALedgerBlockByBlock) {
  const AssetId usd = set_up_bank(*orderer_, *maker_);
  NodeStatus s = node_->status();
  EXPECT_EQ(s.height, 4u);
  EXPECT_EQ(s.accounts, 3u);
  EXPECT_EQ(s.assets, 1u);
  EXPECT_EQ(s.holdings, 2u);
  EXPECT_EQ(s.txs_committed, 7u);
  EXPECT_EQ(s.ops_committed, 7u);
  EXPECT_EQ(s.block_time_ms, kTime0 + 4000);

  // A transfer from alice to bob, reported final at height 5, index 1 (after a filler).
  FinalityLog log;
  const Transaction filler = maker_->make("issuer", {op::issue("bob", "USD", 1)});
  const Transaction pay = maker_->make("alice", {op::transfer("bob", usd, 123'45)});
  orderer_->admit(filler, log.callback());
  orderer_->admit(pay, log.callback());
  EXPECT_TRUE(node_->is_pending(pay.id));
  const uint64_t t5 = orderer_->commit_block();
  auto calls = log.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_TRUE(calls[1].status.ok());
  EXPECT_EQ(calls[1].finality.id, pay.id);
  EXPECT_EQ(calls[1].finality.height, 5u);
  EXPECT_EQ(calls[1].finality.index, 1u);
  EXPECT_EQ(calls[1].finality.block_time_ms, t5);
  EXPECT_EQ(calls[1].finality.outcome, test::outcome_ok());
  EXPECT_FALSE(node_->is_pending(pay.id));

  EXPECT_EQ(balance(*node_, "alice", usd), 500'00 - 123'45);
  EXPECT_EQ(balance(*node_, "bob", usd), 123'45 + 1);
  auto asset = node_->asset(usd);
  ASSERT_TRUE(asset.has_value());
  EXPECT_EQ(asset->supply, 500'00 + 1);
  EXPECT_EQ(asset->scale, 2);
  EXPECT_FALSE(node_->asset(test::asset("EUR", "issuer")).has_value());
  EXPECT_FALSE(node_->account(test_id("nobody")).has_value());
  auto alice = node_->account(test_id("alice"));
  ASSERT_TRUE(alice.has_value());
  ASSERT_EQ(alice->holdings.size(), 1u);
  ASSERT_EQ(alice->scales.size(), 1u);
  EXPECT_EQ(alice->scales[0], 2);
  EXPECT_EQ(alice->holdings[0].holding.limit, kLimit);

  // The block as stored, and the status that names it.
  s = node_->status();
  EXPECT_EQ(s.height, 5u);
  EXPECT_EQ(s.txs_committed, 9u);
  // Everything admitted stays in the mempool, which no sequencer drains here.
  EXPECT_EQ(s.mempool_txs, 9u);
  auto b5 = node_->block(5);
  ASSERT_TRUE(b5.ok() && b5->has_value());
  const BlockInfo& info = **b5;
  EXPECT_EQ(info.block.header.height, 5u);
  EXPECT_EQ(info.block.header.time_ms, t5);
  EXPECT_EQ(info.block.header.tx_count, 2u);
  ASSERT_EQ(info.block.txs.size(), 2u);
  EXPECT_EQ(info.block.txs[1].id, pay.id);
  EXPECT_EQ(info.hash, s.block_hash);
  EXPECT_EQ(info.result.state_root, s.state_root);
  ASSERT_EQ(info.result.outcomes.size(), 2u);
  auto b4 = node_->block(4);
  ASSERT_TRUE(b4.ok() && b4->has_value());
  EXPECT_EQ(info.block.header.parent_hash, (*b4)->hash);
  EXPECT_EQ(info.block.header.parent_state_root, (*b4)->result.state_root);
  auto b6 = node_->block(6);
  ASSERT_TRUE(b6.ok());
  EXPECT_FALSE(b6->has_value());

  auto rec = node_->transaction(pay.id);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((*rec)->location.height, 5u);
  EXPECT_EQ((*rec)->location.index, 1u);
  EXPECT_EQ((*rec)->envelope, ledger::encode_transaction(pay));
  EXPECT_EQ((*rec)->outcome, test::outcome_ok());
  EXPECT_EQ((*rec)->block_time_ms, t5);
  EXPECT_TRUE(node_->check_invariants().ok());
}

TEST_F(NodeTest, BlockTimeNeverGoesBackwards) {
  orderer_->commit_ok({maker_->make("alice", {op::create_account("alice")})});
  const uint64_t t1 = node_->status().block_time_ms;
  // A batch stamped earlier than its parent gets the parent's time.
  node_->commit_batch(OrderedBatch{{}, t1 - 5000});
  EXPECT_EQ(node_->status().height, 2u);
  EXPECT_EQ(node_->status().block_time_ms, t1);
}

TEST_F(NodeTest, FailedTransactionIsFinalRolledBackAndNotAppliedTwice) {
  const AssetId usd = set_up_bank(*orderer_, *maker_);
  FinalityLog log;
  // The first transfer is fine, the second overdraws: neither is applied.
  const Transaction tx =
      maker_->make("alice", {op::transfer("bob", usd, 100'00), op::transfer("bob", usd, 400'01)});
  orderer_->admit(tx, log.callback());
  orderer_->commit_block();
  ASSERT_EQ(log.count(), 1u);
  const Finality f = log.calls()[0].finality;
  EXPECT_TRUE(log.calls()[0].status.ok());
  EXPECT_EQ(f.height, 5u);
  EXPECT_EQ(f.index, 0u);
  EXPECT_EQ(f.outcome, test::outcome_failed(1, ResultCode::op_insufficient_balance));
  EXPECT_EQ(balance(*node_, "alice", usd), 500'00);
  EXPECT_EQ(balance(*node_, "bob", usd), 0);
  EXPECT_EQ(node_->asset(usd)->supply, 500'00);

  FinalityLog again;
  SubmitResult r = orderer_->submit(tx, again.callback());
  ASSERT_EQ(r.kind, Kind::already_final) << describe(r);
  EXPECT_EQ(r.final.id, tx.id);
  EXPECT_EQ(r.final.height, 5u);
  EXPECT_EQ(r.final.index, 0u);
  EXPECT_EQ(r.final.block_time_ms, f.block_time_ms);
  EXPECT_EQ(r.final.outcome, test::outcome_failed(1, ResultCode::op_insufficient_balance));
  EXPECT_EQ(again.count(), 0u);
  EXPECT_EQ(orderer_->admitted(), 0u);
}

TEST_F(NodeTest, ResubmittingAFinalTransactionAnswersItsOriginalOutcome) {
  const AssetId usd = set_up_bank(*orderer_, *maker_);
  // Valid until height 6 only, so that later resubmissions are past its window too.
  const Transaction pay = maker_->make("alice", {op::transfer("bob", usd, 10'00)}, 6);
  FinalityLog log;
  orderer_->admit(maker_->make("issuer", {op::issue("bob", "USD", 5)}));
  orderer_->admit(pay, log.callback());
  const uint64_t t5 = orderer_->commit_block();
  ASSERT_EQ(log.count(), 1u);

  for (int round = 0; round < 4; ++round) {
    const size_t mempool_before = node_->status().mempool_txs;
    FinalityLog again;
    SubmitResult r = orderer_->submit(pay, again.callback());
    ASSERT_EQ(r.kind, Kind::already_final) << "round " << round << ": " << describe(r);
    EXPECT_EQ(r.final.id, pay.id);
    EXPECT_EQ(r.final.height, 5u);
    EXPECT_EQ(r.final.index, 1u);
    EXPECT_EQ(r.final.block_time_ms, t5);
    EXPECT_EQ(r.final.outcome, test::outcome_ok());
    EXPECT_EQ(again.count(), 0u);
    EXPECT_FALSE(node_->is_pending(pay.id));
    EXPECT_EQ(node_->status().mempool_txs, mempool_before);
    // Another block passes (heights 6..9), taking the transaction past its validity window.
    orderer_->commit_ok({maker_->make("issuer", {op::issue("bob", "USD", 1)})});
  }
  EXPECT_EQ(balance(*node_, "alice", usd), 490'00);
  EXPECT_EQ(balance(*node_, "bob", usd), 10'00 + 5 + 4);
}

TEST_F(NodeTest, DuplicateWhilePendingJoinsTheFirstSubmission) {
  const AssetId usd = set_up_bank(*orderer_, *maker_);
  const Transaction pay = maker_->make("alice", {op::transfer("bob", usd, 7'00)});
  FinalityLog first;
  FinalityLog second;
  const size_t mempool_before = node_->status().mempool_txs;
  orderer_->admit(pay, first.callback());
  SubmitResult r = orderer_->submit(pay, second.callback());
  EXPECT_EQ(r.kind, Kind::already_pending) << describe(r);
  r = orderer_->submit(pay);  // No callback: joins nothing, still answered.
  EXPECT_EQ(r.kind, Kind::already_pending) << describe(r);
  EXPECT_TRUE(node_->is_pending(pay.id));
  EXPECT_EQ(node_->status().mempool_txs, mempool_before + 1);
  EXPECT_EQ(orderer_->admitted(), 1u);
  EXPECT_EQ(first.count(), 0u);

  orderer_->commit_block();
  ASSERT_EQ(first.count(), 1u);
  ASSERT_EQ(second.count(), 1u);
  for (const auto* log : {&first, &second}) {
    const auto call = log->calls()[0];
    EXPECT_TRUE(call.status.ok());
    EXPECT_EQ(call.finality.id, pay.id);
    EXPECT_EQ(call.finality.height, 5u);
    EXPECT_EQ(call.finality.index, 0u);
    EXPECT_EQ(call.finality.outcome, test::outcome_ok());
  }
  EXPECT_FALSE(node_->is_pending(pay.id));
  EXPECT_EQ(balance(*node_, "bob", usd), 7'00);  // Applied once.
  node_->stop();
  EXPECT_EQ(first.count(), 1u);
  EXPECT_EQ(second.count(), 1u);
}

struct RejectionCase {
  std::string name;
  Transaction tx;
  ResultCode code;
  uint32_t op_index = 0;
  ResultCode op_code = ResultCode::ok;
};

TEST_F(NodeTest, RejectionsQueueNothing) {
  const AssetId usd = set_up_bank(*orderer_, *maker_);
  const uint64_t h = node_->status().height;  // 4
  std::vector<RejectionCase> cases;

  Transaction bad_sig = maker_->make("alice", {op::transfer("bob", usd, 1'00)});
  bad_sig.signatures[0].signature.bytes[10] ^= 0x01;
  cases.push_back({"bad signature", bad_sig, ResultCode::tx_bad_signature});

  cases.push_back({"unknown source", maker_->make("mallory", {op::transfer("bob", usd, 1'00)}),
                   ResultCode::tx_source_not_found});

  cases.push_back(
      {"unknown destination",
       maker_->make("alice", {op::transfer("bob", usd, 1'00), op::transfer("nobody", usd, 1'00)}),
       ResultCode::tx_failed, 1, ResultCode::op_account_not_found});

  cases.push_back({"unknown asset",
                   maker_->make("alice", {op::transfer("bob", test::asset("EUR", "issuer"), 1)}),
                   ResultCode::tx_failed, 0, ResultCode::op_asset_not_found});

  Transaction wrong_net;
  wrong_net.network_id = network_id_for_name("another-network");
  wrong_net.source = test_id("alice");
  wrong_net.nonce = 99;
  wrong_net.valid_until_height = h + 10;
  wrong_net.ops = {op::transfer("bob", usd, 1'00)};
  wrong_net.sign(test_key("alice"));
  cases.push_back({"wrong network", wrong_net, ResultCode::tx_wrong_network});

  cases.push_back({"expired", maker_->make("alice", {op::transfer("bob", usd, 1'00)}, h - 1),
                   ResultCode::tx_expired});
  cases.push_back({"validity too long",
                   maker_->make("alice", {op::transfer("bob", usd, 1'00)},
                                h + ledger::tx_validity_blocks_max + 2),
                   ResultCode::tx_validity_too_long});

  Transaction unknown_signer = maker_->make("alice", {op::transfer("bob", usd, 1'00)});
  unknown_signer.signatures.clear();
  unknown_signer.sign(test_key("bob"));
  cases.push_back(
      {"signed by a key that is not a signer", unknown_signer, ResultCode::tx_unknown_signer});

  cases.push_back(
      {"zero amount",
       maker_->make("alice", {op::transfer("bob", usd, 1), op::transfer("bob", usd, 0)}),
       ResultCode::tx_malformed, 1, ResultCode::op_invalid_amount});

  Transaction no_ops = maker_->make("alice", {op::transfer("bob", usd, 1)});
  no_ops.ops.clear();
  no_ops.signatures.clear();
  no_ops.sign(test_key("alice"));
  cases.push_back({"no operations", no_ops, ResultCode::tx_no_operations});

  const NodeStatus before = node_->status();
  FinalityLog log;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    SubmitResult r = orderer_->submit(c.tx, log.callback());
    EXPECT_EQ(r.kind, Kind::rejected) << describe(r);
    EXPECT_EQ(r.code, c.code) << describe(r);
    EXPECT_EQ(r.op_index, c.op_index) << describe(r);
    EXPECT_EQ(r.op_code, c.op_code) << describe(r);
    EXPECT_FALSE(node_->is_pending(c.tx.id));
    EXPECT_EQ(node_->status().mempool_txs, before.mempool_txs);
    EXPECT_EQ(node_->status().mempool_ops, before.mempool_ops);
  }
  EXPECT_EQ(orderer_->admitted(), 0u);
  EXPECT_EQ(node_->status().state_root, before.state_root);
  EXPECT_EQ(node_->status().height, before.height);
  // Nothing is waiting for any of them: stopping the node calls no callback.
  node_->stop();
  EXPECT_EQ(log.count(), 0u);
}

TEST_F(NodeTest, DuplicateSubmissionIsNotVerifiedAgain) {
  const AssetId usd = set_up_bank(*orderer_, *maker_);
  const Transaction pay = maker_->make("alice", {op::transfer("bob", usd, 7'00)});
  const Bytes envelope = ledger::encode_transaction(pay);
  const uint64_t before = node_->status().admission_verifications;
  FinalityLog log;
  orderer_->admit(pay, log.callback());
  EXPECT_EQ(node_->status().admission_verifications, before + 1);

  // A client's retry and a copy a peer forwards carry the signatures verified already.
  SubmitResult r = orderer_->submit(pay, log.callback());
  EXPECT_EQ(r.kind, Kind::already_pending) << describe(r);
  r = node_->submit_forwarded(pay, envelope);
  EXPECT_EQ(r.kind, Kind::already_pending) << describe(r);
  EXPECT_EQ(node_->status().admission_verifications, before + 1);

  // The same body under a signature that does not verify is verified, and refused.
  Transaction forged = pay;
  forged.signatures[0].signature.bytes[3] ^= 0x01;
  r = orderer_->submit(forged, log.callback());
  EXPECT_EQ(r.kind, Kind::rejected) << describe(r);
  EXPECT_EQ(r.code, ResultCode::tx_bad_signature) << describe(r);
  EXPECT_EQ(node_->status().admission_verifications, before + 2);

  // Under another valid signature list it is verified, then joins the first submission.
  Transaction cosigned = pay;
  cosigned.sign(test_key("bob"));
  r = orderer_->submit(cosigned);
  EXPECT_EQ(r.kind, Kind::already_pending) << describe(r);
  EXPECT_EQ(node_->status().admission_verifications, before + 3);

  orderer_->commit_block();
  ASSERT_EQ(log.count(), 2u);
  for (const auto& call : log.calls()) EXPECT_EQ(call.finality.outcome, test::outcome_ok());
  EXPECT_EQ(balance(*node_, "bob", usd), 7'00);  // Applied once.
}

TEST_F(NodeTest, ABlockCarryingAnAdmittedIdUnderOtherSignaturesIsVerifiedFromItsBytes) {
  NodeConfig c = memory_config();
  c.mode = NodeConfig::Mode::bft;  // Admission records verified signatures for execution.
  open(c);
  const AssetId usd = set_up_bank(*orderer_, *maker_);
  const Transaction pay = maker_->make("alice", {op::transfer("bob", usd, 7'00)});
  const Bytes envelope = ledger::encode_transaction(pay);
  FinalityLog log;
  ASSERT_EQ(node_->submit(pay, envelope, log.callback()).kind, Kind::accepted);
  // The orderer holds it decoded, as admission made it.
  PendingTxs pending;
  auto decoded = ledger::decode_transaction(envelope);
  ASSERT_TRUE(decoded.ok());
  ASSERT_TRUE(pending.add(std::move(decoded).value(), envelope));

  // A Byzantine leader's block carries the same id under a forged signature.
  Transaction forged = pay;
  forged.signatures[0].signature.bytes[5] ^= 0x01;
  auto txs = pending.take_payload(ledger::encode_payload({ledger::encode_transaction(forged)}));
  ASSERT_TRUE(txs.has_value());
  ASSERT_EQ(txs->size(), 1u);
  OrderedBatch batch{std::move(*txs), node_->status().block_time_ms + 1'000};
  batch.verify_signatures = true;
  node_->commit_batch(std::move(batch));
  ASSERT_EQ(log.count(), 1u);
  EXPECT_EQ(log.calls()[0].finality.outcome.code, ResultCode::tx_bad_signature);
  EXPECT_EQ(balance(*node_, "bob", usd), 0);
  EXPECT_EQ(balance(*node_, "alice", usd), 500'00);
}

TEST_F(NodeTest, FullMempoolRefusesBeforeVerifying) {
  NodeConfig c = memory_config();
  c.mempool_txs_max = 2;
  open(c);
  // commit_ok admitted two into the mempool, which no sequencer drains here: it is full.
  const Transaction issuer = maker_->make("issuer", {op::create_account("issuer")});
  orderer_->commit_ok({issuer, maker_->make("alice", {op::create_account("alice")})});
  const uint64_t before = node_->status().admission_verifications;
  // A transaction final earlier still answers with its result while the mempool is full.
  SubmitResult final_again = orderer_->submit(issuer);
  EXPECT_EQ(final_again.kind, Kind::already_final) << describe(final_again);
  Transaction extra = maker_->make("bob", {op::create_account("bob")});
  SubmitResult r = orderer_->submit(extra);
  EXPECT_EQ(r.kind, Kind::unavailable) << describe(r);
  // Nothing is accepted either way; a signature that does not verify is refused as such once
  // there is room (RejectionsQueueNothing).
  extra.signatures[0].signature.bytes[0] ^= 0x01;
  r = orderer_->submit(extra);
  EXPECT_EQ(r.kind, Kind::unavailable) << describe(r);
  EXPECT_FALSE(node_->is_pending(extra.id));
  EXPECT_EQ(node_->status().admission_verifications, before);
}

TEST_F(NodeTest, ForwardedTransactionSkipsTheReferenceCheckAndFailsInItsBlock) {
  const AssetId usd = set_up_bank(*orderer_, *maker_);
  const Transaction pay = maker_->make("alice", {op::transfer("carol", usd, 25'00)});
  const Bytes envelope = ledger::encode_transaction(pay);
  // From a client, a missing reference is answered at once.
  SubmitResult r = orderer_->submit(pay);
  ASSERT_EQ(r.kind, Kind::rejected) << describe(r);
  EXPECT_EQ(r.op_code, ResultCode::op_account_not_found);
  // Forwarded by the validator its client used, it is admitted (that validator answered the
  // client), and the block that carries it checks the reference when it executes.
  r = node_->submit_forwarded(pay, envelope);
  ASSERT_EQ(r.kind, Kind::accepted) << describe(r);
  EXPECT_TRUE(node_->is_pending(pay.id));
  std::vector<PendingTx> txs{PendingTx{pay, envelope}};
  node_->commit_batch(OrderedBatch{std::move(txs), node_->status().block_time_ms + 1'000});
  auto rec = node_->transaction(pay.id);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((*rec)->outcome.code, ResultCode::tx_failed);
  EXPECT_EQ((*rec)->outcome.op_code, ResultCode::op_account_not_found);
  EXPECT_EQ(balance(*node_, "alice", usd), 500'00);
  EXPECT_FALSE(node_->is_pending(pay.id));

  // The precheck still runs for forwarded transactions: one that can never apply stays out.
  Transaction unknown_signer = maker_->make("alice", {op::transfer("bob", usd, 1'00)});
  unknown_signer.signatures.clear();
  unknown_signer.sign(test_key("bob"));
  r = node_->submit_forwarded(unknown_signer, ledger::encode_transaction(unknown_signer));
  EXPECT_EQ(r.kind, Kind::rejected) << describe(r);
  EXPECT_EQ(r.code, ResultCode::tx_unknown_signer) << describe(r);
}

TEST_F(NodeTest, AForwardOfAnOrderedOrExecutedTransactionIsDroppedBeforeVerifying) {
  const AssetId usd = set_up_bank(*orderer_, *maker_);
  const Transaction pay = maker_->make("alice", {op::transfer("bob", usd, 7'00)});
  const Bytes envelope = ledger::encode_transaction(pay);
  const uint64_t before = node_->status().admission_verifications;
  // Consensus committed a block carrying it, which this node has not executed yet: a peer's
  // forward arriving now is dropped unverified (the block verifies it as it executes).
  node_->note_ordered({pay.id});
  SubmitResult r = node_->submit_forwarded(pay, envelope);
  EXPECT_EQ(r.kind, Kind::already_pending) << describe(r);
  EXPECT_FALSE(node_->is_pending(pay.id));
  EXPECT_EQ(node_->status().admission_verifications, before);

  std::vector<PendingTx> txs{PendingTx{pay, envelope}};
  OrderedBatch batch{std::move(txs), node_->status().block_time_ms + 1'000};
  batch.verify_signatures = true;
  node_->commit_batch(std::move(batch));
  EXPECT_EQ(balance(*node_, "bob", usd), 7'00);
  // Executed: the block let go of its ids, and the replay check refuses a late forward, still
  // before any signature is verified.
  r = node_->submit_forwarded(pay, envelope);
  EXPECT_EQ(r.kind, Kind::rejected) << describe(r);
  EXPECT_EQ(r.code, ResultCode::tx_duplicate) << describe(r);
  EXPECT_EQ(node_->status().admission_verifications, before);

  // Any other forward is verified as before.
  const Transaction next = maker_->make("alice", {op::transfer("bob", usd, 1'00)});
  r = node_->submit_forwarded(next, ledger::encode_transaction(next));
  EXPECT_EQ(r.kind, Kind::accepted) << describe(r);
  EXPECT_EQ(node_->status().admission_verifications, before + 1);
}

TEST_F(NodeTest, RejectedReferenceDoesNotConsumeTheId) {
  const AssetId usd = set_up_bank(*orderer_, *maker_);
  const Transaction pay = maker_->make("alice", {op::transfer("carol", usd, 25'00)});
  SubmitResult r = orderer_->submit(pay);
  ASSERT_EQ(r.kind, Kind::rejected) << describe(r);
  EXPECT_EQ(r.code, ResultCode::tx_failed);
  EXPECT_EQ(r.op_index, 0u);
  EXPECT_EQ(r.op_code, ResultCode::op_account_not_found);

  // Once carol exists and holds USD, the very same transaction is accepted and applied.
  orderer_->commit_ok({maker_->make("carol", {op::create_account("carol")})});
  orderer_->commit_ok({maker_->make("carol", {op::open_holding(usd, kLimit)})});
  FinalityLog log;
  orderer_->admit(pay, log.callback());
  orderer_->commit_block();
  ASSERT_EQ(log.count(), 1u);
  EXPECT_EQ(log.calls()[0].finality.outcome, test::outcome_ok());
  EXPECT_EQ(balance(*node_, "carol", usd), 25'00);
}

TEST_F(NodeTest, ValidityWindowBoundsAtAdmission) {
  const AssetId usd = set_up_bank(*orderer_, *maker_);
  const uint64_t h = node_->status().height;
  FinalityLog log;
  // The longest window allowed is accepted and applied.
  orderer_->admit(
      maker_->make("alice", {op::transfer("bob", usd, 1)}, h + ledger::tx_validity_blocks_max),
      log.callback());
  // So is one valid until exactly the next block.
  orderer_->admit(maker_->make("alice", {op::transfer("bob", usd, 2)}, h + 1), log.callback());
  orderer_->commit_block();
  ASSERT_EQ(log.count(), 2u);
  EXPECT_EQ(log.calls()[0].finality.outcome, test::outcome_ok());
  EXPECT_EQ(log.calls()[1].finality.outcome, test::outcome_ok());
}

// A transaction valid until the current height can never be applied: the next block is one
// higher. Admission must refuse it as expired rather than accept it and report it final as
// tx_expired one block later.
TEST_F(NodeTest, AdmissionRefusesATransactionThatExpiresBeforeTheNextBlock) {
  const AssetId usd = set_up_bank(*orderer_, *maker_);
  const uint64_t h = node_->status().height;
  FinalityLog log;
  const Transaction late = maker_->make("alice", {op::transfer("bob", usd, 1)}, h);
  SubmitResult r = orderer_->submit(late, log.callback());
  EXPECT_EQ(r.kind, Kind::rejected) << describe(r);
  EXPECT_EQ(r.code, ResultCode::tx_expired) << describe(r);
  EXPECT_FALSE(node_->is_pending(late.id));
  orderer_->commit_block();
  // Refused, so it never becomes final (today it is reported final with tx_expired).
  EXPECT_EQ(log.count(), 0u);
}

TEST_F(NodeTest, FullMempoolAnswersUnavailableAndQueuesNothing) {
  NodeConfig c = memory_config();
  c.mempool_txs_max = 2;
  open(c);
  orderer_->commit_ok({maker_->make("issuer", {op::create_account("issuer")}),
                       maker_->make("alice", {op::create_account("alice")})});
  // commit_ok admitted two into the mempool, which no sequencer drains here: it is full.
  const Transaction extra = maker_->make("bob", {op::create_account("bob")});
  FinalityLog log;
  SubmitResult r = orderer_->submit(extra, log.callback());
  EXPECT_EQ(r.kind, Kind::unavailable) << describe(r);
  EXPECT_FALSE(r.message.empty());
  EXPECT_FALSE(node_->is_pending(extra.id));
  EXPECT_EQ(node_->status().mempool_txs, 2u);
  node_->stop();
  EXPECT_EQ(log.count(), 0u);
}

TEST_F(NodeTest, RefusedWhenFullIsAcceptedOnceTheSequencerDrainsTheMempool) {
  NodeConfig c = memory_config();
  c.mempool_ops_max = 3;
  open(c);
  FinalityLog log;
  const Transaction a = maker_->make("alice", {op::create_account("alice")});
  const Transaction b = maker_->make("bob", {op::create_account("bob")});
  const Transaction d = maker_->make("dave", {op::create_account("dave")});
  const Transaction e = maker_->make("erin", {op::create_account("erin")});
  EXPECT_EQ(node_->submit(a, ledger::encode_transaction(a), log.callback()).kind, Kind::accepted);
  EXPECT_EQ(node_->submit(b, ledger::encode_transaction(b), log.callback()).kind, Kind::accepted);
  EXPECT_EQ(node_->submit(d, ledger::encode_transaction(d), log.callback()).kind, Kind::accepted);
  EXPECT_EQ(node_->status().mempool_ops, 3u);
  SubmitResult r = node_->submit(e, ledger::encode_transaction(e), log.callback());
  EXPECT_EQ(r.kind, Kind::unavailable) << describe(r);
  EXPECT_FALSE(node_->is_pending(e.id));

  node_->start();
  ASSERT_TRUE(log.wait_for(3)) << "the sequencer did not commit the queued transactions";
  // Retrying the refused transaction now succeeds.
  r = node_->submit(e, ledger::encode_transaction(e), log.callback());
  EXPECT_EQ(r.kind, Kind::accepted) << describe(r);
  ASSERT_TRUE(log.wait_for(4));
  auto calls = log.calls();
  ASSERT_EQ(calls.size(), 4u);
  std::set<Hash256> ids;
  for (const auto& call : calls) {
    EXPECT_TRUE(call.status.ok()) << call.status.to_string();
    EXPECT_EQ(call.finality.outcome, test::outcome_ok());
    ids.insert(call.finality.id);
  }
  EXPECT_EQ(ids, (std::set<Hash256>{a.id, b.id, d.id, e.id}));
  EXPECT_EQ(node_->status().accounts, 4u);
}

TEST_F(NodeTest, StopFailsEveryPendingWaiterWithUnavailable) {
  const Transaction a = maker_->make("alice", {op::create_account("alice")});
  const Transaction b = maker_->make("bob", {op::create_account("bob")});
  FinalityLog log_a;
  FinalityLog log_b;
  orderer_->admit(a, log_a.callback());
  orderer_->admit(b, log_b.callback());
  EXPECT_EQ(orderer_->submit(a, log_a.callback()).kind, Kind::already_pending);

  node_->stop();
  ASSERT_EQ(log_a.count(), 2u);
  ASSERT_EQ(log_b.count(), 1u);
  for (const auto& call : log_a.calls()) {
    EXPECT_EQ(call.status.code(), StatusCode::unavailable);
    EXPECT_EQ(call.finality.id, a.id);
  }
  EXPECT_EQ(log_b.calls()[0].status.code(), StatusCode::unavailable);
  EXPECT_EQ(log_b.calls()[0].finality.id, b.id);
  EXPECT_FALSE(node_->is_pending(a.id));

  // A stopped node takes nothing new, and calls nothing twice.
  FinalityLog late;
  const Transaction c = maker_->make("carol", {op::create_account("carol")});
  SubmitResult r = node_->submit(c, ledger::encode_transaction(c), late.callback());
  EXPECT_EQ(r.kind, Kind::unavailable) << describe(r);
  EXPECT_FALSE(r.message.empty());
  node_->stop();
  EXPECT_EQ(log_a.count(), 2u);
  EXPECT_EQ(log_b.count(), 1u);
  EXPECT_EQ(late.count(), 0u);
  EXPECT_EQ(node_->status().height, 0u);
}

TEST_F(NodeTest, StopOfAStartedNodeFailsOrFinalizesEveryWaiterOnce) {
  node_->start();
  FinalityLog log;
  std::vector<Transaction> txs;
  for (int i = 0; i < 20; ++i) {
    txs.push_back(
        maker_->make("user" + std::to_string(i), {op::create_account("user" + std::to_string(i))}));
    SubmitResult r =
        node_->submit(txs.back(), ledger::encode_transaction(txs.back()), log.callback());
    EXPECT_EQ(r.kind, Kind::accepted) << describe(r);
  }
  node_->stop();
  // Every waiter got exactly one answer: final (ok) or unavailable, never both.
  ASSERT_TRUE(log.wait_for(txs.size()));
  auto calls = log.calls();
  EXPECT_EQ(calls.size(), txs.size());
  std::map<Hash256, int> answers;
  size_t finals = 0;
  for (const auto& call : calls) {
    ++answers[call.finality.id];
    if (call.status.ok()) {
      EXPECT_EQ(call.finality.outcome, test::outcome_ok());
      ++finals;
    } else {
      EXPECT_EQ(call.status.code(), StatusCode::unavailable);
    }
  }
  for (const auto& tx : txs) EXPECT_EQ(answers[tx.id], 1);
  EXPECT_EQ(node_->status().accounts, finals);
}

// ---------------------------------------------------------------------------------------------
// Crash recovery on the MemKvStore.

struct Snapshot {
  NodeStatus status;
  std::vector<Hash256> block_hashes;  // [h - 1]
  std::map<Hash256, Finality> finals;
};

class NodeCrashTest : public NodeTest {
 protected:
  // The height of the state checkpoint in the store, once the node's writer has finished:
  // checkpoints are written on a thread of their own, after their block.
  // Commits one transfer a block, the blocks `expected` names in order, checking after each
  // the height of the stored checkpoint it gives; then opens another node on the store with no
  // stop, as after a crash, which must come to the same head and state.
  void expect_checkpoints_then_crash(const NodeConfig& c,
                                     const std::vector<std::pair<uint64_t, uint64_t>>& expected) {
    for (const auto& [height, at] : expected) {
      commit_recorded({maker_->make("bob", {op::transfer("alice", usd_, 1'00 + height)})});
      ASSERT_EQ(node_->status().height, height);
      EXPECT_EQ(stored_checkpoint_height(), at) << "after block " << height;
    }
    auto reopened = Node::open(c, kv_);
    ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
    EXPECT_EQ((*reopened)->status().height, expected.back().first);
    EXPECT_EQ((*reopened)->status().state_root, node_->status().state_root);
    EXPECT_TRUE((*reopened)->check_invariants().ok());
  }
  uint64_t stored_checkpoint_height() {
    if (node_) node_->wait_for_checkpoint();
    auto checkpoint = ChainStore(*kv_).checkpoint();
    EXPECT_TRUE(checkpoint.ok()) << checkpoint.status().to_string();
    return checkpoint.ok() ? checkpoint->height : UINT64_MAX;
  }
  // Commits one block of `txs`, recording their finality, and checks that the block was synced.
  void commit_recorded(const std::vector<Transaction>& txs) {
    const uint64_t syncs = kv_->sync_count();
    FinalityLog log;
    for (const auto& tx : txs) orderer_->admit(tx, log.callback());
    orderer_->commit_block();
    ASSERT_EQ(log.count(), txs.size());
    for (const auto& call : log.calls()) {
      EXPECT_TRUE(call.status.ok());
      snap_.finals[call.finality.id] = call.finality;
    }
    // One synced write for the block, and one more at a checkpoint height, written after it on
    // the checkpoint writer's thread.
    node_->wait_for_checkpoint();
    EXPECT_EQ(kv_->unsynced_batches(), 0u);
    EXPECT_GE(kv_->sync_count(), syncs + 1);
    EXPECT_LE(kv_->sync_count(), syncs + 2);
    snap_.status = node_->status();
    snap_.block_hashes.push_back(snap_.status.block_hash);
  }

  void build_history() {
    usd_ = test::asset("USD", "issuer");
    commit_recorded({maker_->make("issuer", {op::create_account("issuer")}),
                     maker_->make("alice", {op::create_account("alice")}),
                     maker_->make("bob", {op::create_account("bob")})});
    commit_recorded({maker_->make("issuer", {op::create_asset("USD", 2)})});
    commit_recorded({maker_->make("alice", {op::open_holding(usd_, kLimit)}),
                     maker_->make("bob", {op::open_holding(usd_, kLimit)})});
    commit_recorded({maker_->make("issuer", {op::issue("alice", "USD", 900'00)})});
    commit_recorded({maker_->make("alice", {op::transfer("bob", usd_, 300'00)}),
                     maker_->make("alice", {op::transfer("bob", usd_, 700'00)}),  // Fails.
                     maker_->make("bob", {op::transfer("alice", usd_, 1'00)})});
  }

  // Checks that the reopened node answers exactly as the recorded one did.
  void expect_recovered() {
    NodeStatus s = node_->status();
    EXPECT_EQ(s.height, snap_.status.height);
    EXPECT_EQ(s.state_root, snap_.status.state_root);
    EXPECT_EQ(s.block_hash, snap_.status.block_hash);
    EXPECT_EQ(s.block_time_ms, snap_.status.block_time_ms);
    EXPECT_EQ(s.accounts, snap_.status.accounts);
    EXPECT_EQ(s.assets, snap_.status.assets);
    EXPECT_EQ(s.holdings, snap_.status.holdings);
    EXPECT_TRUE(node_->check_invariants().ok());
    for (uint64_t h = 1; h <= snap_.block_hashes.size(); ++h) {
      auto b = node_->block(h);
      ASSERT_TRUE(b.ok()) << b.status().to_string();
      ASSERT_TRUE(b->has_value()) << "block " << h << " lost";
      EXPECT_EQ((*b)->hash, snap_.block_hashes[h - 1]);
      EXPECT_EQ((*b)->block.header.height, h);
    }
    for (const auto& [id, f] : snap_.finals) {
      auto rec = node_->transaction(id);
      ASSERT_TRUE(rec.ok()) << rec.status().to_string();
      ASSERT_TRUE(rec->has_value()) << "transaction " << id.hex() << " lost";
      EXPECT_EQ((*rec)->location.height, f.height);
      EXPECT_EQ((*rec)->location.index, f.index);
      EXPECT_EQ((*rec)->outcome, f.outcome);
      EXPECT_EQ((*rec)->block_time_ms, f.block_time_ms);
    }
  }

  AssetId usd_;
  Snapshot snap_;
};

TEST_F(NodeCrashTest, EveryCommittedBlockSurvivesLosingAllUnsyncedWrites) {
  build_history();
  EXPECT_EQ(snap_.status.height, 5u);
  EXPECT_EQ(balance(*node_, "alice", usd_), 601'00);
  close();
  kv_->crash_lose_all_unsynced();
  open(config_);
  expect_recovered();
  EXPECT_EQ(balance(*node_, "alice", usd_), 601'00);
  EXPECT_EQ(balance(*node_, "bob", usd_), 299'00);

  // Replay protection survived too: every recorded transaction answers already_final.
  for (const auto& [id, f] : snap_.finals) {
    auto rec = node_->transaction(id);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    auto tx = ledger::decode_transaction((*rec)->envelope);
    ASSERT_TRUE(tx.ok());
    SubmitResult r = node_->submit(*tx, (*rec)->envelope);
    EXPECT_EQ(r.kind, Kind::already_final) << describe(r);
    EXPECT_EQ(r.final.height, f.height);
    EXPECT_EQ(r.final.outcome, f.outcome);
  }
  // And the chain continues from the recovered head.
  FinalityLog log;
  orderer_->admit(maker_->make("bob", {op::transfer("alice", usd_, 9'00)}), log.callback());
  orderer_->commit_block();
  ASSERT_EQ(log.count(), 1u);
  EXPECT_EQ(log.calls()[0].finality.height, 6u);
  auto b6 = node_->block(6);
  ASSERT_TRUE(b6.ok() && b6->has_value());
  EXPECT_EQ((*b6)->block.header.parent_hash, snap_.status.block_hash);
  EXPECT_EQ((*b6)->block.header.parent_state_root, snap_.status.state_root);
}

TEST_F(NodeCrashTest, EveryCommittedBlockSurvivesSeededCrashes) {
  build_history();
  for (uint64_t seed : {0ull, 1ull, 2ull, 3ull, 17ull, 4242ull, 0xdeadbeefull}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    close();
    kv_->crash(seed);
    open(config_);
    expect_recovered();
    // Grow the history between crashes, so each seed sees a different store.
    const std::string name = "user" + std::to_string(seed);
    commit_recorded({maker_->make(name, {op::create_account(name)}),
                     maker_->make("alice", {op::transfer("bob", usd_, 1)})});
  }
  EXPECT_EQ(node_->status().height, 12u);
}

// The state is written every few blocks; a node that dies between checkpoints (no clean stop,
// which would write one) re-executes the blocks above the last checkpoint on open.
TEST_F(NodeCrashTest, BlocksAboveTheCheckpointAreReExecutedOnOpen) {
  close();
  NodeConfig c = memory_config();
  c.checkpoint_blocks = 3;
  open(c);
  build_history();  // Blocks 1-5: the checkpoint is at block 3.
  // Checkpoints are written on a thread of their own, after their block.
  node_->wait_for_checkpoint();
  auto checkpoint = ChainStore(*kv_).checkpoint();
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().to_string();
  EXPECT_EQ(checkpoint->height, 3u);
  // What a crash leaves: everything synced so far, with no stop. Another node opened on the
  // same store sees exactly that while the first is still running.
  auto reopened = Node::open(config_, kv_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  NodeStatus s = (*reopened)->status();
  EXPECT_EQ(s.height, snap_.status.height);
  EXPECT_EQ(s.state_root, snap_.status.state_root);
  EXPECT_EQ(balance(**reopened, "alice", usd_), 601'00);
  EXPECT_EQ(balance(**reopened, "bob", usd_), 299'00);
  EXPECT_TRUE((*reopened)->check_invariants().ok());
  // Replay protection was re-derived too.
  for (const auto& [id, f] : snap_.finals) {
    auto rec = (*reopened)->transaction(id);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    auto tx = ledger::decode_transaction((*rec)->envelope);
    ASSERT_TRUE(tx.ok());
    EXPECT_EQ((*reopened)->submit(*tx, (*rec)->envelope).kind, Kind::already_final);
  }
  // A clean stop writes the checkpoint at the head.
  (*reopened)->stop();
  checkpoint = ChainStore(*kv_).checkpoint();
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(checkpoint->height, 5u);
}

// State checkpoints fall on the multiples of checkpoint_blocks, where state sync snapshots are
// taken, also after a reopen at a height between them: a clean stop writes one at its head, and
// the next is still written at the next multiple, not checkpoint_blocks after the stop's.
TEST_F(NodeCrashTest, CheckpointsFallOnMultiplesAfterAReopenAtAnUnalignedHeight) {
  close();
  NodeConfig c = memory_config();
  c.checkpoint_blocks = 4;
  open(c);
  build_history();  // Blocks 1-5: a checkpoint at 4.
  EXPECT_EQ(stored_checkpoint_height(), 4u);
  close();  // A clean stop.
  EXPECT_EQ(stored_checkpoint_height(), 5u);
  open(c);
  expect_recovered();
  // Block h, then where the checkpoint is: at 8 and 12 (counted from 5 it would be 9 and 13).
  const std::vector<std::pair<uint64_t, uint64_t>> expected = {
      {6, 5}, {7, 5}, {8, 8}, {9, 8}, {10, 8}, {11, 8}, {12, 12}, {13, 12}};
  // A crash after them (another node opened on the store, with no stop) starts from the
  // checkpoint at 12, re-executes block 13 and gets to the same state.
  expect_checkpoints_then_crash(c, expected);
}

// With an offset, checkpoints fall that many blocks past the multiples of checkpoint_blocks
// (validators given offsets apart do not all pause for a checkpoint at once), also after a
// reopen between them; a crash then starts from the last of them and gets to the same head.
TEST_F(NodeCrashTest, CheckpointsFallPastTheMultiplesByTheirOffset) {
  close();
  NodeConfig c = memory_config();
  c.checkpoint_blocks = 4;
  c.checkpoint_offset_blocks = 2;
  open(c);
  build_history();  // Blocks 1-5: a checkpoint at 2 (and none at 4).
  EXPECT_EQ(stored_checkpoint_height(), 2u);
  close();  // A clean stop writes one at its head.
  EXPECT_EQ(stored_checkpoint_height(), 5u);
  open(c);
  expect_recovered();
  // Block h, then where the checkpoint is: at 6 and 10, four apart from the offset of 2.
  const std::vector<std::pair<uint64_t, uint64_t>> expected = {{6, 6}, {7, 6},   {8, 6},
                                                               {9, 6}, {10, 10}, {11, 10}};
  expect_checkpoints_then_crash(c, expected);
}

// With a state root interval of 3 the head's root changes only at multiples of 3, and the
// state is written to the store only there: a checkpoint due at 2 (checkpoint_blocks) waits
// for 3, and a clean stop at a height between root heights writes none, so the reopened node
// re-executes the blocks above the last root height and gets to the same head.
TEST_F(NodeCrashTest, WithAStateRootIntervalTheStateIsStoredOnlyAtRootHeights) {
  close();
  NodeConfig c = memory_config();
  c.checkpoint_blocks = 2;
  c.state_root_interval_blocks = 3;
  c.state_sync_snapshot_interval_blocks = 6;
  open(c);
  const Hash256 genesis_root = node_->status().state_root;
  build_history();  // Blocks 1-5.
  auto root_at = [&](uint64_t height) {
    auto b = node_->block(height);
    EXPECT_TRUE(b.ok() && b->has_value());
    return b.ok() && b->has_value() ? (*b)->result.state_root : Hash256{};
  };
  // Blocks 1 and 2 report the root of height 0; 3 a new one, which 4 and 5 report again.
  EXPECT_EQ(root_at(1), genesis_root);
  EXPECT_EQ(root_at(2), genesis_root);
  EXPECT_NE(root_at(3), genesis_root);
  EXPECT_EQ(root_at(4), root_at(3));
  EXPECT_EQ(root_at(5), root_at(3));
  EXPECT_EQ(node_->status().state_root, root_at(3));
  EXPECT_EQ(stored_checkpoint_height(), 3u);
  close();  // A clean stop at 5, between root heights.
  EXPECT_EQ(stored_checkpoint_height(), 3u);
  open(c);
  expect_recovered();
  commit_recorded({maker_->make("bob", {op::transfer("alice", usd_, 2'00)})});
  EXPECT_EQ(node_->status().height, 6u);
  EXPECT_NE(node_->status().state_root, root_at(3));
  EXPECT_EQ(stored_checkpoint_height(), 6u);
  EXPECT_EQ(balance(*node_, "alice", usd_), 603'00);
}

// The interval must divide the state sync snapshot interval, and stay within its limit.
TEST_F(NodeCrashTest, AStateRootIntervalThatDoesNotFitIsRefused) {
  NodeConfig c = memory_config();
  c.state_root_interval_blocks = 5;  // The snapshot interval is 64.
  auto n = Node::open(c, std::make_shared<storage::MemKvStore>());
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::invalid_argument);
  c.state_root_interval_blocks = ledger::state_root_interval_blocks_max * 2;
  c.state_sync_snapshot_interval_blocks = 0;
  EXPECT_FALSE(Node::open(c, std::make_shared<storage::MemKvStore>()).ok());
  c.state_root_interval_blocks = 0;
  EXPECT_FALSE(Node::open(c, std::make_shared<storage::MemKvStore>()).ok());
}

// A holding changed since the last root height has no proof against that root: the request
// waits for the next root height and is answered there, once that block is durable, with that
// height's root. One that did not change is answered at once, against the last root; one still
// waiting when the node stops is answered unavailable. (ManualOrderer commits on this thread,
// so every answer comes in order, on this thread.)
TEST_F(NodeTest, AProofOfAHoldingChangedSinceTheLastRootWaitsForTheNextRootHeight) {
  close();
  NodeConfig c = memory_config();
  c.state_root_interval_blocks = 4;
  open(c);
  const AssetId usd = set_up_bank(*orderer_, *maker_);  // Blocks 1-4.
  ASSERT_EQ(node_->status().height, 4u);
  using Answer = Result<std::optional<HoldingProofInfo>>;
  std::vector<Answer> answers;
  auto prove = [&](std::string_view holder) {
    node_->prove_holding(test_id(holder), usd, [&](Answer a) { answers.push_back(std::move(a)); });
  };
  prove("alice");
  ASSERT_EQ(answers.size(), 1u);
  ASSERT_TRUE(answers[0].ok() && answers[0]->has_value());
  EXPECT_EQ((*answers[0])->height, 4u);
  EXPECT_TRUE(ledger::verify_holding_proof(node_->status().state_root, (*answers[0])->proof));

  orderer_->commit_ok({maker_->make("alice", {op::transfer("bob", usd, 7'00)})});  // Block 5.
  prove("alice");
  EXPECT_EQ(answers.size(), 1u) << "answered before the next root height";
  // The issuer holds no USD: answered at once, found or waiting alike.
  prove("issuer");
  ASSERT_EQ(answers.size(), 2u);
  ASSERT_TRUE(answers[1].ok());
  EXPECT_FALSE(answers[1]->has_value());
  orderer_->commit_ok({maker_->make("bob", {op::transfer("alice", usd, 1'00)})});  // Block 6.
  orderer_->commit_ok({maker_->make("bob", {op::transfer("alice", usd, 1'00)})});  // Block 7.
  EXPECT_EQ(answers.size(), 2u);
  const Hash256 root_before = node_->status().state_root;
  orderer_->commit_ok({maker_->make("bob", {op::transfer("alice", usd, 1'00)})});  // Block 8.
  ASSERT_EQ(answers.size(), 3u);
  const Answer& proof = answers[2];
  ASSERT_TRUE(proof.ok()) << proof.status().to_string();
  ASSERT_TRUE(proof->has_value());
  EXPECT_EQ((*proof)->height, 8u);
  EXPECT_NE((*proof)->state_root, root_before);
  EXPECT_EQ((*proof)->state_root, node_->status().state_root);
  EXPECT_TRUE(ledger::verify_holding_proof((*proof)->state_root, (*proof)->proof));
  auto h = ledger::decode_holding_value((*proof)->proof.entry_value);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->balance, 500'00 - 7'00 + 3 * 1'00);

  orderer_->commit_ok({maker_->make("alice", {op::transfer("bob", usd, 1'00)})});  // Block 9.
  prove("bob");
  EXPECT_EQ(answers.size(), 3u);
  node_->stop();
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(answers[3].status().code(), StatusCode::unavailable);
  // After the stop, a proof that would wait is refused at once.
  prove("alice");
  ASSERT_EQ(answers.size(), 5u);
  EXPECT_EQ(answers[4].status().code(), StatusCode::unavailable);
}

TEST_F(NodeCrashTest, ABlockThatReExecutesDifferentlyIsRefused) {
  close();
  NodeConfig c = memory_config();
  c.checkpoint_blocks = 100;
  open(c);
  build_history();
  auto checkpoint = ChainStore(*kv_).checkpoint();
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_EQ(checkpoint->height, 0u);
  // Change the stored result of block 4 (the issuance): re-executing the block cannot match it.
  Bytes key{'O'};
  put_be64(key, 4);
  auto stored = kv_->get(key);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  auto result = ledger::decode_block_result(**stored);
  ASSERT_TRUE(result.ok());
  result->state_root.bytes[0] ^= 1;
  storage::WriteBatch batch;
  batch.put(key, ledger::encode_block_result(*result));
  ASSERT_TRUE(kv_->write(batch, true).ok());
  auto n = Node::open(config_, kv_);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::corruption) << n.status().to_string();
  EXPECT_THAT(n.status().message(), ::testing::HasSubstr("block 4"));
}

TEST_F(NodeCrashTest, StoreOfAnotherNetworkIsRefused) {
  build_history();
  close();
  auto other = Node::open(memory_config("some-other-network"), kv_);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::failed_precondition);
  EXPECT_THAT(other.status().message(), ::testing::HasSubstr("corridor-node-test"));
  // The refusal changed nothing.
  open(config_);
  expect_recovered();
}

TEST_F(NodeCrashTest, TamperedStateIsRefusedOnOpen) {
  build_history();
  close();
  // Raise bob's stored balance behind the node's back: a well-formed entry with a wrong value.
  Bytes key{'S'};
  ledger::encode_holding_key(test_id("bob"), usd_, key);
  auto stored = kv_->get(key);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  auto holding = ledger::decode_holding_value(**stored);
  ASSERT_TRUE(holding.ok());
  EXPECT_EQ(holding->balance, 299'00);
  holding->balance += 1'000'00;
  Bytes value;
  ledger::encode_holding_value(*holding, value);
  storage::WriteBatch batch;
  batch.put(key, value);
  ASSERT_TRUE(kv_->write(batch, true).ok());
  auto n = Node::open(config_, kv_);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::corruption) << n.status().to_string();
  EXPECT_THAT(n.status().message(), ::testing::HasSubstr("state root"));
}

// State sync installs a state a peer sent; the live replay ids are part of what the root
// attests, so a peer cannot make this node forget that a transaction was already applied.
TEST_F(NodeTest, ACheckpointMissingOrAlteringAReplayIdIsRefused) {
  const AssetId usd = set_up_bank(*orderer_, *maker_);
  const Transaction paid = maker_->make("alice", {op::transfer("bob", usd, 1'00)});
  orderer_->commit_ok({paid});
  const NodeStatus served = node_->status();
  auto block = node_->block_bytes(served.height);
  auto info = node_->block(served.height);
  ASSERT_TRUE(block.ok() && block->has_value() && info.ok() && info->has_value());
  const Bytes result = ledger::encode_block_result((*info)->result);
  // A clean stop writes the whole state to the store, which is what a peer serves.
  close();
  std::vector<std::pair<Bytes, Bytes>> entries;
  for (uint8_t prefix : {ledger::store_prefix_replay, ledger::store_prefix_state})
    ASSERT_TRUE(kv_->scan_prefix(Bytes{prefix},
                                 [&](ByteView k, ByteView v) {
                                   entries.emplace_back(Bytes(k.begin(), k.end()),
                                                        Bytes(v.begin(), v.end()));
                                   return true;
                                 })
                    .ok());
  const Bytes paid_key = ledger::replay_id_key({paid.valid_until_height, paid.id});
  auto paid_entry = std::find_if(entries.begin(), entries.end(),
                                 [&](const auto& e) { return e.first == paid_key; });
  ASSERT_NE(paid_entry, entries.end());

  auto install = [&](const std::vector<std::pair<Bytes, Bytes>>& offered) {
    auto fresh = Node::open(config_, std::make_shared<storage::MemKvStore>());
    EXPECT_TRUE(fresh.ok());
    Status st = (*fresh)->install_checkpoint(served.height, served.state_root, **block, result,
                                             offered, [](storage::WriteBatch&) {});
    return std::make_pair(st, std::move(fresh).value());
  };
  auto without = entries;
  without.erase(without.begin() + (paid_entry - entries.begin()));
  auto [st_without, n_without] = install(without);
  EXPECT_EQ(st_without.code(), StatusCode::corruption) << st_without.to_string();
  EXPECT_EQ(n_without->status().height, 0u);

  auto shifted = entries;
  shifted[paid_entry - entries.begin()].first =
      ledger::replay_id_key({paid.valid_until_height + 1, paid.id});
  auto [st_shifted, n_shifted] = install(shifted);
  EXPECT_EQ(st_shifted.code(), StatusCode::corruption) << st_shifted.to_string();

  // The whole state installs, and the installed node answers the payment as a duplicate.
  auto [st_whole, n_whole] = install(entries);
  ASSERT_TRUE(st_whole.ok()) << st_whole.to_string();
  EXPECT_EQ(n_whole->status().state_root, served.state_root);
  SubmitResult again = n_whole->submit(paid, ledger::encode_transaction(paid), nullptr);
  EXPECT_EQ(again.kind, Kind::rejected) << describe(again);
  EXPECT_EQ(again.code, ResultCode::tx_duplicate) << describe(again);
}

// ---------------------------------------------------------------------------------------------
// The sequencer path: start() and concurrent submissions.

// Submits and waits for finality; nullopt (with a failure) if it was not accepted or not final.
std::optional<Finality> submit_and_wait(Node& node, const Transaction& tx) {
  auto promise = std::make_shared<std::promise<std::pair<Status, Finality>>>();
  auto future = promise->get_future();
  SubmitResult r = node.submit(tx, ledger::encode_transaction(tx),
                               [promise](const Status& s, const Finality& f) {
                                 promise->set_value({s, f});
                               });
  if (r.kind != Kind::accepted) {
    ADD_FAILURE() << "not accepted: " << describe(r);
    return std::nullopt;
  }
  if (future.wait_for(kWait) != std::future_status::ready) {
    ADD_FAILURE() << "not final within the timeout";
    return std::nullopt;
  }
  auto [status, finality] = future.get();
  if (!status.ok()) {
    ADD_FAILURE() << status.to_string();
    return std::nullopt;
  }
  return finality;
}

// Submits all, then waits for all; expects every one final with ok.
void submit_all_ok(Node& node, const std::vector<Transaction>& txs) {
  FinalityLog log;
  for (const auto& tx : txs) {
    SubmitResult r = node.submit(tx, ledger::encode_transaction(tx), log.callback());
    ASSERT_EQ(r.kind, Kind::accepted) << describe(r);
  }
  ASSERT_TRUE(log.wait_for(txs.size()))
      << "only " << log.count() << " of " << txs.size() << " final";
  for (const auto& call : log.calls()) {
    EXPECT_TRUE(call.status.ok()) << call.status.to_string();
    EXPECT_EQ(call.finality.outcome, test::outcome_ok());
  }
}

TEST_F(NodeTest, SequencerMakesASubmissionFinal) {
  node_->start();
  auto f = submit_and_wait(*node_, maker_->make("alice", {op::create_account("alice")}));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->height, 1u);
  EXPECT_EQ(f->index, 0u);
  EXPECT_EQ(f->outcome, test::outcome_ok());
  EXPECT_GT(f->block_time_ms, 0u);
  EXPECT_EQ(node_->status().height, 1u);
  EXPECT_TRUE(node_->account(test_id("alice")).has_value());
}

TEST_F(NodeTest, SequencerCommitsConcurrentSubmissionsExactlyOnce) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  node_->start();
  const AssetId usd = test::asset("USD", "issuer");
  std::vector<std::string> senders;
  for (int t = 0; t < kThreads; ++t) senders.push_back("sender" + std::to_string(t));

  std::vector<Transaction> setup = {maker_->make("issuer", {op::create_account("issuer")}),
                                    maker_->make("receiver", {op::create_account("receiver")})};
  for (const auto& s : senders) setup.push_back(maker_->make(s, {op::create_account(s)}));
  ASSERT_NO_FATAL_FAILURE(submit_all_ok(*node_, setup));
  ASSERT_NO_FATAL_FAILURE(
      submit_all_ok(*node_, {maker_->make("issuer", {op::create_asset("USD", 2)})}));
  setup = {maker_->make("receiver", {op::open_holding(usd, kLimit)})};
  for (const auto& s : senders) setup.push_back(maker_->make(s, {op::open_holding(usd, kLimit)}));
  ASSERT_NO_FATAL_FAILURE(submit_all_ok(*node_, setup));
  setup.clear();
  for (const auto& s : senders)
    setup.push_back(maker_->make("issuer", {op::issue(s, "USD", 10'000'00)}));
  ASSERT_NO_FATAL_FAILURE(submit_all_ok(*node_, setup));
  const uint64_t setup_height = node_->status().height;
  const uint64_t setup_txs = node_->status().txs_committed;

  // Every callback appends to one log, in the order the node calls them.
  FinalityLog log;
  std::vector<std::vector<SubmitResult>> results(kThreads);
  std::vector<std::vector<Hash256>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Transaction tx =
            maker_->make(senders[t], {op::transfer("receiver", usd, t * 1000 + i + 1)});
        ids[t].push_back(tx.id);
        Bytes envelope = ledger::encode_transaction(tx);
        results[t].push_back(node_->submit(std::move(tx), std::move(envelope), log.callback()));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t)
    for (const auto& r : results[t]) EXPECT_EQ(r.kind, Kind::accepted) << describe(r);
  constexpr size_t kTotal = kThreads * kPerThread;
  ASSERT_TRUE(log.wait_for(kTotal)) << "only " << log.count() << " callbacks";
  node_->stop();  // No callback may come after this, nor a second one for any transaction.

  const auto calls = log.calls();
  ASSERT_EQ(calls.size(), kTotal);
  std::map<Hash256, int> per_id;
  uint64_t last_height = 0;
  int64_t last_index = -1;
  for (const auto& [status, f] : calls) {
    EXPECT_TRUE(status.ok()) << status.to_string();
    EXPECT_EQ(f.outcome, test::outcome_ok());
    ++per_id[f.id];
    // (height, index) strictly increase in the order callbacks fire.
    EXPECT_TRUE(f.height > last_height ||
                (f.height == last_height && static_cast<int64_t>(f.index) > last_index))
        << "height " << f.height << " index " << f.index << " after " << last_height << "/"
        << last_index;
    if (f.height != last_height) last_index = -1;
    last_height = f.height;
    last_index = f.index;
    EXPECT_GT(f.height, setup_height);
  }
  for (int t = 0; t < kThreads; ++t)
    for (const auto& id : ids[t]) EXPECT_EQ(per_id[id], 1) << id.hex();

  NodeStatus s = node_->status();
  EXPECT_EQ(s.height, last_height);
  EXPECT_EQ(s.txs_committed, setup_txs + kThreads * kPerThread);
  EXPECT_EQ(s.mempool_txs, 0u);
  EXPECT_TRUE(node_->check_invariants().ok());
  // The stored chain links up, with non-decreasing block times.
  Hash256 parent;
  uint64_t time = 0;
  size_t txs_in_blocks = 0;
  for (uint64_t h = 1; h <= s.height; ++h) {
    auto b = node_->block(h);
    ASSERT_TRUE(b.ok() && b->has_value()) << "block " << h;
    EXPECT_EQ((*b)->block.header.height, h);
    EXPECT_EQ((*b)->block.header.parent_hash, parent);
    EXPECT_GE((*b)->block.header.time_ms, time);
    EXPECT_GE((*b)->block.txs.size(), 1u);
    parent = (*b)->hash;
    time = (*b)->block.header.time_ms;
    txs_in_blocks += (*b)->block.txs.size();
  }
  EXPECT_EQ(parent, s.block_hash);
  EXPECT_EQ(txs_in_blocks, s.txs_committed);

  Amount received = 0;
  for (int t = 0; t < kThreads; ++t) {
    Amount sent = 0;
    for (int i = 0; i < kPerThread; ++i) sent += t * 1000 + i + 1;
    EXPECT_EQ(balance(*node_, senders[t], usd), 10'000'00 - sent);
    received += sent;
  }
  EXPECT_EQ(balance(*node_, "receiver", usd), received);
}

// --- State sync snapshots --------------------------------------------------------------------

// A state sync snapshot serves its own height's state, exactly, after the node has committed
// more blocks and written state checkpoints over the store it reads: the entries paged out of
// it install in a fresh node, which checks that they hash to the snapshot's root. The snapshot
// is taken between checkpoints, so that it reads both the store and the changes since, among
// them the deletion of a stored replay id.
// Pages every entry out of a snapshot as a syncing node does, range by range in small chunks,
// and checks the offer's totals against them.
std::vector<std::pair<Bytes, Bytes>> page_out(const StateSnapshot& snap) {
  auto offer = make_offer(snap, {});
  EXPECT_TRUE(offer.ok()) << offer.status().to_string();
  if (!offer.ok()) return {};
  std::vector<std::pair<Bytes, Bytes>> entries;
  uint64_t bytes = 0;
  for (size_t r = 0; r <= offer->split_keys.size(); ++r) {
    ChunkRequest request{snap.height(), r == 0 ? Bytes{} : offer->split_keys[r - 1],
                         r < offer->split_keys.size() ? offer->split_keys[r] : Bytes{}, 200};
    for (int chunks = 0; chunks < 10'000; ++chunks) {
      auto chunk = serve_chunk(snap, request);
      EXPECT_TRUE(chunk.ok()) << chunk.status().to_string();
      if (!chunk.ok()) return {};
      for (const auto& [k, v] : chunk->entries) bytes += k.size() + v.size();
      entries.insert(entries.end(), chunk->entries.begin(), chunk->entries.end());
      if (chunk->last) break;
      request.start = chunk->entries.back().first;
      request.start.push_back(0);
    }
  }
  EXPECT_EQ(entries.size(), offer->entries_total);
  EXPECT_EQ(bytes, offer->bytes_total);
  return entries;
}

// Installs the entries in a fresh node, which checks them against the snapshot's root; null
// (and a failed test) when it refuses them.
std::unique_ptr<Node> install_in_fresh_node(const StateSnapshot& snap,
                                            const std::vector<std::pair<Bytes, Bytes>>& entries) {
  auto fresh = Node::open(memory_config(), std::make_shared<storage::MemKvStore>());
  EXPECT_TRUE(fresh.ok()) << fresh.status().to_string();
  if (!fresh.ok()) return nullptr;
  Status installed = (*fresh)->install_checkpoint(
      snap.height(), snap.state_root(), snap.ledger_block(), snap.block_result(), entries, nullptr);
  EXPECT_TRUE(installed.ok()) << installed.to_string();
  if (!installed.ok()) return nullptr;
  EXPECT_EQ((*fresh)->status().height, snap.height());
  EXPECT_EQ((*fresh)->status().state_root, snap.state_root());
  return std::move(fresh).value();
}

void expect_snapshot_outlives_later_checkpoints(NodeConfig config,
                                                std::shared_ptr<storage::KvStore> kv) {
  config.checkpoint_blocks = 3;
  auto opened = Node::open(config, kv);
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  Node& node = **opened;
  TxMaker maker(node);
  ManualOrderer orderer(node);
  // A checkpoint that comes due while the previous one is still being written waits for a
  // later root height; waiting for each one keeps them at every multiple of 3 here.
  const AssetId usd = set_up_bank(orderer, maker);  // Heights 1-4, a checkpoint at 3.
  node.wait_for_checkpoint();
  // Its replay id is written with the checkpoint at 6 and expires at 7.
  orderer.commit_ok({maker.make("issuer", {op::issue("bob", "USD", 1)}, /*valid_until=*/6)});
  orderer.commit_ok({maker.make("alice", {op::transfer("bob", usd, 1'00)})});
  node.wait_for_checkpoint();
  orderer.commit_ok({maker.make("alice", {op::transfer("bob", usd, 2'00)}),
                     maker.make("carol", {op::create_account("carol")})});
  auto taken = node.snapshot_state();
  ASSERT_TRUE(taken.ok()) << taken.status().to_string();
  const std::shared_ptr<const StateSnapshot> snap = *taken;
  EXPECT_EQ(snap->height(), 7u);
  EXPECT_EQ(snap->state_root(), node.status().state_root);
  EXPECT_GT(snap->overlay_size(), 0u);

  // Later blocks change, add and expire entries, and two checkpoints rewrite the store.
  for (int i = 0; i < 6; ++i) {
    orderer.commit_ok(
        {maker.make("alice", {op::transfer("bob", usd, 10'00 + i)}),
         maker.make("dave" + std::to_string(i), {op::create_account("dave" + std::to_string(i))})});
    node.wait_for_checkpoint();
  }
  auto checkpoint = ChainStore(node.kv()).checkpoint();
  ASSERT_TRUE(checkpoint.ok());
  EXPECT_GE(checkpoint->height, 12u);
  EXPECT_NE(node.status().state_root, snap->state_root());

  const std::unique_ptr<Node> fresh = install_in_fresh_node(*snap, page_out(*snap));
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(fresh->account(test_id("carol")).has_value());
  EXPECT_FALSE(fresh->account(test_id("dave0")).has_value());
}

TEST(NodeStateSnapshot, ServesItsHeightAfterLaterCheckpointsInMemory) {
  expect_snapshot_outlives_later_checkpoints(memory_config(),
                                             std::make_shared<storage::MemKvStore>());
}

TEST(NodeStateSnapshot, ManyChangesWaitingAreCheckpointedBeforeTheSnapshot) {
  NodeConfig config = memory_config();
  config.checkpoint_blocks = 100;
  auto kv = std::make_shared<storage::MemKvStore>();
  auto opened = Node::open(config, kv);
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  Node& node = **opened;
  TxMaker maker(node);
  ManualOrderer orderer(node);
  set_up_bank(orderer, maker);
  ChainStore chain(*kv);
  ASSERT_EQ(chain.checkpoint()->height, 0u);
  // Within the bound the snapshot copies the changes and writes nothing.
  auto small = node.snapshot_state();
  ASSERT_TRUE(small.ok()) << small.status().to_string();
  EXPECT_GT((*small)->overlay_size(), 3u);
  EXPECT_EQ(chain.checkpoint()->height, 0u);
  // Above it, the checkpoint is written first and the snapshot holds no copy.
  auto bounded = node.snapshot_state(/*changes_max=*/3);
  ASSERT_TRUE(bounded.ok()) << bounded.status().to_string();
  EXPECT_EQ((*bounded)->overlay_size(), 0u);
  EXPECT_EQ(chain.checkpoint()->height, 4u);
  // Both serve the same state, and so does the node after a restart from that checkpoint.
  const auto entries = page_out(**bounded);
  EXPECT_EQ(page_out(**small), entries);
  EXPECT_NE(install_in_fresh_node(**bounded, entries), nullptr);
  opened->reset();
  auto reopened = Node::open(config, kv);
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  EXPECT_EQ((*reopened)->status().state_root, (*bounded)->state_root());
}

// A store that answers every read from an in-memory one: the doubles below change only how
// writes land in it.
class ReadsForwarded : public storage::KvStore {
 public:
  explicit ReadsForwarded(std::shared_ptr<storage::MemKvStore> inner) : inner_(std::move(inner)) {}
  Result<std::optional<Bytes>> get(ByteView key) const override { return inner_->get(key); }
  Status scan_prefix(ByteView prefix, const storage::ScanVisitor& visit) const override {
    return inner_->scan_prefix(prefix, visit);
  }
  Result<std::shared_ptr<const storage::KvSnapshot>> snapshot() const override {
    return inner_->snapshot();
  }

 protected:
  std::shared_ptr<storage::MemKvStore> inner_;
};

// A store whose writes of a state checkpoint (the batch that puts the 'K' record) wait until
// the test opens its gate: a checkpoint write as slow as the test likes.
class CheckpointGatedStore final : public ReadsForwarded {
 public:
  using ReadsForwarded::ReadsForwarded;
  Status write(const storage::WriteBatch& batch, bool sync) override {
    const bool checkpoint = std::any_of(batch.ops().begin(), batch.ops().end(),
                                        [](const auto& op) { return op.key == Bytes{'K'}; });
    if (checkpoint) {
      std::unique_lock lock(mu_);
      ++checkpoints_waiting_;
      cv_.notify_all();
      // Bounded, so that a node that waits for its checkpoint on the executor fails the test
      // (below) rather than hanging it.
      if (!cv_.wait_for(lock, std::chrono::seconds(20), [&] { return open_; })) timed_out_ = true;
      --checkpoints_waiting_;
    }
    return inner_->write(batch, sync);
  }
  void set_gate(bool open) {
    std::lock_guard lock(mu_);
    open_ = open;
    cv_.notify_all();
  }
  bool wait_for_a_checkpoint_at_the_gate() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return checkpoints_waiting_ > 0; });
  }
  bool timed_out() {
    std::lock_guard lock(mu_);
    return timed_out_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int checkpoints_waiting_ = 0;
  bool timed_out_ = false;
};

// A checkpoint is written after its block, on a thread of its own: while its write is held up,
// blocks go on committing (they would wait behind it if the executor wrote it), a snapshot
// taken meanwhile serves its height's state exactly, and a node opened on what the store holds
// then (a crash before the write lands) starts from the previous checkpoint and re-executes
// every block above it. Once the write lands, the store's checkpoint is the held one, the next
// one follows at the next multiple, and a restart gets to the same state.
TEST(NodeCheckpointWriter, BlocksGoOnCommittingWhileACheckpointIsWritten) {
  NodeConfig config = memory_config();
  config.checkpoint_blocks = 3;
  auto inner = std::make_shared<storage::MemKvStore>();
  auto gated = std::make_shared<CheckpointGatedStore>(inner);
  // The empty state's checkpoint is written as the node opens: let it through.
  gated->set_gate(true);
  auto opened = Node::open(config, gated);
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  gated->set_gate(false);
  Node& node = **opened;
  TxMaker maker(node);
  ManualOrderer orderer(node);
  const AssetId usd = set_up_bank(orderer, maker);  // Heights 1-4: the checkpoint at 3 waits.
  ASSERT_TRUE(gated->wait_for_a_checkpoint_at_the_gate());
  for (int i = 0; i < 4; ++i)  // Heights 5-8; the checkpoint due at 6 waits for a later one.
    orderer.commit_ok({maker.make("alice", {op::transfer("bob", usd, 1'00 + i)})});
  EXPECT_EQ(node.status().height, 8u);
  EXPECT_EQ(ChainStore(*inner).checkpoint()->height, 0u);

  auto snap = node.snapshot_state();
  ASSERT_TRUE(snap.ok()) << snap.status().to_string();
  EXPECT_EQ((*snap)->height(), 8u);
  EXPECT_EQ((*snap)->state_root(), node.status().state_root);
  EXPECT_NE(install_in_fresh_node(**snap, page_out(**snap)), nullptr);
  {
    auto crashed = Node::open(config, inner);
    ASSERT_TRUE(crashed.ok()) << crashed.status().to_string();
    EXPECT_EQ((*crashed)->status().height, 8u);
    EXPECT_EQ((*crashed)->status().state_root, node.status().state_root);
    EXPECT_TRUE((*crashed)->check_invariants().ok());
  }

  gated->set_gate(true);
  node.wait_for_checkpoint();
  EXPECT_EQ(ChainStore(*inner).checkpoint()->height, 3u);
  for (int i = 0; i < 2; ++i)  // Heights 9-10: the next multiple, 9, is a checkpoint.
    orderer.commit_ok({maker.make("bob", {op::transfer("alice", usd, 50 + i)})});
  node.wait_for_checkpoint();
  EXPECT_EQ(ChainStore(*inner).checkpoint()->height, 9u);
  EXPECT_FALSE(gated->timed_out());
  const Hash256 root = node.status().state_root;
  opened->reset();
  auto reopened = Node::open(config, inner);
  ASSERT_TRUE(reopened.ok()) << reopened.status().to_string();
  EXPECT_EQ((*reopened)->status().height, 10u);
  EXPECT_EQ((*reopened)->status().state_root, root);
}

// A store that stops one chosen write part way, as RocksDB with unordered_write may show a batch
// to readers on other threads (storage::KvStore::write): the first `visible_ops` operations of
// the next batch that puts `key` are applied, then the write waits until the test finishes it.
class TornWriteStore final : public ReadsForwarded {
 public:
  using ReadsForwarded::ReadsForwarded;
  Status write(const storage::WriteBatch& batch, bool sync) override {
    std::unique_lock lock(mu_);
    const bool tear = key_ && std::any_of(batch.ops().begin(), batch.ops().end(),
                                          [&](const auto& op) { return op.key == *key_; });
    if (!tear) {
      lock.unlock();
      return inner_->write(batch, sync);
    }
    key_.reset();
    storage::WriteBatch shown, rest;
    for (size_t i = 0; i < batch.size(); ++i) {
      const auto& op = batch.ops()[i];
      storage::WriteBatch& part = i < visible_ops_ ? shown : rest;
      if (op.kind == storage::WriteBatch::Kind::put)
        part.put(op.key, op.value);
      else
        part.erase(op.key);
    }
    CORRIDOR_RETURN_IF_ERROR(inner_->write(shown, /*sync=*/false));
    torn_ = true;
    cv_.notify_all();
    // Bounded, so that a test that never finishes the write fails rather than hangs.
    cv_.wait_for(lock, std::chrono::seconds(20), [&] { return finish_; });
    torn_ = false;
    return inner_->write(rest, sync);
  }
  void tear_next_write_of(Bytes key, size_t visible_ops) {
    std::lock_guard lock(mu_);
    key_ = std::move(key);
    visible_ops_ = visible_ops;
    finish_ = false;
  }
  bool wait_until_torn() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return torn_; });
  }
  void finish() {
    std::lock_guard lock(mu_);
    finish_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Bytes> key_;
  size_t visible_ops_ = 0;
  bool torn_ = false;
  bool finish_ = false;
};

// While a block's batch is written, the store may show any part of it. The node's readers on
// other threads (the API's block and transaction queries, the orderer's loop) see nothing of
// the block until its write has returned, and then all of it: never a block without its result
// (which used to be a corruption error), nor a block or transaction record before it is durable.
TEST(NodeTornWrites, ReadersSeeABlockOnlyOnceItsWriteHasReturned) {
  // The block's batch puts the block, its result, the transaction's index entry, then the head:
  // torn after the block alone, and before the head.
  for (const size_t visible_ops : {size_t{1}, size_t{3}}) {
    SCOPED_TRACE("operations shown: " + std::to_string(visible_ops));
    auto inner = std::make_shared<storage::MemKvStore>();
    auto torn = std::make_shared<TornWriteStore>(inner);
    auto opened = Node::open(memory_config(), torn);
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    Node& node = **opened;
    TxMaker maker(node);
    ManualOrderer orderer(node);
    const AssetId usd = set_up_bank(orderer, maker);
    const uint64_t height = node.status().height + 1;
    Bytes block_key{'B'};
    put_be64(block_key, height);
    torn->tear_next_write_of(block_key, visible_ops);
    const Transaction tx = maker.make("alice", {op::transfer("bob", usd, 1'00)});
    FinalityLog log;
    orderer.admit(tx, log.callback());
    std::thread executor([&] { orderer.commit_block(); });
    ASSERT_TRUE(torn->wait_until_torn());

    auto shown = inner->get(block_key);
    ASSERT_TRUE(shown.ok() && shown->has_value()) << "the block's record is in the store";
    EXPECT_FALSE(node.block_readable(height));
    auto block = node.block(height);
    EXPECT_TRUE(block.ok()) << block.status().to_string();
    EXPECT_FALSE(block.ok() && block->has_value());
    auto bytes = node.block_bytes(height);
    EXPECT_TRUE(bytes.ok() && !bytes->has_value());
    auto record = node.transaction(tx.id);
    EXPECT_TRUE(record.ok()) << record.status().to_string();
    EXPECT_FALSE(record.ok() && record->has_value());
    EXPECT_EQ(log.count(), 0u);
    EXPECT_TRUE(node.block_readable(height - 1));
    auto previous = node.block(height - 1);
    EXPECT_TRUE(previous.ok() && previous->has_value());

    torn->finish();
    executor.join();
    EXPECT_TRUE(node.block_readable(height));
    block = node.block(height);
    ASSERT_TRUE(block.ok() && block->has_value());
    ASSERT_EQ((*block)->block.txs.size(), 1u);
    EXPECT_EQ((*block)->block.txs[0].id, tx.id);
    record = node.transaction(tx.id);
    ASSERT_TRUE(record.ok() && record->has_value());
    EXPECT_EQ((*record)->location.height, height);
    ASSERT_TRUE(log.wait_for(1));
    EXPECT_EQ(log.calls()[0].finality.height, height);
  }
}

TEST(NodeStateSnapshot, ServesItsHeightAfterLaterCheckpointsOnRocksDb) {
  test::TempDir dir("corridor_node_snapshot");
  NodeConfig config = memory_config();
  config.storage = StorageEngine::rocksdb;
  config.data_dir = dir.path() + "/node";
  expect_snapshot_outlives_later_checkpoints(config, nullptr);
}

}  // namespace
}  // namespace corridor::node

namespace corridor::node {
namespace {

// Over RocksDB the consensus safety data lives in a file cell beside the store, and a data
// directory from before the cell has its safety record moved there once.
TEST(NodeSafetyCell, OverRocksDbIsAFileOfItsOwnAndTakesOverTheStoreRecord) {
  test::TempDir dir("corridor_node_safety_cell");
  NodeConfig config = memory_config();
  config.storage = StorageEngine::rocksdb;
  config.data_dir = dir.path() + "/node";
  const Bytes legacy_key{consensus::store_key_safety};
  const Bytes record = consensus::encode_safety_data({0, 41, 40, 39});
  {
    auto node = Node::open(config);
    ASSERT_TRUE(node.ok()) << node.status().to_string();
    EXPECT_TRUE(std::filesystem::exists(config.data_dir + "/consensus_safety"));
    auto empty = (*node)->safety_cell().read();
    ASSERT_TRUE(empty.ok());
    EXPECT_EQ(*empty, std::nullopt);
    // As an older node left it: the record under its store key, and no cell.
    storage::WriteBatch batch;
    batch.put(legacy_key, record);
    ASSERT_TRUE((*node)->kv().write(batch, true).ok());
  }
  std::filesystem::remove(config.data_dir + "/consensus_safety");
  {
    auto node = Node::open(config);
    ASSERT_TRUE(node.ok()) << node.status().to_string();
    auto moved = (*node)->safety_cell().read();
    ASSERT_TRUE(moved.ok());
    EXPECT_EQ(*moved, record);
    auto in_store = (*node)->kv().get(legacy_key);
    ASSERT_TRUE(in_store.ok());
    EXPECT_EQ(*in_store, std::nullopt);
    ASSERT_TRUE((*node)->safety_cell().write(consensus::encode_safety_data({0, 50, 49, 39})).ok());
  }
  auto node = Node::open(config);
  ASSERT_TRUE(node.ok()) << node.status().to_string();
  auto later = (*node)->safety_cell().read();
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(*later, consensus::encode_safety_data({0, 50, 49, 39}));
}

// Over a store passed in, the record stays under its key, where the in-memory store's crash
// semantics (and the simulator, which reads the same key) apply to it.
TEST(NodeSafetyCell, OverAGivenStoreIsItsKey) {
  auto kv = std::make_shared<storage::MemKvStore>();
  auto node = Node::open(memory_config(), kv);
  ASSERT_TRUE(node.ok()) << node.status().to_string();
  const Bytes record = consensus::encode_safety_data({0, 7, 6, 5});
  ASSERT_TRUE((*node)->safety_cell().write(record).ok());
  auto in_store = kv->get(Bytes{consensus::store_key_safety});
  ASSERT_TRUE(in_store.ok());
  EXPECT_EQ(*in_store, record);
}

}  // namespace
}  // namespace corridor::node
