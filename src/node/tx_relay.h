// Moves transactions between validators without the consensus loop or the network thread.
//
// Outgoing: what this node's API admitted goes to every other validator at once, so that
// whoever leads the next round can propose it. The admitting thread only queues the
// envelope; the relay's sender thread takes everything queued, one frame per peer, so
// forwards coalesce while it is busy and a burst costs few frames. Before, the consensus loop
// forwarded on its 5 ms tick, and a loop busy with a large proposal held every forward back.
//
// Incoming: what peers forwarded is decoded and admitted (its signatures verified) on the
// relay's admitter thread. Before, that ran on the network's I/O thread, and consensus frames
// waited behind a burst of large transactions being verified.
//
// Both queues are bounded. A forward dropped over a bound loses nothing: the transaction stays
// in its validator's mempool, which proposes it when it leads, and peers that missed it take
// it from that block.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "base/keys.h"
#include "ledger/transaction.h"

namespace corridor::node {

// Envelope bytes this node's API admitted and the sender has not taken yet. Above it, forward()
// drops (counted): the sender cannot keep up, and the transaction still reaches the chain
// through this node's own proposals.
inline constexpr size_t relay_outgoing_bytes_max = 64 << 20;
// Envelope bytes in one outgoing frame. A larger batch goes in several frames, so one frame
// never holds the peer's queue (and the consensus frames behind it) for long.
inline constexpr size_t relay_frame_bytes_max = 4 << 20;
// Forwarded frame bytes received and not yet admitted. Above it, a frame is dropped (counted):
// the admitter is behind, and a peer's flood cannot grow this node's memory.
inline constexpr size_t relay_incoming_bytes_max = 64 << 20;

struct TxRelayCounters {
  uint64_t txs_forwarded = 0;       // Envelopes sent on (each to every peer).
  uint64_t frames_sent = 0;         // Frames sent, counted once per peer.
  uint64_t forwards_dropped = 0;    // Envelopes not forwarded: the outgoing queue was full.
  uint64_t frames_admitted = 0;     // Forwarded frames decoded and admitted.
  uint64_t frames_undecodable = 0;  // Forwarded frames that were not a transaction list.
  uint64_t frames_dropped = 0;      // Forwarded frames dropped: the incoming queue was full.
};

class TxRelay {
 public:
  // Sends one frame body (a transaction list in the payload encoding) to a peer. Called on the
  // sender thread; must be thread-safe and must not block for long.
  using SendFn = std::function<void(const PublicKey& peer, const Bytes& body)>;
  // Admits one transaction a peer forwarded. Called on the admitter thread.
  using AdmitFn = std::function<void(ledger::Transaction tx, Bytes envelope)>;

  TxRelay(SendFn send, AdmitFn admit);
  ~TxRelay();
  TxRelay(const TxRelay&) = delete;
  TxRelay& operator=(const TxRelay&) = delete;

  void start();
  // Joins both threads; what is still queued is dropped (peers and the mempool hold it).
  void stop();

  // Where forwards go: the validators other than this node. Thread-safe.
  void set_peers(std::vector<PublicKey> peers);
  // Queues an envelope this node's API admitted. Thread-safe; never blocks on the network.
  void forward(Bytes envelope);
  // Queues a forwarded frame's body (the payload encoding) for admission. Thread-safe.
  void admit_forwarded(Bytes body);

  TxRelayCounters counters() const;

 private:
  void run_sender();
  void run_admitter();

  SendFn send_;
  AdmitFn admit_;

  mutable std::mutex mu_;
  std::condition_variable out_cv_;
  std::condition_variable in_cv_;
  bool stopping_ = false;
  std::vector<PublicKey> peers_;
  std::vector<Bytes> outgoing_;
  size_t outgoing_bytes_ = 0;
  std::deque<Bytes> incoming_;
  size_t incoming_bytes_ = 0;
  TxRelayCounters counters_;

  std::thread sender_;
  std::thread admitter_;
};

}  // namespace corridor::node
