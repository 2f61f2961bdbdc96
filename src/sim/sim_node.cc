#include "sim/sim_node.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>

#include "base/encoding.h"
#include "consensus/store_layout.h"
#include "ledger/limits.h"
#include "ledger/state_store.h"

namespace corridor::sim {
namespace {

constexpr uint8_t key_head = 'H';

Bytes head_value(uint64_t height, const Hash256& id, const Hash256& root) {
  // The epoch start record (height, id) followed by the root. Built on a vector that is not
  // empty: GCC 12 at -O2 falsely reports appending to a fresh one as an overflow (bug 107852).
  Bytes v = consensus::epoch_start_value(height, id);
  v.insert(v.end(), root.bytes.begin(), root.bytes.end());
  return v;
}

}  // namespace

SimNode::SimNode(const NodeContext& context, consensus::ValidatorIndex index, const KeyPair& key)
    : context_(context),
      index_(index),
      keys_{key},
      disk_(std::make_unique<storage::MemKvStore>()) {}

bool SimNode::holds(const PublicKey& key) const {
  return std::any_of(keys_.begin(), keys_.end(),
                     [&](const KeyPair& k) { return k.public_key() == key; });
}

Status SimNode::init_fresh_disk() {
  storage::WriteBatch batch;
  ledger::put_state_delta(batch, context_.genesis_delta);
  consensus::put_committed_block(batch, context_.genesis, context_.genesis_id);
  batch.put(Bytes{key_head}, head_value(0, context_.genesis_id, context_.genesis_state_root));
  batch.put(Bytes{consensus::store_key_head_qc},
            encode_qc(consensus::genesis_qc(context_.genesis_id)));
  batch.put(Bytes{consensus::store_key_epoch_start},
            consensus::epoch_start_value(0, context_.genesis_id));
  return disk_->write(batch, true);
}

Status SimNode::load_ledger() {
  CORRIDOR_ASSIGN_OR_RETURN(auto head, disk_->get(Bytes{key_head}));
  if (!head) {
    CORRIDOR_RETURN_IF_ERROR(init_fresh_disk());
    CORRIDOR_ASSIGN_OR_RETURN(head, disk_->get(Bytes{key_head}));
  }
  Reader r(*head);
  r.u64(head_height_) && r.fixed(head_id_) && r.fixed(head_root_);
  CORRIDOR_RETURN_IF_ERROR(r.finish("head"));

  ledger_ = std::make_unique<ledger::Ledger>();
  CORRIDOR_RETURN_IF_ERROR(ledger::load_ledger_state(*disk_, *ledger_, head_height_, head_root_));
  return Status();
}

Result<consensus::Block> SimNode::load_block_at(uint64_t height) const {
  CORRIDOR_ASSIGN_OR_RETURN(auto bytes, disk_->get(consensus::block_height_key(height)));
  if (!bytes) return not_found("no committed block at height " + std::to_string(height));
  CORRIDOR_ASSIGN_OR_RETURN(consensus::Message m, consensus::decode_message(*bytes));
  auto* response = std::get_if<consensus::BlockResponse>(&m);
  if (!response || response->blocks.size() != 1)
    return corruption("stored block at height " + std::to_string(height) + " is malformed");
  return std::move(response->blocks.front());
}

Result<std::vector<consensus::Action>> SimNode::boot(uint64_t now_ms) {
  CORRIDOR_RETURN_IF_ERROR(load_ledger());
  consensus::SafetyData safety;
  CORRIDOR_ASSIGN_OR_RETURN(auto stored_safety, disk_->get(Bytes{consensus::store_key_safety}));
  if (stored_safety) {
    CORRIDOR_ASSIGN_OR_RETURN(safety, consensus::decode_safety_data(*stored_safety));
  }
  CORRIDOR_ASSIGN_OR_RETURN(auto start, disk_->get(Bytes{consensus::store_key_epoch_start}));
  if (!start) return corruption("the epoch start record is missing");
  CORRIDOR_ASSIGN_OR_RETURN(auto epoch_start, consensus::decode_epoch_start(*start));
  std::tie(epoch_start_height_, epoch_start_id_) = epoch_start;
  CORRIDOR_ASSIGN_OR_RETURN(consensus::Block head_block, load_block_at(head_height_));
  CORRIDOR_ASSIGN_OR_RETURN(auto qc_bytes, disk_->get(Bytes{consensus::store_key_head_qc}));
  if (!qc_bytes) return corruption("the head's QC is missing");
  CORRIDOR_ASSIGN_OR_RETURN(consensus::QuorumCert head_qc, decode_qc(*qc_bytes));
  if (head_qc.block_id != head_id_)
    return corruption("the stored QC does not certify the head block");
  if (head_block.compute_id() != head_id_)
    return corruption("stored head block does not hash to the head id");
  const auto& set = ledger_->validator_set();
  if (!set) return corruption("the ledger has no validator set");
  if (safety.epoch > set->epoch) return corruption("safety data from a later epoch");
  return build_core(safety, head_qc, head_block, now_ms);
}

std::vector<consensus::Action> SimNode::build_core(const consensus::SafetyData& safety,
                                                   const consensus::QuorumCert& head_qc,
                                                   const consensus::Block& head_block,
                                                   uint64_t now_ms) {
  const ledger::ValidatorSetEntry& set = *ledger_->validator_set();
  consensus::ValidatorSet validators(set.epoch, set.validators);
  std::optional<consensus::ValidatorIndex> me;
  active_key_ = 0;
  for (size_t k = 0; k < keys_.size() && !me; ++k)
    if ((me = validators.index_of(keys_[k].public_key()))) active_key_ = k;
  consensus::RecoveryState recovery;
  recovery.safety = safety;
  recovery.last_committed = head_block;
  recovery.last_committed_id = head_id_;
  recovery.last_committed_qc = head_qc;
  recovery.genesis_id = epoch_start_id_;
  recovery.genesis_height = epoch_start_height_;
  core_ = std::make_unique<consensus::Core>(std::move(validators), me, keys_[active_key_], recovery,
                                            context_.core_config, *this);
  // The Core learns the state root of its last committed block as it would after executing it,
  // so that its next proposals carry the right execution claim.
  core_->on_executed(head_height_, head_root_);
  return core_->start(now_ms);
}

std::vector<consensus::Action> SimNode::switch_epoch(uint64_t now_ms) {
  auto head_block = load_block_at(head_height_);
  CORRIDOR_ASSERT_MSG(head_block.ok(), "the epoch's last block was just stored");
  return build_core(consensus::SafetyData{}, consensus::genesis_qc(head_id_, head_height_),
                    *head_block, now_ms);
}

std::optional<consensus::EpochProof> SimNode::load_epoch_proof(consensus::Epoch epoch) const {
  auto bytes = disk_->get(consensus::epoch_proof_key(epoch));
  if (!bytes.ok() || !*bytes) return std::nullopt;
  auto m = consensus::decode_message(**bytes);
  if (!m.ok()) return std::nullopt;
  auto* proof = std::get_if<consensus::EpochProof>(&*m);
  if (!proof) return std::nullopt;
  return std::move(*proof);
}

void SimNode::crash(uint64_t seed) {
  core_.reset();
  ledger_.reset();
  mempool_.clear();
  mempool_ids_.clear();
  disk_->crash(seed);
}

void SimNode::wipe() {
  core_.reset();
  ledger_.reset();
  mempool_.clear();
  mempool_ids_.clear();
  disk_ = std::make_unique<storage::MemKvStore>();
}

Status SimNode::persist_safety(const consensus::SafetyData& data) {
  storage::WriteBatch batch;
  batch.put(Bytes{consensus::store_key_safety}, consensus::encode_safety_data(data));
  return disk_->write(batch, true);
}

Result<ExecutedCommit> SimNode::commit(const consensus::CommitAction& action, size_t i) {
  const consensus::Block& block = action.blocks[i];
  const Hash256& id = action.ids[i];
  // Each block is certified by the next one's QC, the last by the action's commit QC.
  const consensus::QuorumCert& qc =
      i + 1 < action.blocks.size() ? action.blocks[i + 1].qc : action.commit_qc;
  if (block.height != head_height_ + 1)
    return failed_precondition("committed height " + std::to_string(block.height) +
                               " does not follow the last committed height " +
                               std::to_string(head_height_));
  if (block.parent_id != head_id_)
    return failed_precondition("committed block at height " + std::to_string(block.height) +
                               " has parent " + block.parent_id.hex().substr(0, 12) +
                               ", the last committed block is " + head_id_.hex().substr(0, 12));
  ExecutedCommit c;
  c.height = block.height;
  c.id = id;
  auto txs = decode_payload(block.payload);
  c.payload_malformed = !txs;
  ledger::Block lb;
  if (txs) lb.txs = std::move(*txs);
  lb.header.height = block.height;
  lb.header.parent_hash = block.parent_id;
  lb.header.time_ms = block.time_ms;
  lb.header.tx_root = ledger::compute_tx_root(lb.txs);
  lb.header.tx_count = static_cast<uint32_t>(lb.txs.size());
  lb.header.parent_state_root = head_root_;
  const uint64_t epoch_before = ledger_->validator_set()->epoch;
  ledger::ExecutedBlock executed = ledger::execute_block(*ledger_, lb, context_.network_id);
  c.epoch_ended = ledger_->validator_set()->epoch != epoch_before;

  storage::WriteBatch batch;
  consensus::put_committed_block(batch, block, id);
  ledger::put_state_delta(batch, executed.delta);
  batch.put(Bytes{key_head}, head_value(block.height, id, executed.result.state_root));
  if (c.epoch_ended) {
    // The block starts the next epoch: a restart resumes from it with the new set, and peers
    // left in the old epoch are given the proof of how it ended.
    batch.put(Bytes{consensus::store_key_head_qc},
              encode_qc(consensus::genesis_qc(id, block.height)));
    batch.put(Bytes{consensus::store_key_epoch_start},
              consensus::epoch_start_value(block.height, id));
    batch.put(consensus::epoch_proof_key(epoch_before),
              consensus::encode_message(consensus::make_epoch_proof(action, i)));
  } else {
    batch.put(Bytes{consensus::store_key_head_qc}, encode_qc(qc));
  }
  CORRIDOR_RETURN_IF_ERROR(disk_->write(batch, true));
  if (c.epoch_ended) {
    epoch_start_height_ = block.height;
    epoch_start_id_ = id;
  }
  head_height_ = block.height;
  head_id_ = id;
  head_root_ = executed.result.state_root;
  c.state_root = executed.result.state_root;
  c.outcomes = std::move(executed.result.outcomes);
  c.txs = std::move(lb.txs);
  prune_mempool();
  return c;
}

bool SimNode::submit(const ledger::Transaction& tx, Bytes envelope) {
  if (!ledger_ || mempool_.size() >= mempool_txs_max || mempool_ids_.contains(tx.id) ||
      ledger_->is_replay_id_live(tx.id))
    return false;
  mempool_ids_.insert(tx.id);
  mempool_.push_back(Pending{tx.id, tx.valid_until_height, std::move(envelope)});
  return true;
}

void SimNode::prune_mempool() {
  const uint64_t next = ledger_->height() + 1;
  auto gone = [&](const Pending& p) {
    bool drop = p.valid_until_height < next || ledger_->is_replay_id_live(p.id);
    if (drop) mempool_ids_.erase(p.id);
    return drop;
  };
  mempool_.erase(std::remove_if(mempool_.begin(), mempool_.end(), gone), mempool_.end());
}

Bytes SimNode::make_payload(consensus::Round, uint64_t height) {
  std::vector<Bytes> envelopes;
  for (Pending& p : mempool_) {
    if (envelopes.size() >= payload_txs_max) break;
    if (p.valid_until_height < height) continue;
    // Proposed at a lower height: the block being extended (or one of its ancestors) may carry
    // it already. Proposed at this height: that block lost its round, so offer it again.
    if (p.proposed_height != 0 && p.proposed_height < height &&
        height - p.proposed_height < repropose_after_heights)
      continue;
    p.proposed_height = height;
    envelopes.push_back(p.envelope);
  }
  return encode_payload(envelopes);
}

std::optional<consensus::Block> SimNode::load_committed_block(const Hash256& id) {
  auto height = disk_->get(consensus::block_id_key(id));
  if (!height.ok() || !*height || (*height)->size() != 8) return std::nullopt;
  auto block = load_block_at(get_be64(**height));
  if (!block.ok()) return std::nullopt;
  return std::move(block).value();
}

}  // namespace corridor::sim
