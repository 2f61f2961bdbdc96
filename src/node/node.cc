#include "node/node.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "base/encoding.h"
#include "base/quorum.h"
#include "consensus/store_layout.h"
#include "ledger/limits.h"
#include "ledger/state_store.h"
#include "node/checkpoint_writer.h"
#include "node/sequencer.h"
#include "node/state_sync.h"
#include "storage/file_cell.h"
#include "storage/file_record_journal.h"
#include "storage/kv_cell.h"
#include "storage/mem_kv_store.h"
#include "storage/rocksdb_kv_store.h"

namespace corridor::node {

namespace {

// Memtables each column family of the node's store may hold. Its flushes run at nice 19 and
// so wait for idle CPU: at the closed-loop peak, with both cores busy, one took about 6 s
// instead of a fraction of one, and with RocksDB's 2 memtables writes stopped until it ended.
// Four let three wait for their flush (at most 256 MiB per family at 64 MiB each).
constexpr uint32_t store_memtables_max = 4;

// Milliseconds since the Unix epoch: the clock block time stamps use.
uint64_t wall_clock_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// The safety cell beside a RocksDB store. A data directory from before the cell kept the
// safety data under a key of the store: it moves into the cell (synced) before the key goes,
// so that a crash in between leaves it in one place or both, never in neither.
Result<std::unique_ptr<storage::DurableCell>> open_safety_cell(const std::string& path,
                                                               storage::KvStore& kv) {
  CORRIDOR_ASSIGN_OR_RETURN(auto cell, storage::FileCell::open(path));
  CORRIDOR_ASSIGN_OR_RETURN(auto in_cell, cell->read());
  const Bytes legacy_key{consensus::store_key_safety};
  CORRIDOR_ASSIGN_OR_RETURN(auto in_store, kv.get(legacy_key));
  if (in_store) {
    if (!in_cell) CORRIDOR_RETURN_IF_ERROR(cell->write(*in_store));
    storage::WriteBatch erase;
    erase.erase(legacy_key);
    CORRIDOR_RETURN_IF_ERROR(kv.write(erase, true));
  }
  return std::unique_ptr<storage::DurableCell>(std::move(cell));
}

}  // namespace

using ledger::ResultCode;

// A proof of a holding waiting for the next root height. Defined before the constructor: the
// member vector of them is built and destroyed there, which needs the complete type.
struct Node::ProofRequest {
  AccountId holder;
  AssetId asset;
  ProofCallback done;
};

Node::Node(const NodeConfig& config, std::shared_ptr<storage::KvStore> kv,
           std::unique_ptr<storage::DurableCell> safety_cell,
           std::unique_ptr<storage::RecordJournal> proposal_journal)
    : config_(config),
      kv_(std::move(kv)),
      safety_cell_(std::move(safety_cell)),
      proposal_journal_(std::move(proposal_journal)),
      chain_(*kv_),
      network_id_(network_id_for(config.network_name, config.state_root_interval_blocks)),
      mempool_(config.mempool_txs_max, config.mempool_ops_max),
      rate_limiter_(
          AccountRateLimit{config.mempool_account_ops_per_s, config.mempool_account_burst_ops}) {
  ledger_.set_state_root_interval(config.state_root_interval_blocks);
  // Changed holdings reach the state at checkpoints only, so they are encoded then rather than
  // with every block (Ledger::hold_holding_changes).
  ledger_.hold_holding_changes();
  checkpoint_writer_ = std::make_unique<CheckpointWriter>(chain_);
}

Node::~Node() {
  stop();
}

Result<std::unique_ptr<Node>> Node::open(const NodeConfig& config,
                                         std::shared_ptr<storage::KvStore> kv,
                                         const ledger::Block* genesis,
                                         std::unique_ptr<storage::DurableCell> safety_cell,
                                         std::unique_ptr<storage::RecordJournal> proposal_journal) {
  crypto_init();
  const uint64_t interval = config.state_root_interval_blocks;
  if (interval < 1 || interval > ledger::state_root_interval_blocks_max)
    return invalid_argument("the state root interval must be 1 to " +
                            std::to_string(ledger::state_root_interval_blocks_max) + " blocks");
  // A state-sync snapshot is of the state a root commits to, so snapshots fall on root heights.
  if (config.state_sync_snapshot_interval_blocks % interval != 0)
    return invalid_argument("state_sync_snapshot_interval_blocks (" +
                            std::to_string(config.state_sync_snapshot_interval_blocks) +
                            ") must be a multiple of the network's state root interval (" +
                            std::to_string(interval) + ")");
  if (!kv) {
    if (config.storage == StorageEngine::memory) {
      kv = std::make_shared<storage::MemKvStore>();
    } else {
      std::error_code ec;
      std::filesystem::create_directories(config.data_dir, ec);
      if (ec)
        return io_error("cannot create data directory '" + config.data_dir + "': " + ec.message());
      // Blocks, their results and the consensus block records are written once per height,
      // in height order: in a column family of their own, compaction moves their files down
      // instead of rewriting them with the state and indexes written at the same time.
      storage::RocksDbOptions options;
      options.sequential_prefixes = ChainStore::height_ordered_prefixes();
      options.sequential_prefixes.push_back(consensus::store_key_block);
      options.sequential_prefixes.push_back(consensus::store_key_block_elided);
      // A block's small synced write then waits only for the log record of a state checkpoint
      // written alongside it (CheckpointWriter), not for its memtable inserts: at 5,000
      // transfers/s that cut the finality p99 about in half (docs/benchmarks.md). The readers
      // of what another thread writes go through ChainStore::readable.
      options.unordered_write = true;
      // Flushes and compactions yield to the threads finality waits on (NodeConfig).
      options.background_low_priority = true;
      options.background_write_bytes_per_s = uint64_t{config.background_write_mb_per_s} << 20;
      options.write_buffers_max = store_memtables_max;
      CORRIDOR_ASSIGN_OR_RETURN(auto db,
                                storage::open_rocksdb_store(config.data_dir + "/db", options));
      kv = std::move(db);
      if (!safety_cell) {
        CORRIDOR_ASSIGN_OR_RETURN(safety_cell,
                                  open_safety_cell(config.data_dir + "/consensus_safety", *kv));
      }
      if (!proposal_journal) {
        CORRIDOR_ASSIGN_OR_RETURN(proposal_journal, storage::FileRecordJournal::open(
                                                        config.data_dir + "/consensus_journal"));
      }
    }
  }
  if (!safety_cell)
    safety_cell = std::make_unique<storage::KvCell>(kv, Bytes{consensus::store_key_safety});
  std::unique_ptr<Node> node(
      new Node(config, std::move(kv), std::move(safety_cell), std::move(proposal_journal)));
  CORRIDOR_RETURN_IF_ERROR(node->init(genesis));
  return node;
}

Status Node::init(const ledger::Block* genesis) {
  CORRIDOR_RETURN_IF_ERROR(chain_.init_genesis(config_.network_name));
  CORRIDOR_ASSIGN_OR_RETURN(head_, chain_.head());
  if (genesis) {
    CORRIDOR_ASSIGN_OR_RETURN(auto block0, chain_.block_bytes(0));
    if (!block0) {
      if (head_.height != 0)
        return failed_precondition("the data directory holds a chain without a genesis block");
      return commit_genesis(*genesis);
    }
    CORRIDOR_ASSIGN_OR_RETURN(auto stored, ledger::decode_block(*block0));
    if (stored.header.hash() != genesis->header.hash())
      return failed_precondition("the data directory was created from another genesis block");
  }
  CORRIDOR_ASSIGN_OR_RETURN(bool has_checkpoint, chain_.has_checkpoint());
  if (!has_checkpoint && head_.height == 0) {
    // A fresh store: its empty state is the first checkpoint. (A store from before checkpoints
    // existed holds the state of its head, which is what checkpoint() then answers.)
    CORRIDOR_RETURN_IF_ERROR(chain_.write_checkpoint(ledger::StateDeltaAccumulator{}, head_));
  }
  CORRIDOR_ASSIGN_OR_RETURN(ChainHead checkpoint, chain_.load_ledger(ledger_));
  checkpoint_height_ = checkpoint.height;
  if (checkpoint.height > head_.height)
    return corruption("the state checkpoint is above the chain's head");
  CORRIDOR_RETURN_IF_ERROR(replay_blocks(checkpoint.height + 1, head_.height));
  if (head_.height > 0) {
    CORRIDOR_ASSIGN_OR_RETURN(auto bytes, chain_.block_bytes(head_.height));
    if (!bytes) return corruption("head block " + std::to_string(head_.height) + " is missing");
    Reader r(*bytes);
    uint8_t version;
    uint64_t height;
    Hash256 parent;
    r.u8(version) && r.u64(height) && r.fixed(parent) && r.u64(head_time_ms_);
    CORRIDOR_RETURN_IF_ERROR(r.status("head block header"));
  }
  if (config_.check_invariants) CORRIDOR_RETURN_IF_ERROR(ledger_.check_invariants());
  return Status();
}

Status Node::replay_blocks(uint64_t from_height, uint64_t to_height) {
  for (uint64_t height = from_height; height <= to_height; ++height) {
    CORRIDOR_ASSIGN_OR_RETURN(auto bytes, chain_.block_bytes(height));
    CORRIDOR_ASSIGN_OR_RETURN(auto stored, chain_.block_result(height));
    if (!bytes || !stored)
      return corruption("block " + std::to_string(height) + " above the checkpoint is missing");
    CORRIDOR_ASSIGN_OR_RETURN(auto block, ledger::decode_block(*bytes));
    // Signatures are verified again: a block ordered by others may hold a transaction refused
    // for its signature, and the replay must refuse it too.
    auto executed = ledger::execute_block(ledger_, block, network_id_, config_.verify_threads,
                                          /*verify_signatures=*/true);
    if (executed.result.state_root != stored->state_root ||
        executed.result.outcomes.size() != stored->outcomes.size())
      return corruption("re-executing block " + std::to_string(height) +
                        " gives another state root than the stored one");
    for (size_t i = 0; i < stored->outcomes.size(); ++i)
      if (executed.result.outcomes[i].code != stored->outcomes[i].code)
        return corruption("re-executing block " + std::to_string(height) +
                          " gives another result for transaction " + std::to_string(i));
    unpersisted_.add(executed.delta);
  }
  if (to_height >= from_height)
    spdlog::info("re-executed blocks {}..{} above the state checkpoint", from_height, to_height);
  return Status();
}

Status Node::commit_genesis(const ledger::Block& genesis) {
  if (genesis.header.height != 0) return invalid_argument("the genesis block must have height 0");
  std::vector<Bytes> envelopes;
  for (const auto& tx : genesis.txs) envelopes.push_back(ledger::encode_transaction(tx));
  auto executed = ledger::execute_block(ledger_, genesis, network_id_, config_.verify_threads,
                                        /*verify_signatures=*/true);
  for (size_t i = 0; i < executed.result.outcomes.size(); ++i)
    if (executed.result.outcomes[i].code != ResultCode::ok)
      return invalid_argument(
          "genesis transaction " + std::to_string(i) +
          " failed: " + std::string(ledger::result_code_name(executed.result.outcomes[i].code)));
  ledger::StateDeltaAccumulator state;
  state.add(executed.delta);
  state.add(ledger_.take_holding_changes());
  CORRIDOR_RETURN_IF_ERROR(chain_.commit(genesis, envelopes, executed.result, &state));
  checkpoint_height_ = 0;
  head_ = ChainHead{0, genesis.header.hash(), executed.result.state_root};
  head_time_ms_ = genesis.header.time_ms;
  return Status();
}

void Node::start(std::unique_ptr<Orderer> orderer) {
  if (orderer_) return;
  orderer_ = orderer ? std::move(orderer) : std::make_unique<Sequencer>(config_, mempool_);
  orderer_->start([this](OrderedBatch&& batch) { commit_batch(std::move(batch)); });
  orderer_view_.store(orderer_.get());
}

void Node::stop() {
  if (stopping_.exchange(true)) return;
  orderer_view_.store(nullptr);
  mempool_.close();
  if (orderer_) orderer_->stop();
  ProofAnswers stopped_proofs;
  {
    // No block commits any more: the state goes to the store, so that a restart after a clean
    // stop has nothing to re-execute. Failing here loses nothing (the blocks are durable).
    // Between root heights the state is not the one the head's root commits to; the blocks
    // since the last checkpoint are re-executed at the restart instead.
    std::unique_lock lock(ledger_mu_);
    finish_checkpoint_write_locked();
    if (head_.height > checkpoint_height_ && ledger_.is_root_height(head_.height)) {
      Status st = write_checkpoint_locked();
      if (!st.ok()) spdlog::warn("cannot write the state checkpoint at stop: {}", st.to_string());
    }
    stopped_proofs = take_proof_answers_locked(/*stopping=*/true);
  }
  for (auto& [done, answer] : stopped_proofs) done(std::move(answer));
  // Whatever is still queued was accepted but never ordered: its waiters learn that the node
  // stopped, and a client resubmits (the id makes that safe).
  std::unordered_map<Hash256, Inflight, FixedBytesHasher> left;
  {
    std::lock_guard lock(waiters_mu_);
    left.swap(inflight_);
  }
  Status stopped(StatusCode::unavailable, "the node stopped before the transaction was final");
  for (auto& [id, inflight] : left)
    for (auto& cb : inflight.callbacks)
      if (cb) cb(stopped, Finality{id, 0, 0, 0, {}});
}

SubmitResult Node::submit(ledger::Transaction tx, Bytes envelope, FinalityCallback on_final) {
  return submit_impl(std::move(tx), std::move(envelope), std::move(on_final), false, std::nullopt);
}

SubmitResult Node::submit_forwarded(ledger::Transaction tx, Bytes envelope,
                                    std::optional<Voucher> vouched_by) {
  return submit_impl(std::move(tx), std::move(envelope), nullptr, true, vouched_by);
}

void Node::vouch(const Hash256& id, const Hash256& digest, uint64_t valid_until_height,
                 const Voucher& by) {
  verified_.vouch(id, digest, valid_until_height, by.epoch, by.index);
}

void Node::note_ordered(const std::vector<Hash256>& ids) {
  std::lock_guard lock(waiters_mu_);
  ordered_.insert(ids.begin(), ids.end());
}

void Node::abandon(const Hash256& id) {
  notify(id, Status(StatusCode::unavailable, "the transaction expired before it was ordered"),
         Finality{id, 0, 0, 0, {}});
}

SubmitResult Node::submit_impl(ledger::Transaction tx, Bytes envelope, FinalityCallback on_final,
                               bool from_peer, std::optional<Voucher> vouched_by) {
  SubmitResult out;
  if (stopping_.load()) {
    out.kind = SubmitResult::Kind::unavailable;
    out.message = "the node is stopping";
    return out;
  }
  // The cheap checks come first: structure and limits, then whether the same transaction is in
  // flight already, then room in the mempool. The Ed25519 verification, by far the most
  // expensive check, runs only for a submission that passed them, and without waiters_mu_ held.
  auto rejected = [&](const ledger::StatelessCheck& check) {
    out.kind = SubmitResult::Kind::rejected;
    out.code = check.code;
    out.op_index = check.op_index;
    out.op_code = check.op_code;
    return out;
  };
  auto check = ledger::check_stateless(tx, network_id_, /*verify_signatures=*/false);
  if (check.code != ResultCode::ok) return rejected(check);
  bool mempool_full = false;
  {
    std::lock_guard wl(waiters_mu_);
    if (from_peer && ordered_.contains(tx.id)) {
      // In a committed block on its way through the executor, which verifies it.
      out.kind = SubmitResult::Kind::already_pending;
      return out;
    }
    if (auto it = inflight_.find(tx.id); it != inflight_.end()) {
      if (it->second.signatures == tx.signatures) {
        // The same body (same id) under exactly the signatures verified when it was admitted:
        // a client's retry, or a transaction forwarded by more than one peer. It joins without
        // a second verification. Other signatures are verified below before it may join.
        if (on_final) it->second.callbacks.push_back(std::move(on_final));
        out.kind = SubmitResult::Kind::already_pending;
        return out;
      }
    } else if (!mempool_.has_room(tx.ops.size())) {
      mempool_full = true;
    }
  }
  // True (with `out` filled) when the transaction is final already: it answers with its
  // original result, even after its validity window has passed.
  auto answered_if_final = [&] {
    auto rec = chain_.tx_finality(tx.id);
    if (!rec.ok() || !rec->has_value()) return false;
    const TxFinality& r = **rec;
    out.kind = SubmitResult::Kind::already_final;
    out.final = Finality{tx.id, r.location.height, r.location.index, r.block_time_ms, r.outcome};
    return true;
  };
  if (mempool_full) {
    // A transaction final earlier still answers with its result (a client's retry after a
    // lost answer must learn it); anything else waits for room.
    if (answered_if_final()) return out;
    out.kind = SubmitResult::Kind::unavailable;
    out.message = "the mempool is full; retry later";
    return out;
  }
  if (from_peer) {
    // A peer's forward can arrive after the block that carries it executed here (the peer's
    // proposal overtook it): the replay check, cheap, then spares the signature check. Nobody
    // waits on a forward, so which of the two refuses it first does not matter.
    std::shared_lock rl(ledger_mu_);
    const ResultCode early = ledger_.precheck_at(tx, head_.height + 1);
    if (early != ResultCode::ok) {
      out.kind = SubmitResult::Kind::rejected;
      out.code = early;
      return out;
    }
  }
  if (!vouched_by) {
    admission_verifications_.fetch_add(1, std::memory_order_relaxed);
    check = ledger::check_signatures(tx, network_id_);
    if (check.code != ResultCode::ok) return rejected(check);
    out.signatures_verified = true;
  }

  std::lock_guard wl(waiters_mu_);
  // Admitted by another submission while this one verified (or in flight under other, now
  // verified, signatures): it joins that one.
  if (auto it = inflight_.find(tx.id); it != inflight_.end()) {
    if (on_final) it->second.callbacks.push_back(std::move(on_final));
    out.kind = SubmitResult::Kind::already_pending;
    return out;
  }
  ResultCode pre;
  std::pair<uint32_t, ResultCode> refs{0, ResultCode::ok};
  {
    std::shared_lock rl(ledger_mu_);
    // The earliest block the transaction can reach is the next one.
    pre = ledger_.precheck_at(tx, head_.height + 1);
    // References are checked only where a transaction enters the network, to answer its client
    // early (the id is not consumed, so the client can fix them and resubmit). A transaction a
    // peer forwards was checked and answered by the validator its client submitted to, and its
    // client waits on that validator, not on this one; checking again here answers nobody.
    // Nothing is lost by skipping it: the block that carries the transaction checks every
    // reference when it executes (Ledger::apply), so one whose reference went missing since
    // fails there, exactly as it would in a block a Byzantine leader proposed, which may carry
    // anything correctly signed. The precheck stays: it is cheap, and it keeps transactions
    // that can never apply (duplicates, expired, unknown signers) out of this mempool.
    if (pre == ResultCode::ok && !from_peer) refs = ledger_.check_references(tx);
  }
  if ((pre == ResultCode::tx_duplicate || pre == ResultCode::tx_expired) && answered_if_final())
    return out;
  if (pre != ResultCode::ok) {
    out.kind = SubmitResult::Kind::rejected;
    out.code = pre;
    return out;
  }
  if (refs.second != ResultCode::ok) {
    // Answered now rather than as a failed transaction later: the id is not consumed, so
    // the client can fix the reference and resubmit.
    out.kind = SubmitResult::Kind::rejected;
    out.code = ResultCode::tx_failed;
    out.op_index = refs.first;
    out.op_code = refs.second;
    return out;
  }
  // A block that carries it later need not verify its signatures again (only consensus
  // blocks verify at all: the single-node sequencer orders admitted transactions only).
  // A vouched-for transaction is recorded with its voucher instead: the block that carries it
  // verifies it unless f + 1 validators vouched for these signatures by then.
  if (vouched_by) {
    verified_.vouch(tx.id, VerifiedSignatures::signatures_digest(tx), tx.valid_until_height,
                    vouched_by->epoch, vouched_by->index);
  } else if (config_.mode == NodeConfig::Mode::bft) {
    verified_.add(tx);
  }
  // The rate limit applies where a transaction enters the network: a validator forwarding it
  // admitted it under its own limit already. It is charged only after the signature checked
  // out, so nobody can spend another account's allowance.
  const AccountId source = tx.source;
  const uint64_t ops = tx.ops.size();
  if (!from_peer) {
    if (uint64_t wait_ms = rate_limiter_.acquire(source, ops, steady_clock_ms()); wait_ms > 0) {
      out.kind = SubmitResult::Kind::rate_limited;
      out.retry_after_ms = wait_ms;
      out.message = "the source account is over its admission rate; retry in " +
                    std::to_string(wait_ms) + " ms";
      return out;
    }
  }
  Inflight& inflight = inflight_[tx.id];
  inflight.signatures = tx.signatures;
  if (!from_peer && inflight.admitted_ms == 0) inflight.admitted_ms = wall_clock_ms();
  if (on_final) inflight.callbacks.push_back(on_final);
  Hash256 id = tx.id;
  switch (mempool_.add(PendingTx{std::move(tx), std::move(envelope), from_peer})) {
    case Mempool::AddResult::added:
    case Mempool::AddResult::already_pending:
      out.kind = SubmitResult::Kind::accepted;
      return out;
    case Mempool::AddResult::full:
      if (!from_peer) rate_limiter_.refund(source, ops);
      inflight_.erase(id);
      out.kind = SubmitResult::Kind::unavailable;
      out.message = "the mempool is full; retry later";
      return out;
  }
  return out;
}

void Node::commit_batch(OrderedBatch&& batch) {
  ledger::Block block;
  std::vector<Bytes> envelopes;
  block.txs.reserve(batch.txs.size());
  envelopes.reserve(batch.txs.size());
  size_t ops = 0;
  size_t bytes = 0;
  for (auto& p : batch.txs) {
    ops += p.tx.ops.size();
    bytes += p.envelope.size() + 4;
    block.txs.push_back(std::move(p.tx));
    envelopes.push_back(std::move(p.envelope));
  }
  // A block the node could not read back must never be committed; orderers keep within this.
  CORRIDOR_ASSERT_MSG(bytes < ledger::block_bytes_max && block.txs.size() <= ledger::block_txs_max,
                      "ordered batch exceeds the block limits");
  ledger::ExecutedBlock executed;
  // Proofs answered at this block (a root height), called once the lock is released.
  ProofAnswers proofs;
  {
    std::unique_lock lock(ledger_mu_);
    ledger::BlockHeader& h = block.header;
    h.height = head_.height + 1;
    CORRIDOR_ASSERT_MSG(!batch.height || *batch.height == h.height,
                        "an ordered batch does not follow the last committed block");
    h.parent_hash = head_.block_hash;
    h.time_ms = std::max(batch.time_ms, head_time_ms_);
    h.tx_count = static_cast<uint32_t>(block.txs.size());
    h.tx_root = ledger::compute_tx_root(block.txs);
    h.parent_state_root = head_.state_root;
    // Admission verified every signature already, and only admitted transactions reach
    // the single-node orderer.
    const auto set_before = ledger_.validator_set();
    // Transactions this node admitted itself were verified then, with the same signatures; so
    // were those f + 1 validators of this epoch vouched for (at least one of them is correct).
    std::vector<uint8_t> preverified;
    if (batch.verify_signatures) {
      uint64_t epoch = 0;
      size_t vouchers_needed = 0;
      if (set_before) {
        epoch = set_before->epoch;
        vouchers_needed = bft_faults_max(set_before->validators.size()) + 1;
      }
      preverified.resize(block.txs.size());
      uint64_t verify = 0;
      for (size_t i = 0; i < block.txs.size(); ++i) {
        preverified[i] = verified_.take(block.txs[i], epoch, vouchers_needed) ? 1 : 0;
        verify += preverified[i] == 0 ? 1 : 0;
      }
      execution_verifications_.fetch_add(verify, std::memory_order_relaxed);
    }
    executed = ledger::execute_block(ledger_, block, network_id_, config_.verify_threads,
                                     batch.verify_signatures,
                                     batch.verify_signatures ? &preverified : nullptr);
    verified_.expire(h.height + 1);
    if (config_.check_invariants) {
      Status inv = ledger_.check_invariants();
      if (!inv.ok()) {
        spdlog::critical("invariant violated after block {}: {}", h.height, inv.to_string());
        std::abort();
      }
    }
    // The orderer's own records join the block's synced batch. `done` outlives the write that
    // calls back into it.
    std::function<void(storage::WriteBatch&)> extra;
    std::optional<ExecutedBatch> done;
    if (batch.add_records) {
      done.emplace(ExecutedBatch{h.height, h.hash(), executed.result.state_root,
                                 ledger_.validator_set(), ledger_.validator_set() != set_before});
      extra = [&](storage::WriteBatch& wb) { batch.add_records(*done, wb); };
    }
    unpersisted_.add(executed.delta);
    reap_checkpoint_locked();
    // At every multiple of checkpoint_blocks past checkpoint_offset_blocks, wherever the last
    // checkpoint was (a restart, a stop, an installed or an early one leaves it between). With
    // no offset, state sync snapshots fall on those heights too, and so find the changes since
    // the checkpoint few; validators given offsets apart pause for their checkpoints one at a
    // time instead of all at once (NodeConfig::checkpoint_offset_blocks). Only at root heights:
    // the stored state is checked against the root when it is loaded. When the interval does
    // not divide the checkpoint heights, the checkpoint waits for the next root height.
    const uint64_t every = std::max<uint64_t>(config_.checkpoint_blocks, 1);
    const uint64_t offset = config_.checkpoint_offset_blocks % every;
    // Checkpoint windows start at offset, offset + every, ...; the first one (0) holds the
    // heights below the offset.
    const auto window = [&](uint64_t height) { return (height + every - offset) / every; };
    // Changes not yet handed to the writer: those it is writing are on their way out.
    const size_t not_written = waiting_changes_locked() - writing_changes_;
    bool checkpoint =
        ledger_.is_root_height(h.height) &&
        (window(h.height) != window(checkpoint_height_) || not_written >= checkpoint_changes_max);
    if (checkpoint && checkpoint_writer_->busy()) {
      // The previous checkpoint is still being written (a store slower than checkpoint_blocks
      // blocks): this one waits for a later root height, unless the changes since have
      // reached their bound (the memory they hold is then twice it at most).
      if (not_written >= checkpoint_changes_max) {
        finish_checkpoint_write_locked();
      } else {
        checkpoint = false;
      }
    }
    // The state is not part of the block's write: a checkpoint is written after it, on the
    // writer's thread (CheckpointWriter), from the layers of changes the node keeps until then.
    Status st = chain_.commit(block, envelopes, executed.result, nullptr, extra);
    if (!st.ok()) {
      // The ledger in memory is now ahead of the disk. Continuing would report blocks final
      // that a restart would not have, so the node stops here and restarts from disk.
      spdlog::critical("cannot persist block {}: {}; stopping", h.height, st.to_string());
      std::abort();
    }
    head_ = ChainHead{h.height, h.hash(), executed.result.state_root};
    head_time_ms_ = h.time_ms;
    if (!proof_requests_.empty() && ledger_.is_root_height(h.height))
      proofs = take_proof_answers_locked(/*stopping=*/false);
    if (checkpoint) {
      // The previous write may have finished since the check above: its layers go first.
      reap_checkpoint_locked();
      freeze_changes_locked();
      checkpoint_writer_->start(head_, frozen_);
      writing_changes_ = frozen_changes_;
      checkpoint_height_ = h.height;
    }
    // Merged and written: the next block encodes its changes into this delta's buffers.
    ledger_.recycle_delta(std::move(executed.delta));
  }
  for (auto& [done, answer] : proofs) done(std::move(answer));
  // Durable now: where the time went (stage_latency.h), before the clients hear of it.
  const auto block_ms = static_cast<double>(block.header.time_ms);
  const auto durable_ms = static_cast<double>(wall_clock_ms());
  std::vector<double> admitted_to_proposal;
  std::vector<double> admitted_to_durable;
  {
    std::lock_guard lock(waiters_mu_);
    for (const auto& tx : block.txs) {
      if (!ordered_.empty()) ordered_.erase(tx.id);
      auto it = inflight_.find(tx.id);
      if (it != inflight_.end() && it->second.admitted_ms != 0) {
        const auto admitted_ms = static_cast<double>(it->second.admitted_ms);
        admitted_to_proposal.push_back(block_ms - admitted_ms);
        admitted_to_durable.push_back(durable_ms - admitted_ms);
      }
    }
  }
  const uint64_t now_steady = steady_clock_ms();
  latency_admission_to_proposal_.add(admitted_to_proposal, now_steady);
  latency_admission_to_durable_.add(admitted_to_durable, now_steady);
  if (batch.ordered_ms != 0 && !block.txs.empty()) {
    const auto ordered_ms = static_cast<double>(batch.ordered_ms);
    const double proposal_to_commit[] = {ordered_ms - block_ms};
    const double commit_to_durable[] = {durable_ms - ordered_ms};
    latency_proposal_to_commit_.add(proposal_to_commit, now_steady);
    latency_commit_to_durable_.add(commit_to_durable, now_steady);
  }
  txs_committed_ += block.txs.size();
  ops_committed_ += ops;
  for (size_t i = 0; i < block.txs.size(); ++i) {
    Finality f{block.txs[i].id, block.header.height, static_cast<uint32_t>(i), block.header.time_ms,
               executed.result.outcomes[i]};
    notify(f.id, Status(), f);
  }
}

void Node::notify(const Hash256& id, const Status& s, const Finality& f) {
  std::vector<FinalityCallback> callbacks;
  {
    std::lock_guard lock(waiters_mu_);
    auto it = inflight_.find(id);
    if (it == inflight_.end()) return;
    callbacks.swap(it->second.callbacks);
    inflight_.erase(it);
  }
  for (auto& cb : callbacks)
    if (cb) cb(s, f);
}

Result<std::shared_ptr<const StateSnapshot>> Node::snapshot_state(size_t changes_max) {
  // Exclusive: the changes so far become a frozen layer. That takes no longer than the head's
  // block and result take to read.
  std::unique_lock lock(ledger_mu_);
  // The executor may have gone past the root height the caller saw.
  CORRIDOR_RETURN_IF_ERROR(head_at_root_height_locked());
  reap_checkpoint_locked();
  // The checkpoint would be written within checkpoint_blocks anyway; writing it now costs the
  // same write earlier, and leaves the snapshot no changes to merge.
  if (waiting_changes_locked() > changes_max) CORRIDOR_RETURN_IF_ERROR(write_checkpoint_locked());
  return snapshot_state_locked();
}

void Node::wait_for_checkpoint() {
  // Not under ledger_mu_: API readers go on meanwhile, and the writer never takes it.
  checkpoint_writer_->wait_idle();
  std::unique_lock lock(ledger_mu_);
  reap_checkpoint_locked();
}

void Node::freeze_changes_locked() {
  // The holdings changed since the last layer join it with their values now: the ledger keeps
  // them until then instead of each block's delta carrying them.
  if (ledger_.held_holding_changes() != 0) unpersisted_.add(ledger_.take_holding_changes());
  if (unpersisted_.empty()) return;
  const size_t changes = unpersisted_.size();
  frozen_.push_back(std::make_shared<const ledger::StateDeltaAccumulator>(std::move(unpersisted_)));
  frozen_changes_ += changes;
  unpersisted_ = ledger::StateDeltaAccumulator{};
  // The next blocks change about as many keys again: their layer starts at that size rather
  // than growing to it.
  unpersisted_.reserve(changes);
}

void Node::finish_checkpoint_write_locked() {
  // The writer never takes ledger_mu_, so waiting for it under the lock cannot deadlock.
  checkpoint_writer_->wait_idle();
  reap_checkpoint_locked();
}

void Node::reap_checkpoint_locked() {
  const auto written = checkpoint_writer_->take_written();
  if (!written) return;
  // Layers are only appended, and dropped only here or with nothing in flight, so the write's
  // layers are still the oldest ones held.
  CORRIDOR_ASSERT_MSG(written->layers <= frozen_.size(),
                      "a finished checkpoint took more layers than the node holds");
  for (size_t i = 0; i < written->layers; ++i) frozen_changes_ -= frozen_[i]->size();
  frozen_.erase(frozen_.begin(), frozen_.begin() + static_cast<ptrdiff_t>(written->layers));
  writing_changes_ = 0;
}

Status Node::head_at_root_height_locked() const {
  if (ledger_.is_root_height(head_.height)) return Status();
  return failed_precondition("the head (height " + std::to_string(head_.height) +
                             ") is not at a root height");
}

Result<std::shared_ptr<const StateSnapshot>> Node::snapshot_state_locked() {
  // Blocks commit under the exclusive lock, so under ours the layers hold every change from
  // the store's checkpoint to the head. The store holds that checkpoint's state, or, while the
  // writer's batch is in flight, that state with any part of the next one's over it (the store
  // may show a batch in part, and more of it later: storage::KvStore::write). Either way the
  // layers hold every key that batch writes, so they hide whichever value the store shows.
  // Checkpoints started later are never seen by the store snapshot, and the layers are never
  // changed.
  CORRIDOR_ASSIGN_OR_RETURN(auto block, chain_.block_bytes(head_.height));
  CORRIDOR_ASSIGN_OR_RETURN(auto result, chain_.block_result(head_.height));
  if (!block || !result) return corruption("the head block or its result is missing");
  freeze_changes_locked();
  CORRIDOR_ASSIGN_OR_RETURN(std::shared_ptr<const storage::KvSnapshot> store, kv_->snapshot());
  return std::shared_ptr<const StateSnapshot>(std::make_shared<StateSnapshot>(
      head_.height, head_.state_root, std::move(*block), ledger::encode_block_result(*result),
      std::move(store), frozen_));
}

Status Node::write_checkpoint_locked() {
  finish_checkpoint_write_locked();
  if (head_.height <= checkpoint_height_ && frozen_.empty() && unpersisted_.empty() &&
      ledger_.held_holding_changes() == 0)
    return Status();
  freeze_changes_locked();
  CORRIDOR_RETURN_IF_ERROR(CheckpointWriter::write_now(chain_, head_, frozen_));
  frozen_.clear();
  frozen_changes_ = 0;
  checkpoint_height_ = head_.height;
  return Status();
}

Status Node::install_checkpoint(uint64_t height, const Hash256& state_root,
                                const Bytes& ledger_block, const Bytes& block_result,
                                const std::vector<std::pair<Bytes, Bytes>>& entries,
                                const std::function<void(storage::WriteBatch&)>& extra) {
  CORRIDOR_ASSIGN_OR_RETURN(ledger::Block block, ledger::decode_block(ledger_block));
  if (block.header.height != height) return invalid_argument("the checkpoint block's height");
  if (height % config_.state_root_interval_blocks != 0)
    return invalid_argument("the checkpoint's height is not a multiple of the state root interval");
  // Built aside, so that entries that do not add up change nothing.
  ledger::Ledger fresh;
  fresh.set_state_root_interval(config_.state_root_interval_blocks);
  fresh.hold_holding_changes();
  for (const auto& [k, v] : entries) {
    if (!k.empty() && k[0] == ledger::store_prefix_state) {
      Status st = fresh.load_entry(ByteView(k).subspan(1), v);
      if (!st.ok()) return corruption("checkpoint entry: " + st.message());
    } else if (const auto id = ledger::decode_replay_id_key(k)) {
      fresh.load_replay_id(*id);
    } else {
      return corruption("checkpoint entry with a malformed key");
    }
  }
  fresh.finish_load(height);
  if (fresh.state_root() != state_root)
    return corruption("the checkpoint's entries hash to " + fresh.state_root().hex() +
                      ", not the attested " + state_root.hex());
  if (config_.check_invariants) {
    Status inv = fresh.check_invariants();
    if (!inv.ok()) return corruption("checkpoint state: " + inv.message());
  }
  std::unique_lock lock(ledger_mu_);
  // The writer must not land an older state over the installed one.
  finish_checkpoint_write_locked();
  if (head_.height >= height)
    return failed_precondition("the node's head is at or above the checkpoint");
  if (fresh.validator_set() != ledger_.validator_set())
    return failed_precondition("the checkpoint's validator set differs from the node's");
  const ChainHead head{height, block.header.hash(), state_root};
  CORRIDOR_RETURN_IF_ERROR(chain_.install_state(head, ledger_block, block_result, entries, extra));
  ledger_ = std::move(fresh);
  head_ = head;
  head_time_ms_ = block.header.time_ms;
  // The installed state is the store's checkpoint: nothing of the old state waits any more.
  frozen_.clear();
  frozen_changes_ = 0;
  unpersisted_.clear();
  checkpoint_height_ = height;
  return Status();
}

std::optional<SyncProgress> Node::sync_progress() const {
  const Orderer* o = orderer_view_.load();
  if (!o) return std::nullopt;
  return o->sync_progress();
}

NodeStatus Node::status() const {
  NodeStatus s;
  s.network_name = config_.network_name;
  s.network_id = network_id_;
  {
    std::shared_lock lock(ledger_mu_);
    s.height = head_.height;
    s.block_hash = head_.block_hash;
    s.state_root = head_.state_root;
    s.state_root_interval = ledger_.state_root_interval();
    s.state_root_height = ledger_.state_root_height();
    s.block_time_ms = head_time_ms_;
    s.accounts = ledger_.account_count();
    s.assets = ledger_.asset_count();
    s.holdings = ledger_.holding_count();
    if (const auto& set = ledger_.validator_set()) {
      s.epoch = set->epoch;
      s.validators = set->validators.size();
    }
  }
  s.bft = config_.mode == NodeConfig::Mode::bft;
  s.sync = sync_progress();
  s.mempool_txs = mempool_.size();
  s.mempool_ops = mempool_.ops();
  s.txs_committed = txs_committed_.load();
  s.ops_committed = ops_committed_.load();
  s.admission_verifications = admission_verifications_.load(std::memory_order_relaxed);
  s.execution_verifications = execution_verifications_.load(std::memory_order_relaxed);
  if (const Orderer* o = orderer_view_.load()) s.consensus = o->consensus_status();
  const uint64_t now_steady = steady_clock_ms();
  s.latency.admission_to_proposal = latency_admission_to_proposal_.summary(now_steady);
  s.latency.proposal_to_commit = latency_proposal_to_commit_.summary(now_steady);
  s.latency.commit_to_durable = latency_commit_to_durable_.summary(now_steady);
  s.latency.admission_to_durable = latency_admission_to_durable_.summary(now_steady);
  s.store = kv_->backlog();
  return s;
}

ChainHead Node::head() const {
  std::shared_lock lock(ledger_mu_);
  return head_;
}

std::optional<ledger::ValidatorSetEntry> Node::validator_set() const {
  std::shared_lock lock(ledger_mu_);
  return ledger_.validator_set();
}

std::optional<AccountInfo> Node::account(const AccountId& id) const {
  std::shared_lock lock(ledger_mu_);
  const auto* a = ledger_.account(id);
  if (!a) return std::nullopt;
  AccountInfo info;
  info.account = *a;
  info.holdings = ledger_.holdings_of(id);
  for (const auto& h : info.holdings) {
    const auto* as = ledger_.asset(h.asset);
    info.scales.push_back(as ? as->scale : 0);
  }
  return info;
}

std::optional<ledger::AssetEntry> Node::asset(const AssetId& id) const {
  std::shared_lock lock(ledger_mu_);
  const auto* a = ledger_.asset(id);
  if (!a) return std::nullopt;
  return *a;
}

std::vector<ledger::QueuedPaymentEntry> Node::queued_payments(const std::optional<AccountId>& party,
                                                              uint64_t from_seq,
                                                              size_t limit) const {
  std::shared_lock lock(ledger_mu_);
  std::vector<ledger::QueuedPaymentEntry> out;
  const auto& queue = ledger_.queue();
  for (auto it = queue.lower_bound(from_seq); it != queue.end() && out.size() < limit; ++it)
    if (!party || it->second.payer == *party || it->second.payee == *party)
      out.push_back(it->second);
  return out;
}

std::optional<ledger::EscrowEntry> Node::escrow(uint64_t id) const {
  std::shared_lock lock(ledger_mu_);
  const auto* e = ledger_.escrow(id);
  if (!e) return std::nullopt;
  return *e;
}

void Node::prove_holding(const AccountId& holder, const AssetId& asset, ProofCallback done) {
  std::optional<Result<std::optional<HoldingProofInfo>>> now;
  {
    // Proof generation rehashes dirty tree nodes, which mutates the tree: exclusive lock.
    std::unique_lock lock(ledger_mu_);
    // A proof now (the common case); without one, the holding either changed since the last
    // root height, and the request waits for the next one, or does not exist.
    if (auto p = ledger_.prove_holding(holder, asset)) {
      now = std::optional<HoldingProofInfo>{
          HoldingProofInfo{std::move(*p), head_.state_root, ledger_.state_root_height()}};
    } else if (!ledger_.holding_changed_since_root(holder, asset)) {
      now = std::optional<HoldingProofInfo>{};
    } else if (stopping_.load()) {
      now = Status(StatusCode::unavailable, "the node is stopping");
    } else if (proof_requests_.size() >= proof_requests_max) {
      now = Status(StatusCode::unavailable, "too many proofs are waiting for the next state root");
    } else {
      proof_requests_.push_back(ProofRequest{holder, asset, std::move(done)});
      return;
    }
  }
  done(std::move(*now));
}

Node::ProofAnswers Node::take_proof_answers_locked(bool stopping) {
  ProofAnswers answers;
  answers.reserve(proof_requests_.size());
  for (auto& r : proof_requests_) {
    if (stopping) {
      answers.emplace_back(std::move(r.done), Status(StatusCode::unavailable, "the node stopped"));
      continue;
    }
    // At a root height every change is in the tree: the proof is of the current value.
    auto p = ledger_.prove_holding(r.holder, r.asset);
    answers.emplace_back(std::move(r.done), p ? std::optional<HoldingProofInfo>{HoldingProofInfo{
                                                    std::move(*p), head_.state_root, head_.height}}
                                              : std::optional<HoldingProofInfo>{});
  }
  proof_requests_.clear();
  return answers;
}

// --- FX queries ------------------------------------------------------------------------------

std::optional<ledger::OfferEntry> Node::offer(uint64_t offer_id) const {
  std::shared_lock lock(ledger_mu_);
  const auto* o = ledger_.offer(offer_id);
  if (!o) return std::nullopt;
  return *o;
}

std::pair<std::vector<ledger::OfferEntry>, size_t> Node::book(const AssetId& selling,
                                                              const AssetId& buying,
                                                              size_t max) const {
  std::shared_lock lock(ledger_mu_);
  size_t total = 0;
  auto offers = ledger_.book_offers(selling, buying, max, &total);
  return {std::move(offers), total};
}

std::vector<ledger::OfferEntry> Node::offers_of(const AccountId& owner) const {
  std::shared_lock lock(ledger_mu_);
  return ledger_.offers_of(owner);
}

ledger::FxQuotes Node::find_paths(const AssetId& source, const AssetId& destination, Amount amount,
                                  ledger::PathMode mode,
                                  const std::optional<AccountId>& payer) const {
  std::shared_lock lock(ledger_mu_);
  return ledger_.find_paths(source, destination, amount, mode, payer);
}

Result<std::optional<BlockInfo>> Node::block(uint64_t height) const {
  CORRIDOR_ASSIGN_OR_RETURN(auto bytes, chain_.block_bytes(height));
  if (!bytes) return std::optional<BlockInfo>();
  CORRIDOR_ASSIGN_OR_RETURN(auto result, chain_.block_result(height));
  if (!result) return corruption("block " + std::to_string(height) + " has no result record");
  CORRIDOR_ASSIGN_OR_RETURN(auto block, ledger::decode_block(*bytes));
  BlockInfo info{std::move(block), std::move(*result), {}};
  info.hash = info.block.header.hash();
  return std::optional<BlockInfo>(std::move(info));
}

Result<std::optional<Bytes>> Node::block_bytes(uint64_t height) const {
  return chain_.block_bytes(height);
}

Result<std::optional<TxRecord>> Node::transaction(const Hash256& id) const {
  return chain_.tx_record(id);
}

bool Node::is_pending(const Hash256& id) {
  std::lock_guard lock(waiters_mu_);
  return inflight_.contains(id);
}

Status Node::check_invariants() const {
  std::shared_lock lock(ledger_mu_);
  return ledger_.check_invariants();
}

}  // namespace corridor::node
