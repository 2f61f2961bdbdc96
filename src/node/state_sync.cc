#include "node/state_sync.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/assert.h"
#include "base/encoding.h"
#include "ledger/block.h"
#include "ledger/payload.h"
#include "ledger/state_store.h"

namespace corridor::node {
namespace {

enum MessageType : uint8_t {
  type_checkpoint_request = 1,
  type_checkpoint_offer = 2,
  type_no_checkpoint = 3,
  type_chunk_request = 4,
  type_chunk_response = 5,
};

// A chunk holds at most state_sync_chunk_bytes_max bytes of keys and values, so never more
// entries than that (every key is at least one byte).
constexpr uint32_t chunk_entries_max = state_sync_chunk_bytes_max + 1;
// A consecutive run of unanswered requests to the serving peer after which another is tried.
constexpr uint32_t source_timeouts_max = 3;

bool key_less(ByteView a, ByteView b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

bool is_state_key(ByteView key) {
  return !key.empty() && key.size() <= state_sync_key_bytes_max &&
         (key[0] == ledger::store_prefix_state || key[0] == ledger::store_prefix_replay);
}

}  // namespace

std::string_view sync_phase_name(SyncPhase phase) {
  switch (phase) {
    case SyncPhase::idle:
      return "idle";
    case SyncPhase::probing:
      return "probing";
    case SyncPhase::downloading:
      return "downloading";
    case SyncPhase::installing:
      return "installing";
  }
  return "unknown";
}

// --- Encoding -------------------------------------------------------------------------------

Bytes encode_sync_message(const SyncMessage& m) {
  Bytes out;
  Writer w(out);
  if (const auto* r = std::get_if<CheckpointRequest>(&m)) {
    w.u8(type_checkpoint_request);
    w.u64(r->above_height);
  } else if (const auto* o = std::get_if<CheckpointOffer>(&m)) {
    w.u8(type_checkpoint_offer);
    w.u64(o->height);
    w.fixed(o->state_root);
    w.u64(o->entries_total);
    w.u64(o->bytes_total);
    w.u32(static_cast<uint32_t>(o->split_keys.size()));
    for (const Bytes& k : o->split_keys) w.var_bytes(k);
    w.var_bytes(consensus::encode_message(o->evidence));
    w.var_bytes(o->ledger_block);
    w.var_bytes(o->block_result);
  } else if (const auto* n = std::get_if<NoCheckpoint>(&m)) {
    w.u8(type_no_checkpoint);
    w.u64(n->head_height);
  } else if (const auto* q = std::get_if<ChunkRequest>(&m)) {
    w.u8(type_chunk_request);
    w.u64(q->height);
    w.var_bytes(q->start);
    w.var_bytes(q->end);
    w.u32(q->bytes_max);
  } else if (const auto* c = std::get_if<ChunkResponse>(&m)) {
    w.u8(type_chunk_response);
    w.u64(c->height);
    w.var_bytes(c->start);
    w.u8(c->last ? 1 : 0);
    w.u32(static_cast<uint32_t>(c->entries.size()));
    for (const auto& [k, v] : c->entries) {
      w.var_bytes(k);
      w.var_bytes(v);
    }
  }
  return out;
}

Result<SyncMessage> decode_sync_message(ByteView bytes) {
  Reader r(bytes);
  uint8_t type = 0;
  if (!r.u8(type)) return invalid_argument("empty state sync message");
  auto to_bytes = [](ByteView v) { return Bytes(v.begin(), v.end()); };
  switch (type) {
    case type_checkpoint_request: {
      CheckpointRequest m;
      r.u64(m.above_height);
      CORRIDOR_RETURN_IF_ERROR(r.finish("checkpoint request"));
      return SyncMessage(m);
    }
    case type_checkpoint_offer: {
      CheckpointOffer m;
      uint32_t splits = 0;
      r.u64(m.height) && r.fixed(m.state_root) && r.u64(m.entries_total) && r.u64(m.bytes_total) &&
          r.u32(splits);
      if (r.ok() && splits >= state_sync_ranges_max) r.fail("too many split keys");
      for (uint32_t i = 0; r.ok() && i < splits; ++i) {
        ByteView k;
        if (r.var_bytes(k, state_sync_key_bytes_max)) m.split_keys.push_back(to_bytes(k));
      }
      ByteView evidence, block, result;
      r.var_bytes(evidence, state_sync_offer_bytes_max) &&
          r.var_bytes(block, state_sync_offer_bytes_max) &&
          r.var_bytes(result, state_sync_offer_bytes_max);
      CORRIDOR_RETURN_IF_ERROR(r.finish("checkpoint offer"));
      CORRIDOR_ASSIGN_OR_RETURN(consensus::Message em, consensus::decode_message(evidence));
      auto* proof = std::get_if<consensus::EpochProof>(&em);
      if (!proof) return invalid_argument("checkpoint evidence is not a certified block chain");
      m.evidence = std::move(*proof);
      m.ledger_block = to_bytes(block);
      m.block_result = to_bytes(result);
      return SyncMessage(std::move(m));
    }
    case type_no_checkpoint: {
      NoCheckpoint m;
      r.u64(m.head_height);
      CORRIDOR_RETURN_IF_ERROR(r.finish("no-checkpoint answer"));
      return SyncMessage(m);
    }
    case type_chunk_request: {
      ChunkRequest m;
      ByteView start, end;
      r.u64(m.height) && r.var_bytes(start, state_sync_key_bytes_max) &&
          r.var_bytes(end, state_sync_key_bytes_max) && r.u32(m.bytes_max);
      CORRIDOR_RETURN_IF_ERROR(r.finish("chunk request"));
      m.start = to_bytes(start);
      m.end = to_bytes(end);
      return SyncMessage(std::move(m));
    }
    case type_chunk_response: {
      ChunkResponse m;
      ByteView start;
      uint8_t last = 0;
      uint32_t count = 0;
      r.u64(m.height) && r.var_bytes(start, state_sync_key_bytes_max) && r.u8(last) && r.u32(count);
      if (r.ok() && last > 1) r.fail("the last flag is 0 or 1");
      if (r.ok() && count > chunk_entries_max) r.fail("too many entries in a chunk");
      for (uint32_t i = 0; r.ok() && i < count; ++i) {
        ByteView k, v;
        if (r.var_bytes(k, state_sync_key_bytes_max) && r.var_bytes(v, state_sync_offer_bytes_max))
          m.entries.emplace_back(to_bytes(k), to_bytes(v));
      }
      CORRIDOR_RETURN_IF_ERROR(r.finish("chunk response"));
      m.start = to_bytes(start);
      m.last = last == 1;
      return SyncMessage(std::move(m));
    }
    default:
      return invalid_argument("unknown state sync message type " + std::to_string(type));
  }
}

// --- Serving side ---------------------------------------------------------------------------

Result<consensus::EpochProof> build_checkpoint_evidence(const BlockLoader& load,
                                                        uint64_t head_height,
                                                        const consensus::QuorumCert& head_qc,
                                                        uint64_t height, const Hash256& root) {
  if (height >= head_height || head_height - height + 1 > state_sync_evidence_blocks_max)
    return not_found("no evidence span from height " + std::to_string(height) + " to the head");
  // blocks[i] is the committed block at height + i.
  std::vector<consensus::Block> blocks;
  for (uint64_t h = height; h <= head_height; ++h) {
    CORRIDOR_ASSIGN_OR_RETURN(consensus::Block b, load(h));
    blocks.push_back(std::move(b));
  }
  // Evidence spans one epoch: an asker verifies it with one validator set.
  for (const auto& b : blocks)
    if (b.epoch != blocks.front().epoch) return not_found("the span crosses an epoch boundary");
  // The lowest block above the checkpoint that claims its root...
  size_t claim = 0;
  for (size_t i = 1; i < blocks.size() && claim == 0; ++i)
    if (blocks[i].exec_height == height && blocks[i].exec_state_root == root) claim = i;
  if (claim == 0) return not_found("no committed block claims the root at this height");
  // ...then the lowest block at or above it whose child has the very next round: the child,
  // once certified, proves it committed (the 2-chain rule).
  for (size_t y = claim; y + 1 < blocks.size(); ++y) {
    if (blocks[y + 1].round != blocks[y].round + 1) continue;
    const size_t top = y + 1;
    // The head's record is an epoch's genesis certificate (no votes) right after a switch.
    if (top + 1 == blocks.size() && head_qc.is_genesis()) break;
    consensus::EpochProof proof;
    proof.qc = top + 1 < blocks.size() ? blocks[top + 1].qc : head_qc;
    for (size_t i = top + 1; i-- > 0;) proof.blocks.push_back(blocks[i]);
    return proof;
  }
  return not_found("no 2-chain commit above the claim yet");
}

StateSnapshot::StateSnapshot(uint64_t height, const Hash256& state_root, Bytes ledger_block,
                             Bytes block_result, std::shared_ptr<const storage::KvSnapshot> store,
                             Overlay overlay, Limits limits)
    : StateSnapshot(height, state_root, std::move(ledger_block), std::move(block_result),
                    std::move(store), Layers{}, limits) {
  // No layers: overlay() finds this one merged already.
  overlay_ = std::move(overlay);
}

StateSnapshot::StateSnapshot(uint64_t height, const Hash256& state_root, Bytes ledger_block,
                             Bytes block_result, std::shared_ptr<const storage::KvSnapshot> store,
                             Layers changes, Limits limits)
    : height_(height),
      state_root_(state_root),
      ledger_block_(std::move(ledger_block)),
      block_result_(std::move(block_result)),
      store_(std::move(store)),
      layers_(std::move(changes)),
      limits_(limits) {
  CORRIDOR_ASSERT(store_ != nullptr);
}

const StateSnapshot::Overlay& StateSnapshot::overlay() const {
  std::call_once(overlay_once_, [&] {
    if (layers_.size() == 1)
      overlay_ = layers_.front()->store_overlay();
    else if (!layers_.empty())
      overlay_ = ledger::merge_state_layers(layers_).store_overlay();
    // The overlay holds what the snapshot needs; the layers may go once no one else holds them.
    layers_.clear();
  });
  return overlay_;
}

Status StateSnapshot::scan(ByteView start, ByteView end, const storage::ScanVisitor& visit) const {
  // Every state key lies in ['R', 'T'): 'R' (replay ids) sorts right below 'S' (ledger entries).
  static_assert(ledger::store_prefix_replay + 1 == ledger::store_prefix_state);
  static const Bytes state_first{ledger::store_prefix_replay};
  static const Bytes state_past{static_cast<uint8_t>(ledger::store_prefix_state + 1)};
  const ByteView from = key_less(start, state_first) ? ByteView(state_first) : start;
  const ByteView to = end.empty() || key_less(state_past, end) ? ByteView(state_past) : end;
  if (!key_less(from, to)) return Status::ok_status();
  const Overlay& since_checkpoint = overlay();
  size_t change = since_checkpoint.lower_bound(from);
  const size_t changes_end = since_checkpoint.size();
  bool stopped = false;
  // Visits the overlay's entries below `key` (all of them in range when null) that the store
  // does not hold; false when the visitor stopped.
  auto visit_changes_below = [&](const ByteView* key) {
    for (; change != changes_end && key_less(since_checkpoint.key(change), key ? *key : to);
         ++change) {
      const auto c = since_checkpoint.at(change);
      if (c.value && !visit(c.key, *c.value)) {
        ++change;
        return false;
      }
    }
    return true;
  };
  CORRIDOR_RETURN_IF_ERROR(store_->scan_range(from, to, [&](ByteView key, ByteView value) {
    if (!visit_changes_below(&key)) {
      stopped = true;
      return false;
    }
    bool go_on;
    const ByteView changed = change != changes_end ? since_checkpoint.key(change) : ByteView{};
    if (change != changes_end &&
        std::equal(key.begin(), key.end(), changed.begin(), changed.end())) {
      // Changed since the checkpoint: the overlay's value, or nothing for a deleted key.
      const auto c = since_checkpoint.at(change);
      go_on = !c.value || visit(key, *c.value);
      ++change;
    } else {
      go_on = visit(key, value);
    }
    stopped = !go_on;
    return go_on;
  }));
  if (!stopped) visit_changes_below(nullptr);
  return Status::ok_status();
}

Result<StateSnapshot::Summary> StateSnapshot::summary(const std::atomic<bool>* cancel) const {
  std::lock_guard compute(compute_mu_);
  if (auto kept = computed_summary()) return *std::move(kept);
  Result<Summary> computed = compute_summary(cancel);
  // A stop in the middle is no answer; everything else is kept, a read error too: the next
  // snapshot, a snapshot interval later, is tried afresh, and a peer asking again and again
  // cannot make this one be read through more than once.
  if (!computed.ok() && cancel && cancel->load()) return computed;
  // Said once per snapshot: the askers that follow get the kept refusal without a log line.
  if (!computed.ok())
    spdlog::warn("state sync: the state at height {} is not offered: {}", height_,
                 computed.status().to_string());
  std::lock_guard lock(summary_mu_);
  summary_ = computed;
  return computed;
}

std::optional<Result<StateSnapshot::Summary>> StateSnapshot::computed_summary() const {
  std::lock_guard lock(summary_mu_);
  return summary_;
}

Result<StateSnapshot::Summary> StateSnapshot::compute_summary(
    const std::atomic<bool>* cancel) const {
  // One pass counts the entries and bytes, refusing a state over the limits as soon as it gets
  // there, and keeps every stride-th key as a candidate range boundary. The total is unknown
  // until the end, so the stride starts at 1 and doubles whenever the candidates fill their
  // bound (every other one is dropped): at the end they are at most
  // state_sync_summary_samples_max keys, evenly spaced, at least half that many once the
  // stride grew. A second pass over a state near the limits would cost as much again.
  Summary out;
  std::vector<Bytes> samples;
  samples.reserve(state_sync_summary_samples_max);
  uint64_t stride = 1;
  bool over = false;
  bool cancelled = false;
  CORRIDOR_RETURN_IF_ERROR(scan({}, {}, [&](ByteView key, ByteView value) {
    if (cancel && (out.entries & 0xfff) == 0 && cancel->load(std::memory_order_relaxed)) {
      cancelled = true;
      return false;
    }
    if (out.entries % stride == 0) {
      if (samples.size() == state_sync_summary_samples_max) {
        // The kept ones are the entries at multiples of the doubled stride, which this entry's
        // index is too (it is samples_max times the old stride).
        for (size_t i = 1; 2 * i < samples.size(); ++i) samples[i] = std::move(samples[2 * i]);
        samples.resize(samples.size() / 2);
        stride *= 2;
      }
      samples.emplace_back(key.begin(), key.end());
    }
    ++out.entries;
    out.bytes += key.size() + value.size();
    over = out.entries > limits_.entries_max || out.bytes > limits_.bytes_max;
    return !over;
  }));
  if (cancelled) return Status(StatusCode::unavailable, "the summary was cancelled");
  if (over) return resource_exhausted("the state exceeds the state sync limits");
  // The boundary of range i is the candidate nearest the entry at i * n / ranges, so the
  // ranges hold about equal counts (exactly i * n / ranges while the stride stayed 1).
  // Candidates are distinct keys in key order, so boundaries at rising indices ascend.
  const uint64_t n = out.entries;
  const uint64_t ranges = std::min<uint64_t>(state_sync_ranges_max, std::max<uint64_t>(n, 1));
  size_t last = 0;
  for (uint64_t i = 1; i < ranges; ++i) {
    const uint64_t place = i * n / ranges;
    const size_t nearest =
        std::min<size_t>(static_cast<size_t>((place + stride / 2) / stride), samples.size() - 1);
    // Never the first entry (range 0 would be empty), never a boundary twice.
    if (nearest <= last) continue;
    out.split_keys.push_back(std::move(samples[nearest]));
    last = nearest;
  }
  return out;
}

Result<CheckpointOffer> make_offer(const StateSnapshot& snapshot, consensus::EpochProof evidence) {
  CORRIDOR_ASSIGN_OR_RETURN(StateSnapshot::Summary summary, snapshot.summary());
  return make_offer(snapshot, std::move(summary), std::move(evidence));
}

CheckpointOffer make_offer(const StateSnapshot& snapshot, StateSnapshot::Summary summary,
                           consensus::EpochProof evidence) {
  CheckpointOffer offer;
  offer.height = snapshot.height();
  offer.state_root = snapshot.state_root();
  offer.entries_total = summary.entries;
  offer.bytes_total = summary.bytes;
  offer.split_keys = std::move(summary.split_keys);
  offer.evidence = std::move(evidence);
  offer.ledger_block = snapshot.ledger_block();
  offer.block_result = snapshot.block_result();
  return offer;
}

Result<ChunkResponse> serve_chunk(const StateSnapshot& snapshot, const ChunkRequest& request) {
  ChunkResponse out;
  out.height = snapshot.height();
  out.start = request.start;
  const uint64_t bytes_max = std::min(request.bytes_max, state_sync_chunk_bytes_max);
  uint64_t bytes = 0;
  bool full = false;
  CORRIDOR_RETURN_IF_ERROR(
      snapshot.scan(request.start, request.end, [&](ByteView key, ByteView value) {
        const uint64_t size = key.size() + value.size();
        // At least one entry per chunk, whatever its size, so that the download always
        // advances.
        if (!out.entries.empty() && bytes + size > bytes_max) {
          full = true;
          return false;
        }
        bytes += size;
        out.entries.emplace_back(Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end()));
        return true;
      }));
  out.last = !full;
  return out;
}

// --- Checking an offer ----------------------------------------------------------------------

Result<VerifiedCheckpoint> verify_offer(const CheckpointOffer& offer,
                                        const consensus::ValidatorSet& trusted,
                                        uint64_t epoch_start_height) {
  const auto& blocks = offer.evidence.blocks;
  if (blocks.size() < 3 || blocks.size() > state_sync_evidence_blocks_max)
    return invalid_argument("checkpoint evidence must span 3 to " +
                            std::to_string(state_sync_evidence_blocks_max) + " blocks");
  if (offer.height <= epoch_start_height || blocks.back().height != offer.height)
    return invalid_argument("the checkpoint is not a block of this epoch above its start");
  for (size_t i = 1; i < offer.split_keys.size(); ++i)
    if (!key_less(offer.split_keys[i - 1], offer.split_keys[i]))
      return invalid_argument("split keys are not ascending");
  if (offer.entries_total > state_sync_entries_max ||
      offer.bytes_total > state_sync_state_bytes_max)
    return resource_exhausted("the checkpoint's state exceeds this node's limits");
  std::vector<Hash256> ids;
  for (const auto& b : blocks) {
    // A checkpoint of another epoch needs a validator set this node does not hold yet: the node
    // then crosses epochs by block sync and epoch proofs (docs/consensus.md, "State sync").
    if (b.epoch != trusted.epoch())
      return failed_precondition("checkpoint evidence of epoch " + std::to_string(b.epoch) +
                                 ", this node trusts epoch " + std::to_string(trusted.epoch()));
    ids.push_back(b.compute_id());
  }
  const consensus::QuorumCert& top_qc = offer.evidence.qc;
  if (top_qc.block_id != ids[0] || top_qc.round != blocks[0].round ||
      top_qc.height != blocks[0].height || top_qc.epoch != trusted.epoch())
    return invalid_argument("the evidence's QC does not certify its newest block");
  CORRIDOR_RETURN_IF_ERROR(consensus::verify_qc(top_qc, trusted));
  for (size_t i = 0; i + 1 < blocks.size(); ++i) {
    const consensus::Block& b = blocks[i];
    const consensus::Block& parent = blocks[i + 1];
    if (b.parent_id != ids[i + 1] || b.qc.block_id != ids[i + 1] || b.height != parent.height + 1 ||
        b.qc.round != parent.round || b.qc.height != parent.height ||
        b.qc.epoch != trusted.epoch() || b.round <= parent.round)
      return invalid_argument("checkpoint evidence is not a certified chain");
    CORRIDOR_RETURN_IF_ERROR(consensus::verify_qc(b.qc, trusted));
  }
  // The 2-chain rule: a certified block whose parent has the round just below commits the
  // parent and every ancestor.
  std::optional<size_t> committed_from;
  for (size_t k = 0; k + 1 < blocks.size() && !committed_from; ++k)
    if (blocks[k].round == blocks[k + 1].round + 1) committed_from = k + 1;
  if (!committed_from) return invalid_argument("the evidence proves no commit");
  bool claimed = false;
  for (size_t j = *committed_from; j + 1 < blocks.size() && !claimed; ++j)
    claimed =
        blocks[j].exec_height == offer.height && blocks[j].exec_state_root == offer.state_root;
  if (!claimed) return invalid_argument("no committed block of the evidence claims the root");

  VerifiedCheckpoint cp;
  cp.height = offer.height;
  cp.state_root = offer.state_root;
  cp.block = blocks.back();
  cp.block_id = ids.back();
  cp.block_qc = blocks[blocks.size() - 2].qc;

  // The ledger block at the checkpoint carries exactly the consensus block's transactions, and
  // its result the attested root. Its parent hash links to history this node does not hold; it
  // is the serving peer's word (docs/consensus.md, "State sync").
  CORRIDOR_ASSIGN_OR_RETURN(ledger::Block lb, ledger::decode_block(offer.ledger_block));
  CORRIDOR_ASSIGN_OR_RETURN(ledger::BlockResult result,
                            ledger::decode_block_result(offer.block_result));
  auto payload = ledger::decode_payload_txs(cp.block.payload);
  if (!payload) return invalid_argument("the checkpoint block's payload does not decode");
  std::vector<ledger::Transaction> txs;
  for (auto& p : *payload) txs.push_back(std::move(p.tx));
  if (lb.header.height != offer.height || lb.txs.size() != txs.size() ||
      lb.header.tx_root != ledger::compute_tx_root(txs) ||
      ledger::compute_tx_root(lb.txs) != lb.header.tx_root ||
      result.state_root != offer.state_root || result.outcomes.size() != lb.txs.size())
    return invalid_argument("the ledger block does not match the attested checkpoint");
  return cp;
}

// --- Downloading client ---------------------------------------------------------------------

StateSyncClient::StateSyncClient(Options options, std::vector<PublicKey> peers)
    : options_(options), peers_(std::move(peers)) {}

void StateSyncClient::publish() {
  progress_.phase = phase_;
}

StateSyncClient::Outgoing StateSyncClient::probe(uint64_t head_height, uint64_t now_ms,
                                                 bool pause) {
  Outgoing out;
  if (phase_ != SyncPhase::idle) return out;
  if (last_probe_ms_ != 0 && now_ms < last_probe_ms_ + state_sync_probe_interval_ms) return out;
  last_probe_ms_ = now_ms;
  phase_ = SyncPhase::probing;
  probe_deadline_ms_ = now_ms + (pause ? state_sync_start_offer_wait_ms : state_sync_offer_wait_ms);
  answered_.clear();
  candidates_.clear();
  probe_resent_ms_ = now_ms;
  probe_pauses_ = pause;
  probe_request_ = encode_sync_message(CheckpointRequest{head_height + options_.lag_blocks});
  for (const PublicKey& p : peers_) out.emplace_back(p, probe_request_);
  progress_.target_height = 0;
  publish();
  return out;
}

StateSyncClient::Outgoing StateSyncClient::on_offer(const PublicKey& peer,
                                                    const CheckpointOffer& offer,
                                                    uint64_t head_height,
                                                    const consensus::ValidatorSet& trusted,
                                                    uint64_t epoch_start_height, uint64_t now_ms) {
  if (phase_ != SyncPhase::probing || excluded_.contains(peer)) return {};
  answered_.insert(peer);
  if (offer.height > head_height + options_.lag_blocks) {
    auto verified = verify_offer(offer, trusted, epoch_start_height);
    if (verified.ok()) {
      candidates_[peer] = Candidate{offer, std::move(verified).value()};
    } else if (verified.status().code() == StatusCode::failed_precondition ||
               verified.status().code() == StatusCode::resource_exhausted) {
      // Another epoch, or too large for this node: not the peer's fault.
      spdlog::info("state sync: checkpoint {} from {} not usable: {}", offer.height,
                   peer.hex().substr(0, 12), verified.status().message());
    } else {
      mark_bad(peer, verified.status().message());
    }
  }
  if (answered_.size() + excluded_.size() >= peers_.size()) return start_download(now_ms);
  return {};
}

StateSyncClient::Outgoing StateSyncClient::on_no_checkpoint(const PublicKey& peer,
                                                            uint64_t now_ms) {
  if (phase_ != SyncPhase::probing) return {};
  answered_.insert(peer);
  // Everyone answered: no need to wait out the probe.
  if (answered_.size() + excluded_.size() >= peers_.size()) return start_download(now_ms);
  return {};
}

void StateSyncClient::mark_bad(const PublicKey& peer, const std::string& why) {
  spdlog::warn("state sync: refused data from {}: {}", peer.hex().substr(0, 12), why);
  ++bad_by_peer_[peer];
  ++progress_.bad_chunks;
  excluded_.insert(peer);
  candidates_.erase(peer);
}

void StateSyncClient::reset_to_idle() {
  phase_ = SyncPhase::idle;
  source_.reset();
  current_.reset();
  ranges_.clear();
  range_entries_.clear();
  candidates_.clear();
  excluded_.clear();
  answered_.clear();
  progress_.entries_received = 0;
  progress_.bytes_received = 0;
  progress_.entries_total = 0;
  progress_.bytes_total = 0;
  progress_.target_height = 0;
  publish();
}

StateSyncClient::Outgoing StateSyncClient::start_download(uint64_t now_ms) {
  // Peers that sent bad data before are tried last; then the highest checkpoint; then the
  // lowest key, so that the choice does not depend on the order offers arrived in.
  const Candidate* best = nullptr;
  PublicKey best_peer;
  uint64_t best_bad = 0;
  for (const auto& [peer, c] : candidates_) {
    if (excluded_.contains(peer)) continue;
    auto it = bad_by_peer_.find(peer);
    const uint64_t bad = it == bad_by_peer_.end() ? 0 : it->second;
    if (!best || bad < best_bad ||
        (bad == best_bad && c.checkpoint.height > best->checkpoint.height)) {
      best = &c;
      best_peer = peer;
      best_bad = bad;
    }
  }
  if (!best) {
    if (phase_ == SyncPhase::probing)
      spdlog::info("state sync: no usable checkpoint ({} of {} peers answered); block sync goes on",
                   answered_.size(), peers_.size());
    reset_to_idle();
    return {};
  }
  current_ = *best;
  source_ = best_peer;
  phase_ = SyncPhase::downloading;
  ranges_.clear();
  range_entries_.clear();
  const auto& splits = current_->offer.split_keys;
  for (size_t i = 0; i <= splits.size(); ++i) {
    Range r;
    r.next = i == 0 ? Bytes{} : splits[i - 1];
    r.end = i < splits.size() ? splits[i] : Bytes{};
    ranges_.push_back(std::move(r));
  }
  range_entries_.resize(ranges_.size());
  progress_.target_height = current_->checkpoint.height;
  progress_.entries_total = current_->offer.entries_total;
  progress_.bytes_total = current_->offer.bytes_total;
  progress_.entries_received = 0;
  progress_.bytes_received = 0;
  spdlog::info("state sync: downloading checkpoint at height {} ({} entries, {} bytes) from {}",
               current_->checkpoint.height, current_->offer.entries_total,
               current_->offer.bytes_total, source_->hex().substr(0, 12));
  publish();
  return request_more(now_ms);
}

StateSyncClient::Outgoing StateSyncClient::request_more(uint64_t now_ms) {
  Outgoing out;
  size_t in_flight = 0;
  for (const Range& r : ranges_) in_flight += r.in_flight ? 1 : 0;
  for (Range& r : ranges_) {
    if (in_flight >= state_sync_requests_in_flight_max) break;
    if (r.done || r.in_flight) continue;
    r.in_flight = true;
    r.sent_ms = now_ms;
    ++in_flight;
    out.emplace_back(*source_, encode_sync_message(ChunkRequest{current_->checkpoint.height, r.next,
                                                                r.end, options_.chunk_bytes}));
  }
  return out;
}

StateSyncClient::Outgoing StateSyncClient::on_chunk(const PublicKey& peer,
                                                    const ChunkResponse& chunk, uint64_t now_ms) {
  if (phase_ != SyncPhase::downloading || peer != *source_ ||
      chunk.height != current_->checkpoint.height)
    return {};
  size_t index = ranges_.size();
  for (size_t i = 0; i < ranges_.size(); ++i)
    if (ranges_[i].in_flight && ranges_[i].next == chunk.start) index = i;
  if (index == ranges_.size()) return {};  // A late answer to a request sent again.
  Range& range = ranges_[index];
  // Each chunk must lie in its range, ascending, with well-formed store keys, and advance.
  std::string problem;
  uint64_t bytes = 0;
  if (chunk.entries.empty() && !chunk.last) problem = "an empty chunk that is not the last";
  for (size_t i = 0; i < chunk.entries.size() && problem.empty(); ++i) {
    const Bytes& k = chunk.entries[i].first;
    if (!is_state_key(k))
      problem = "a key outside the state and replay prefixes";
    else if (key_less(k, range.next) || (!range.end.empty() && !key_less(k, range.end)))
      problem = "a key outside the requested range";
    else if (i > 0 && !key_less(chunk.entries[i - 1].first, k))
      problem = "keys out of order";
    bytes += k.size() + chunk.entries[i].second.size();
  }
  if (problem.empty() &&
      (progress_.entries_received + chunk.entries.size() > current_->offer.entries_total ||
       progress_.bytes_received + bytes > current_->offer.bytes_total))
    problem = "more state than the offer announced";
  if (!problem.empty()) {
    mark_bad(peer, problem);
    return start_download(now_ms);
  }
  range.in_flight = false;
  range.done = chunk.last;
  if (!chunk.entries.empty()) {
    range.next = chunk.entries.back().first;
    range.next.push_back(0);  // The smallest key after the last one received.
  }
  auto& dest = range_entries_[index];
  dest.insert(dest.end(), chunk.entries.begin(), chunk.entries.end());
  const uint64_t total = std::max<uint64_t>(current_->offer.entries_total, 1);
  const uint64_t tenth_before = progress_.entries_received * 10 / total;
  progress_.entries_received += chunk.entries.size();
  progress_.bytes_received += bytes;
  if (progress_.entries_received * 10 / total != tenth_before)
    spdlog::info("state sync: {}/{} entries, {}/{} bytes of checkpoint {}",
                 progress_.entries_received, current_->offer.entries_total,
                 progress_.bytes_received, current_->offer.bytes_total,
                 current_->checkpoint.height);
  if (std::all_of(ranges_.begin(), ranges_.end(), [](const Range& r) { return r.done; })) {
    phase_ = SyncPhase::installing;
    publish();
    return {};
  }
  return request_more(now_ms);
}

StateSyncClient::Outgoing StateSyncClient::on_tick(uint64_t now_ms) {
  Outgoing out;
  if (phase_ == SyncPhase::probing) {
    if (now_ms >= probe_deadline_ms_) return start_download(now_ms);
    if (now_ms >= probe_resent_ms_ + state_sync_probe_resend_ms) {
      probe_resent_ms_ = now_ms;
      for (const PublicKey& p : peers_)
        if (!answered_.contains(p) && !excluded_.contains(p)) out.emplace_back(p, probe_request_);
    }
    return out;
  }
  if (phase_ != SyncPhase::downloading) return out;
  uint32_t late = 0;
  for (Range& r : ranges_) {
    if (!r.in_flight || now_ms < r.sent_ms + state_sync_request_timeout_ms) continue;
    // Unanswered (lost, or refused over the server's rate limit): asked again.
    r.in_flight = false;
    ++late;
    if (++r.timeouts >= source_timeouts_max) {
      spdlog::info("state sync: {} stopped answering; trying another peer",
                   source_->hex().substr(0, 12));
      excluded_.insert(*source_);
      return start_download(now_ms);
    }
  }
  if (late == 0) return out;
  return request_more(now_ms);
}

std::optional<DownloadedState> StateSyncClient::take_complete() {
  if (phase_ != SyncPhase::installing || taken_) return std::nullopt;
  taken_ = true;
  DownloadedState d;
  d.checkpoint = current_->checkpoint;
  d.ledger_block = current_->offer.ledger_block;
  d.block_result = current_->offer.block_result;
  for (auto& part : range_entries_)
    for (auto& e : part) d.entries.push_back(std::move(e));
  range_entries_.clear();
  return d;
}

StateSyncClient::Outgoing StateSyncClient::finish_install(const Status& result, uint64_t now_ms) {
  taken_ = false;
  if (result.ok()) {
    ++progress_.checkpoints_installed;
    progress_.last_installed_height = current_->checkpoint.height;
    spdlog::info("state sync: installed the checkpoint at height {}", current_->checkpoint.height);
    reset_to_idle();
    return {};
  }
  if (result.code() == StatusCode::corruption) {
    // The entries do not hash to the attested root (or do not decode): the peer that served
    // them lied or is broken. Everything is discarded and another peer is asked.
    mark_bad(*source_, result.message());
    return start_download(now_ms);
  }
  spdlog::warn("state sync: cannot install the checkpoint: {}", result.to_string());
  reset_to_idle();
  return {};
}

}  // namespace corridor::node
