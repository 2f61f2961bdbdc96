#include "node/bft_orderer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <tuple>
#include <utility>

#include "base/encoding.h"
#include "base/quorum.h"
#include "base/thread_name.h"
#include "consensus/store_layout.h"
#include "ledger/block.h"
#include "ledger/limits.h"
#include "ledger/payload.h"
#include "ledger/state_store.h"
#include "node/compact_proposal.h"
#include "node/detail/log_syncer.h"

namespace corridor::node {
namespace {

constexpr uint8_t key_recent = 'U';
// Proposals kept one per key by height and round, before the proposal journal: erased at boot.
constexpr uint8_t recent_proposal_legacy = 0;
constexpr uint8_t recent_timeout = 1;
// The proposals the journal had no room for (storage/kv_record_journal.h).
constexpr uint8_t recent_journal = 2;

// Room for the block header next to the envelopes in a ledger block.
constexpr size_t block_header_bytes_reserved = 1'024;

Bytes recent_timeout_key(consensus::ValidatorIndex author) {
  Bytes k{key_recent, recent_timeout};
  put_be64(k, author);
  return k;
}

bool payload_is_empty(const Bytes& payload) {
  static const Bytes empty = ledger::encode_payload({});
  return payload == empty;
}

}  // namespace

BftOrderer::BftOrderer(Node& node, const KeyPair& key, BftOptions options)
    : node_(node),
      key_(key),
      options_(std::move(options)),
      network_id_(node.network_id()),
      journal_(node.proposal_journal()),
      log_syncer_(std::make_unique<detail::LogSyncer>(node.kv())) {
  options_.core.exec_claim_interval_blocks = node.config().state_root_interval_blocks;
  if (journal_) {
    journal_syncer_ = std::make_unique<detail::LogSyncer>(
        [journal = journal_] { return journal->sync(); }, "journal-sync");
  }
}

BftOrderer::~BftOrderer() {
  stop();
}

Result<std::unique_ptr<BftOrderer>> BftOrderer::create(Node& node, const KeyPair& key,
                                                       BftOptions options) {
  std::unique_ptr<BftOrderer> o(new BftOrderer(node, key, std::move(options)));
  CORRIDOR_RETURN_IF_ERROR(o->boot());
  net::PeerNetworkOptions net_options;
  net_options.network_id = o->network_id_;
  net_options.listen_address = o->options_.listen_address;
  net_options.listen_port = o->options_.listen_port;
  net_options.peers = o->options_.peers;
  // A frame is one channel byte and a consensus message.
  net_options.frame_bytes_max = consensus::message_bytes_max + 1;
  BftOrderer* self = o.get();
  CORRIDOR_ASSIGN_OR_RETURN(
      o->net_, net::PeerNetwork::start(
                   o->key_, std::move(net_options),
                   [self](const PublicKey& peer, Bytes b) { self->on_frame(peer, std::move(b)); }));
  return o;
}

Result<consensus::Block> BftOrderer::load_block_at(uint64_t height) const {
  // The record is written in the ledger block's batch, on the executor's thread; the store may
  // show part of that batch until the write returns.
  if (!node_.block_readable(height))
    return not_found("the consensus block at height " + std::to_string(height) +
                     " is still being written");
  CORRIDOR_ASSIGN_OR_RETURN(auto bytes, node_.kv().get(consensus::block_height_key(height)));
  if (!bytes) {
    // Stored without its payload: the ledger block at the same height holds the envelopes.
    CORRIDOR_ASSIGN_OR_RETURN(auto elided,
                              node_.kv().get(consensus::elided_block_height_key(height)));
    if (!elided)
      return not_found("no committed consensus block at height " + std::to_string(height));
    CORRIDOR_ASSIGN_OR_RETURN(auto ledger_block, node_.block_bytes(height));
    if (!ledger_block)
      return corruption("the consensus block at height " + std::to_string(height) +
                        " is stored without its payload, and the ledger block is missing");
    CORRIDOR_ASSIGN_OR_RETURN(Bytes payload, ledger::block_payload(*ledger_block));
    return consensus::read_elided_block(*elided, std::move(payload));
  }
  CORRIDOR_ASSIGN_OR_RETURN(consensus::Message m, consensus::decode_message(*bytes));
  auto* response = std::get_if<consensus::BlockResponse>(&m);
  if (!response || response->blocks.size() != 1)
    return corruption("stored consensus block at height " + std::to_string(height) +
                      " is malformed");
  return std::move(response->blocks.front());
}

Status BftOrderer::boot() {
  storage::KvStore& kv = node_.kv();
  const ChainHead head = node_.head();
  const auto set = node_.validator_set();
  if (!set) return failed_precondition("the ledger has no validator set (no BFT genesis block)");
  CORRIDOR_ASSIGN_OR_RETURN(auto start, kv.get(Bytes{consensus::store_key_epoch_start}));
  if (!start) {
    if (head.height != 0)
      return failed_precondition("the store has ledger blocks but no consensus records");
    // A fresh store: the consensus chain starts from the genesis block every node computes
    // from the validator set that ledger block 0 installed.
    consensus::ValidatorSet validators(set->epoch, set->validators);
    consensus::Block genesis = consensus::genesis_block(validators, network_id_);
    const Hash256 id = genesis.compute_id();
    storage::WriteBatch batch;
    consensus::put_committed_block(batch, genesis, id);
    batch.put(Bytes{consensus::store_key_head_qc}, consensus::encode_qc(consensus::genesis_qc(id)));
    batch.put(Bytes{consensus::store_key_epoch_start}, consensus::epoch_start_value(0, id));
    CORRIDOR_RETURN_IF_ERROR(kv.write(batch, true));
  }
  CORRIDOR_ASSIGN_OR_RETURN(
      store_journal_,
      storage::KvRecordJournal::open(node_.shared_kv(), Bytes{key_recent, recent_journal}));
  std::vector<PublicKey> peers;
  for (const auto& p : options_.peers) peers.push_back(p.key);
  sync_ = std::make_unique<StateSyncClient>(
      StateSyncClient::Options{
          options_.state_sync_lag_blocks,
          std::min(options_.state_sync_chunk_bytes, state_sync_chunk_bytes_max)},
      std::move(peers));
  return load_core();
}

Status BftOrderer::load_core() {
  storage::KvStore& kv = node_.kv();
  const ChainHead head = node_.head();
  const auto set = node_.validator_set();
  if (!set) return failed_precondition("the ledger has no validator set (no BFT genesis block)");
  CORRIDOR_ASSIGN_OR_RETURN(auto start, kv.get(Bytes{consensus::store_key_epoch_start}));
  if (!start) return corruption("the consensus epoch record is missing");
  CORRIDOR_ASSIGN_OR_RETURN(auto epoch_start, consensus::decode_epoch_start(*start));
  std::tie(epoch_start_height_, epoch_start_id_) = epoch_start;

  CORRIDOR_ASSIGN_OR_RETURN(auto stored_safety, node_.safety_cell().read());
  safety_ = {};
  if (stored_safety) {
    CORRIDOR_ASSIGN_OR_RETURN(safety_, consensus::decode_safety_data(*stored_safety));
  }
  if (safety_.epoch > set->epoch) return corruption("safety data from a later epoch");
  CORRIDOR_ASSIGN_OR_RETURN(consensus::Block head_block, load_block_at(head.height));
  head_height_ = head.height;
  head_id_ = head_block.compute_id();
  head_root_ = head.state_root;
  executed_height_ = head.height;
  CORRIDOR_ASSIGN_OR_RETURN(auto qc_bytes, kv.get(Bytes{consensus::store_key_head_qc}));
  if (!qc_bytes) return corruption("the head's QC is missing");
  CORRIDOR_ASSIGN_OR_RETURN(consensus::QuorumCert head_qc, consensus::decode_qc(*qc_bytes));
  if (head_qc.block_id != head_id_)
    return corruption("the stored QC does not certify the head consensus block");
  last_nonempty_height_ = head_height_;
  held_until_ms_ = 0;
  timer_deadline_ms_ = 0;

  consensus::ValidatorSet validators(set->epoch, set->validators);
  std::optional<consensus::ValidatorIndex> me = validators.index_of(key_.public_key());
  consensus::RecoveryState recovery;
  recovery.safety = safety_;
  recovery.last_committed = std::move(head_block);
  recovery.last_committed_id = head_id_;
  recovery.last_committed_qc = head_qc;
  recovery.genesis_id = epoch_start_id_;
  recovery.genesis_height = epoch_start_height_;
  core_ = std::make_unique<consensus::Core>(std::move(validators), me, key_, recovery,
                                            options_.core, *this);
  // The Core learns the state root of its last committed block as it would after executing
  // it, so that its proposals carry the right execution claim.
  core_->on_executed(head_height_, head_root_);
  publish_status();
  return Status();
}

void BftOrderer::start(OrderedBatchSink sink) {
  {
    std::lock_guard lock(mu_);
    if (running_ || thread_.joinable()) return;
    running_ = true;
  }
  sink_ = std::move(sink);
  // An admitted transaction wakes the loop rather than waiting for its tick: a leader holding
  // an empty proposal proposes it at once, and any other validator forwards it to the leaders
  // at once. Once per emptying of the mempool, so a burst costs one wake.
  node_.mempool().set_on_first_added([this] {
    {
      std::lock_guard lock(mu_);
      mempool_added_ = true;
    }
    cv_.notify_one();
  });
  exec_thread_ = std::thread([this] { run_executor(); });
  if (options_.state_sync_snapshot_interval_blocks != 0)
    summary_thread_ = std::thread([this] { run_summaries(); });
  thread_ = std::thread([this] { run(); });
}

void BftOrderer::stop() {
  node_.mempool().set_on_first_added({});
  // The network first, so that no frame is posted to a loop that is going away.
  if (net_) net_->stop();
  {
    std::lock_guard lock(mu_);
    running_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // Nothing asks for a sync once the loop has stopped.
  journal_syncer_.reset();
  log_syncer_.reset();
  // The summary worker: a pass under way stops at its next check. What it posts from now on
  // stays in the loop's queue, never run.
  {
    std::lock_guard lock(summary_mu_);
    summary_stopping_ = true;
  }
  summary_cv_.notify_all();
  if (summary_thread_.joinable()) summary_thread_.join();
  // Then the executor, which first finishes the blocks consensus committed.
  {
    std::lock_guard lock(exec_mu_);
    exec_stopping_ = true;
  }
  exec_cv_.notify_all();
  if (exec_thread_.joinable()) exec_thread_.join();
}

ConsensusStatus BftOrderer::status() const {
  std::lock_guard lock(status_mu_);
  return published_;
}

std::optional<ConsensusStatus> BftOrderer::consensus_status() const {
  ConsensusStatus s = status();
  s.safety_write_ms = safety_writes_.summary(steady_clock_ms());
  const net::NetworkCounters c = net_->counters();
  s.handshake_failures = c.handshake_failures_total();
  s.connections_refused = c.connections_refused;
  s.frames_malformed = c.frames_malformed;
  s.forwarded_frames_admitted = forwarded_frames_admitted_.load(std::memory_order_relaxed);
  s.forwarded_frames_undecodable = forwarded_frames_undecodable_.load(std::memory_order_relaxed);
  s.forwarded_txs_vouched_in = forwarded_txs_vouched_in_.load(std::memory_order_relaxed);
  s.txs_vouched_out = txs_vouched_out_.load(std::memory_order_relaxed);
  s.vouches_received = vouches_received_.load(std::memory_order_relaxed);
  s.vouch_frames_refused = vouch_frames_refused_.load(std::memory_order_relaxed);
  for (const auto& [key, p] : c.peers)
    s.peers.push_back({key, p.connected, p.frames_in, p.frames_out, p.bytes_in, p.bytes_out,
                       p.queued_bytes, p.send_rejected, p.reconnects,
                       p.frames_auth_failed + p.frames_oversize + p.frames_truncated});
  return s;
}

void BftOrderer::publish_status() {
  std::lock_guard lock(status_mu_);
  published_.committed_height = head_height_;
  published_.round = core_->current_round();
  published_.epoch = core_->validators().epoch();
  published_.observer = core_->is_observer();
  published_.leader_index = core_->validators().leader(core_->current_round());
  published_.leader =
      !published_.observer && core_->validators().index_of(key_.public_key()) ==
                                  std::optional<consensus::ValidatorIndex>(published_.leader_index);
  published_.proposal_held = core_->proposal_held();
  published_.pending_txs = pending_.size();
  published_.envelopes_reused = pending_.counters().envelopes_matched;
  published_.envelopes_decoded = pending_.counters().envelopes_decoded;
  published_.txs_forwarded = txs_forwarded_;
  published_.compact_proposals = compact_;
  published_.proposals_spilled = journal_spills_;
  published_.core = core_->stats();
  if (sync_) {
    published_sync_ = sync_->progress();
    published_sync_.chunks_served = chunks_served_;
    published_sync_.serve_refused = serve_refused_;
    published_sync_.checkpoint_requests_cached = checkpoint_requests_cached_;
    published_sync_.network_height = std::max(network_height_, head_height_);
  }
}

std::optional<SyncProgress> BftOrderer::sync_progress() const {
  std::lock_guard lock(status_mu_);
  return published_sync_;
}

uint64_t BftOrderer::now_ms() const {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

void BftOrderer::post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void BftOrderer::run() {
  set_current_thread_name("consensus");
  execute(core_->start(now_ms()));
  replay_recent();
  // A node that lost its store, or was down long, learns from its peers' answers whether a
  // checkpoint is far enough ahead to install instead of replaying the blocks.
  maybe_probe(0, /*at_start=*/true);
  uint64_t next_tick = now_ms();
  while (true) {
    std::deque<std::function<void()>> tasks;
    bool mempool_added = false;
    {
      std::unique_lock lock(mu_);
      uint64_t now = now_ms();
      uint64_t wake = mempool_left_ || sync_->active() ? next_tick : now + bft_idle_wait_ms_max;
      if (timer_deadline_ms_ != 0) wake = std::min(wake, timer_deadline_ms_);
      if (held_until_ms_ != 0) wake = std::min(wake, held_until_ms_);
      if (tasks_.empty() && !mempool_added_ && running_ && wake > now)
        cv_.wait_for(lock, std::chrono::milliseconds(wake - now));
      if (!running_) break;
      tasks.swap(tasks_);
      std::swap(mempool_added, mempool_added_);
    }
    for (auto& t : tasks) t();
    const uint64_t now = now_ms();
    if (sync_->active()) {
      send_sync(sync_->on_tick(now));
      maybe_install();
      if (sync_->pauses_consensus()) {
        // Consensus waits while the state is synced: its commits would race the checkpoint.
        publish_status();
        continue;
      }
    }
    if (timer_deadline_ms_ != 0 && now >= timer_deadline_ms_) {
      timer_deadline_ms_ = 0;
      execute(core_->on_timer(now));
    }
    if (mempool_added || now >= next_tick) {
      drain_mempool();
      next_tick = now + bft_tick_ms;
    }
    // A held proposal goes out when its hold ends, or as soon as there is something to order.
    if (held_until_ms_ != 0 && (now >= held_until_ms_ || !pending_.empty()))
      release_held_proposal();
    publish_status();
  }
}

// --- Incoming frames -----------------------------------------------------------------------

void BftOrderer::on_frame(const PublicKey& peer, Bytes payload) {
  if (payload.empty()) return;
  const uint8_t channel = payload[0];
  if (channel == peer_channel_txs) {
    admit_forwarded(peer, ByteView(payload).subspan(1));
    return;
  }
  if (channel == peer_channel_vouches) {
    on_vouches(peer, ByteView(payload).subspan(1));
    return;
  }
  if (channel == peer_channel_state_sync) {
    // Served whenever this node keeps snapshots; its own client acts only while it syncs.
    post([this, peer, payload = std::move(payload)] {
      on_state_sync(peer, ByteView(payload).subspan(1));
    });
    return;
  }
  if (channel == peer_channel_compact_proposal) {
    post([this, peer, payload = std::move(payload)] {
      on_compact_proposal(peer, ByteView(payload).subspan(1));
    });
    return;
  }
  if (channel == peer_channel_proposal_request) {
    post([this, peer, payload = std::move(payload)] {
      on_proposal_request(peer, ByteView(payload).subspan(1));
    });
    return;
  }
  if (channel != peer_channel_consensus) return;
  post([this, peer, payload = std::move(payload)] {
    on_consensus(peer, ByteView(payload).subspan(1));
  });
}

void BftOrderer::on_consensus(const PublicKey& peer, ByteView bytes) {
  auto decoded = consensus::decode_message(bytes);
  if (!decoded.ok()) {
    spdlog::debug("undecodable consensus message from {}: {}", peer.hex().substr(0, 12),
                  decoded.status().message());
    return;
  }
  handle_consensus(peer, *decoded, bytes);
}

void BftOrderer::handle_consensus(const PublicKey& peer, const consensus::Message& m,
                                  ByteView bytes) {
  if (const auto* p = std::get_if<consensus::Proposal>(&m)) {
    network_height_ = std::max(network_height_, p->block.height);
    maybe_probe(p->block.height);
  } else if (const auto* t = std::get_if<consensus::Timeout>(&m)) {
    // A network that cannot make progress still times out rounds: their QCs show how far
    // ahead it is.
    maybe_probe(t->high_qc.height);
  }
  if (sync_->pauses_consensus()) {
    // Paused while syncing state, except for serving blocks to others.
    if (const auto* request = std::get_if<consensus::BlockRequest>(&m)) {
      consensus::BlockResponse response = core_->serve(*request);
      if (!response.blocks.empty()) send_to(peer, response);
    }
    return;
  }
  if (const auto* p = std::get_if<consensus::Proposal>(&m)) note_proposal(p->block);
  if (const auto* t = std::get_if<consensus::Timeout>(&m)) remember_timeout(*t, /*sync=*/false);
  bridge_epochs(peer, m);
  if (const auto* request = std::get_if<consensus::BlockRequest>(&m)) {
    // Served by whoever holds the blocks, to whoever asks, member or not.
    consensus::BlockResponse response = core_->serve(*request);
    if (!response.blocks.empty()) send_to(peer, response);
    return;
  }
  if (std::holds_alternative<consensus::EpochRequest>(m)) return;
  std::optional<consensus::ValidatorIndex> from = core_->validators().index_of(peer);
  if (!from) {
    // Sync answers from a node outside our set are checked on their own certificates.
    if (!std::holds_alternative<consensus::BlockResponse>(m) &&
        !std::holds_alternative<consensus::EpochProof>(m))
      return;
    from = core_->validators().leader(core_->current_round());
  }
  if (const auto* p = std::get_if<consensus::Proposal>(&m)) {
    // Kept only once the core has checked it, with the id the core computed, and before any of
    // the actions it caused: this node's vote waits for the record's sync (persist_safety).
    // The bytes stored are those received, which are the proposal's canonical encoding.
    consensus::Core::ProposalOutcome outcome = core_->on_proposal(*from, *p, now_ms());
    if (outcome.valid) remember_proposal(p->block, bytes);
    execute(std::move(outcome.actions));
    return;
  }
  execute(core_->on_message(*from, m, now_ms()));
}

namespace {

// A vouch names a transaction, the digest of its signatures and when it expires
// (docs/protocol.md, "Vouches").
struct VouchEntry {
  Hash256 id;
  Hash256 digest;
  uint64_t valid_until_height = 0;
};
constexpr size_t vouch_entry_bytes = 32 + 32 + 8;

Bytes encode_vouches(const std::vector<VouchEntry>& entries) {
  Bytes out;
  out.reserve(4 + entries.size() * vouch_entry_bytes);
  Writer w(out);
  w.u32(static_cast<uint32_t>(entries.size()));
  for (const VouchEntry& e : entries) {
    w.fixed(e.id);
    w.fixed(e.digest);
    w.u64(e.valid_until_height);
  }
  return out;
}

std::optional<std::vector<VouchEntry>> decode_vouches(ByteView body) {
  Reader r(body);
  uint32_t n = 0;
  if (!r.u32(n) || n > vouch_frame_entries_max || body.size() != 4 + n * vouch_entry_bytes)
    return std::nullopt;
  std::vector<VouchEntry> entries(n);
  for (VouchEntry& e : entries) r.fixed(e.id) && r.fixed(e.digest) && r.u64(e.valid_until_height);
  if (!r.finish("vouches").ok()) return std::nullopt;
  return entries;
}

// A key's index in a validator set's keys, if it is one of them.
std::optional<uint32_t> index_in(const std::vector<PublicKey>& keys, const PublicKey& key) {
  const auto it = std::find(keys.begin(), keys.end(), key);
  if (it == keys.end()) return std::nullopt;
  return static_cast<uint32_t>(it - keys.begin());
}

}  // namespace

void BftOrderer::admit_forwarded(const PublicKey& peer, ByteView body) {
  // Admitted here, on the network thread: the node checks replay like any submission, and
  // duplicates of what it holds already are answered without effect. Each peer's frames come
  // in the order it sent them, so a transaction its validator forwarded is admitted before that
  // validator's proposal carrying it.
  auto txs = ledger::decode_payload_txs(body);
  if (!txs) {
    forwarded_frames_undecodable_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  forwarded_frames_admitted_.fetch_add(1, std::memory_order_relaxed);
  // A validator forwards only what its own API admitted, and its API verified those signatures.
  // With at most f validators faulty, f + 1 vouchers include a correct one, so of the n
  // validators only the forwarder and the f after it (in the set's order) verify them; the f
  // vouch for them to the rest, who then need not (docs/consensus.md).
  std::optional<Voucher> forwarder;
  bool checker = false;
  std::vector<PublicKey> others;
  if (const auto set = node_.validator_set()) {
    const auto& keys = set->validators;
    const auto from = index_in(keys, peer);
    const auto me = index_in(keys, key_.public_key());
    if (from && me) {
      const auto n = static_cast<uint32_t>(keys.size());
      checker = (*me + n - *from) % n <= bft_faults_max(n);
      forwarder = Voucher{set->epoch, *from};
      if (checker)
        for (const PublicKey& k : keys)
          if (k != peer && k != key_.public_key()) others.push_back(k);
    }
  }
  if (!forwarder || checker) {
    // Verified here: by a checker, or when the forwarder is not a validator of this epoch.
    std::vector<VouchEntry> vouches;
    for (auto& p : *txs) {
      const Hash256 id = p.tx.id;
      const uint64_t valid_until = p.tx.valid_until_height;
      const Hash256 digest = checker ? VerifiedSignatures::signatures_digest(p.tx) : Hash256{};
      const SubmitResult r = node_.submit_forwarded(std::move(p.tx), std::move(p.envelope));
      if (checker && r.signatures_verified) vouches.push_back({id, digest, valid_until});
    }
    if (vouches.empty() || others.empty()) return;
    txs_vouched_out_.fetch_add(vouches.size(), std::memory_order_relaxed);
    const Bytes frame = encode_vouches(vouches);
    for (const PublicKey& k : others) send_frame(k, peer_channel_vouches, frame);
    return;
  }
  forwarded_txs_vouched_in_.fetch_add(txs->size(), std::memory_order_relaxed);
  for (auto& p : *txs)
    (void)node_.submit_forwarded(std::move(p.tx), std::move(p.envelope), forwarder);
}

void BftOrderer::on_vouches(const PublicKey& peer, ByteView body) {
  const auto set = node_.validator_set();
  const std::optional<uint32_t> index = set ? index_in(set->validators, peer) : std::nullopt;
  auto entries = decode_vouches(body);
  // Only a validator of this epoch vouches; anything else, or a malformed frame, counts nothing.
  if (!index || !entries) {
    vouch_frames_refused_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const Voucher by{set->epoch, *index};
  for (const VouchEntry& e : *entries) node_.vouch(e.id, e.digest, e.valid_until_height, by);
  vouches_received_.fetch_add(entries->size(), std::memory_order_relaxed);
}

void BftOrderer::bridge_epochs(const PublicKey& peer, const consensus::Message& m) {
  const consensus::Epoch mine = core_->validators().epoch();
  if (const auto* request = std::get_if<consensus::EpochRequest>(&m)) {
    if (auto proof = load_epoch_proof(request->epoch)) send_to(peer, *proof);
    return;
  }
  const auto theirs = consensus::message_epoch(m);
  if (!theirs || *theirs == mine) return;
  const uint64_t now = now_ms();
  if (*theirs > mine) {
    // We missed the end of our epoch: ask the sender how it ended.
    uint64_t& last = epoch_request_ms_[peer];
    if (last != 0 && now < last + bft_epoch_bridge_interval_ms) return;
    last = now;
    send_to(peer, consensus::EpochRequest{mine});
  } else {
    // The sender is behind: give it the proof of how its epoch ended.
    uint64_t& last = proof_sent_ms_[peer];
    if (last != 0 && now < last + bft_epoch_bridge_interval_ms) return;
    last = now;
    if (auto proof = load_epoch_proof(*theirs)) send_to(peer, *proof);
  }
}

std::optional<consensus::EpochProof> BftOrderer::load_epoch_proof(consensus::Epoch epoch) const {
  auto bytes = node_.kv().get(consensus::epoch_proof_key(epoch));
  if (!bytes.ok() || !*bytes) return std::nullopt;
  auto m = consensus::decode_message(**bytes);
  if (!m.ok()) return std::nullopt;
  auto* proof = std::get_if<consensus::EpochProof>(&*m);
  if (!proof) return std::nullopt;
  return std::move(*proof);
}

void BftOrderer::remember_proposal(const consensus::Block& block, ByteView encoded) {
  // Only proposals the core found valid (or this node's own) come here: at most one a round
  // from an honest leader. Those at or below the committed head are void already.
  if (block.epoch != core_->validators().epoch() || block.height <= head_height_) return;
  // The sync starts at once, so that it runs while the core goes on and the safety data is
  // written (persist_safety waits for it). An observer casts no vote on its records, so it
  // asks for no sync: one per proposal would only load the disk its validators share. A node
  // that joins the validator set starts with the new epoch's records.
  const bool voter = core_->validators().index_of(key_.public_key()).has_value();
  if (journal_) {
    Status st = journal_->append(block.height, encoded);
    if (st.ok()) {
      if (voter) journal_sync_ticket_ = journal_syncer_->request();
      return;
    }
    // No room (the executor is far behind, or a proposal is huge): the store takes it.
    if (st.code() != StatusCode::resource_exhausted)
      spdlog::warn("cannot journal a proposal: {}; keeping it in the store", st.to_string());
    ++journal_spills_;
  }
  Status st = store_journal_->append(block.height, encoded);
  if (!st.ok()) {
    spdlog::warn("cannot store a recent proposal: {}", st.to_string());
    return;
  }
  if (voter) recent_sync_ticket_ = log_syncer_->request();
}

void BftOrderer::remember_timeout(const consensus::Timeout& t, bool sync) {
  const auto& set = core_->validators();
  if (t.epoch != set.epoch() || t.author >= set.size() ||
      !verify_signature(set.key(t.author),
                        consensus::timeout_signing_message(t.epoch, t.round, t.high_qc.round),
                        t.signature))
    return;
  storage::WriteBatch batch;
  batch.put(recent_timeout_key(t.author), consensus::encode_message(t));
  // Synced for this node's own timeout, which goes out next; a peer's is synced before any
  // vote or timeout of ours leaves (persist_safety), as a proposal's record is.
  Status st = node_.kv().write(batch, sync);
  if (!st.ok()) {
    spdlog::warn("cannot store a recent timeout: {}", st.to_string());
    return;
  }
  if (sync)
    recent_sync_ticket_ = 0;
  else if (set.index_of(key_.public_key()))
    recent_sync_ticket_ = log_syncer_->request();
}

void BftOrderer::replay_recent() {
  // After a restart the Core knows only the persisted head. The records replayed here give it
  // back two things, and each needs the whole proposal, payload included:
  //  - The highest QC and TC seen. Without them a network that restarted as a whole may hold
  //    no QC as high as its safety data demands for a timeout, and at best waits out
  //    backed-off timeouts (WholeNetworkRestartResumes: about 4 s with the replay, 29 s
  //    without).
  //  - The blocks above the persisted head: those consensus committed but the executor had
  //    not yet persisted (up to bft_execution_queue_blocks_max), and those certified or voted
  //    for. Each is kept durably before this node's vote, so a QC's n - f voters hold it, at
  //    least f + 1 honest ones. After a crash of the whole network these records are the only
  //    copy of those blocks' transactions (mempools are not persisted): a record without its
  //    payload, or only the certificates, would leave a committed block that no validator can
  //    execute, while every later block must extend it, and the chain would halt for good. So
  //    the payload stays; the record is released once the ledger block, which keeps the
  //    payload from then on, is persisted.
  std::vector<std::pair<consensus::Round, consensus::Message>> recent;
  auto take = [&](ByteView bytes) {
    auto m = consensus::decode_message(bytes);
    if (!m.ok()) return;
    if (const auto* p = std::get_if<consensus::Proposal>(&*m))
      recent.emplace_back(p->block.round, std::move(*m));
    else if (const auto* t = std::get_if<consensus::Timeout>(&*m))
      recent.emplace_back(t->round, std::move(*m));
  };
  for (storage::RecordJournal* journal :
       {journal_, static_cast<storage::RecordJournal*>(store_journal_.get())}) {
    if (!journal) continue;
    auto records = journal->read_all();
    if (!records.ok()) {
      spdlog::warn("cannot read recent proposals: {}", records.status().to_string());
      continue;
    }
    for (const storage::JournalRecord& r : *records)
      if (r.height > head_height_) take(r.body);
  }
  storage::WriteBatch legacy;
  Status st = node_.kv().scan_prefix(Bytes{key_recent}, [&](ByteView k, ByteView v) {
    if (k.size() > 1 && k[1] == recent_timeout) take(v);
    if (k.size() > 1 && k[1] == recent_proposal_legacy) legacy.erase(k);
    return true;
  });
  if (!st.ok()) spdlog::warn("cannot read recent consensus messages: {}", st.to_string());
  if (!legacy.empty()) (void)node_.kv().write(legacy, /*sync=*/false);
  std::stable_sort(recent.begin(), recent.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [round, m] : recent) {
    consensus::ValidatorIndex author = 0;
    if (const auto* p = std::get_if<consensus::Proposal>(&m)) {
      if (p->block.epoch != core_->validators().epoch() || p->block.height <= head_height_)
        continue;
      author = p->block.author;
      note_proposal(p->block);
    } else {
      const auto& t = std::get<consensus::Timeout>(m);
      if (t.epoch != core_->validators().epoch()) continue;
      author = t.author;
    }
    if (author >= core_->validators().size()) continue;
    execute(core_->on_message(author, m, now_ms()));
  }
  // What the journals hold at or below the persisted head was released before the restart.
  release_recent_proposals(executed_height_);
}

void BftOrderer::prune_recent_timeouts(storage::WriteBatch& batch) {
  // Rare (an epoch ended, a checkpoint was installed), so a scan is fine here.
  Status st = node_.kv().scan_prefix(Bytes{key_recent, recent_timeout}, [&](ByteView k, ByteView) {
    batch.erase(k);
    return true;
  });
  if (!st.ok()) spdlog::warn("cannot prune recent timeouts: {}", st.to_string());
}

void BftOrderer::clear_recent_proposals() {
  // After the batch that ended the epoch or installed the checkpoint is written. A crash
  // before this leaves records that a restart skips: of the old epoch, or at or below the
  // checkpoint; or above it, which the core checks as it would the same proposals from a peer.
  for (storage::RecordJournal* journal :
       {journal_, static_cast<storage::RecordJournal*>(store_journal_.get())}) {
    if (!journal) continue;
    Status st = journal->clear();
    if (!st.ok()) spdlog::warn("cannot clear recent proposals: {}", st.to_string());
  }
}

void BftOrderer::release_recent_proposals(uint64_t height) {
  if (journal_) journal_->release_through(height);
  store_journal_->release_through(height);
}

// --- Actions -------------------------------------------------------------------------------

void BftOrderer::execute(std::vector<consensus::Action> actions) {
  const consensus::Core* core = core_.get();
  for (size_t i = 0; i < actions.size(); ++i) {
    // A commit that ended the epoch replaced the Core; the old one's remaining actions are void.
    if (core_.get() != core) return;
    auto& action = actions[i];
    if (auto* b = std::get_if<consensus::BroadcastAction>(&action)) {
      if (options_.sending_for_test) options_.sending_for_test(b->message);
      // The core broadcasts only its own proposals, votes and timeouts; a proposal's record is its
      // full encoding, which observers get as it is and validators rebuild from the compact form.
      Bytes body = consensus::encode_message(b->message);
      if (const auto* p = std::get_if<consensus::Proposal>(&b->message)) {
        note_proposal(p->block);
        // Its sync runs while the proposal goes out; the leader's vote for it, which comes
        // next, waits for that sync (persist_safety). Until then its loss in a crash costs
        // nothing, since no vote of ours rests on it and the peers hold what we send.
        remember_proposal(p->block, body);
        if (auto compact = compact_proposal_body(b->message)) {
          ++compact_.sent;
          // Only validators hold the forwarded transactions; observers get the full form.
          for (const auto& peer : options_.peers) {
            if (core_->validators().index_of(peer.key))
              send_frame(peer.key, peer_channel_compact_proposal, *compact);
            else
              send_frame(peer.key, peer_channel_consensus, body);
          }
          // Kept in full for the peers that cannot expand it.
          own_proposals_.push_back(OwnProposal{p->block_id, std::move(body), {}});
          while (own_proposals_.size() > bft_own_proposals_kept) own_proposals_.pop_front();
          continue;
        }
      } else if (const auto* t = std::get_if<consensus::Timeout>(&b->message)) {
        remember_timeout(*t, /*sync=*/true);
      }
      for (const auto& peer : options_.peers) send_frame(peer.key, peer_channel_consensus, body);
    } else if (auto* s = std::get_if<consensus::SendAction>(&action)) {
      const auto& set = core_->validators();
      if (s->to >= set.size()) continue;
      send_to(set.key(s->to), s->message);
    } else if (auto* ps = std::get_if<consensus::PersistSafetyAction>(&action)) {
      persist_safety(ps->data);
    } else if (auto* t = std::get_if<consensus::SetTimerAction>(&action)) {
      timer_deadline_ms_ = t->deadline_ms;
    } else if (auto* c = std::get_if<consensus::CommitAction>(&action)) {
      commit(*c);
    }
  }
  if (core_->stats().conflicting_commits > 0) {
    // Only more than f faulty validators can certify a conflicting chain: halting is the
    // only safe answer.
    spdlog::critical("consensus: a certified chain conflicts with the committed block; halting");
    std::abort();
  }
}

void BftOrderer::send_to(const PublicKey& peer, const consensus::Message& m) {
  if (options_.sending_for_test) options_.sending_for_test(m);
  if (peer == key_.public_key()) {
    // To ourselves (we lead the next round): no network in between, but after this batch.
    post([this, m] {
      // The epoch may have changed since; a message of the old one is then dropped.
      if (auto me = core_->validators().index_of(key_.public_key()))
        execute(core_->on_message(*me, m, now_ms()));
    });
    return;
  }
  send_frame(peer, peer_channel_consensus, consensus::encode_message(m));
}

void BftOrderer::send_frame(const PublicKey& peer, uint8_t channel, const Bytes& body) {
  Bytes frame;
  frame.reserve(body.size() + 1);
  frame.push_back(channel);
  frame.insert(frame.end(), body.begin(), body.end());
  Status st = net_->send(peer, std::move(frame));
  // A full queue or a peer that is down loses this frame; consensus retransmits or syncs.
  if (!st.ok()) spdlog::debug("send to {}: {}", peer.hex().substr(0, 12), st.message());
}

// --- Compact proposals ---------------------------------------------------------------------

std::optional<Bytes> BftOrderer::compact_proposal_body(consensus::Message& m) {
  auto& p = std::get<consensus::Proposal>(m);
  // Named by id: the envelopes held here byte for byte. Each came through some node's API and
  // was forwarded from there to every validator before any proposal could carry it
  // (docs/protocol.md, "Forwarding"); this node's own admissions were forwarded just now, by
  // the drain that began the proposal, on the same channels as the proposal that follows.
  auto compact = compact_payload(p.block.payload, [&](ByteView envelope) -> std::optional<Hash256> {
    if (const PendingTxs::Entry* e = pending_.find_envelope(envelope)) return e->id;
    return std::nullopt;
  });
  if (!compact || compact->ids == 0) return std::nullopt;
  // Encoded with the compact payload in the full one's place, which is then put back: a
  // proposal's payload runs to megabytes at the peak, and this is on the way to every peer.
  std::swap(p.block.payload, compact->bytes);
  Bytes body = consensus::encode_message(m);
  std::swap(p.block.payload, compact->bytes);
  return body;
}

void BftOrderer::on_compact_proposal(const PublicKey& peer, ByteView bytes) {
  auto decoded = consensus::decode_message(bytes);
  auto* p = decoded.ok() ? std::get_if<consensus::Proposal>(&*decoded) : nullptr;
  if (!p) {
    ++compact_.refused;
    spdlog::debug("undecodable compact proposal from {}", peer.hex().substr(0, 12));
    return;
  }
  if (sync_->pauses_consensus()) {
    // While state sync pauses consensus a proposal only says how far ahead the network is,
    // which its height tells without the payload.
    handle_consensus(peer, *decoded, bytes);
    return;
  }
  // The forwards that came before this frame were admitted already (network thread, in
  // arrival order): the drain brings them here.
  drain_mempool();
  auto expanded =
      expand_payload(p->block.payload, [&](const Hash256& id) -> std::optional<ByteView> {
        if (const PendingTxs::Entry* e = pending_.find_id(id)) return ByteView(e->envelope);
        return std::nullopt;
      });
  if (!expanded.ok()) {
    ++compact_.refused;
    spdlog::debug("compact proposal from {}: {}", peer.hex().substr(0, 12),
                  expanded.status().message());
    return;
  }
  if (expanded->missing == 0) {
    p->block.payload = std::move(expanded->payload);
    // Equal ids mean equal bytes: the rebuilt block is the one the leader signed, and the core
    // checks that signature as for any proposal. The core hashes the block again; checking here
    // first is what lets a follower that holds other bytes for an id ask for the full form
    // rather than refuse the proposal, which a client submitting two signings of one
    // transaction to different validators could otherwise make happen round after round.
    if (p->block.compute_id() == p->block_id) {
      ++compact_.expanded;
      const Bytes full = consensus::encode_message(*decoded);
      handle_consensus(peer, *decoded, full);
      return;
    }
  }
  // A transaction this node does not hold, or holds under other bytes (other signatures,
  // which the id does not cover): the leader's full form instead. It comes on the consensus
  // channel, like any proposal.
  ++compact_.incomplete;
  send_frame(peer, peer_channel_proposal_request,
             Bytes(p->block_id.view().begin(), p->block_id.view().end()));
}

void BftOrderer::on_proposal_request(const PublicKey& peer, ByteView bytes) {
  Reader r(bytes);
  Hash256 id;
  if (!r.fixed(id) || !r.finish("proposal request").ok()) {
    ++compact_.refused;
    return;
  }
  for (OwnProposal& own : own_proposals_) {
    if (own.id != id) continue;
    // Once per peer and proposal, so that asking cannot make this node send more than one
    // full copy to each peer; a peer that still lacks the block fetches it once a certificate
    // names it, as any node that missed a proposal does.
    if (!own.served.insert(peer).second) return;
    ++compact_.full_served;
    send_frame(peer, peer_channel_consensus, own.body);
    return;
  }
}

void BftOrderer::persist_safety(const consensus::SafetyData& data) {
  const auto started = std::chrono::steady_clock::now();
  Status st = node_.safety_cell().write(consensus::encode_safety_data(data));
  // The safety data lives in a cell of its own (a file beside RocksDB), whose sync reaches
  // neither the proposal journal nor the store's log. A vote must not leave before the
  // proposal it is for is durable: after a power loss of the whole network the records of
  // n - f voters are the only copy of a block certified, perhaps committed, but not yet
  // executed. Their syncs began when the records were written and ran beside the cell's.
  if (st.ok() && journal_sync_ticket_ != 0) {
    st = journal_syncer_->wait(journal_sync_ticket_);
    if (st.ok()) journal_sync_ticket_ = 0;
  }
  if (st.ok() && recent_sync_ticket_ != 0) {
    st = log_syncer_->wait(recent_sync_ticket_);
    if (st.ok()) recent_sync_ticket_ = 0;
  }
  const auto ended = std::chrono::steady_clock::now();
  const double took_ms[] = {std::chrono::duration<double, std::milli>(ended - started).count()};
  safety_writes_.add(took_ms, steady_clock_ms());
  if (!st.ok()) {
    // Going on would let a vote leave without its safety data on disk: a restart could then
    // sign twice in one round. Stop instead.
    spdlog::critical("cannot persist consensus safety data: {}; stopping", st.to_string());
    std::abort();
  }
  safety_ = data;
}

namespace {

// Whether a block's transactions may change the validator set (and so end the epoch).
bool has_governance(const std::vector<PendingTx>& txs) {
  for (const PendingTx& p : txs)
    for (const ledger::Operation& op : p.tx.ops)
      if (std::holds_alternative<ledger::SetValidatorsOp>(op)) return true;
  return false;
}

// Whether `txs` are the payload's envelopes, all of them, in order and byte for byte: then the
// ledger block they make (which stores each envelope verbatim) gives the payload back.
bool payload_is_ledger_block(const Bytes& payload, const std::vector<PendingTx>& txs) {
  const auto envelopes = ledger::split_payload(payload);
  if (!envelopes || envelopes->size() != txs.size()) return false;
  for (size_t i = 0; i < txs.size(); ++i)
    if (!std::ranges::equal((*envelopes)[i], txs[i].envelope)) return false;
  return true;
}

}  // namespace

void BftOrderer::commit(const consensus::CommitAction& a) {
  for (size_t i = 0; i < a.blocks.size() && i < a.ids.size(); ++i) {
    const consensus::Block& block = a.blocks[i];
    const Hash256& id = a.ids[i];
    if (block.height <= head_height_) continue;
    if (block.height != head_height_ + 1 || block.parent_id != head_id_) {
      spdlog::error("consensus committed height {} (parent {}) but the head is {} ({}); skipped",
                    block.height, block.parent_id.hex().substr(0, 12), head_height_,
                    head_id_.hex().substr(0, 12));
      return;
    }
    // Each block is certified by the next one's QC, the last by the action's commit QC.
    const consensus::QuorumCert& qc = i + 1 < a.blocks.size() ? a.blocks[i + 1].qc : a.commit_qc;
    OrderedBatch batch;
    // The transactions this node holds with exactly the block's bytes come decoded from its
    // admission; the others are decoded from the block. Either way they leave the pending set.
    if (auto txs = pending_.take_payload(block.payload)) batch.txs = std::move(*txs);
    std::vector<Hash256> ids;
    ids.reserve(batch.txs.size());
    for (const auto& p : batch.txs) ids.push_back(p.tx.id);
    batch.time_ms = block.time_ms;
    batch.height = block.height;
    batch.ordered_ms = now_ms();
    batch.verify_signatures = true;

    if (!has_governance(batch.txs)) {
      // The common case runs in the pipeline: the executor thread executes and persists the
      // block while this loop goes on voting and proposing.
      // The ledger block this batch becomes holds the payload's envelopes byte for byte when
      // every one of them decoded; the consensus record then leaves the payload out instead
      // of storing it a second time (load_block_at puts it back and checks the id). Writing
      // each payload once less cut the nodes' CPU per transfer by 12-20% in the network
      // benchmark, most of it RocksDB's flushing and compacting the copy.
      const bool elide = payload_is_ledger_block(block.payload, batch.txs);
      consensus::Block record = block;
      if (elide) record.payload.clear();
      batch.add_records = [record = std::move(record), elide, id, qc](const ExecutedBatch&,
                                                                      storage::WriteBatch& wb) {
        if (elide)
          consensus::put_committed_block_elided(wb, record, id);
        else
          consensus::put_committed_block(wb, record, id);
        wb.put(Bytes{consensus::store_key_head_qc}, consensus::encode_qc(qc));
      };
      for (const Hash256& tx : ids) in_execution_.insert(tx);
      node_.note_ordered(ids);
      enqueue_execution(ExecJob{std::move(batch), block.height, std::move(ids)});
      head_height_ = block.height;
      head_id_ = id;
      continue;
    }

    // A block that may end the epoch executes here, after everything before it: whether the
    // blocks after it still belong to this epoch depends on its result.
    wait_executor_idle();
    const consensus::Epoch epoch_before = core_->validators().epoch();
    ExecutedBatch done;
    batch.add_records = [&](const ExecutedBatch& e, storage::WriteBatch& wb) {
      done = e;
      consensus::put_committed_block(wb, block, id);
      if (e.validators_changed) {
        prune_recent_timeouts(wb);
        // The block starts the next epoch: a restart resumes from it with the new set, and
        // peers left in the old epoch are given the proof of how it ended.
        wb.put(Bytes{consensus::store_key_head_qc},
               consensus::encode_qc(consensus::genesis_qc(id, block.height)));
        wb.put(Bytes{consensus::store_key_epoch_start},
               consensus::epoch_start_value(block.height, id));
        wb.put(consensus::epoch_proof_key(epoch_before),
               consensus::encode_message(consensus::make_epoch_proof(a, i)));
      } else {
        wb.put(Bytes{consensus::store_key_head_qc}, consensus::encode_qc(qc));
      }
    };
    sink_(std::move(batch));
    if (done.validators_changed)
      clear_recent_proposals();
    else
      release_recent_proposals(block.height);
    head_height_ = block.height;
    head_id_ = id;
    executed_height_ = block.height;
    head_root_ = done.state_root;
    core_->on_executed(head_height_, head_root_);
    maybe_snapshot(head_height_);
    if (done.validators_changed) {
      epoch_start_height_ = head_height_;
      epoch_start_id_ = id;
      switch_epoch(epoch_before);
      return;
    }
  }
  prune_pending();
}

// --- The execution pipeline ------------------------------------------------------------------

void BftOrderer::enqueue_execution(ExecJob job) {
  std::unique_lock lock(exec_mu_);
  // Backpressure: consensus may run at most this many blocks ahead of execution.
  exec_cv_.wait(lock, [&] { return exec_queue_.size() < bft_execution_queue_blocks_max; });
  exec_queue_.push_back(std::move(job));
  exec_cv_.notify_all();
}

void BftOrderer::wait_executor_idle() {
  std::unique_lock lock(exec_mu_);
  exec_cv_.wait(lock, [&] { return exec_queue_.empty() && !exec_busy_; });
}

void BftOrderer::run_executor() {
  set_current_thread_name("executor");
  while (true) {
    ExecJob job;
    {
      std::unique_lock lock(exec_mu_);
      exec_cv_.wait(lock, [&] { return !exec_queue_.empty() || exec_stopping_; });
      // Stopping still executes what consensus committed: those blocks are final already.
      if (exec_queue_.empty()) return;
      job = std::move(exec_queue_.front());
      exec_queue_.pop_front();
      exec_busy_ = true;
    }
    auto done = std::make_shared<ExecutedBatch>();
    auto records = std::move(job.batch.add_records);
    job.batch.add_records = [done, records](const ExecutedBatch& e, storage::WriteBatch& wb) {
      *done = e;
      records(e, wb);
    };
    sink_(std::move(job.batch));
    // The snapshot is taken here, before this thread executes the next block, so that it is
    // of exactly this height, inside the window. Taken on the loop when it hears of the block,
    // it was of whatever height the executor had reached by then, past the window at times.
    std::shared_ptr<const StateSnapshot> snap;
    if (snapshot_due(job.height)) snap = snapshot_now();
    {
      std::lock_guard lock(exec_mu_);
      exec_busy_ = false;
    }
    exec_cv_.notify_all();
    post([this, height = job.height, root = done->state_root, ids = std::move(job.tx_ids),
          snap = std::move(snap)]() mutable {
      on_block_executed(height, root, ids, std::move(snap));
    });
  }
}

void BftOrderer::on_block_executed(uint64_t height, const Hash256& root,
                                   const std::vector<Hash256>& ids,
                                   std::shared_ptr<const StateSnapshot> snap) {
  for (const Hash256& id : ids) in_execution_.erase(id);
  // The block is persisted with its payload: the proposals up to it are void.
  release_recent_proposals(height);
  // A result from before an epoch switch belongs to the old core; the new one started from the
  // epoch's first block, which was executed already.
  if (height <= executed_height_) return;
  executed_height_ = height;
  head_root_ = root;
  core_->on_executed(height, root);
  if (snap) keep_snapshot(std::move(snap));
}

void BftOrderer::switch_epoch(consensus::Epoch ended) {
  auto head_block = load_block_at(head_height_);
  CORRIDOR_ASSERT_MSG(head_block.ok(), "the epoch's last block was just stored");
  const auto set = node_.validator_set();
  CORRIDOR_ASSERT(set.has_value());
  consensus::ValidatorSet validators(set->epoch, set->validators);
  std::optional<consensus::ValidatorIndex> me = validators.index_of(key_.public_key());
  consensus::RecoveryState recovery;
  recovery.safety = consensus::SafetyData{};
  recovery.last_committed = std::move(head_block).value();
  recovery.last_committed_id = head_id_;
  recovery.last_committed_qc = consensus::genesis_qc(head_id_, head_height_);
  recovery.genesis_id = head_id_;
  recovery.genesis_height = head_height_;
  safety_ = {};
  held_until_ms_ = 0;
  timer_deadline_ms_ = 0;
  core_ = std::make_unique<consensus::Core>(std::move(validators), me, key_, recovery,
                                            options_.core, *this);
  core_->on_executed(head_height_, head_root_);
  spdlog::info("consensus: epoch {} starts at height {}{}", set->epoch, head_height_,
               me ? "" : " (observer)");
  // Peers still in the old epoch would otherwise learn of its end only when a round times out.
  if (auto proof = load_epoch_proof(ended)) {
    Bytes body = consensus::encode_message(*proof);
    for (const auto& peer : options_.peers) send_frame(peer.key, peer_channel_consensus, body);
  }
  execute(core_->start(now_ms()));
}

// --- Transactions --------------------------------------------------------------------------

void BftOrderer::note_proposal(const consensus::Block& block) {
  if (payload_is_empty(block.payload)) return;
  last_nonempty_height_ = std::max(last_nonempty_height_, block.height);
  // Transactions forwarded to this node wait in the mempool until the next drain; taken now, the
  // proposal's envelopes are found by their bytes rather than decoded again.
  drain_mempool();
  auto ids = pending_.payload_ids(block.payload);
  if (!ids) return;
  // Another leader proposed these: they are not offered again while that block may commit.
  for (const Hash256& id : *ids)
    if (PendingTxs::Entry* p = pending_.find_id(id))
      p->proposed_height = std::max(p->proposed_height, block.height);
}

void BftOrderer::drain_mempool() {
  std::vector<Bytes> forward;
  mempool_left_ = true;
  while (pending_.size() < bft_pending_txs_max) {
    auto txs = node_.mempool().take(options_.block_txs_max, node_.config().block_ops_max,
                                    ledger::block_bytes_max, std::chrono::milliseconds(0),
                                    std::chrono::milliseconds(0));
    if (txs.empty()) {
      mempool_left_ = false;
      break;
    }
    for (PendingTx& p : txs) {
      // Committed while it waited in the mempool (another validator proposed it).
      // Or in a committed block that is still executing.
      if (!node_.is_pending(p.tx.id) || pending_.contains(p.tx.id) ||
          in_execution_.contains(p.tx.id))
        continue;
      if (!p.from_peer && options_.forward_admissions_for_test) {
        forward.push_back(p.envelope);
        if (options_.forwarded_envelope_for_test)
          options_.forwarded_envelope_for_test(forward.back());
      }
      pending_.add(std::move(p.tx), std::move(p.envelope));
    }
  }
  if (forward.empty()) return;
  // Every validator gets what this node admitted, so that any leader can propose it.
  txs_forwarded_ += forward.size();
  Bytes body = ledger::encode_payload(forward);
  const auto& set = core_->validators();
  for (const PublicKey& key : set.keys())
    if (key != key_.public_key()) send_frame(key, peer_channel_txs, body);
}

void BftOrderer::prune_pending() {
  const uint64_t next = head_height_ + 1;
  pending_.erase_if([&](const PendingTxs::Entry& p) {
    if (p.valid_until_height >= next) return false;
    node_.abandon(p.id);
    return true;
  });
}

bool BftOrderer::hold_proposal(consensus::Round, uint64_t height, const Bytes& payload) {
  // An idle leader waits for transactions instead of proposing an empty block at once: an idle
  // network then makes a few blocks a second rather than hundreds. A block with transactions,
  // and the two that commit it, go at once. The proposal is built only when the hold ends, so
  // a transaction arriving meanwhile is proposed without waiting it out.
  if (options_.empty_block_delay_ms == 0 || !payload_is_empty(payload) || !pending_.empty() ||
      height <= last_nonempty_height_ + 2)
    return false;
  // Up to the first root height at or above the last block with transactions, and the two
  // blocks that commit it, the hold is shorter: a proof of what that block changed waits for
  // the root (Node::prove_holding), and at the idle pace it would wait up to a whole interval
  // of blocks. Not at once: a trickle of transactions would then keep the network making
  // blocks at the round trip's pace.
  const uint64_t interval = node_.config().state_root_interval_blocks;
  const uint64_t root_height =
      last_nonempty_height_ + (interval - last_nonempty_height_ % interval) % interval;
  const uint32_t hold_ms = height <= root_height + 2 ? std::min(options_.root_block_delay_ms,
                                                                options_.empty_block_delay_ms)
                                                     : options_.empty_block_delay_ms;
  if (hold_ms == 0) return false;
  held_until_ms_ = now_ms() + hold_ms;
  return true;
}

void BftOrderer::release_held_proposal() {
  held_until_ms_ = 0;
  execute(core_->propose_held(now_ms()));
}

Bytes BftOrderer::make_payload(consensus::Round, uint64_t height) {
  drain_mempool();
  std::vector<Bytes> envelopes;
  const size_t txs_max = std::min<size_t>(options_.block_txs_max, ledger::block_txs_max);
  const size_t bytes_max = std::min(ledger::block_bytes_max, consensus::block_payload_bytes_max) -
                           block_header_bytes_reserved;
  size_t bytes = 0;
  for (PendingTxs::Entry& p : pending_.entries()) {
    if (envelopes.size() >= txs_max) break;
    if (p.valid_until_height < height) continue;
    // Proposed at a lower height: the block being extended (or an ancestor) may carry it
    // already. Proposed at this height: that block lost its round, so offer it again.
    if (p.proposed_height != 0 && p.proposed_height < height &&
        height - p.proposed_height < bft_repropose_after_heights)
      continue;
    if (bytes + p.envelope.size() + 4 > bytes_max) break;
    bytes += p.envelope.size() + 4;
    p.proposed_height = height;
    envelopes.push_back(p.envelope);
  }
  if (!envelopes.empty()) last_nonempty_height_ = std::max(last_nonempty_height_, height);
  return ledger::encode_payload(envelopes);
}

// --- State sync ----------------------------------------------------------------------------

void BftOrderer::maybe_probe(uint64_t seen_height, bool at_start) {
  if (!options_.state_sync || sync_->active()) return;
  // At start always; later only when a peer's chain is far ahead.
  if (!at_start && seen_height <= head_height_ + options_.state_sync_lag_blocks) return;
  send_sync(sync_->probe(head_height_, now_ms(), /*pause=*/at_start));
  publish_status();
}

void BftOrderer::send_sync(StateSyncClient::Outgoing out) {
  for (auto& [peer, body] : out) send_frame(peer, peer_channel_state_sync, body);
}

void BftOrderer::on_state_sync(const PublicKey& peer, ByteView bytes) {
  auto decoded = decode_sync_message(bytes);
  if (!decoded.ok()) {
    spdlog::debug("undecodable state sync message from {}: {}", peer.hex().substr(0, 12),
                  decoded.status().message());
    return;
  }
  const uint64_t now = now_ms();
  if (const auto* r = std::get_if<CheckpointRequest>(&*decoded)) {
    serve_checkpoint(peer, *r);
  } else if (const auto* q = std::get_if<ChunkRequest>(&*decoded)) {
    serve_chunk_to(peer, *q);
  } else if (const auto* o = std::get_if<CheckpointOffer>(&*decoded)) {
    send_sync(
        sync_->on_offer(peer, *o, head_height_, core_->validators(), epoch_start_height_, now));
  } else if (std::holds_alternative<NoCheckpoint>(*decoded)) {
    send_sync(sync_->on_no_checkpoint(peer, now));
  } else if (const auto* c = std::get_if<ChunkResponse>(&*decoded)) {
    send_sync(sync_->on_chunk(peer, *c, now));
    maybe_install();
  }
  publish_status();
}

void BftOrderer::serve_checkpoint(const PublicKey& peer, const CheckpointRequest& request) {
  // A peer waiting for the summary worker is served when it is done (on_summary_done); asking
  // again meanwhile only updates what it asks for, at no cost to the loop.
  if (auto waiting = pending_offers_.find(peer); waiting != pending_offers_.end()) {
    waiting->second = request.above_height;
    return;
  }
  const uint64_t now = now_ms();
  forget_evidence(now);
  // The offer's totals and split keys take a pass over the snapshot's state, seconds near the
  // state limits, so it never runs here, on the consensus thread: nothing a peer sends may
  // stall consensus. The summary worker computes it (StateSnapshot::summary keeps it with the
  // snapshot), and nobody pays for it while nobody syncs. So the newest snapshot the committed
  // chain attests and whose summary is kept is offered at once, even when a newer one is not
  // summarised yet: an asker never waits while a usable answer is at hand. Only when none is,
  // the newest usable snapshot goes to the worker and the asker waits for it (defer_offer).
  // The evidence loads up to state_sync_evidence_blocks_max blocks from the store, so each
  // snapshot's is built only for a snapshot that would be used: first those with a summary,
  // newest first; then, if none of them could be offered, those without, to find the newest
  // one worth summarising. And it is built at most once an interval for all requests and all
  // peers (the answer does not depend on who asks): a faulty peer repeating its request, or
  // varying the height it asks to be above, is answered from what was built, so its requests
  // cost the loop a lookup. Reused only for the same snapshot, in the same epoch (an asker checks
  // the evidence against the epoch's validators) and with the same summary state (a summary
  // turns a snapshot worth waiting for into an offer). The head moving on does not matter: the
  // committed blocks in an offer stay a valid proof, and the interval bounds how far behind the
  // head it ends.
  uint64_t built = 0;
  uint64_t reused = 0;
  // Read once, when the first evidence is built.
  bool head_qc_read = false;
  std::optional<consensus::QuorumCert> head_qc;
  auto entry_for = [&](const std::shared_ptr<const StateSnapshot>& snap,
                       const StateSnapshot::Summary* summary) -> const EvidenceEntry& {
    const bool summarised = summary != nullptr;
    // forget_evidence(now) dropped the entries past their interval already.
    if (auto it = evidence_cache_.find(snap->height());
        it != evidence_cache_.end() && it->second.snapshot.lock() == snap &&
        it->second.epoch_start_height == epoch_start_height_ &&
        it->second.summarised == summarised) {
      ++reused;
      return it->second;
    }
    if (!head_qc_read) {
      head_qc_read = true;
      // The stored head QC and the blocks below it are written in one batch with the ledger
      // block, so its height, not the loop's (which runs ahead of execution), is the head to
      // prove from.
      auto qc_bytes = node_.kv().get(Bytes{consensus::store_key_head_qc});
      if (qc_bytes.ok() && *qc_bytes) {
        auto qc = consensus::decode_qc(**qc_bytes);
        if (qc.ok()) head_qc = *qc;
      }
    }
    ++built;
    ++evidence_builds_;
    EvidenceEntry entry{snap, epoch_start_height_, summarised, now, false, {}};
    if (head_qc) {
      auto evidence =
          build_checkpoint_evidence([this](uint64_t h) { return load_block_at(h); },
                                    head_qc->height, *head_qc, snap->height(), snap->state_root());
      if (!evidence.ok()) {
        spdlog::debug("state sync: snapshot at height {} not offered: {}", snap->height(),
                      evidence.status().message());
      } else if (!summary) {
        entry.usable = true;
      } else {
        entry.offer = encode_sync_message(make_offer(*snap, *summary, std::move(evidence).value()));
        entry.usable = entry.offer.size() <= state_sync_offer_bytes_max;
        if (!entry.usable) entry.offer = {};
      }
    }
    // Bounded: one entry per snapshot held (forget_evidence dropped the others), and the
    // oldest makes room should that ever not suffice.
    if (!evidence_cache_.contains(snap->height()) &&
        evidence_cache_.size() >= state_sync_evidence_cache_entries_max) {
      evidence_cache_.erase(std::min_element(
          evidence_cache_.begin(), evidence_cache_.end(),
          [](const auto& a, const auto& b) { return a.second.built_ms < b.second.built_ms; }));
    }
    return evidence_cache_[snap->height()] = std::move(entry);
  };
  // Counted when the answer came from reused evidence alone.
  auto count = [&] {
    if (reused != 0 && built == 0) ++checkpoint_requests_cached_;
  };
  std::vector<std::shared_ptr<const StateSnapshot>> unsummarised;
  for (auto it = snapshots_.rbegin(); it != snapshots_.rend(); ++it) {
    const StateSnapshot& snap = **it;
    if (snap.height() <= request.above_height || snap.height() <= epoch_start_height_) break;
    auto summary = snap.computed_summary();
    if (!summary) {
      unsummarised.push_back(*it);
      continue;
    }
    if (!summary->ok()) {
      // Over the limits, or unreadable: said once when it was computed, and kept.
      spdlog::debug("state sync: snapshot at height {} not offered: {}", snap.height(),
                    summary->status().to_string());
      continue;
    }
    const EvidenceEntry& entry = entry_for(*it, &summary->value());
    if (!entry.usable) continue;
    count();
    send_frame(peer, peer_channel_state_sync, entry.offer);
    return;
  }
  for (auto& snap : unsummarised) {
    if (!entry_for(snap, nullptr).usable) continue;
    if (defer_offer(peer, request.above_height, std::move(snap))) {
      count();
      return;
    }
    break;
  }
  count();
  spdlog::debug("state sync: no checkpoint above {} for {} ({} snapshots, head {})",
                request.above_height, peer.hex().substr(0, 12), snapshots_.size(), head_height_);
  send_frame(peer, peer_channel_state_sync, encode_sync_message(NoCheckpoint{head_height_}));
}

void BftOrderer::forget_evidence(uint64_t now) {
  std::erase_if(evidence_cache_, [&](const auto& e) {
    // A clock set back makes an entry look younger than it is: it is dropped too.
    return e.second.snapshot.expired() || now < e.second.built_ms ||
           now >= e.second.built_ms + options_.state_sync_evidence_reuse_ms ||
           std::none_of(snapshots_.begin(), snapshots_.end(),
                        [&](const auto& s) { return s == e.second.snapshot.lock(); });
  });
}

bool BftOrderer::defer_offer(const PublicKey& peer, uint64_t above_height,
                             std::shared_ptr<const StateSnapshot> snap) {
  // One entry per peer (a peer asking again while it waits is not served twice: see
  // serve_checkpoint), so a peer repeating its request grows nothing; the bound covers the rest.
  if (pending_offers_.size() >= state_sync_pending_offers_max) return false;
  pending_offers_.emplace(peer, above_height);
  // One summary at a time: while the worker is busy with another snapshot, the peer waits for
  // that one and is served again when it is done, which then starts this one if still needed.
  // A snapshot's summary is kept whatever its outcome, so no snapshot is summarised twice.
  if (!summarising_) {
    summarising_ = snap;
    ++summaries_started_;
    spdlog::info("state sync: summarising the state at height {} for an offer, in the background",
                 snap->height());
    {
      std::lock_guard lock(summary_mu_);
      summary_job_ = std::move(snap);
    }
    summary_cv_.notify_all();
  }
  return true;
}

void BftOrderer::run_summaries() {
  set_current_thread_name("state-summary");
  while (true) {
    std::shared_ptr<const StateSnapshot> snap;
    {
      std::unique_lock lock(summary_mu_);
      summary_cv_.wait(lock, [&] { return summary_job_ != nullptr || summary_stopping_; });
      if (summary_stopping_) return;
      snap = std::move(summary_job_);
      summary_job_.reset();
      const auto delay = std::chrono::milliseconds(options_.state_sync_summary_delay_ms_for_test);
      if (delay.count() != 0 &&
          summary_cv_.wait_for(lock, delay, [&] { return summary_stopping_.load(); }))
        return;
    }
    // Kept with the snapshot, whatever the outcome; a stop in the middle is not.
    auto summary = snap->summary(&summary_stopping_);
    if (!summary.ok() && summary_stopping_) return;
    post([this] { on_summary_done(); });
  }
}

void BftOrderer::on_summary_done() {
  // Peers wait only while the worker is busy: it is idle now, and they are served afresh.
  summarising_.reset();
  // Each waiting peer is served as if it asked now: the snapshot may have been dropped, or its
  // evidence may no longer build, in the meantime, and a refused summary leaves the peer an
  // older offer, another snapshot to wait for, or NoCheckpoint.
  std::map<PublicKey, uint64_t> waiting;
  waiting.swap(pending_offers_);
  for (const auto& [peer, above_height] : waiting)
    serve_checkpoint(peer, CheckpointRequest{above_height});
  publish_status();
}

void BftOrderer::serve_chunk_to(const PublicKey& peer, const ChunkRequest& request) {
  std::shared_ptr<const StateSnapshot> snap;
  for (const auto& s : snapshots_)
    if (s->height() == request.height) snap = s;
  if (!snap) return;  // Dropped since: the asker times out and tries another peer.
  // A token bucket per peer: refilled at the serving rate, holding at most a second's worth.
  const uint64_t now = now_ms();
  auto& [tokens, refilled_ms] =
      serve_budget_.try_emplace(peer, state_sync_serve_bytes_per_s_max, now).first->second;
  // At most a second's refill, which also keeps the product below 2^64.
  const uint64_t elapsed_ms = std::min<uint64_t>(now - std::min(now, refilled_ms), 1'000);
  tokens = std::min(state_sync_serve_bytes_per_s_max,
                    tokens + elapsed_ms * state_sync_serve_bytes_per_s_max / 1'000);
  refilled_ms = now;
  if (tokens < state_sync_chunk_bytes_max) {
    ++serve_refused_;
    return;
  }
  auto served = serve_chunk(*snap, request);
  if (!served.ok()) {
    // The store could not be read: unanswered, the asker tries again or another peer.
    spdlog::warn("state sync: cannot serve a chunk of height {}: {}", request.height,
                 served.status().to_string());
    return;
  }
  ChunkResponse response = std::move(served).value();
  if (options_.state_sync_corrupt_chunks_for_test) {
    for (auto& [k, v] : response.entries)
      if (!k.empty() && k[0] == ledger::store_prefix_state && !v.empty()) {
        v.back() ^= 0x01;
        break;
      }
  }
  Bytes body = encode_sync_message(response);
  tokens -= std::min<uint64_t>(tokens, body.size());
  ++chunks_served_;
  send_frame(peer, peer_channel_state_sync, body);
}

void BftOrderer::maybe_install() {
  auto state = sync_->take_complete();
  if (!state) return;
  const VerifiedCheckpoint& cp = state->checkpoint;
  // Blocks committed before the pause finish executing first: the checkpoint replaces their
  // result, and none may land on top of it.
  wait_executor_idle();
  spdlog::info("state sync: checking {} entries against the root at height {}",
               state->entries.size(), cp.height);
  Status st = node_.install_checkpoint(
      cp.height, cp.state_root, state->ledger_block, state->block_result, state->entries,
      [&](storage::WriteBatch& wb) {
        // The consensus head moves to the checkpoint with the QC that certifies it; the safety
        // data and the epoch record stay as they are (the checkpoint is of this epoch).
        consensus::put_committed_block(wb, cp.block, cp.block_id);
        wb.put(Bytes{consensus::store_key_head_qc}, consensus::encode_qc(cp.block_qc));
        prune_recent_timeouts(wb);
      });
  if (st.ok()) clear_recent_proposals();
  send_sync(sync_->finish_install(st, now_ms()));
  if (!st.ok()) {
    spdlog::warn("state sync: checkpoint at height {} refused: {}", cp.height, st.to_string());
    publish_status();
    return;
  }
  // Consensus resumes from the checkpoint, and block sync fetches what follows it.
  Status loaded = load_core();
  if (!loaded.ok()) {
    spdlog::critical("cannot resume consensus after the checkpoint: {}; stopping",
                     loaded.to_string());
    std::abort();
  }
  prune_pending();
  execute(core_->start(now_ms()));
  publish_status();
}

bool BftOrderer::snapshot_due(uint64_t executed_height) const {
  const uint64_t interval = options_.state_sync_snapshot_interval_blocks;
  // Snapshots are of states a root commits to: the window is of root heights (Node::open
  // checks that the root interval divides the snapshot interval).
  const uint64_t root_interval = node_.config().state_root_interval_blocks;
  return interval != 0 && executed_height % root_interval == 0 &&
         executed_height % interval <
             std::min(state_sync_snapshot_window_blocks * root_interval, interval);
}

void BftOrderer::maybe_snapshot(uint64_t executed_height) {
  if (!snapshot_due(executed_height)) return;
  if (auto snap = snapshot_now()) keep_snapshot(std::move(snap));
}

std::shared_ptr<const StateSnapshot> BftOrderer::snapshot_now() {
  // Cheap: a store snapshot and a copy of the changes since the last state checkpoint
  // (Node::snapshot_state); the offer's pass over the state waits for an asker, and runs on
  // the summary worker (serve_checkpoint).
  auto snap = node_.snapshot_state();
  if (snap.ok()) return std::move(snap).value();
  // Not at a root height: a later height of the window is taken instead.
  if (snap.status().code() != StatusCode::failed_precondition)
    spdlog::warn("state sync: no snapshot: {}", snap.status().to_string());
  return nullptr;
}

void BftOrderer::keep_snapshot(std::shared_ptr<const StateSnapshot> snap) {
  if (!snapshots_.empty() && snapshots_.back()->height() >= snap->height()) return;
  snapshots_.push_back(std::move(snap));
  while (snapshots_.size() > state_sync_snapshots_kept) {
    // The one the summary worker is on stays until it is done, so that the peers waiting for
    // it get its offer even when blocks come faster than the pass.
    auto oldest = snapshots_.begin();
    if (*oldest == summarising_) ++oldest;
    snapshots_.erase(oldest);
  }
  // The evidence of a dropped snapshot is of no further use, and may hold a large offer.
  forget_evidence(now_ms());
}

std::optional<consensus::Block> BftOrderer::load_committed_block(const Hash256& id) {
  auto height = node_.kv().get(consensus::block_id_key(id));
  if (!height.ok() || !*height || (*height)->size() != 8) return std::nullopt;
  auto block = load_block_at(get_be64(**height));
  if (!block.ok()) return std::nullopt;
  return std::move(block).value();
}

}  // namespace corridor::node
