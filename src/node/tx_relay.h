// Moves transactions between validators without the consensus loop.
//
// Outgoing: what this node's API admitted goes to every other validator at once, so that
// whoever leads the next round can propose it. The admitting thread only queues the
// envelope; the relay's sender thread lets forwards gather for relay_linger_us, then sends
// everything queued in one frame per peer, so a burst costs few frames. Before, the consensus
// loop forwarded what it drained from the mempool on its 5 ms tick, and a loop busy with a
// large proposal held every forward back.
//
// Incoming: a peer's frame is decoded and admitted on the thread that read it, the network's.
// That keeps each peer's frames in order: a transaction a validator forwarded is admitted
// (its signatures verified, off the executor) before that validator's proposal carrying it is
// read, and the block then takes it decoded and verified. Admitting on a thread of its own
// was tried and measured: proposals overtook the forwards, the executor verified the
// signatures itself, and individually signed throughput fell (docs/benchmarks.md).
//
// The outgoing queue is bounded. A forward dropped over the bound loses nothing: the
// transaction stays in its validator's mempool, which proposes it when it leads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
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
// How long the sender lets forwards gather after the first of them before it sends: a client's
// batch of envelopes is admitted one by one, each after its signature check, and one frame
// for many of them costs the peers far less (one seal, one read, one wake-up) than a frame
// each. Short next to a round.
inline constexpr uint32_t relay_linger_us = 2'000;
// Envelope bytes in one outgoing frame. A larger batch goes in several frames, so one frame
// never holds the peer's queue (and the consensus frames behind it) for long.
inline constexpr size_t relay_frame_bytes_max = 4 << 20;

struct TxRelayCounters {
  uint64_t txs_forwarded = 0;       // Envelopes sent on (each to every peer).
  uint64_t frames_sent = 0;         // Frames sent, counted once per peer.
  uint64_t forwards_dropped = 0;    // Envelopes not forwarded: the outgoing queue was full.
  uint64_t frames_admitted = 0;     // Forwarded frames decoded and admitted.
  uint64_t frames_undecodable = 0;  // Forwarded frames that were not a transaction list.
};

class TxRelay {
 public:
  // Sends one frame body (a transaction list in the payload encoding) to a peer. Called on the
  // sender thread; must be thread-safe and must not block for long.
  using SendFn = std::function<void(const PublicKey& peer, const Bytes& body)>;
  // Admits one transaction a peer forwarded. Called on the thread that calls admit().
  using AdmitFn = std::function<void(ledger::Transaction tx, Bytes envelope)>;

  TxRelay(SendFn send, AdmitFn admit);
  ~TxRelay();
  TxRelay(const TxRelay&) = delete;
  TxRelay& operator=(const TxRelay&) = delete;

  void start();
  // Joins the sender; what is still queued is dropped (the mempool holds it).
  void stop();

  // Where forwards go: the validators other than this node. Thread-safe.
  void set_peers(std::vector<PublicKey> peers);
  // Queues an envelope this node's API admitted. Thread-safe; never blocks on the network.
  void forward(Bytes envelope);
  // Decodes a forwarded frame's body (the payload encoding) and admits its transactions, on
  // the calling thread. Thread-safe.
  void admit(ByteView body);

  TxRelayCounters counters() const;

 private:
  void run_sender();

  SendFn send_;
  AdmitFn admit_;

  mutable std::mutex mu_;
  std::condition_variable out_cv_;
  bool stopping_ = false;
  std::vector<PublicKey> peers_;
  std::vector<Bytes> outgoing_;
  size_t outgoing_bytes_ = 0;
  TxRelayCounters counters_;

  std::thread sender_;
};

}  // namespace corridor::node
