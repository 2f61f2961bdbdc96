// ChainStore on a MemKvStore: what commit() writes reads back byte for byte, the transaction
// index holds exactly the transactions that consumed their id, the genesis record pins the store
// to one network, and load_ledger refuses a state that does not hash to the committed root.
#include "node/chain_store.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/encoding.h"
#include "ledger/block.h"
#include "ledger/entries.h"
#include "storage/mem_kv_store.h"
#include "support/test_support.h"

namespace corridor::node {
namespace {

using ledger::Operation;
using ledger::ResultCode;
using ledger::Transaction;
using test::test_id;
using test::test_key;
using ::testing::HasSubstr;
namespace op = test::op;

constexpr const char* kNetwork = "chain-store-test";
constexpr uint64_t kTime0 = 1'790'000'000'000;
constexpr Amount kLimit = 100'000'000;

// A block as the node builds it, executed against the fixture's ledger.
struct BuiltBlock {
  ledger::Block block;
  std::vector<Bytes> envelopes;
  ledger::ExecutedBlock executed;
};

size_t count_keys(const storage::MemKvStore& kv, uint8_t prefix) {
  size_t n = 0;
  EXPECT_TRUE(kv.scan_prefix(Bytes{prefix}, [&](ByteView, ByteView) {
                  ++n;
                  return true;
                }).ok());
  return n;
}

class ChainStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto_init();
    ASSERT_TRUE(store_.init_genesis(kNetwork).ok());
  }

  Transaction make(std::string_view source, std::vector<Operation> ops,
                   std::optional<uint64_t> valid_until = std::nullopt) {
    Transaction tx;
    tx.network_id = network_id_;
    tx.source = test_id(source);
    tx.nonce = nonce_++;
    tx.valid_until_height = valid_until.value_or(head_.height + 100);
    tx.ops = std::move(ops);
    tx.sign(test_key(source));
    return tx;
  }

  // Builds the next block of `txs` and executes it against the ledger, without committing.
  BuiltBlock build(std::vector<Transaction> txs) {
    BuiltBlock b;
    for (const auto& tx : txs) b.envelopes.push_back(ledger::encode_transaction(tx));
    b.block.txs = std::move(txs);
    ledger::BlockHeader& h = b.block.header;
    h.height = head_.height + 1;
    h.parent_hash = head_.block_hash;
    h.time_ms = kTime0 + 1000 * h.height;
    h.tx_count = static_cast<uint32_t>(b.block.txs.size());
    h.tx_root = ledger::compute_tx_root(b.block.txs);
    h.parent_state_root = head_.state_root;
    b.executed = ledger::execute_block(ledger_, b.block, network_id_);
    return b;
  }

  // Builds, executes and commits the next block; expects the commit to succeed.
  BuiltBlock commit(std::vector<Transaction> txs) {
    BuiltBlock b = build(std::move(txs));
    // Every block is a checkpoint here: the state tests below read it back after each.
    ledger::StateDeltaAccumulator state;
    state.add(b.executed.delta);
    Status st = store_.commit(b.block, b.envelopes, b.executed.result, &state);
    EXPECT_TRUE(st.ok()) << st.to_string();
    head_ = ChainHead{b.block.header.height, b.block.header.hash(), b.executed.result.state_root};
    return b;
  }

  // Three accounts, USD with holdings for alice and bob, and 500.00 issued to alice.
  AssetId set_up_bank() {
    const AssetId usd = test::asset("USD", "issuer");
    commit({make("issuer", {op::create_account("issuer")}),
            make("alice", {op::create_account("alice")}),
            make("bob", {op::create_account("bob")})});
    commit({make("issuer", {op::create_asset("USD", 2)})});
    commit({make("alice", {op::open_holding(usd, kLimit)}),
            make("bob", {op::open_holding(usd, kLimit)})});
    commit({make("issuer", {op::issue("alice", "USD", 500'00)})});
    return usd;
  }

  void put(const Bytes& key, const Bytes& value) {
    storage::WriteBatch batch;
    batch.put(key, value);
    ASSERT_TRUE(kv_.write(batch, true).ok());
  }

  storage::MemKvStore kv_;
  ChainStore store_{kv_};
  ledger::Ledger ledger_;
  Hash256 network_id_ = network_id_for_name(kNetwork);
  ChainHead head_;
  uint64_t nonce_ = 1;
};

TEST(ChainStoreNetworkId, IsTheHashOfTheName) {
  EXPECT_EQ(network_id_for_name("a"), network_id_for_name("a"));
  EXPECT_NE(network_id_for_name("a"), network_id_for_name("b"));
  EXPECT_NE(network_id_for_name(""), network_id_for_name("a"));
}

TEST_F(ChainStoreTest, FreshStoreHasAnEmptyHeadAndNoBlocks) {
  auto h = store_.head();
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->height, 0u);
  EXPECT_TRUE(h->block_hash.is_zero());
  EXPECT_TRUE(h->state_root.is_zero());
  auto b = store_.block_bytes(1);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  auto r = store_.block_result(0);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  auto loc = store_.tx_location(Hash256{});
  ASSERT_TRUE(loc.ok());
  EXPECT_FALSE(loc->has_value());
  ledger::Ledger fresh;
  Status st = store_.load_ledger(fresh).status();
  EXPECT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(fresh.account_count(), 0u);
}

TEST_F(ChainStoreTest, BlockBytesAndResultsRoundTrip) {
  const BuiltBlock b1 = commit({make("issuer", {op::create_account("issuer")}),
                                make("alice", {op::create_account("alice")})});
  const BuiltBlock b2 = commit({make("issuer", {op::create_asset("USD", 2)})});

  for (const BuiltBlock* b : {&b1, &b2}) {
    const uint64_t height = b->block.header.height;
    SCOPED_TRACE("height " + std::to_string(height));
    auto bytes = store_.block_bytes(height);
    ASSERT_TRUE(bytes.ok() && bytes->has_value());
    // The stored form is exactly the canonical block encoding.
    EXPECT_EQ(**bytes, ledger::encode_block(b->block));
    auto decoded = ledger::decode_block(**bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
    EXPECT_EQ(decoded->header, b->block.header);
    ASSERT_EQ(decoded->txs.size(), b->block.txs.size());
    for (size_t i = 0; i < decoded->txs.size(); ++i)
      EXPECT_EQ(decoded->txs[i].id, b->block.txs[i].id);

    auto result = store_.block_result(height);
    ASSERT_TRUE(result.ok() && result->has_value());
    EXPECT_EQ((*result)->state_root, b->executed.result.state_root);
    EXPECT_EQ((*result)->outcomes, b->executed.result.outcomes);
  }
  EXPECT_EQ(b2.block.header.parent_hash, b1.block.header.hash());
  EXPECT_EQ(b2.block.header.parent_state_root, b1.executed.result.state_root);

  auto h = store_.head();
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->height, 2u);
  EXPECT_EQ(h->block_hash, b2.block.header.hash());
  EXPECT_EQ(h->state_root, b2.executed.result.state_root);
  EXPECT_EQ(h->state_root, ledger_.state_root());
  auto none = store_.block_bytes(3);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(ChainStoreTest, TxIndexHoldsOnlyTransactionsThatConsumedTheirId) {
  const AssetId usd = set_up_bank();
  const Transaction earlier = make("alice", {op::transfer("bob", usd, 1'00)});
  const BuiltBlock b5 = commit({earlier});
  ASSERT_EQ(b5.executed.result.outcomes[0], test::outcome_ok());

  const Transaction ok = make("alice", {op::transfer("bob", usd, 10'00)});
  const Transaction failed =
      make("alice", {op::transfer("bob", usd, 1'00), op::transfer("bob", usd, 900'00)});
  const Transaction no_source = make("ghost", {op::transfer("bob", usd, 1'00)});
  Transaction bad_sig = make("alice", {op::transfer("bob", usd, 2'00)});
  bad_sig.signatures[0].signature.bytes[0] ^= 0x80;
  const Transaction expired = make("alice", {op::transfer("bob", usd, 3'00)}, 2);
  const BuiltBlock b6 = commit({ok, failed, no_source, bad_sig, expired, earlier});
  const auto& outcomes = b6.executed.result.outcomes;
  ASSERT_EQ(outcomes.size(), 6u);
  EXPECT_EQ(outcomes[0], test::outcome_ok());
  EXPECT_EQ(outcomes[1], test::outcome_failed(1, ResultCode::op_insufficient_balance));
  EXPECT_EQ(outcomes[2], test::outcome_rejected(ResultCode::tx_source_not_found));
  EXPECT_EQ(outcomes[3], test::outcome_rejected(ResultCode::tx_bad_signature));
  EXPECT_EQ(outcomes[4], test::outcome_rejected(ResultCode::tx_expired));
  EXPECT_EQ(outcomes[5], test::outcome_rejected(ResultCode::tx_duplicate));

  auto bytes = store_.block_bytes(6);
  ASSERT_TRUE(bytes.ok() && bytes->has_value());
  for (size_t i : {0u, 1u}) {
    const Transaction& tx = b6.block.txs[i];
    auto loc = store_.tx_location(tx.id);
    ASSERT_TRUE(loc.ok() && loc->has_value()) << "index " << i;
    EXPECT_EQ((*loc)->height, 6u);
    EXPECT_EQ((*loc)->index, i);
    EXPECT_EQ((*loc)->length, b6.envelopes[i].size());
    ASSERT_LE(size_t{(*loc)->offset} + (*loc)->length, (*bytes)->size());
    EXPECT_EQ(Bytes((*bytes)->begin() + (*loc)->offset,
                    (*bytes)->begin() + (*loc)->offset + (*loc)->length),
              b6.envelopes[i]);
    auto rec = store_.tx_record(tx.id);
    ASSERT_TRUE(rec.ok() && rec->has_value());
    EXPECT_EQ((*rec)->envelope, b6.envelopes[i]);
    EXPECT_EQ((*rec)->outcome, outcomes[i]);
    EXPECT_EQ((*rec)->block_time_ms, b6.block.header.time_ms);
    EXPECT_EQ((*rec)->location.index, i);
    // The finality answer, read without the block, says the same.
    auto fin = store_.tx_finality(tx.id);
    ASSERT_TRUE(fin.ok() && fin->has_value());
    EXPECT_EQ((*fin)->outcome, outcomes[i]);
    EXPECT_EQ((*fin)->block_time_ms, b6.block.header.time_ms);
    EXPECT_EQ((*fin)->location.height, 6u);
    EXPECT_EQ((*fin)->location.index, i);
  }
  for (size_t i : {2u, 3u, 4u}) {
    auto loc = store_.tx_location(b6.block.txs[i].id);
    ASSERT_TRUE(loc.ok());
    EXPECT_FALSE(loc->has_value()) << "index " << i << " was indexed";
    auto rec = store_.tx_record(b6.block.txs[i].id);
    ASSERT_TRUE(rec.ok());
    EXPECT_FALSE(rec->has_value());
    auto fin = store_.tx_finality(b6.block.txs[i].id);
    ASSERT_TRUE(fin.ok());
    EXPECT_FALSE(fin->has_value());
  }
  // The duplicate did not overwrite the original's entry.
  auto rec = store_.tx_record(earlier.id);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((*rec)->location.height, 5u);
  EXPECT_EQ((*rec)->location.index, 0u);
  EXPECT_EQ((*rec)->outcome, test::outcome_ok());
  EXPECT_EQ((*rec)->block_time_ms, b5.block.header.time_ms);
}

TEST_F(ChainStoreTest, FinalityReadsAnIndexEntryWrittenWithoutTheBlockTime) {
  // Index entries written before they held the block's time are 20 bytes, the location alone:
  // their finality answer takes the time from the block's header.
  commit({make("alice", {op::create_account("alice")})});
  const BuiltBlock b2 = commit({make("bob", {op::create_account("bob")})});
  const Hash256& id = b2.block.txs[0].id;
  const Bytes key = [&] {
    Bytes k{'T'};
    k.insert(k.end(), id.view().begin(), id.view().end());
    return k;
  }();
  auto entry = kv_.get(key);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  ASSERT_EQ((*entry)->size(), 28u);
  storage::WriteBatch batch;
  batch.put(key, Bytes((*entry)->begin(), (*entry)->begin() + 20));
  ASSERT_TRUE(kv_.write(batch, true).ok());

  auto fin = store_.tx_finality(id);
  ASSERT_TRUE(fin.ok() && fin->has_value()) << fin.status().to_string();
  EXPECT_EQ((*fin)->block_time_ms, b2.block.header.time_ms);
  EXPECT_EQ((*fin)->location.height, 2u);
  EXPECT_EQ((*fin)->outcome, test::outcome_ok());
  auto rec = store_.tx_record(id);
  ASSERT_TRUE(rec.ok() && rec->has_value());
  EXPECT_EQ((*rec)->block_time_ms, b2.block.header.time_ms);

  // An entry of any other length is refused, not read in part.
  batch = storage::WriteBatch();
  batch.put(key, Bytes((*entry)->begin(), (*entry)->begin() + 24));
  ASSERT_TRUE(kv_.write(batch, true).ok());
  EXPECT_FALSE(store_.tx_finality(id).ok());
  EXPECT_FALSE(store_.tx_record(id).ok());
}

TEST_F(ChainStoreTest, GenesisOfAnotherNetworkIsAFailedPrecondition) {
  commit({make("alice", {op::create_account("alice")})});
  EXPECT_TRUE(store_.init_genesis(kNetwork).ok());
  Status st = store_.init_genesis("another-network");
  EXPECT_EQ(st.code(), StatusCode::failed_precondition) << st.to_string();
  EXPECT_THAT(st.message(), HasSubstr(kNetwork));
  EXPECT_THAT(st.message(), HasSubstr("another-network"));
  // A name that merely extends the stored one is another network too.
  EXPECT_EQ(store_.init_genesis(std::string(kNetwork) + "x").code(),
            StatusCode::failed_precondition);
  // The refusal wrote nothing.
  EXPECT_TRUE(store_.init_genesis(kNetwork).ok());
  auto h = store_.head();
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->height, 1u);
}

TEST_F(ChainStoreTest, LoadLedgerRebuildsTheCommittedState) {
  const AssetId usd = set_up_bank();
  const Transaction pay = make("alice", {op::transfer("bob", usd, 123'45)});
  commit({pay});

  ledger::Ledger loaded;
  Status st = store_.load_ledger(loaded).status();
  ASSERT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(loaded.height(), 5u);
  EXPECT_EQ(loaded.state_root(), ledger_.state_root());
  EXPECT_EQ(loaded.account_count(), 3u);
  EXPECT_EQ(loaded.asset_count(), 1u);
  EXPECT_EQ(loaded.holding_count(), 2u);
  ASSERT_NE(loaded.holding(test_id("bob"), usd), nullptr);
  EXPECT_EQ(loaded.holding(test_id("bob"), usd)->balance, 123'45);
  EXPECT_EQ(loaded.holding(test_id("alice"), usd)->balance, 500'00 - 123'45);
  EXPECT_TRUE(loaded.check_invariants().ok());
  // Replay ids came back: the applied transaction is a duplicate on the loaded ledger.
  EXPECT_TRUE(loaded.is_replay_id_live(pay.id));
  EXPECT_EQ(loaded.precheck(pay), ResultCode::tx_duplicate);
}

// A checkpoint's batch is in ascending key order, the checkpoint record included, so that the
// RocksDB store inserts it with a position hint (storage/rocksdb_kv_store.cc): a third less
// time for a large one (BM_StoreCheckpointBatch).
TEST_F(ChainStoreTest, ACheckpointBatchIsInAscendingKeyOrder) {
  const AssetId usd = set_up_bank();
  const BuiltBlock b = build({make("alice", {op::transfer("bob", usd, 1'00)})});
  ledger::StateDeltaAccumulator state;
  state.add(b.executed.delta);
  // Replay ids ('R') and entries ('S') both, and the checkpoint record ('K').
  ASSERT_GE(state.size(), 2u);
  class Recording final : public storage::KvStore {
   public:
    Result<std::optional<Bytes>> get(ByteView) const override { return std::optional<Bytes>(); }
    Status scan_prefix(ByteView, const storage::ScanVisitor&) const override { return Status(); }
    Result<std::shared_ptr<const storage::KvSnapshot>> snapshot() const override {
      return failed_precondition("not kept");
    }
    Status write(const storage::WriteBatch& batch, bool) override {
      keys.clear();
      for (const auto& op : batch.ops()) keys.push_back(op.key);
      return Status();
    }
    std::vector<Bytes> keys;
  } recording;
  ChainStore chain(recording);
  const ChainHead at{b.block.header.height, b.block.header.hash(), b.executed.result.state_root};
  ASSERT_TRUE(chain.write_checkpoint(state, at).ok());
  ASSERT_EQ(recording.keys.size(), state.size() + 1);
  EXPECT_TRUE(std::count_if(recording.keys.begin(), recording.keys.end(),
                            [](const Bytes& k) { return k[0] == 'R'; }) > 0);
  EXPECT_TRUE(std::is_sorted(recording.keys.begin(), recording.keys.end()));
  EXPECT_EQ(std::adjacent_find(recording.keys.begin(), recording.keys.end()), recording.keys.end());
}

TEST_F(ChainStoreTest, ExpiredReplayIdsAreErased) {
  commit({make("alice", {op::create_account("alice")}, 2)});
  EXPECT_EQ(count_keys(kv_, 'R'), 1u);
  commit({make("bob", {op::create_account("bob")}, 50)});
  EXPECT_EQ(count_keys(kv_, 'R'), 2u);
  // At height 3 the first id's window (until 2) has passed.
  commit({make("carol", {op::create_account("carol")}, 50)});
  EXPECT_EQ(count_keys(kv_, 'R'), 2u);
  ledger::Ledger loaded;
  ASSERT_TRUE(store_.load_ledger(loaded).ok());
  EXPECT_EQ(loaded.state_root(), ledger_.state_root());
}

TEST_F(ChainStoreTest, LoadLedgerDetectsATamperedEntry) {
  const AssetId usd = set_up_bank();
  Bytes key{'S'};
  ledger::encode_holding_key(test_id("alice"), usd, key);
  auto stored = kv_.get(key);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  auto holding = ledger::decode_holding_value(**stored);
  ASSERT_TRUE(holding.ok());
  ASSERT_EQ(holding->balance, 500'00);
  // A well-formed value, one cent richer: only the state root can tell.
  holding->balance += 1;
  Bytes value;
  ledger::encode_holding_value(*holding, value);
  put(key, value);

  ledger::Ledger loaded;
  Status st = store_.load_ledger(loaded).status();
  EXPECT_EQ(st.code(), StatusCode::corruption) << st.to_string();
  EXPECT_THAT(st.message(), HasSubstr("state root"));
  EXPECT_THAT(st.message(), HasSubstr("height 4"));
}

TEST_F(ChainStoreTest, LoadLedgerDetectsAMissingEntry) {
  const AssetId usd = set_up_bank();
  Bytes key{'S'};
  ledger::encode_holding_key(test_id("bob"), usd, key);
  storage::WriteBatch batch;
  batch.erase(key);
  ASSERT_TRUE(kv_.write(batch, true).ok());
  ledger::Ledger loaded;
  Status st = store_.load_ledger(loaded).status();
  EXPECT_EQ(st.code(), StatusCode::corruption) << st.to_string();
  EXPECT_THAT(st.message(), HasSubstr("state root"));
}

// The checkpoint names the state root the stored state must have.
TEST_F(ChainStoreTest, LoadLedgerDetectsATamperedCheckpoint) {
  set_up_bank();
  auto h = store_.head();
  ASSERT_TRUE(h.ok());
  Bytes head;
  Writer w(head);
  w.u64(h->height);
  w.fixed(h->block_hash);
  Hash256 wrong = h->state_root;
  wrong.bytes[31] ^= 0x01;
  w.fixed(wrong);
  put(Bytes{'K'}, head);
  ledger::Ledger loaded;
  EXPECT_EQ(store_.load_ledger(loaded).status().code(), StatusCode::corruption);
}

TEST_F(ChainStoreTest, LoadLedgerRefusesAMalformedEntry) {
  const AssetId usd = set_up_bank();
  Bytes key{'S'};
  ledger::encode_holding_key(test_id("alice"), usd, key);
  put(key, Bytes{0x01, 0x02});
  ledger::Ledger loaded;
  EXPECT_FALSE(store_.load_ledger(loaded).ok());
}

TEST_F(ChainStoreTest, CommitReturnsTheStoreErrorAndWritesNothing) {
  commit({make("alice", {op::create_account("alice")})});
  const ChainHead before = head_;
  const uint64_t syncs = kv_.sync_count();
  BuiltBlock b2 = build({make("bob", {op::create_account("bob")})});

  kv_.fail_next_writes(1);
  ledger::StateDeltaAccumulator state2;
  state2.add(b2.executed.delta);
  Status st = store_.commit(b2.block, b2.envelopes, b2.executed.result, &state2);
  EXPECT_EQ(st.code(), StatusCode::io_error) << st.to_string();
  EXPECT_EQ(kv_.sync_count(), syncs);
  auto h = store_.head();
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->height, before.height);
  EXPECT_EQ(h->block_hash, before.block_hash);
  EXPECT_EQ(h->state_root, before.state_root);
  auto bytes = store_.block_bytes(2);
  ASSERT_TRUE(bytes.ok());
  EXPECT_FALSE(bytes->has_value());
  auto loc = store_.tx_location(b2.block.txs[0].id);
  ASSERT_TRUE(loc.ok());
  EXPECT_FALSE(loc->has_value());
  ledger::Ledger loaded;
  ASSERT_TRUE(store_.load_ledger(loaded).ok());
  EXPECT_EQ(loaded.account_count(), 1u);

  // Once the store works again, the same block commits.
  st = store_.commit(b2.block, b2.envelopes, b2.executed.result, &state2);
  EXPECT_TRUE(st.ok()) << st.to_string();
  h = store_.head();
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->height, 2u);
  EXPECT_EQ(h->state_root, b2.executed.result.state_root);
}

}  // namespace
}  // namespace corridor::node
