// State sync: a node that lost its store, or fell far behind, installs the ledger state at a
// recent checkpoint instead of replaying every block since genesis, then continues with
// ordinary block sync from there (docs/consensus.md, "State sync"; docs/protocol.md, "State
// sync channel").
//
// The checkpoint is attested by the consensus chain itself, not by extra signatures: a peer
// offers the committed block at height E, the blocks above it up to one certified by a QC, and
// the evidence must show (a) a 2-chain commit (a certified block whose parent has the round
// just below it), (b) a committed block above E whose exec_height is E and whose
// exec_state_root is the offered root, and (c) every QC along the way signed by n - f of the
// validator set this node trusts. The state entries then come in bounded chunks by key range,
// and nothing is installed until the entries, all of them, hash to that root.
//
// This file holds the wire messages, the serving side's snapshot and evidence, the checks of an
// offer, and the downloading client as a state machine that returns the frames to send. It does
// no I/O; BftOrderer carries the frames and installs through Node::install_checkpoint.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/hash.h"
#include "base/keys.h"
#include "base/status.h"
#include "consensus/types.h"
#include "ledger/store_overlay.h"
#include "node/orderer.h"
#include "storage/kv_store.h"

namespace corridor::ledger {
class StateDeltaAccumulator;
}  // namespace corridor::ledger

namespace corridor::node {

// A checkpoint is used only when it is more than this many blocks above the node's head.
inline constexpr uint64_t state_sync_lag_blocks_default = 128;
// The serving side snapshots its state every this many blocks (it can offer only heights it
// holds a snapshot of). A height is offered only if a committed block claims its root, and a
// commit of several blocks at once (after a failed round) skips claims, so each snapshot point
// is a window of consecutive heights; the newest state_sync_snapshots_kept are kept (this
// window's and the end of the previous one; one whose summary is being computed stays until it
// is done, within that count).
inline constexpr uint64_t state_sync_snapshot_interval_blocks_default = 64;
inline constexpr uint64_t state_sync_snapshot_window_blocks = 4;
inline constexpr size_t state_sync_snapshots_kept = 6;
// A snapshot (and a download) larger than this is refused; the node then block-syncs.
inline constexpr uint64_t state_sync_state_bytes_max = 512ull << 20;
inline constexpr uint64_t state_sync_entries_max = 20'000'000;
// One chunk carries at most this many bytes of keys and values (one larger entry alone may
// exceed it, so that every entry can be served).
inline constexpr uint32_t state_sync_chunk_bytes_max = 256 << 10;
inline constexpr size_t state_sync_requests_in_flight_max = 4;
// Key ranges an offer splits the state into (downloaded in parallel, each in chunks).
inline constexpr size_t state_sync_ranges_max = 16;
// The serving side's summary pass keeps at most this many keys as candidate range boundaries
// (every stride-th entry, the stride doubling whenever the list fills), so each boundary it
// picks lies within 1/1,024 of the entries of its place at equal counts (StateSnapshot::summary).
inline constexpr size_t state_sync_summary_samples_max = 64 * state_sync_ranges_max;
// Peers a serving node keeps waiting for an offer while its background worker summarises a
// snapshot (one entry per peer); beyond it a peer is answered NoCheckpoint and asks again.
inline constexpr size_t state_sync_pending_offers_max = 64;
// The evidence behind an answer to a checkpoint request (up to state_sync_evidence_blocks_max
// committed blocks loaded from the store, and the offer encoded from them) is built on the
// consensus thread, so a serving node reuses what it built for a snapshot for this long, for
// every request and every peer, instead of building it again (BftOrderer::serve_checkpoint).
// Shorter than state_sync_probe_interval_ms, so that what an honest asker's probe had built
// never answers its next probe; a resend within a probe (after a lost answer) is answered as the
// first request was.
inline constexpr uint64_t state_sync_evidence_reuse_ms_default = 500;
// Evidence kept for reuse: one entry per snapshot held, so no more than the snapshots kept.
inline constexpr size_t state_sync_evidence_cache_entries_max = state_sync_snapshots_kept;
// A key longer than this is malformed (ledger entry keys are far shorter).
inline constexpr size_t state_sync_key_bytes_max = 1'024;
// The evidence spans at most this many blocks, from the checkpoint to the certified block.
inline constexpr size_t state_sync_evidence_blocks_max = consensus::sync_blocks_max;
// An offer message (evidence with payloads, and the ledger block at the checkpoint) is at most
// this large.
inline constexpr size_t state_sync_offer_bytes_max = consensus::message_bytes_max;
inline constexpr uint64_t state_sync_request_timeout_ms = 2'000;
// How often a lagging node asks its peers for checkpoints, and how long it waits for offers.
inline constexpr uint64_t state_sync_probe_interval_ms = 1'000;
static_assert(state_sync_evidence_reuse_ms_default < state_sync_probe_interval_ms);
inline constexpr uint64_t state_sync_offer_wait_ms = 500;
// The probe at start waits longer: peers' channels to a node that just (re)started take a
// moment to come up.
inline constexpr uint64_t state_sync_start_offer_wait_ms = 3'000;
// Within that wait, peers that have not answered are asked again this often: a request sent
// while a channel was still being set up (a node that just started) may be lost.
inline constexpr uint64_t state_sync_probe_resend_ms = 100;
// What one peer may take from a serving node: chunk bytes per second (a token bucket holding at
// most one second's worth). A request over the budget is not answered; the client asks again.
inline constexpr uint64_t state_sync_serve_bytes_per_s_max = 32ull << 20;

// Above these a snapshot's summary is refused (smaller in tests, which cannot hold 512 MiB).
struct StateSnapshotLimits {
  uint64_t entries_max = state_sync_entries_max;
  uint64_t bytes_max = state_sync_state_bytes_max;
};

// A serving node's consistent view of its state at one height, with the ledger block and result
// there. It holds no copy of the state: the node's store keeps the state of its last state
// checkpoint (ChainStore), so the view is a snapshot of the store (storage::KvSnapshot, which
// later writes and checkpoints do not change) with the changes made since that checkpoint laid
// over it. Taking one costs a store snapshot and a sorted copy of those changes, not a pass over
// the state (docs/consensus.md, "State sync"). Immutable once made, and safe to share between
// threads.
class StateSnapshot {
 public:
  // The store keys changed since the checkpoint, with their values at the snapshot's height
  // (none when the key was deleted). Sorted by key, keys unique, all under 'R' or 'S'.
  using Overlay = ledger::StoreOverlay;
  // What an offer announces: the number and the bytes (keys and values) of the entries, and the
  // keys that cut them into up to state_sync_ranges_max ranges of about equal counts.
  struct Summary {
    uint64_t entries = 0;
    uint64_t bytes = 0;
    std::vector<Bytes> split_keys;
  };
  using Limits = StateSnapshotLimits;

  // The changes since the store's checkpoint as a node holds them: layers, oldest first,
  // never changed once shared (Node).
  using Layers = std::vector<std::shared_ptr<const ledger::StateDeltaAccumulator>>;

  StateSnapshot(uint64_t height, const Hash256& state_root, Bytes ledger_block, Bytes block_result,
                std::shared_ptr<const storage::KvSnapshot> store, Overlay overlay,
                Limits limits = {});
  // With the changes as layers, merged into the overlay when it is first read (by the summary,
  // on the serving node's background worker), so that taking a snapshot copies nothing.
  StateSnapshot(uint64_t height, const Hash256& state_root, Bytes ledger_block, Bytes block_result,
                std::shared_ptr<const storage::KvSnapshot> store, Layers changes,
                Limits limits = {});

  uint64_t height() const { return height_; }
  const Hash256& state_root() const { return state_root_; }
  const Bytes& ledger_block() const { return ledger_block_; }  // ChainStore's 'B' record.
  const Bytes& block_result() const { return block_result_; }  // ChainStore's 'O' record.
  size_t overlay_size() const { return overlay().size(); }

  // Visits the state's entries (keys under 'R' and 'S') in [start, end) in key order, the
  // overlay merged over the store; an empty end means no upper bound. Stops when the visitor
  // returns false. Fails only when the store cannot be read.
  [[nodiscard]] Status scan(ByteView start, ByteView end, const storage::ScanVisitor& visit) const;

  // The offer's summary. It needs one pass over the whole state, so it is computed on the first
  // call and then kept, whatever its outcome: a node nobody syncs from never pays for it, and
  // no snapshot is read through twice. A serving node calls it on its background worker
  // (BftOrderer), the first time a peer asks for a checkpoint this snapshot would answer.
  // Refused (resource_exhausted) above the limits (state_sync_entries_max entries,
  // state_sync_state_bytes_max bytes), as soon as the pass gets there. When `cancel` turns true
  // the pass stops early with unavailable, which is not kept (the node is stopping). Blocks
  // while another thread computes it.
  [[nodiscard]] Result<Summary> summary(const std::atomic<bool>* cancel = nullptr) const;
  // The kept summary, or nullopt while none was computed. Never blocks on a computation, so
  // the consensus thread may ask.
  std::optional<Result<Summary>> computed_summary() const;

 private:
  Result<Summary> compute_summary(const std::atomic<bool>* cancel) const;
  // The overlay, merged from the layers on the first call.
  const Overlay& overlay() const;

  uint64_t height_;
  Hash256 state_root_;
  Bytes ledger_block_;
  Bytes block_result_;
  std::shared_ptr<const storage::KvSnapshot> store_;
  // Until the first overlay() call: the layers it merges (then released).
  mutable Layers layers_;
  mutable std::once_flag overlay_once_;
  mutable Overlay overlay_;
  Limits limits_;
  // Held for the whole computation: one pass per snapshot, however many threads ask.
  mutable std::mutex compute_mu_;
  // Held only to read or set summary_, so that computed_summary() never waits for a pass.
  mutable std::mutex summary_mu_;
  mutable std::optional<Result<Summary>> summary_;
};

// --- Messages (channel peer_channel_state_sync) -------------------------------------------

struct CheckpointRequest {
  uint64_t above_height = 0;  // Only a checkpoint above this height is of use.
};
struct CheckpointOffer {
  uint64_t height = 0;
  Hash256 state_root;
  uint64_t entries_total = 0;
  uint64_t bytes_total = 0;
  std::vector<Bytes> split_keys;  // Ascending; range i runs from split i-1 up to split i.
  consensus::EpochProof evidence;
  Bytes ledger_block;
  Bytes block_result;
};
struct NoCheckpoint {
  uint64_t head_height = 0;
};
struct ChunkRequest {
  uint64_t height = 0;
  Bytes start;  // Inclusive.
  Bytes end;    // Exclusive; empty means no upper bound.
  uint32_t bytes_max = state_sync_chunk_bytes_max;
};
struct ChunkResponse {
  uint64_t height = 0;
  Bytes start;        // Echoes the request.
  bool last = false;  // No further entry in [start, end).
  std::vector<std::pair<Bytes, Bytes>> entries;
};
using SyncMessage =
    std::variant<CheckpointRequest, CheckpointOffer, NoCheckpoint, ChunkRequest, ChunkResponse>;

Bytes encode_sync_message(const SyncMessage& m);
Result<SyncMessage> decode_sync_message(ByteView bytes);

// --- Serving side ---------------------------------------------------------------------------

// Reads committed consensus blocks by height from the host's store.
using BlockLoader = std::function<Result<consensus::Block>(uint64_t height)>;

// The evidence for the snapshot at `height`: committed blocks from the certified one down to
// `height`, newest first, and the QC certifying the first. `head_height`/`head_qc` are the
// host's committed head and the QC certifying it. Fails when no committed block up to the head
// claims that height's root, or the span exceeds state_sync_evidence_blocks_max.
Result<consensus::EpochProof> build_checkpoint_evidence(const BlockLoader& load,
                                                        uint64_t head_height,
                                                        const consensus::QuorumCert& head_qc,
                                                        uint64_t height, const Hash256& root);

// The offer of a snapshot (its summary is computed on the first call: StateSnapshot::summary).
[[nodiscard]] Result<CheckpointOffer> make_offer(const StateSnapshot& snapshot,
                                                 consensus::EpochProof evidence);
// The offer of a snapshot with its summary computed already (StateSnapshot::computed_summary):
// no pass over the state.
CheckpointOffer make_offer(const StateSnapshot& snapshot, StateSnapshot::Summary summary,
                           consensus::EpochProof evidence);
// The answer to a chunk request from a snapshot, within the request's and the protocol's limits.
[[nodiscard]] Result<ChunkResponse> serve_chunk(const StateSnapshot& snapshot,
                                                const ChunkRequest& request);

// --- Checking an offer ----------------------------------------------------------------------

struct VerifiedCheckpoint {
  uint64_t height = 0;
  Hash256 state_root;
  consensus::Block block;  // The committed consensus block at `height`.
  Hash256 block_id;
  consensus::QuorumCert block_qc;  // Certifies `block`.
};

// Checks an offer against the validator set this node trusts: the evidence as described at the
// top of this file, the checkpoint above the epoch's first block, and the ledger block at the
// checkpoint matching the consensus block's transactions and the attested root.
Result<VerifiedCheckpoint> verify_offer(const CheckpointOffer& offer,
                                        const consensus::ValidatorSet& trusted,
                                        uint64_t epoch_start_height);

// --- Downloading client ---------------------------------------------------------------------

// Everything downloaded and checked, ready for Node::install_checkpoint.
struct DownloadedState {
  VerifiedCheckpoint checkpoint;
  Bytes ledger_block;
  Bytes block_result;
  std::vector<std::pair<Bytes, Bytes>> entries;  // Sorted store keys with their values.
};

// The client's state machine. The host calls it from one thread with the current time; every
// call returns the frames (peer, encoded SyncMessage) to send.
class StateSyncClient {
 public:
  using Outgoing = std::vector<std::pair<PublicKey, Bytes>>;
  struct Options {
    uint64_t lag_blocks = state_sync_lag_blocks_default;
    // Bytes asked for per chunk (at most state_sync_chunk_bytes_max, which servers enforce).
    uint32_t chunk_bytes = state_sync_chunk_bytes_max;
  };

  StateSyncClient(Options options, std::vector<PublicKey> peers);

  // True while a sync is under way.
  bool active() const { return phase_ != SyncPhase::idle; }
  // True while a checkpoint is being downloaded or installed: the host pauses consensus, whose
  // commits would race the checkpoint. Probing pauses it only when the host asked so (the probe
  // at start, before block sync could replay a short chain from genesis); a probe triggered by
  // heights a peer claims does not, so a faulty peer costs this node only a probe a second.
  bool pauses_consensus() const {
    return phase_ == SyncPhase::downloading || phase_ == SyncPhase::installing ||
           (phase_ == SyncPhase::probing && probe_pauses_);
  }
  const SyncProgress& progress() const { return progress_; }

  // Asks every peer for a checkpoint above head + lag (at most once per probe interval).
  // `pause`: consensus waits for the answers (see pauses_consensus).
  Outgoing probe(uint64_t head_height, uint64_t now_ms, bool pause);
  // An offer or refusal from a peer. `trusted`/`epoch_start_height` check the offer.
  Outgoing on_offer(const PublicKey& peer, const CheckpointOffer& offer, uint64_t head_height,
                    const consensus::ValidatorSet& trusted, uint64_t epoch_start_height,
                    uint64_t now_ms);
  Outgoing on_no_checkpoint(const PublicKey& peer, uint64_t now_ms);
  Outgoing on_chunk(const PublicKey& peer, const ChunkResponse& chunk, uint64_t now_ms);
  // Timeouts: a probe with no usable offer ends; chunk requests not answered are sent again.
  Outgoing on_tick(uint64_t now_ms);
  // When every range is complete: the downloaded state (the client then waits in the
  // installing phase for finish_install).
  std::optional<DownloadedState> take_complete();
  // The host tried to install: on success the sync ends; on failure (the entries do not hash
  // to the root) the serving peer is counted bad and the download restarts from another.
  Outgoing finish_install(const Status& result, uint64_t now_ms);
  // The number of bad chunks or offers each peer sent.
  const std::map<PublicKey, uint64_t>& bad_by_peer() const { return bad_by_peer_; }

 private:
  struct Range {
    Bytes next;  // Where the next chunk starts.
    Bytes end;   // Exclusive; empty: unbounded.
    bool done = false;
    bool in_flight = false;
    uint64_t sent_ms = 0;
    uint32_t timeouts = 0;  // Requests of this range that went unanswered.
  };
  struct Candidate {
    CheckpointOffer offer;
    VerifiedCheckpoint checkpoint;
  };

  Outgoing start_download(uint64_t now_ms);
  Outgoing request_more(uint64_t now_ms);
  void mark_bad(const PublicKey& peer, const std::string& why);
  void reset_to_idle();
  void publish();

  Options options_;
  std::vector<PublicKey> peers_;
  SyncPhase phase_ = SyncPhase::idle;
  SyncProgress progress_;
  uint64_t last_probe_ms_ = 0;
  uint64_t probe_deadline_ms_ = 0;
  uint64_t probe_resent_ms_ = 0;
  bool probe_pauses_ = false;
  Bytes probe_request_;
  std::set<PublicKey> answered_;
  // Peers that sent a bad offer or chunk during this sync: not asked again until it ends.
  std::set<PublicKey> excluded_;
  std::map<PublicKey, uint64_t> bad_by_peer_;
  // Verified offers by peer, the best (highest) used first.
  std::map<PublicKey, Candidate> candidates_;
  std::optional<PublicKey> source_;
  std::optional<Candidate> current_;
  std::vector<Range> ranges_;
  // Entries received per range; concatenated in range order they are sorted.
  std::vector<std::vector<std::pair<Bytes, Bytes>>> range_entries_;
  bool taken_ = false;
};

}  // namespace corridor::node
