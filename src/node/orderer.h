// The block-production seam. An Orderer decides which admitted transactions form the next
// block and in what order, and hands each ordered batch to the node, which executes,
// persists and reports it. The single-node Sequencer orders by itself; the BFT engine
// replaces it with an orderer that delivers blocks once a quorum has committed them, without
// changes to execution, storage or the API.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "base/hash.h"
#include "base/keys.h"
#include "consensus/core.h"
#include "ledger/entries.h"
#include "node/mempool.h"
#include "node/stage_latency.h"
#include "storage/kv_store.h"

namespace corridor::node {

// What executing a batch produced, reported to the orderer before the block is written.
struct ExecutedBatch {
  uint64_t height = 0;
  Hash256 block_hash;
  Hash256 state_root;
  // The ledger's validator set after the block, and whether the block changed it (the end
  // of a consensus epoch).
  std::optional<ledger::ValidatorSetEntry> validators;
  bool validators_changed = false;
};

struct OrderedBatch {
  std::vector<PendingTx> txs;
  // Block time chosen by whoever ordered the batch; the ledger never reads a clock.
  uint64_t time_ms = 0;
  // The height the block must have; the node checks it when set (a consensus block's height is
  // its ledger height).
  std::optional<uint64_t> height = std::nullopt;
  // The single-node sequencer orders only transactions the node admitted, whose signatures it
  // verified already; a block ordered by others must have them verified while it executes.
  bool verify_signatures = false;
  // Called after execution, before the block is persisted: records the orderer adds here go
  // to disk in the same synced batch as the block, so the two never disagree after a crash.
  std::function<void(const ExecutedBatch&, storage::WriteBatch&)> add_records = nullptr;
  // When the orderer committed the batch (wall clock ms, the clock of time_ms), for the node's
  // stage latencies; 0 when it does not say.
  uint64_t ordered_ms = 0;
};

using OrderedBatchSink = std::function<void(OrderedBatch&&)>;

// State sync (node/state_sync.h): where a node stands in installing a checkpoint.
enum class SyncPhase : uint8_t {
  idle,         // Not syncing: following the chain by consensus and block sync.
  probing,      // Asked peers for a checkpoint; waiting for offers.
  downloading,  // Fetching the checkpoint's state entries in chunks.
  installing,   // Checking the entries against the attested root and writing them.
};
std::string_view sync_phase_name(SyncPhase phase);

struct SyncProgress {
  SyncPhase phase = SyncPhase::idle;
  uint64_t target_height = 0;
  uint64_t entries_received = 0;
  uint64_t entries_total = 0;  // As the serving peer announced it; 0 while unknown.
  uint64_t bytes_received = 0;
  uint64_t bytes_total = 0;
  uint64_t bad_chunks = 0;  // Chunks and offers refused, over the node's life.
  uint64_t checkpoints_installed = 0;
  uint64_t last_installed_height = 0;
  // The highest block height this node has seen proposed by peers: where "in sync" is.
  uint64_t network_height = 0;
  // Serving side: chunks served to peers, and requests refused over the rate limit.
  uint64_t chunks_served = 0;
  uint64_t serve_refused = 0;
  // Checkpoint requests answered from evidence built for an earlier one, without building any.
  uint64_t checkpoint_requests_cached = 0;
};

// One peer channel as an operator sees it.
struct PeerStatus {
  PublicKey key;
  bool connected = false;
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t queued_bytes = 0;
  uint64_t send_rejected = 0;
  uint64_t reconnects = 0;
  uint64_t frames_refused = 0;  // Failed authentication, oversize or truncated.
};

// Compact proposals (node/compact_proposal.h), as one node saw them.
struct CompactProposalCounters {
  uint64_t sent = 0;         // This node's proposals sent to its peers in compact form.
  uint64_t expanded = 0;     // Peers' compact proposals rebuilt here in full.
  uint64_t incomplete = 0;   // Peers' compact proposals that named a transaction not held
                             // here byte for byte: the full form was asked for.
  uint64_t refused = 0;      // Malformed compact proposals and requests, dropped.
  uint64_t full_served = 0;  // Full forms of this node's proposals sent to peers that asked.
};

// The live state of a consensus orderer, for /v1/status and `corridor status`.
struct ConsensusStatus {
  uint64_t epoch = 0;
  uint64_t round = 0;
  uint64_t committed_height = 0;
  bool observer = false;
  // Whether this node leads the current round, and which validator (index in the set) does.
  bool leader = false;
  uint32_t leader_index = 0;
  // This node leads the round and waits for transactions before proposing (an idle network).
  bool proposal_held = false;
  size_t pending_txs = 0;
  // Envelopes in proposals and committed blocks that this node held byte for byte, decoded at
  // admission (not decoded again), and those it decoded from the block's bytes.
  uint64_t envelopes_reused = 0;
  uint64_t envelopes_decoded = 0;
  // What the consensus core sent, formed and refused.
  consensus::CoreStats core;
  // The synced writes of the safety data (before every vote, timeout and proposal), with the
  // wait for the proposal journal (and the store's log) to hold the records written since the
  // last one, over the last stage_latency_window_ms: each round waits for one, so their time is
  // part of a round's.
  LatencySummary safety_write_ms;
  // Proposal records the node's journal had no room for (or failed to take), kept in the store
  // instead (docs/protocol.md, "Proposal journal").
  uint64_t proposals_spilled = 0;
  // Transactions forwarded between validators: this node's admissions sent on to the others,
  // and peers' forwarded frames admitted or refused as not a transaction list.
  uint64_t txs_forwarded = 0;
  uint64_t forwarded_frames_admitted = 0;
  uint64_t forwarded_frames_undecodable = 0;
  // Signatures checked by f + 1 validators (docs/consensus.md): forwarded transactions this
  // node admitted on their forwarder's word alone, those it verified as a designated checker and
  // vouched for to the other validators, vouches received from peers, and vouch frames refused
  // (malformed, or from a node outside the validator set).
  uint64_t forwarded_txs_vouched_in = 0;
  uint64_t txs_vouched_out = 0;
  uint64_t vouches_received = 0;
  uint64_t vouch_frames_refused = 0;
  CompactProposalCounters compact_proposals;
  // Peer transport: refusals before or outside any channel (bad handshakes, floods, malformed
  // frames) and each peer's channel.
  uint64_t handshake_failures = 0;
  uint64_t connections_refused = 0;
  uint64_t frames_malformed = 0;
  std::vector<PeerStatus> peers;
};

class Orderer {
 public:
  virtual ~Orderer() = default;
  virtual void start(OrderedBatchSink sink) = 0;
  // Stops ordering; returns once no batch is being delivered.
  virtual void stop() = 0;
  // State sync progress, for orderers that can sync state (thread-safe).
  virtual std::optional<SyncProgress> sync_progress() const { return std::nullopt; }
  // The consensus state, for orderers that run consensus (the single-node sequencer has none).
  // Thread-safe.
  virtual std::optional<ConsensusStatus> consensus_status() const { return std::nullopt; }
};

}  // namespace corridor::node
