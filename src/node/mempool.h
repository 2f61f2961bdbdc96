// Transactions admitted but not yet in a block, in arrival order. Bounded in transactions and
// in operations; a full mempool refuses with an explicit answer, so nothing the node
// acknowledged as accepted is ever dropped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "base/bytes.h"
#include "ledger/transaction.h"

namespace corridor::node {

struct PendingTx {
  ledger::Transaction tx;
  Bytes envelope;
  // Forwarded by another validator's mempool rather than submitted to this node's API; the
  // BFT orderer does not forward it again.
  bool from_peer = false;
};

class Mempool {
 public:
  Mempool(uint32_t txs_max, uint32_t ops_max) : txs_max_(txs_max), ops_max_(ops_max) {}

  enum class AddResult { added, already_pending, full };
  AddResult add(PendingTx tx);

  // Blocks until at least one transaction is pending and either `linger` has passed since the
  // first one arrived or `ops_ready` operations are waiting; or until close() or `timeout`.
  // Returns up to txs_max transactions holding at most ops_max operations and whose block
  // encoding fits in bytes_max (always at least one transaction when any is pending).
  std::vector<PendingTx> take(uint32_t txs_max, uint32_t ops_max, size_t bytes_max,
                              std::chrono::milliseconds linger, std::chrono::milliseconds timeout);

  // `fn` is called on the adding thread whenever an add makes an empty mempool non-empty: one
  // call per emptying, however many transactions follow, so that a consumer woken by it drains
  // a burst at once. It runs under the mempool's lock and must not call the mempool; once this
  // returns, no call to the listener it replaced is running. An empty function removes it.
  void set_on_first_added(std::function<void()> fn);

  bool is_pending(const Hash256& id) const;
  // Whether a transaction of `ops` operations would fit now (add() decides for good; this lets
  // admission refuse a full mempool before it pays for a signature verification).
  bool has_room(size_t ops) const;
  void close();
  size_t size() const;
  size_t ops() const;

 private:
  const uint32_t txs_max_;
  const uint32_t ops_max_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PendingTx> queue_;
  std::unordered_set<Hash256, FixedBytesHasher> ids_;
  size_t ops_ = 0;
  bool closed_ = false;
  std::chrono::steady_clock::time_point oldest_arrival_;
  std::function<void()> on_first_added_;
};

}  // namespace corridor::node
