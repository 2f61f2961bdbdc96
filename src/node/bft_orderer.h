// The BFT orderer: the node's Orderer when it is one of a network's validators (or observers).
// It hosts consensus::Core, the sans-IO 2-chain HotStuff core, exactly as the simulator's
// SimNode does, over real peer channels (net::PeerNetwork) and the node's own store:
//
//   - It is the Core's Adaptor: payloads are the node's pending transactions in the block
//     payload encoding (ledger/payload.h); committed blocks are read back from the store.
//   - It carries out the Core's actions in order: sends and broadcasts over the network,
//     safety data written with a synced write before any later action, one timer, and commits.
//   - A committed block is decoded and handed to the node as an OrderedBatch at the block's
//     height; the node executes it and writes it together with this orderer's records (the
//     consensus block, the QC certifying it, epoch records) in one synced batch, then notifies
//     clients. Only then does the Core learn the state root.
//   - Transactions submitted to this node are forwarded to every validator, so whoever leads
//     the next round can propose them.
//
// Threading: every Core call happens on one event-loop thread owned by the orderer. The
// network's receive handler posts consensus frames to it; forwarded transactions are admitted
// on the network thread, in the order each peer sent its frames (Node::submit_forwarded is
// thread-safe).
//
// State sync's summaries (the pass over a snapshot's state behind an offer) run on a third
// thread, the summary worker, one at a time; the loop hands it a snapshot and hears back
// through its queue (serve_checkpoint).
//
// Pipelining: committed blocks are executed and persisted by a second thread, the executor, in
// commit order, while the loop goes on voting and proposing on later rounds; proposals carry
// the latest executed height and root, which may trail the committed head by up to
// bft_execution_queue_blocks_max blocks. A block with a governance transaction (which may end
// the epoch) is the exception: the loop waits for the executor to finish everything before it
// and executes it itself, since whether the next blocks belong to this epoch depends on its
// result.
//
// Store keys (one prefix byte each; none collides with ChainStore's G H B O T S R):
//   'F'                safety data (consensus::encode_safety_data)
//   'Q'                the QC certifying the committed head block
//   'C' be64(height)   committed consensus block, as encode_message(BlockResponse{{block}})
//   'I' block id       be64(height) of that block
//   'E'                the current epoch's first block: height u64, block id
//   'P' be64(epoch)    how that epoch ended, as encode_message(EpochProof)
//   'U' 0 be64(height) be64(round)   a proposal above the committed head that the core
//                                    checked (or this node's own), payload included, as
//                                    encode_message; erased with the batch that persists its
//                                    height (replay_recent says why the payload is kept)
//   'U' 1 be64(author)               each validator's latest signed timeout, as encode_message
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "base/keys.h"
#include "base/status.h"
#include "consensus/core.h"
#include "net/peer_network.h"
#include "node/node.h"
#include "node/orderer.h"
#include "node/pending_txs.h"
#include "node/state_sync.h"
#include "storage/kv_record_journal.h"

namespace corridor::node {

namespace detail {
class LogSyncer;
}  // namespace detail

// The first byte of every peer frame says what follows.
inline constexpr uint8_t peer_channel_consensus = 0;   // consensus::encode_message
inline constexpr uint8_t peer_channel_txs = 1;         // forwarded transactions, payload encoding
inline constexpr uint8_t peer_channel_state_sync = 2;  // node/state_sync.h messages
// A proposal whose payload is in compact form (node/compact_proposal.h), and a peer's request
// for the full form of one (the block id, 32 bytes), answered on peer_channel_consensus.
inline constexpr uint8_t peer_channel_compact_proposal = 3;
inline constexpr uint8_t peer_channel_proposal_request = 4;
// A designated checker's vouches for the signatures of transactions another validator forwarded
// (docs/protocol.md, "Vouches"; docs/consensus.md, "Signatures checked by f + 1 validators").
inline constexpr uint8_t peer_channel_vouches = 5;
// Vouches in one frame at most: one forwarded frame's transactions.
inline constexpr size_t vouch_frame_entries_max = 100'000;
// A leader's own latest proposals kept in full, to answer peers that could not expand their
// compact form; each peer is answered once per proposal.
inline constexpr size_t bft_own_proposals_kept = 4;
// Transactions kept by the orderer between the mempool and a committed block.
inline constexpr size_t bft_pending_txs_max = 100'000;
// A transaction proposed at height h is not offered again at heights h + 1 .. h + 3 (those
// blocks extend the one carrying it); later it is assumed lost and offered again.
inline constexpr uint64_t bft_repropose_after_heights = 4;
// Committed blocks waiting for the executor at most; beyond it consensus waits (backpressure).
inline constexpr size_t bft_execution_queue_blocks_max = 8;
// How often the loop moves admitted transactions from the mempool and forwards them while it
// cannot rely on the wake each admission into an empty mempool gives it (its last drain left
// transactions behind, pending_ being full), and steps state sync while one runs. Otherwise
// it sleeps until a message, an admission or one of its timers wakes it.
inline constexpr uint32_t bft_tick_ms = 5;
// The longest the loop sleeps with no timer due (it always has a round timer; a bound anyway).
inline constexpr uint32_t bft_idle_wait_ms_max = 1'000;
// Epoch bridge messages to one peer are sent at most this often (docs/consensus.md).
inline constexpr uint64_t bft_epoch_bridge_interval_ms = 500;

struct BftOptions {
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 0;
  // Every other validator and observer of the network (genesis), with where to dial it.
  std::vector<net::PeerAddress> peers;
  consensus::CoreConfig core;
  // A leader with nothing to propose holds its (empty) proposal this long, so that an idle
  // network makes a few blocks a second rather than one per round trip.
  uint32_t empty_block_delay_ms = 100;
  // The same hold while the state root covering the last block with transactions is still to
  // come (at most empty_block_delay_ms), so that a proof of what that block changed waits a
  // state root interval of these, not of the idle pace (docs/consensus.md, "Pacing").
  uint32_t root_block_delay_ms = 25;
  uint32_t block_txs_max = 10'000;
  // State sync (node/state_sync.h, docs/consensus.md "State sync"): whether this node syncs
  // state when it is more than state_sync_lag_blocks behind, and how often it snapshots its
  // state to serve others (0: it serves none).
  bool state_sync = true;
  uint64_t state_sync_lag_blocks = state_sync_lag_blocks_default;
  uint64_t state_sync_snapshot_interval_blocks = state_sync_snapshot_interval_blocks_default;
  // Bytes this node asks for per chunk (smaller in tests, to exercise paging).
  uint32_t state_sync_chunk_bytes = state_sync_chunk_bytes_max;
  // A fault hook for tests only: this node corrupts one value in every chunk it serves.
  bool state_sync_corrupt_chunks_for_test = false;
  // A test hook only: the summary worker waits this long before each summary, as the pass over
  // a state near the limits would take.
  uint32_t state_sync_summary_delay_ms_for_test = 0;
  // How long the evidence built for a snapshot answers checkpoint requests before it is built
  // again (longer in tests, which must not depend on timing).
  uint64_t state_sync_evidence_reuse_ms = state_sync_evidence_reuse_ms_default;
  // A test hook only: false keeps what this node's API admits from the other validators, so
  // that they meet compact proposals naming transactions they lack.
  bool forward_admissions_for_test = true;
  // A fault hook for tests only: changes each envelope this node forwards (a faulty validator
  // forwarding what its API never admitted, such as a transaction under a forged signature).
  std::function<void(Bytes& envelope)> forwarded_envelope_for_test;
  // A test hook only: called on the loop thread with every consensus message this node is
  // about to send or broadcast (its votes among them), before it leaves.
  std::function<void(const consensus::Message&)> sending_for_test;
};

class BftOrderer final : public Orderer, public consensus::Adaptor {
 public:
  // Loads (or on a fresh store, writes) the consensus records, rebuilds the Core from them and
  // starts the peer network. The node must be open, with its genesis block committed.
  static Result<std::unique_ptr<BftOrderer>> create(Node& node, const KeyPair& key,
                                                    BftOptions options);
  ~BftOrderer() override;

  void start(OrderedBatchSink sink) override;
  void stop() override;

  uint16_t port() const { return net_->port(); }
  // Sets where a peer is dialed (tests that listen on ephemeral ports).
  Status connect(const PublicKey& peer, const std::string& host, uint16_t port) {
    return net_->connect(peer, host, port);
  }
  // The state the loop last published (without the transport's counters, which
  // consensus_status() adds).
  ConsensusStatus status() const;
  std::optional<SyncProgress> sync_progress() const override;
  std::optional<ConsensusStatus> consensus_status() const override;
  // Summaries of snapshots this node's background worker was given to compute (one pass over
  // the state each).
  uint64_t state_sync_summaries_started() const { return summaries_started_.load(); }
  // Times this node built the evidence of a snapshot to answer a checkpoint request (each loads
  // up to state_sync_evidence_blocks_max blocks from the store).
  uint64_t state_sync_evidence_builds() const { return evidence_builds_.load(); }

 private:
  // What serve_checkpoint learned about one snapshot: whether its evidence built (and, with
  // the snapshot's summary, the offer encoded from it), for the epoch and summary state it was
  // built in.
  struct EvidenceEntry {
    std::weak_ptr<const StateSnapshot> snapshot;
    uint64_t epoch_start_height = 0;
    bool summarised = false;
    uint64_t built_ms = 0;
    bool usable = false;
    Bytes offer;  // The encoded CheckpointOffer, when summarised and usable.
  };
  // A committed block handed to the executor thread.
  struct ExecJob {
    OrderedBatch batch;
    uint64_t height = 0;
    std::vector<Hash256> tx_ids;
  };

  BftOrderer(Node& node, const KeyPair& key, BftOptions options);
  Status boot();
  // Rebuilds the Core from the consensus records in the store (at boot and after a checkpoint).
  Status load_core();
  void post(std::function<void()> task);
  void run();
  uint64_t now_ms() const;

  void on_frame(const PublicKey& peer, Bytes payload);
  void on_consensus(const PublicKey& peer, ByteView bytes);
  // A decoded consensus message and its canonical encoding (as received, or rebuilt from a
  // compact proposal).
  void handle_consensus(const PublicKey& peer, const consensus::Message& m, ByteView bytes);
  // Compact proposals (node/compact_proposal.h): sending one, expanding one from the
  // transactions held here (or asking its leader for the full form), and answering such asks.
  // The encoding of `m`, a proposal, with its payload in compact form; nullopt when the form
  // would name no transaction by id. `m` is left as it was.
  std::optional<Bytes> compact_proposal_body(consensus::Message& m);
  void on_compact_proposal(const PublicKey& peer, ByteView bytes);
  void on_proposal_request(const PublicKey& peer, ByteView bytes);
  // State sync: serving peers, driving this node's client, and installing what it downloaded.
  void on_state_sync(const PublicKey& peer, ByteView bytes);
  void serve_checkpoint(const PublicKey& peer, const CheckpointRequest& request);
  // Drops the evidence entries of snapshots no longer held, and those too old to reuse.
  void forget_evidence(uint64_t now);
  // Keeps `peer` waiting for an offer until the summary worker is done, and gives it `snap` if
  // it is idle; false when too many peers wait already.
  bool defer_offer(const PublicKey& peer, uint64_t above_height,
                   std::shared_ptr<const StateSnapshot> snap);
  // On the loop thread, when the worker finished a summary: the waiting peers are served again.
  void on_summary_done();
  void run_summaries();
  void serve_chunk_to(const PublicKey& peer, const ChunkRequest& request);
  // Asks peers for a checkpoint when `seen_height` (a peer's) is far above the head, or at start.
  void maybe_probe(uint64_t seen_height, bool at_start = false);
  void send_sync(StateSyncClient::Outgoing out);
  void maybe_install();
  // Whether the state at `executed_height` is one to snapshot: a root height in a snapshot
  // window. Reads only options fixed at construction, so any thread may ask.
  bool snapshot_due(uint64_t executed_height) const;
  // Snapshots the state to serve when `executed_height` is in a snapshot window; on the loop,
  // for blocks the loop executed itself.
  void maybe_snapshot(uint64_t executed_height);
  // The node's state now, or nothing (logged) when it cannot be taken.
  std::shared_ptr<const StateSnapshot> snapshot_now();
  // Keeps a snapshot to serve; on the loop.
  void keep_snapshot(std::shared_ptr<const StateSnapshot> snap);
  void bridge_epochs(const PublicKey& peer, const consensus::Message& m);
  // A peer's forwarded transactions, admitted on the network thread: verified here when this
  // node is one of the f validators after the forwarder (and then vouched for to the others),
  // otherwise on the forwarder's word, with the forwarder as their first voucher.
  void admit_forwarded(const PublicKey& peer, ByteView body);
  void on_vouches(const PublicKey& peer, ByteView body);
  void execute(std::vector<consensus::Action> actions);
  // The held proposal (Adaptor::hold_proposal) goes out now, with what the mempool holds.
  void release_held_proposal();
  void send_to(const PublicKey& peer, const consensus::Message& m);
  void send_frame(const PublicKey& peer, uint8_t channel, const Bytes& body);
  void commit(const consensus::CommitAction& a);
  void enqueue_execution(ExecJob job);
  void wait_executor_idle();
  void run_executor();
  void on_block_executed(uint64_t height, const Hash256& root, const std::vector<Hash256>& ids,
                         std::shared_ptr<const StateSnapshot> snap);
  void switch_epoch(consensus::Epoch ended);
  void persist_safety(const consensus::SafetyData& data);
  void note_proposal(const consensus::Block& block);
  // The recent consensus messages kept for a restart: a proposal the core found valid (or this
  // node's own) as `encoded`, its encode_message bytes, in the proposal journal; a validator's
  // latest signed timeout, in the store ('U' records).
  void remember_proposal(const consensus::Block& block, ByteView encoded);
  void remember_timeout(const consensus::Timeout& t, bool sync);
  void replay_recent();
  // An epoch ended, or a checkpoint replaced the chain: every recent message is void. The
  // timeouts are erased in the `batch` that does it; the proposals, by
  // clear_recent_proposals(), once that batch is written.
  void prune_recent_timeouts(storage::WriteBatch& batch);
  void clear_recent_proposals();
  // The proposals at or below `height` are void: its block is persisted.
  void release_recent_proposals(uint64_t height);
  void drain_mempool();
  void prune_pending();
  void publish_status();
  std::optional<consensus::EpochProof> load_epoch_proof(consensus::Epoch epoch) const;
  Result<consensus::Block> load_block_at(uint64_t height) const;

  Bytes make_payload(consensus::Round round, uint64_t height) override;
  bool hold_proposal(consensus::Round round, uint64_t height, const Bytes& payload) override;
  std::optional<consensus::Block> load_committed_block(const Hash256& id) override;

  Node& node_;
  KeyPair key_;
  BftOptions options_;
  Hash256 network_id_;
  std::unique_ptr<net::PeerNetwork> net_;
  // Peers' forwarded frames admitted, and refused as not a transaction list (network thread).
  std::atomic<uint64_t> forwarded_frames_admitted_{0};
  std::atomic<uint64_t> forwarded_frames_undecodable_{0};
  // Signatures checked by f + 1 validators (network thread; ConsensusStatus says what each is).
  std::atomic<uint64_t> forwarded_txs_vouched_in_{0};
  std::atomic<uint64_t> txs_vouched_out_{0};
  std::atomic<uint64_t> vouches_received_{0};
  std::atomic<uint64_t> vouch_frames_refused_{0};
  // This node's admissions forwarded to the other validators (loop thread).
  uint64_t txs_forwarded_ = 0;
  // Compact proposals (loop thread): this leader's, sent; peers' expanded here, or incomplete
  // here (a transaction missing or held under other bytes: the full form was asked for), or
  // refused as malformed; and full forms this leader sent to peers that asked.
  CompactProposalCounters compact_;
  struct OwnProposal {
    Hash256 id;
    Bytes body;  // The full proposal, consensus::encode_message.
    std::set<PublicKey> served;
  };
  std::deque<OwnProposal> own_proposals_;
  OrderedBatchSink sink_;

  // Loop-thread state.
  std::unique_ptr<consensus::Core> core_;
  consensus::SafetyData safety_;
  // The head consensus committed (handed to execution), and the head executed and persisted,
  // with its state root; the executor runs at most bft_execution_queue_blocks_max behind.
  uint64_t head_height_ = 0;
  Hash256 head_id_;
  uint64_t executed_height_ = 0;
  Hash256 head_root_;
  // Transactions of committed blocks that are still executing: not taken from the mempool again.
  std::unordered_set<Hash256, FixedBytesHasher> in_execution_;
  uint64_t epoch_start_height_ = 0;
  Hash256 epoch_start_id_;
  uint64_t timer_deadline_ms_ = 0;
  // While the core holds an empty proposal: when it goes out even if nothing arrives.
  uint64_t held_until_ms_ = 0;
  // Whether the last drain left transactions in the mempool (pending_ full): then no admission
  // wakes the loop for them, and it ticks until a drain empties the mempool.
  bool mempool_left_ = false;
  uint64_t last_nonempty_height_ = 0;
  // Admitted transactions taken from the mempool, decoded, until a committed block carries them
  // or they expire; proposals and commits find their envelopes here instead of decoding them.
  PendingTxs pending_;
  // Where the proposals this node checked are kept until their blocks are persisted: the node's
  // journal (a file of its own beside RocksDB), and the store, which takes what the journal has
  // no room for, and everything when the node has no journal.
  storage::RecordJournal* journal_ = nullptr;
  std::unique_ptr<storage::KvRecordJournal> store_journal_;
  // Proposals the journal had no room for (or failed to take), kept in the store instead.
  uint64_t journal_spills_ = 0;
  // Sync the journal and the store's log beside the safety write (detail/log_syncer.h); both
  // stopped in stop().
  std::unique_ptr<detail::LogSyncer> journal_syncer_;
  std::unique_ptr<detail::LogSyncer> log_syncer_;
  // The syncs asked for after the latest record written without one (0: none pending): the
  // next safety write waits for them, so no vote or timeout of ours leaves before the records.
  uint64_t journal_sync_ticket_ = 0;
  uint64_t recent_sync_ticket_ = 0;
  std::map<PublicKey, uint64_t> epoch_request_ms_;
  std::map<PublicKey, uint64_t> proof_sent_ms_;
  std::unique_ptr<StateSyncClient> sync_;
  // The newest snapshots this node serves, oldest first.
  std::deque<std::shared_ptr<const StateSnapshot>> snapshots_;
  // Per-peer serving budget in bytes, and when it was last refilled.
  std::map<PublicKey, std::pair<uint64_t, uint64_t>> serve_budget_;
  uint64_t network_height_ = 0;
  uint64_t chunks_served_ = 0;
  uint64_t serve_refused_ = 0;
  // The snapshot the summary worker is summarising (null while it is idle), and the peers
  // waiting for an offer meanwhile, each with the height its request asked to be above.
  std::shared_ptr<const StateSnapshot> summarising_;
  std::map<PublicKey, uint64_t> pending_offers_;
  // The evidence built for each snapshot held, by height, reused by every request for
  // options_.state_sync_evidence_reuse_ms (at most state_sync_evidence_cache_entries_max), and
  // the requests answered from it alone.
  std::map<uint64_t, EvidenceEntry> evidence_cache_;
  uint64_t checkpoint_requests_cached_ = 0;
  std::atomic<uint64_t> evidence_builds_{0};

  // The loop's queue.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  // Set by the mempool's listener when an admission made it non-empty (start()).
  bool mempool_added_ = false;
  bool running_ = false;
  std::thread thread_;

  // The execution pipeline: committed blocks in order, executed and persisted by one thread.
  std::mutex exec_mu_;
  std::condition_variable exec_cv_;
  std::deque<ExecJob> exec_queue_;
  bool exec_busy_ = false;
  bool exec_stopping_ = false;
  std::thread exec_thread_;

  // The summary worker: one thread computing one snapshot's summary at a time, off the loop
  // (a pass over a state near the limits takes seconds), started only on a serving node.
  std::mutex summary_mu_;
  std::condition_variable summary_cv_;
  std::shared_ptr<const StateSnapshot> summary_job_;
  // Set by stop(): the worker ends, and a pass under way stops early.
  std::atomic<bool> summary_stopping_{false};
  std::atomic<uint64_t> summaries_started_{0};
  std::thread summary_thread_;

  // How long each synced safety write took (thread-safe; read for the status).
  LatencyWindow safety_writes_;

  mutable std::mutex status_mu_;
  ConsensusStatus published_;
  SyncProgress published_sync_;
};

}  // namespace corridor::node
