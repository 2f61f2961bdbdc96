#include "cli/bench_apply.h"
#include "cli/exit_codes.h"

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "base/allocator.h"
#include "base/amount.h"
#include "base/asset_code.h"
#include "base/bytes.h"
#include "base/encoding.h"
#include "base/hash.h"
#include "base/keys.h"
#include "base/percentile.h"
#include "base/status.h"
#include "ledger/limits.h"
#include "ledger/operation.h"
#include "ledger/result_code.h"
#include "ledger/transaction.h"
#include "node/config.h"
#include "node/mempool.h"
#include "node/node.h"
#include "node/orderer.h"
#include "sim/rng.h"
#include "storage/mem_kv_store.h"

namespace corridor::cli {
namespace {

using Clock = std::chrono::steady_clock;
using ledger::Operation;
using ledger::ResultCode;
using ledger::Transaction;

constexpr const char* bench_network_name = "corridor-bench";
constexpr std::string_view key_domain = "corridor.bench.apply.key";
constexpr std::string_view asset_code_text = "USD";
constexpr uint8_t asset_scale = 2;
// Each transfer moves 1 to transfer_amount_max minor units: small, so that funding every holder
// for the worst case (every transfer it signs at the maximum, none received) stays far below the
// int64 supply limit, and no transfer can fail for lack of balance whatever the order.
constexpr Amount transfer_amount_max = 100;
// Creating an account or opening a holding is one envelope each, since its source signs it;
// setup blocks hold at most this many envelopes and bytes, well inside the block limits.
constexpr uint32_t setup_block_txs_max = 10'000;
constexpr size_t setup_block_bytes_max = size_t{16} << 20;
// Block times are stamped here, as an orderer would: the ledger reads no clock, and any
// increasing sequence serves.
constexpr uint64_t first_block_time_ms = 1'700'000'000'000;
constexpr uint64_t block_interval_ms = 1'000;
// Text mode prints about this many progress lines, whatever the number of blocks.
constexpr uint32_t progress_lines_max = 20;
// What a stored block adds around its envelopes: the header (version, height, parent hash,
// time, tx root, tx count, parent state root) and a u32 length per envelope.
constexpr size_t block_header_bytes = 1 + 8 + 32 + 8 + 32 + 4 + 32;
constexpr size_t envelope_length_bytes = 4;

constexpr double ms_per_s = 1'000.0;
constexpr double bytes_per_mb = 1'000'000.0;

// splitmix64 (sim/rng.h): the same sequence for a seed on every platform and standard
// library, which the std distributions do not promise.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() { return sim::splitmix64(state_); }
  // In [0, n). The modulo bias is below n / 2^64, invisible at benchmark sizes.
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t state_;
};

// Key i of a run: the Ed25519 seed is SHA-256(domain || seed || i), so a run is reproducible.
// Index 0 is the issuer, 1..accounts the holders.
KeyPair bench_key(uint64_t seed, uint64_t index) {
  Bytes material(key_domain.begin(), key_domain.end());
  Writer w(material);
  w.u64(seed);
  w.u64(index);
  return KeyPair::from_seed(Seed::from_view(sha256(material).view()));
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string fixed(double value, int precision) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(precision);
  s << value;
  return s.str();
}

// A fresh directory under the system's temporary directory, removed with its contents when the
// owner goes away.
class TempDir {
 public:
  TempDir() = default;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  Status create() {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string pattern = (base / "corridor-bench-apply-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
      return io_error("cannot create a temporary directory from '" + pattern + "'");
    path_ = pattern;
    return Status();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Status failure(std::string message) {
  return Status(StatusCode::internal, std::move(message));
}

// The accounts of a run and the asset they hold.
struct Participants {
  std::vector<KeyPair> keys;  // [0] the issuer, then the holders.
  std::vector<AccountId> ids;
  AssetId asset;

  const KeyPair& holder_key(uint32_t holder) const { return keys[holder + 1]; }
  const AccountId& holder_id(uint32_t holder) const { return ids[holder + 1]; }
};

Participants make_participants(uint64_t seed, uint32_t holders) {
  Participants p;
  p.keys.reserve(size_t{holders} + 1);
  p.ids.reserve(size_t{holders} + 1);
  for (uint64_t i = 0; i <= holders; ++i) {
    p.keys.push_back(bench_key(seed, i));
    p.ids.push_back(p.keys.back().account_id());
  }
  auto code = AssetCode::parse(asset_code_text);
  CORRIDOR_ASSERT(code.ok());
  p.asset = AssetId{*code, p.ids[0]};
  return p;
}

Transaction signed_tx(const Hash256& network_id, const KeyPair& key, const AccountId& source,
                      uint64_t nonce, uint64_t valid_until_height, std::vector<Operation> ops) {
  Transaction tx;
  tx.network_id = network_id;
  tx.source = source;
  tx.nonce = nonce;
  tx.valid_until_height = valid_until_height;
  tx.ops = std::move(ops);
  tx.sign(key);
  return tx;
}

// Reads the stored result of a block and fails unless it holds `txs` outcomes, all ok.
Status check_block_outcomes(const node::Node& node, uint64_t height, size_t txs) {
  CORRIDOR_ASSIGN_OR_RETURN(auto info, node.block(height));
  if (!info) return failure("block " + std::to_string(height) + " is not in the store");
  const auto& outcomes = info->result.outcomes;
  if (outcomes.size() != txs)
    return failure("block " + std::to_string(height) + " holds " + std::to_string(outcomes.size()) +
                   " outcomes, expected " + std::to_string(txs));
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const ledger::TxOutcome& o = outcomes[i];
    if (o.code == ResultCode::ok) continue;
    std::string message = "block " + std::to_string(height) + " transaction " + std::to_string(i) +
                          ": " + std::string(ledger::result_code_name(o.code));
    if (o.op_code != ResultCode::ok)
      message += " (operation " + std::to_string(o.op_index) + ": " +
                 std::string(ledger::result_code_name(o.op_code)) + ")";
    return failure(std::move(message));
  }
  return Status();
}

uint64_t block_time_ms(uint64_t height) {
  return first_block_time_ms + height * block_interval_ms;
}

// Groups setup transactions into blocks of at most setup_block_txs_max envelopes and
// setup_block_bytes_max bytes, commits each through the node and checks that every transaction
// applied.
class SetupBlocks {
 public:
  explicit SetupBlocks(node::Node& node) : node_(node), height_(node.status().height) {}

  // The height the next added transaction will be applied at.
  uint64_t next_height() const { return height_ + 1; }
  uint32_t blocks() const { return blocks_; }

  Status add(Transaction tx) {
    Bytes envelope = ledger::encode_transaction(tx);
    batch_bytes_ += envelope.size();
    batch_.txs.push_back(node::PendingTx{std::move(tx), std::move(envelope)});
    if (batch_.txs.size() >= setup_block_txs_max || batch_bytes_ >= setup_block_bytes_max)
      return flush();
    return Status();
  }

  Status flush() {
    if (batch_.txs.empty()) return Status();
    size_t txs = batch_.txs.size();
    batch_.time_ms = block_time_ms(height_ + 1);
    node_.commit_batch(std::move(batch_));
    batch_ = node::OrderedBatch{};
    batch_bytes_ = 0;
    ++height_;
    ++blocks_;
    if (node_.status().height != height_)
      return failure("setup block " + std::to_string(height_) + " was not committed");
    return check_block_outcomes(node_, height_, txs);
  }

 private:
  node::Node& node_;
  uint64_t height_;
  uint32_t blocks_ = 0;
  node::OrderedBatch batch_;
  size_t batch_bytes_ = 0;
};

// Creates the issuer and holder accounts, the asset, every holding, and funds each holder
// with `funding` minor units.
Result<uint32_t> run_setup(node::Node& node, const Participants& p, Amount funding) {
  const Hash256& network_id = node.network_id();
  const auto holders = static_cast<uint32_t>(p.ids.size() - 1);
  SetupBlocks setup(node);

  // create_account must be the only operation of its envelope, signed by the new key.
  for (size_t i = 0; i < p.keys.size(); ++i)
    CORRIDOR_RETURN_IF_ERROR(
        setup.add(signed_tx(network_id, p.keys[i], p.ids[i], 0, setup.next_height(),
                            {ledger::CreateAccountOp{p.keys[i].public_key()}})));
  CORRIDOR_RETURN_IF_ERROR(setup.flush());

  CORRIDOR_RETURN_IF_ERROR(
      setup.add(signed_tx(network_id, p.keys[0], p.ids[0], 0, setup.next_height(),
                          {ledger::CreateAssetOp{p.asset.code, asset_scale, 0}})));
  CORRIDOR_RETURN_IF_ERROR(setup.flush());

  // No limit worth testing here: the holding's limit is the largest amount there is.
  for (uint32_t h = 0; h < holders; ++h)
    CORRIDOR_RETURN_IF_ERROR(
        setup.add(signed_tx(network_id, p.holder_key(h), p.holder_id(h), 0, setup.next_height(),
                            {ledger::OpenHoldingOp{p.asset, std::numeric_limits<Amount>::max()}})));
  CORRIDOR_RETURN_IF_ERROR(setup.flush());

  // Funding is batched like the timed transfers: up to tx_ops_max issue operations under one
  // signature of the issuer.
  uint64_t nonce = 0;
  for (uint32_t first = 0; first < holders; first += ledger::tx_ops_max) {
    uint32_t last = std::min(holders, first + ledger::tx_ops_max);
    std::vector<Operation> ops;
    ops.reserve(last - first);
    for (uint32_t h = first; h < last; ++h)
      ops.emplace_back(ledger::IssueOp{p.holder_id(h), p.asset.code, funding});
    CORRIDOR_RETURN_IF_ERROR(setup.add(
        signed_tx(network_id, p.keys[0], p.ids[0], nonce++, setup.next_height(), std::move(ops))));
  }
  CORRIDOR_RETURN_IF_ERROR(setup.flush());
  return setup.blocks();
}

struct TimedBlocks {
  // envelopes[b] are the canonical encodings of block b's transactions.
  std::vector<std::vector<Bytes>> envelopes;
  size_t bytes = 0;
  size_t largest_block_bytes = 0;
};

// Pre-generates every timed block, signed as clients would before sending: envelope k is signed
// by holder k mod holders and pays pseudo-random other holders small amounts.
TimedBlocks generate_blocks(const BenchApplyOptions& o, const Participants& p,
                            const Hash256& network_id, uint64_t first_height) {
  TimedBlocks out;
  out.envelopes.resize(o.blocks);
  SplitMix64 rng(o.seed);
  const uint32_t holders = o.accounts;
  uint64_t envelope_index = 0;
  for (uint32_t b = 0; b < o.blocks; ++b) {
    std::vector<Bytes>& block = out.envelopes[b];
    block.reserve(o.txs_per_block);
    size_t block_bytes = block_header_bytes;
    for (uint32_t t = 0; t < o.txs_per_block; ++t, ++envelope_index) {
      const auto signer = static_cast<uint32_t>(envelope_index % holders);
      Transaction tx;
      tx.network_id = network_id;
      tx.source = p.holder_id(signer);
      // Distinct per envelope, so two envelopes with the same transfers still differ in id.
      tx.nonce = envelope_index;
      tx.valid_until_height = first_height + b;
      tx.ops.reserve(o.ops_per_tx);
      for (uint32_t i = 0; i < o.ops_per_tx; ++i) {
        // Any holder but the signer: a self-transfer is rejected.
        auto to = static_cast<uint32_t>((signer + 1 + rng.below(holders - 1)) % holders);
        auto amount = static_cast<Amount>(1 + rng.below(transfer_amount_max));
        tx.ops.emplace_back(ledger::TransferOp{p.holder_id(to), p.asset, amount});
      }
      tx.sign(p.holder_key(signer));
      block.push_back(ledger::encode_transaction(tx));
      block_bytes += envelope_length_bytes + block.back().size();
      out.bytes += block.back().size();
    }
    out.largest_block_bytes = std::max(out.largest_block_bytes, block_bytes);
  }
  return out;
}

// The balance each holder starts with: enough for every transfer it signs at the largest
// amount, or nullopt when the total supply would not fit in an Amount.
std::optional<Amount> funding_per_holder(const BenchApplyOptions& o) {
  const uint64_t envelopes = uint64_t{o.blocks} * o.txs_per_block;
  const uint64_t envelopes_per_holder = (envelopes + o.accounts - 1) / o.accounts;
  Amount funding = 0;
  Amount supply = 0;
  if (__builtin_mul_overflow(static_cast<Amount>(envelopes_per_holder),
                             static_cast<Amount>(o.ops_per_tx), &funding) ||
      __builtin_mul_overflow(funding, transfer_amount_max, &funding) ||
      __builtin_mul_overflow(funding, static_cast<Amount>(o.accounts), &supply))
    return std::nullopt;
  return funding;
}

std::string validate(const BenchApplyOptions& o) {
  if (o.accounts < 2) return "--accounts must be at least 2: a holder pays other holders";
  if (o.accounts >= std::numeric_limits<uint32_t>::max())
    return "--accounts must be below " + std::to_string(std::numeric_limits<uint32_t>::max());
  if (o.blocks == 0) return "--blocks must be at least 1";
  if (o.txs_per_block == 0 || o.txs_per_block > ledger::block_txs_max)
    return "--txs-per-block must be in 1.." + std::to_string(ledger::block_txs_max);
  if (o.ops_per_tx == 0 || o.ops_per_tx > ledger::tx_ops_max)
    return "--ops-per-tx must be in 1.." + std::to_string(ledger::tx_ops_max);
  if (!funding_per_holder(o))
    return "funding every holder for its transfers would overflow the asset's supply; use "
           "fewer blocks, envelopes or operations, or more accounts";
  return "";
}

// Fails unless `path` is absent or an empty directory: a previous run's chain would make the
// setup fail (its accounts exist already), and the benchmark must not write into other data.
Status check_data_dir(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status();
  if (!std::filesystem::is_directory(path, ec) || !std::filesystem::is_empty(path, ec) || ec)
    return invalid_argument("--data-dir '" + path + "' must be absent or an empty directory");
  return Status();
}

struct Results {
  uint32_t setup_blocks = 0;
  double setup_s = 0;
  double generate_s = 0;
  uint64_t first_height = 0;
  uint64_t transfers = 0;
  double elapsed_s = 0;
  double decode_verify_s = 0;
  double commit_s = 0;
  std::vector<double> block_ms;  // Sorted once the run is over.
  std::string state_root_hex;
  uint64_t transfers_per_s = 0;
};

class BenchApply {
 public:
  BenchApply(const BenchApplyOptions& options, std::ostream& out)
      : o_(options), out_(out), text_(!options.json) {}

  int run() {
    if (std::string problem = validate(o_); !problem.empty()) {
      out_ << "bench apply: " << problem << "\n";
      return exit_usage;
    }
    Status st = run_checked();
    if (st.code() == StatusCode::invalid_argument) {
      out_ << "bench apply: " << st.message() << "\n";
      return exit_usage;
    }
    if (!st.ok()) {
      out_ << "bench apply: FAILED: " << st.message() << "\n";
      return exit_failed;
    }
    if (o_.json) print_json();
    out_ << "transfers_per_s: " << r_.transfers_per_s << "\n";
    return exit_ok;
  }

 private:
  Status run_checked() {
    node::NodeConfig config;
    config.network_name = bench_network_name;
    config.check_invariants = false;
    // Declared before the node, so the directory outlives it.
    TempDir temp_dir;
    std::shared_ptr<storage::MemKvStore> mem;
    if (o_.durable) {
      config.storage = node::StorageEngine::rocksdb;
      if (o_.data_dir.empty()) {
        CORRIDOR_RETURN_IF_ERROR(temp_dir.create());
        config.data_dir = temp_dir.path();
      } else {
        CORRIDOR_RETURN_IF_ERROR(check_data_dir(o_.data_dir));
        config.data_dir = o_.data_dir;
      }
    } else {
      config.storage = node::StorageEngine::memory;
      // Held here as well as by the node, so the same store can be reloaded afterwards.
      mem = std::make_shared<storage::MemKvStore>();
    }
    print_configuration(config);

    CORRIDOR_ASSIGN_OR_RETURN(std::unique_ptr<node::Node> node, node::Node::open(config, mem));
    const Amount funding = *funding_per_holder(o_);

    Clock::time_point t0 = Clock::now();
    Participants participants = make_participants(o_.seed, o_.accounts);
    CORRIDOR_ASSIGN_OR_RETURN(r_.setup_blocks, run_setup(*node, participants, funding));
    r_.setup_s = seconds(Clock::now() - t0);
    if (text_)
      out_ << "setup: " << participants.ids.size() << " accounts, 1 asset, " << o_.accounts
           << " holdings funded with " << funding << " minor units each, in " << r_.setup_blocks
           << " blocks, " << fixed(r_.setup_s, 2) << " s\n";

    t0 = Clock::now();
    r_.first_height = node->status().height + 1;
    TimedBlocks timed = generate_blocks(o_, participants, node->network_id(), r_.first_height);
    r_.generate_s = seconds(Clock::now() - t0);
    if (timed.largest_block_bytes > ledger::block_bytes_max)
      return invalid_argument("a block of " + std::to_string(timed.largest_block_bytes) +
                              " bytes exceeds the limit of " +
                              std::to_string(ledger::block_bytes_max) +
                              "; use fewer envelopes or operations per block");
    if (text_)
      out_ << "generated: " << timed.envelopes.size() * o_.txs_per_block << " signed envelopes, "
           << fixed(static_cast<double>(timed.bytes) / bytes_per_mb, 1) << " MB, in "
           << fixed(r_.generate_s, 2) << " s (client side, not timed)\n";

    CORRIDOR_RETURN_IF_ERROR(run_timed(*node, timed));
    CORRIDOR_RETURN_IF_ERROR(verify(std::move(node), config, mem));
    print_text_results();
    return Status();
  }

  // The timed region: per block, what a node does with the bytes it received.
  Status run_timed(node::Node& node, TimedBlocks& timed) {
    const Hash256& network_id = node.network_id();
    const uint32_t progress_every = std::max<uint32_t>(1, o_.blocks / progress_lines_max);
    Clock::duration decode_total{};
    Clock::duration commit_total{};
    r_.block_ms.reserve(o_.blocks);
    for (uint32_t b = 0; b < o_.blocks; ++b) {
      const uint64_t height = r_.first_height + b;
      Clock::time_point start = Clock::now();
      node::OrderedBatch batch;
      batch.time_ms = block_time_ms(height);
      batch.txs.reserve(o_.txs_per_block);
      for (Bytes& envelope : timed.envelopes[b]) {
        auto tx = ledger::decode_transaction(envelope);
        if (!tx.ok())
          return failure("block " + std::to_string(height) + ": " + tx.status().to_string());
        ledger::StatelessCheck check =
            ledger::check_stateless(*tx, network_id, /*verify_signatures=*/true);
        if (check.code != ResultCode::ok)
          return failure("block " + std::to_string(height) +
                         ": stateless check: " + std::string(ledger::result_code_name(check.code)));
        batch.txs.push_back(node::PendingTx{std::move(tx).value(), std::move(envelope)});
      }
      Clock::time_point decoded = Clock::now();
      node.commit_batch(std::move(batch));
      Clock::time_point committed = Clock::now();

      decode_total += decoded - start;
      commit_total += committed - decoded;
      r_.block_ms.push_back(seconds(committed - start) * ms_per_s);
      if (text_ && ((b + 1) % progress_every == 0 || b + 1 == o_.blocks))
        out_ << "block " << height << " (" << b + 1 << "/" << o_.blocks
             << "): " << fixed(r_.block_ms.back(), 1) << " ms\n";
    }
    timed.envelopes.clear();
    r_.transfers = uint64_t{o_.blocks} * o_.txs_per_block * o_.ops_per_tx;
    r_.decode_verify_s = seconds(decode_total);
    r_.commit_s = seconds(commit_total);
    r_.elapsed_s = r_.decode_verify_s + r_.commit_s;
    r_.transfers_per_s =
        r_.elapsed_s > 0 ? static_cast<uint64_t>(static_cast<double>(r_.transfers) / r_.elapsed_s)
                         : 0;
    std::sort(r_.block_ms.begin(), r_.block_ms.end());
    return Status();
  }

  // After the run: every outcome ok, the ledger's invariants hold, and a node reloaded from
  // the store alone arrives at the same height and state root.
  Status verify(std::unique_ptr<node::Node> node, const node::NodeConfig& config,
                const std::shared_ptr<storage::MemKvStore>& mem) {
    for (uint32_t b = 0; b < o_.blocks; ++b)
      CORRIDOR_RETURN_IF_ERROR(check_block_outcomes(*node, r_.first_height + b, o_.txs_per_block));
    node::NodeStatus before = node->status();
    if (before.height != r_.first_height + o_.blocks - 1)
      return failure("the node is at height " + std::to_string(before.height) + ", expected " +
                     std::to_string(r_.first_height + o_.blocks - 1));
    Status invariants = node->check_invariants();
    if (!invariants.ok()) return failure("invariants broken: " + invariants.to_string());
    node.reset();

    std::shared_ptr<storage::KvStore> reopen_kv;
    if (mem) {
      // Every block was committed with a synced write, so a power loss loses nothing.
      mem->crash_lose_all_unsynced();
      reopen_kv = mem;
    }
    // Opening loads every entry and recomputes the state tree, failing if its root differs
    // from the head's; the comparison below checks the head against the run's own root.
    auto reloaded = node::Node::open(config, reopen_kv);
    if (!reloaded.ok()) return failure("reloading the store: " + reloaded.status().to_string());
    node::NodeStatus after = (*reloaded)->status();
    if (after.height != before.height || after.state_root != before.state_root)
      return failure("reloaded store is at height " + std::to_string(after.height) +
                     " with state root " + after.state_root.hex() + ", the run ended at " +
                     std::to_string(before.height) + " with " + before.state_root.hex());
    Status reloaded_invariants = (*reloaded)->check_invariants();
    if (!reloaded_invariants.ok())
      return failure("invariants broken after reload: " + reloaded_invariants.to_string());
    r_.state_root_hex = after.state_root.hex();
    return Status();
  }

  void print_configuration(const node::NodeConfig& config) {
    if (!text_) return;
    out_ << "corridor bench apply: "
         << (o_.durable ? "RocksDB at " + config.data_dir + ", synced per block"
                        : std::string("in-memory store"))
         << "\n"
         << "accounts: " << o_.accounts << ", blocks: " << o_.blocks
         << ", txs_per_block: " << o_.txs_per_block << ", ops_per_tx: " << o_.ops_per_tx
         << ", seed: " << o_.seed << "\n";
  }

  void print_text_results() {
    if (!text_) return;
    const auto& ms = r_.block_ms;
    out_ << "block_ms: p50 " << fixed(percentile(ms, 0.50), 1) << ", p99 "
         << fixed(percentile(ms, 0.99), 1) << ", max " << fixed(ms.back(), 1) << "\n"
         << "decode_verify_s: " << fixed(r_.decode_verify_s, 3)
         << " (decode, stateless checks, signatures)\n"
         << "commit_s: " << fixed(r_.commit_s, 3) << " (execute, state root, store write"
         << (o_.durable ? " and sync" : "") << ")\n"
         << "transfers: " << r_.transfers << "\n"
         << "elapsed_s: " << fixed(r_.elapsed_s, 3) << "\n"
         << "state_root: " << r_.state_root_hex << "\n"
         << "state_root_verified: yes\n";
  }

  void print_json() {
    const auto& ms = r_.block_ms;
    nlohmann::ordered_json j = {
        {"benchmark", "apply"},
        {"allocator", allocator_info().name},
        {"storage", o_.durable ? "rocksdb_synced_per_block" : "memory"},
        {"accounts", o_.accounts},
        {"blocks", o_.blocks},
        {"txs_per_block", o_.txs_per_block},
        {"ops_per_tx", o_.ops_per_tx},
        {"seed", o_.seed},
        {"setup_blocks", r_.setup_blocks},
        {"setup_s", r_.setup_s},
        {"generate_s", r_.generate_s},
        {"transfers", r_.transfers},
        {"elapsed_s", r_.elapsed_s},
        {"decode_verify_s", r_.decode_verify_s},
        {"commit_s", r_.commit_s},
        {"block_ms",
         {{"p50", percentile(ms, 0.50)}, {"p99", percentile(ms, 0.99)}, {"max", ms.back()}}},
        {"state_root", r_.state_root_hex},
        {"state_root_verified", true},
        {"transfers_per_s", r_.transfers_per_s},
    };
    out_ << j.dump(2) << "\n";
  }

  const BenchApplyOptions& o_;
  std::ostream& out_;
  const bool text_;
  Results r_;
};

}  // namespace

int run_bench_apply(const BenchApplyOptions& options, std::ostream& out) {
  return BenchApply(options, out).run();
}

}  // namespace corridor::cli
