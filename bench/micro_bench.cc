// Micro-benchmarks of the primitives a transfer costs: hashing, signature verification,
// decoding, applying, and folding changes into the state tree.
#include <benchmark/benchmark.h>

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <functional>
#include <random>
#include <span>

#include "base/hash.h"
#include "base/keys.h"
#include "ledger/block.h"
#include "ledger/ledger.h"
#include "ledger/state_store.h"
#include "ledger/state_tree.h"
#include "node/chain_store.h"
#include "storage/rocksdb_kv_store.h"

namespace corridor {
namespace {

using namespace ledger;

void BM_Sha256_64B(benchmark::State& state) {
  Bytes data(64, 7);
  for (auto _ : state) benchmark::DoNotOptimize(sha256(data));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Sha256_64B);

void BM_Ed25519Verify(benchmark::State& state) {
  crypto_init();
  KeyPair kp = KeyPair::generate();
  Bytes msg(46, 1);
  Signature sig = kp.sign(msg);
  for (auto _ : state) benchmark::DoNotOptimize(verify_signature(kp.public_key(), msg, sig));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify);

// A tree of `count` leaves with hashed keys (each key its own value), hashed once; the keys.
std::vector<Hash256> fill_tree(StateTree& tree, size_t count) {
  std::vector<Hash256> ks(count);
  for (size_t i = 0; i < count; ++i) {
    Bytes b(8);
    for (int j = 0; j < 8; ++j) b[j] = static_cast<uint8_t>(i >> (8 * j));
    ks[i] = sha256(b);
    tree.put(ks[i], ks[i]);
  }
  tree.root();
  return ks;
}

void BM_StateTreeUpdate(benchmark::State& state) {
  const auto keys = static_cast<size_t>(state.range(0));
  StateTree tree;
  const std::vector<Hash256> ks = fill_tree(tree, keys);
  std::mt19937_64 rng(1);
  uint64_t v = 0;
  for (auto _ : state) {
    // One block touching 1% of the keys, then the root.
    for (size_t i = 0; i < keys / 100; ++i) {
      Hash256 value;
      ++v;
      std::memcpy(value.data(), &v, sizeof v);
      tree.put(ks[rng() % keys], value);
    }
    benchmark::DoNotOptimize(tree.root());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(keys / 100));
}
BENCHMARK(BM_StateTreeUpdate)->Arg(10'000)->Arg(1'000'000);

// A medium block as a validator sees it at half the peak load: 8,000 of 20,000 leaves change
// (the holdings of a hot set of 10,000 accounts), put in key order as Ledger::end_block does,
// then the root. Most of the tree is rehashed, so this measures walking and hashing a nearly
// all-dirty tree, not one path as BM_StateTreeUpdate does.
void BM_StateTreeDenseUpdate(benchmark::State& state) {
  constexpr size_t leaves = 20'000;
  constexpr size_t changed = 8'000;
  StateTree tree;
  const std::vector<Hash256> ks = fill_tree(tree, leaves);
  std::mt19937_64 rng(1);
  uint64_t v = 0;
  std::vector<std::pair<Hash256, Hash256>> block(changed);
  for (auto _ : state) {
    state.PauseTiming();
    for (auto& [key, value] : block) {
      key = ks[rng() % leaves];
      ++v;
      std::memcpy(value.data(), &v, sizeof v);
    }
    std::sort(block.begin(), block.end());
    const auto end = std::unique(block.begin(), block.end(),
                                 [](const auto& x, const auto& y) { return x.first == y.first; });
    state.ResumeTiming();
    if (state.range(0) == 0) {
      for (auto it = block.begin(); it != end; ++it) tree.put(it->first, it->second);
    } else {
      tree.put_sorted(std::span(block.begin(), end));
    }
    benchmark::DoNotOptimize(tree.root());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(changed));
}
// 0: one put() per key, then root(), on the layout the inserts left; 1: put_sorted(), the batch
// pass Ledger::end_block uses, which also lays the tree out again (StateTree::compact) first.
BENCHMARK(BM_StateTreeDenseUpdate)->Arg(0)->Arg(1);

// A node merges each block's changes into the changes waiting for the next state checkpoint.
// One block here changes 10,000 holdings (of as many); the merge is what repeated keys cost, as
// in the network benchmark's 10,000 accounts. Arguments: key and value size in bytes. A holding
// of a three-letter asset encodes to a 45-byte key and a 17-byte value (45/17); 42/40 is the
// size this benchmark had before, kept for comparison with the figures recorded with it.
void BM_StateDeltaAccumulatorAdd(benchmark::State& state) {
  constexpr size_t holdings = 10'000;
  const auto key_size = static_cast<size_t>(state.range(0));
  const auto value_size = static_cast<size_t>(state.range(1));
  StateDelta delta;
  for (size_t i = 0; i < holdings; ++i) {
    Bytes key(key_size, static_cast<uint8_t>(EntryKind::holding));
    for (int j = 0; j < 8; ++j) key[1 + j] = static_cast<uint8_t>(i >> (8 * j));
    delta.changes.push_back({std::move(key), Bytes(value_size, static_cast<uint8_t>(i))});
  }
  StateDeltaAccumulator accumulator;
  for (auto _ : state) accumulator.add(delta);
  benchmark::DoNotOptimize(accumulator.size());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(holdings));
}
BENCHMARK(BM_StateDeltaAccumulatorAdd)->Args({42, 40})->Args({45, 17});

// A node copies the changes waiting for its checkpoint at every state sync snapshot window,
// into the snapshot's overlay, and frees the copy when a newer snapshot replaces it. Here:
// 10,000 changed holdings (45-byte keys, 17-byte values, as a three-letter asset's) and 1,000
// replay ids, about what 448 blocks at 70,000 transfers/s over 10,000 accounts leave.
void BM_StateDeltaAccumulatorOverlay(benchmark::State& state) {
  constexpr size_t holdings = 10'000;
  constexpr uint64_t replay_ids = 1'000;
  StateDelta delta;
  for (size_t i = 0; i < holdings; ++i) {
    Bytes key(45, static_cast<uint8_t>(EntryKind::holding));
    // Spread like account ids: the order the table holds them in is not the key order.
    const uint64_t spread = i * 0x9e3779b97f4a7c15ULL;
    for (int j = 0; j < 8; ++j) key[1 + j] = static_cast<uint8_t>(spread >> (8 * j));
    delta.changes.push_back({std::move(key), Bytes(17, static_cast<uint8_t>(i))});
  }
  for (uint64_t i = 0; i < replay_ids; ++i)
    delta.ids_added.push_back({1'000 + i, sha256(Bytes{static_cast<uint8_t>(i), 1})});
  StateDeltaAccumulator accumulator;
  accumulator.add(delta);
  for (auto _ : state) {
    auto overlay = accumulator.store_overlay();
    benchmark::DoNotOptimize(overlay);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(accumulator.size()));
}
BENCHMARK(BM_StateDeltaAccumulatorOverlay)->Unit(benchmark::kMillisecond);

// A ledger with `accounts` funded holders of one asset, and a batch of transfers.
struct Fixture {
  Hash256 network;
  Ledger ledger;
  std::vector<KeyPair> keys;
  AssetId usd;
  uint64_t height = 0;

  // `root_interval`: the ledger's state root interval (Ledger::set_state_root_interval).
  // `hold_holdings`: the ledger holds its changed holdings until taken
  // (Ledger::hold_holding_changes), as a node's does.
  explicit Fixture(size_t accounts, uint64_t root_interval = 1, bool hold_holdings = false) {
    crypto_init();
    ledger.set_state_root_interval(root_interval);
    if (hold_holdings) ledger.hold_holding_changes();
    KeyPair issuer = KeyPair::from_seed(Seed::from_view(sha256(as_bytes("issuer")).view()));
    usd = AssetId{*AssetCode::parse("USD"), issuer.account_id()};
    keys.push_back(issuer);
    for (size_t i = 0; i < accounts; ++i)
      keys.push_back(
          KeyPair::from_seed(Seed::from_view(sha256(as_bytes("k" + std::to_string(i))).view())));
    std::vector<Transaction> txs;
    for (const auto& k : keys) txs.push_back(make(k, {CreateAccountOp{k.public_key()}}));
    block(std::move(txs));
    txs.clear();
    txs.push_back(make(issuer, {CreateAssetOp{usd.code, 2, 0}}));
    for (size_t i = 1; i < keys.size(); ++i)
      txs.push_back(make(keys[i], {OpenHoldingOp{usd, INT64_MAX / 4}}));
    block(std::move(txs));
    std::vector<Operation> issues;
    for (size_t i = 1; i < keys.size(); ++i)
      issues.push_back(IssueOp{keys[i].account_id(), usd.code, 1'000'000'000});
    block({make(issuer, std::move(issues))});
  }
  Transaction make(const KeyPair& k, std::vector<Operation> ops) {
    Transaction tx;
    tx.network_id = network;
    tx.source = k.account_id();
    tx.nonce = nonce++;
    tx.valid_until_height = height + 10'000;
    tx.ops = std::move(ops);
    tx.sign(k);
    return tx;
  }
  // A batch-signed transaction of `count` transfers of one unit from a random holder to random
  // others.
  Transaction random_transfers(std::mt19937_64& rng, size_t count) {
    const size_t holders = keys.size() - 1;  // keys[0] is the issuer.
    const size_t from = 1 + rng() % holders;
    std::vector<Operation> ops;
    ops.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      size_t to = 1 + rng() % holders;
      if (to == from) to = to % holders + 1;
      ops.push_back(TransferOp{keys[to].account_id(), usd, 1});
    }
    return make(keys[from], std::move(ops));
  }
  void block(std::vector<Transaction> txs) {
    Block b;
    b.header.height = ++height;
    b.txs = std::move(txs);
    execute_block(ledger, b, network);
  }
  uint64_t nonce = 1;
};

// Decoding a batch-signed envelope of 1,000 transfers, as admission does once per envelope on
// every validator.
void BM_DecodeTransferEnvelope(benchmark::State& state) {
  Fixture f(1'000);
  std::vector<Operation> ops;
  for (size_t i = 0; i < 1'000; ++i)
    ops.push_back(TransferOp{f.keys[1 + i % 1'000].account_id(), f.usd, 1});
  const Bytes envelope = encode_transaction(f.make(f.keys[1], std::move(ops)));
  for (auto _ : state) benchmark::DoNotOptimize(decode_transaction(envelope));
  state.SetItemsProcessed(state.iterations() * 1'000);
}
BENCHMARK(BM_DecodeTransferEnvelope);

void BM_ApplyTransferBatch(benchmark::State& state) {
  Fixture f(10'000);
  std::mt19937_64 rng(2);
  const size_t ops_per_tx = 10'000;
  for (auto _ : state) {
    state.PauseTiming();
    size_t from = 1 + rng() % 10'000;
    std::vector<Operation> ops;
    for (size_t i = 0; i < ops_per_tx; ++i) {
      size_t to = 1 + rng() % 10'000;
      if (to == from) to = to % 10'000 + 1;
      ops.push_back(TransferOp{f.keys[to].account_id(), f.usd, 1});
    }
    Transaction tx = f.make(f.keys[from], std::move(ops));
    Bytes env = encode_transaction(tx);
    state.ResumeTiming();
    auto decoded = decode_transaction(env);
    Block b;
    b.header.height = ++f.height;
    b.txs.push_back(std::move(decoded).value());
    benchmark::DoNotOptimize(execute_block(f.ledger, b, f.network));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(ops_per_tx));
}
BENCHMARK(BM_ApplyTransferBatch)->Unit(benchmark::kMillisecond);

// The executor's work per block at half the network benchmark's peak load (`bench network
// --mode open --rate 185000 --accounts 10000`): about 27 blocks a second of 7,000 transfers,
// here 7 batch-signed transactions of 1,000 transfers each from a random holder to random
// others, so that most of the 10,000 holdings change in every block. Each iteration executes
// one block (signatures verified at admission, not again), which ends it (encoding the changed
// entries, hashing them and updating the state tree), and merges its delta into the changes
// waiting for a state checkpoint, as the node's executor thread does. Since the tenth stop the
// executed block is also freed within the measurement, and the argument says whether its delta
// is given back to the ledger for the next block's changes (1, as the node does) or not (0).
void BM_LedgerDenseBlock(benchmark::State& state) {
  const bool recycle = state.range(0) != 0;
  constexpr size_t accounts = 10'000;
  constexpr size_t txs_per_block = 7;
  constexpr size_t transfers_per_tx = 1'000;
  Fixture f(accounts);
  StateDeltaAccumulator accumulator;
  std::mt19937_64 rng(4);
  size_t changed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Block b;
    b.header.height = ++f.height;
    for (size_t t = 0; t < txs_per_block; ++t)
      b.txs.push_back(f.random_transfers(rng, transfers_per_tx));
    // A checkpoint every 64 blocks writes the merged changes and starts over.
    if (f.height % 64 == 0) accumulator.clear();
    state.ResumeTiming();
    ExecutedBlock done = execute_block(f.ledger, b, f.network, 1, /*verify_signatures=*/false);
    accumulator.add(done.delta);
    changed += done.delta.changes.size();
    if (recycle) f.ledger.recycle_delta(std::move(done.delta));
    done = ExecutedBlock{};
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(txs_per_block * transfers_per_tx));
  state.counters["changed_per_block"] =
      static_cast<double>(changed) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_LedgerDenseBlock)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// A validator's executor at half the network benchmark's peak on this stop's machine (`bench
// network --mode open --rate 178000 --accounts 10000`: about 120 blocks a second of 1,500
// transfers, one batch-signed transaction each), with the node's settings: a state root every
// 64 blocks, a checkpoint every 512. Each iteration executes one block, merges its changes into
// those waiting for the checkpoint and gives its delta back, as Node::commit_batch does; at a
// checkpoint the waiting changes are taken and start over. The argument says whether the ledger
// holds its changed holdings until the checkpoint (1, Ledger::hold_holding_changes, as a node's
// ledger does since the twenty-fourth stop) or every block's delta carries them (0).
void BM_ExecutorBlockAtHalfPeak(benchmark::State& state) {
  const bool hold = state.range(0) != 0;
  constexpr size_t accounts = 10'000;
  constexpr size_t transfers_per_block = 1'500;
  constexpr uint64_t root_interval = 64;
  constexpr uint64_t checkpoint_blocks = 512;
  Fixture f(accounts, root_interval, hold);
  StateDeltaAccumulator waiting;
  std::mt19937_64 rng(6);
  for (auto _ : state) {
    state.PauseTiming();
    Block b;
    b.header.height = ++f.height;
    b.txs.push_back(f.random_transfers(rng, transfers_per_block));
    state.ResumeTiming();
    ExecutedBlock done = execute_block(f.ledger, b, f.network, 1, /*verify_signatures=*/false);
    waiting.add(done.delta);
    f.ledger.recycle_delta(std::move(done.delta));
    if (f.height % checkpoint_blocks == 0) {
      if (hold) waiting.add(f.ledger.take_holding_changes());
      benchmark::DoNotOptimize(waiting.size());
      waiting.clear();
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(transfers_per_block));
}
BENCHMARK(BM_ExecutorBlockAtHalfPeak)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// The executor's blocks at half the network benchmark's peak (`bench network --mode open --rate
// 70000 --accounts 10000` on the 2-core machine of docs/benchmarks.md): one batch-signed
// transaction of 1,200 transfers a block. Each iteration executes the blocks from one root
// height to the next (the argument is the state root interval), so it holds one fold of the
// waiting changes into the state tree, at its end; the time per block is the figure.
void BM_LedgerBlocksToRootHeight(benchmark::State& state) {
  const auto interval = static_cast<uint64_t>(state.range(0));
  constexpr size_t accounts = 10'000;
  constexpr size_t transfers_per_block = 1'200;
  Fixture f(accounts, interval);
  std::mt19937_64 rng(5);
  // Empty blocks up to a root height, so that every iteration's last block folds.
  while (f.height % interval != 0) f.block({});
  std::vector<Block> blocks(interval);
  for (auto _ : state) {
    state.PauseTiming();
    for (auto& b : blocks) {
      b = Block{};
      b.header.height = ++f.height;
      b.txs.push_back(f.random_transfers(rng, transfers_per_block));
    }
    state.ResumeTiming();
    for (const auto& b : blocks) {
      ExecutedBlock done = execute_block(f.ledger, b, f.network, 1, /*verify_signatures=*/false);
      f.ledger.recycle_delta(std::move(done.delta));
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(interval));
  state.counters["ms_per_block"] =
      benchmark::Counter(static_cast<double>(state.iterations() * interval) / 1e3,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_LedgerBlocksToRootHeight)->Arg(8)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond);

// The liquidity queue through the Ledger: one block in which 100 banks queue 1,000 payments
// each (100,000 in all, amounts up to 40% of a bank's balance, so that many positions go short and
// trimming does real work), then the block's end resolves the whole queue and applies the result.
// Measures applying the queue operations, the gridlock resolution, and the state tree update.
void BM_LedgerQueueBlock(benchmark::State& state) {
  constexpr size_t banks = 100;
  constexpr size_t per_bank = 1'000;
  int64_t settled = 0;
  for (auto _ : state) {
    state.PauseTiming();
    Fixture f(banks);
    std::mt19937_64 rng(3);
    Block b;
    b.header.height = ++f.height;
    for (size_t from = 1; from <= banks; ++from) {
      std::vector<Operation> ops;
      for (size_t i = 0; i < per_bank; ++i) {
        size_t to = 1 + rng() % banks;
        if (to == from) to = to % banks + 1;
        ops.push_back(QueueTransferOp{f.keys[to].account_id(), f.usd,
                                      static_cast<Amount>(1 + rng() % 400'000'000),
                                      queue_band_normal, f.height + 100});
      }
      b.txs.push_back(f.make(f.keys[from], std::move(ops)));
    }
    state.ResumeTiming();
    ExecutedBlock done = execute_block(f.ledger, b, f.network, 1, /*verify_signatures=*/false);
    state.PauseTiming();
    for (const auto& e : done.result.queue_events) settled += e.kind == QueueEventKind::settled;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(banks * per_bank));
  state.counters["settled_per_block"] =
      static_cast<double>(settled) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_LedgerQueueBlock)->Unit(benchmark::kMillisecond)->Iterations(3);

// Writes one batch per iteration (built with the timer paused) into a RocksDB store opened in
// a fresh temporary directory, which goes when the benchmark ends.
void run_store_batches(benchmark::State& state, const storage::RocksDbOptions& options,
                       size_t batch_ops, const std::function<storage::WriteBatch()>& next_batch) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("corridor-micro-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto opened = storage::open_rocksdb_store(dir.string(), options);
  if (!opened.ok()) {
    state.SkipWithError(opened.status().to_string().c_str());
    return;
  }
  auto store = std::move(opened).value();
  for (auto _ : state) {
    state.PauseTiming();
    const storage::WriteBatch batch = next_batch();
    state.ResumeTiming();
    if (Status st = store->write(batch, false); !st.ok()) {
      state.SkipWithError(st.to_string().c_str());
      break;
    }
  }
  store.reset();
  std::filesystem::remove_all(dir);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch_ops));
}

// One block's transaction index as node::ChainStore::commit writes it: a key per transaction
// (a prefix byte and the random 32-byte id) with its 28-byte entry, 700 to a batch (an
// individually signed block at about 7,000 transactions a second), into a RocksDB store whose
// memtable fills as the benchmark runs. Arguments: the keys in block order (0) or ascending
// (1, as ChainStore::commit writes them); the store's unordered_write off (0) or on (1, as a
// node opens it). With unordered_write the memtable takes each batch by concurrent inserts,
// which the store makes keep their search position from key to key (storage/
// rocksdb_kv_store.cc): ascending keys then start each search close to where it ends. Without
// it the inserts are serial and keep their position anyway, and the order changes little.
// Unsynced, so that the figure is the memtable's work rather than the disk's.
void BM_StoreTxIndexBatch(benchmark::State& state) {
  const bool sorted = state.range(0) != 0;
  storage::RocksDbOptions options;
  options.unordered_write = state.range(1) != 0;
  constexpr size_t batch_keys = 700;
  std::mt19937_64 rng(42);
  std::vector<Bytes> keys(batch_keys, Bytes(33));
  const Bytes location(28, 1);
  run_store_batches(state, options, batch_keys, [&] {
    for (Bytes& k : keys) {
      k[0] = 'T';
      for (size_t i = 1; i < k.size(); ++i) k[i] = static_cast<uint8_t>(rng());
    }
    if (sorted) std::sort(keys.begin(), keys.end());
    storage::WriteBatch batch;
    for (const Bytes& k : keys) batch.put(k, location);
    return batch;
  });
}
BENCHMARK(BM_StoreTxIndexBatch)->ArgsProduct({{0, 1}, {0, 1}})->Iterations(2'000);

// The answer to a resubmitted final transaction (node::Node::submit): one block as the closed
// loop's peak makes them, 500 batch-signed transactions of about 60 KB (1,000 transfers each,
// 30 MB in all), committed to a RocksDB store and flushed by a reopen; then each iteration asks
// for one of its transactions. Argument 0 reads it as ChainStore::tx_record does, with the
// whole block (what the answer read before the index entry held the block's time); 1 as
// ChainStore::tx_finality does, with the index entry and the block's result only.
void BM_ChainStoreFinalityAnswer(benchmark::State& state) {
  const bool finality_only = state.range(0) != 0;
  constexpr size_t txs = 500;
  constexpr size_t envelope_bytes = 60'000;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("corridor_bench_finality_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::mt19937_64 rng(7);
  ledger::Block block;
  block.header.height = 1;
  block.header.time_ms = 1'000;
  std::vector<Bytes> envelopes;
  ledger::BlockResult result;
  for (size_t i = 0; i < txs; ++i) {
    ledger::Transaction& tx = block.txs.emplace_back();
    for (uint8_t& byte : tx.id.bytes) byte = static_cast<uint8_t>(rng());
    Bytes& envelope = envelopes.emplace_back(envelope_bytes);
    for (uint8_t& byte : envelope) byte = static_cast<uint8_t>(rng());
    result.outcomes.push_back(ledger::TxOutcome{});
  }
  {
    auto opened = storage::open_rocksdb_store(dir.string(), storage::RocksDbOptions());
    if (!opened.ok()) {
      state.SkipWithError(opened.status().to_string().c_str());
      return;
    }
    node::ChainStore chain(**opened);
    if (Status st = chain.init_genesis("bench"); !st.ok()) {
      state.SkipWithError(st.to_string().c_str());
      return;
    }
    if (Status st = chain.commit(block, envelopes, result, nullptr); !st.ok()) {
      state.SkipWithError(st.to_string().c_str());
      return;
    }
  }
  auto opened = storage::open_rocksdb_store(dir.string(), storage::RocksDbOptions());
  if (!opened.ok()) {
    state.SkipWithError(opened.status().to_string().c_str());
    return;
  }
  auto store = std::move(opened).value();
  node::ChainStore chain(*store);
  size_t next = 0;
  for (auto _ : state) {
    const Hash256& id = block.txs[next++ % txs].id;
    const bool found = finality_only ? chain.tx_finality(id).value().has_value()
                                     : chain.tx_record(id).value().has_value();
    if (!found) {
      state.SkipWithError("a committed transaction was not found");
      break;
    }
  }
  store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ChainStoreFinalityAnswer)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// A state checkpoint's batch as node::CheckpointWriter writes it: 10,000 changed entries ('S' and
// a 40-byte key, 60-byte values) in ascending key order, the same keys each time (the holdings
// a busy network changes between two checkpoints), unsynced. Argument: the store's
// unordered_write, off or on as the node opens it. With it on, the memtable takes every batch
// by concurrent inserts, which search the skip list from its head for each key unless the
// store passes a position hint along the batch (storage/rocksdb_kv_store.cc).
void BM_StoreCheckpointBatch(benchmark::State& state) {
  storage::RocksDbOptions options;
  options.unordered_write = state.range(0) != 0;
  constexpr size_t batch_keys = 10'000;
  std::mt19937_64 rng(7);
  std::vector<Bytes> keys(batch_keys, Bytes(41));
  for (Bytes& k : keys) {
    k[0] = 'S';
    for (size_t i = 1; i < k.size(); ++i) k[i] = static_cast<uint8_t>(rng());
  }
  std::sort(keys.begin(), keys.end());
  Bytes value(60, 0);
  run_store_batches(state, options, batch_keys, [&] {
    storage::WriteBatch batch;
    value[0] = static_cast<uint8_t>(rng());
    for (const Bytes& k : keys) batch.put(k, value);
    return batch;
  });
}
BENCHMARK(BM_StoreCheckpointBatch)->Arg(0)->Arg(1)->Iterations(200)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace corridor

BENCHMARK_MAIN();
