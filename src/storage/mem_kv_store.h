// An in-memory KvStore that models what a disk keeps across power loss, for unit tests and the
// deterministic simulator. It separates the visible state (what reads see) from the durable
// state (what survives a crash), so tests can check that a node never reports a block final
// before it is synced, and that it recovers from whatever prefix of unsynced writes survived.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "storage/kv_store.h"

namespace corridor::storage {

class MemKvStore final : public KvStore {
 public:
  MemKvStore() = default;
  MemKvStore(const MemKvStore&) = delete;
  MemKvStore& operator=(const MemKvStore&) = delete;

  [[nodiscard]] Result<std::optional<Bytes>> get(ByteView key) const override;

  // Applies the batch to the visible state. Without sync the batch joins the list of unsynced
  // batches that a crash may lose; with sync it and every earlier batch become durable.
  [[nodiscard]] Status write(const WriteBatch& batch, bool sync) override;

  // Visits a snapshot of the matching entries taken when the scan starts, so the visitor may
  // call back into the store (even write to it) without deadlocking or seeing its own writes.
  [[nodiscard]] Status scan_prefix(ByteView prefix, const ScanVisitor& visit) const override;

  // A copy of the visible state (linear in its size: this store serves tests and the
  // simulator, whose states are small). A later crash() does not change it.
  [[nodiscard]] Result<std::shared_ptr<const KvSnapshot>> snapshot() const override;

  // Simulates power loss: the visible state becomes the durable state plus the first k unsynced
  // batches, where k in [0, unsynced_batches()] is drawn from a PRNG seeded with seed. The same
  // history and seed always give the same k. Batches that survive are durable afterwards, as
  // they are on a real disk once recovery has replayed the write-ahead log.
  void crash(uint64_t seed);

  // Simulates the worst power loss: every unsynced batch is lost.
  void crash_lose_all_unsynced();

  // What the worst power loss now would leave under key: the durable state's value, whatever
  // the unsynced batches did to it since. Lets a test check what a node's action rests on at
  // the moment it acts.
  [[nodiscard]] std::optional<Bytes> durable_value(ByteView key) const;
  // The same for every key that starts with `prefix`: their durable values, in key order.
  [[nodiscard]] std::vector<Bytes> durable_values(ByteView prefix) const;

  // Batches written without sync since the last synced write or crash. Empty batches change
  // nothing, so they are not counted.
  size_t unsynced_batches() const;

  // Successful write() calls made with sync, counted since construction.
  uint64_t sync_count() const;

  // Fault injection: the next n write() calls fail with io_error and apply nothing, not even the
  // sync of earlier batches. Replaces any previously requested count; n must not be negative.
  void fail_next_writes(int n);

 private:
  // Orders keys bytewise as unsigned bytes (RocksDB's default comparator) and lets lookups take
  // a ByteView without first copying it into a Bytes.
  struct BytesLess {
    using is_transparent = void;
    bool operator()(ByteView a, ByteView b) const;
  };
  using Map = std::map<Bytes, Bytes, BytesLess>;
  class Snapshot;

  static void apply(Map& map, const WriteBatch& batch);
  // Rebuilds the visible state from the durable state plus the first kept_batches unsynced
  // batches, which then become durable. The caller holds mu_.
  void crash_keeping(size_t kept_batches);

  mutable std::mutex mu_;
  Map visible_;
  Map durable_;
  std::vector<WriteBatch> unsynced_;
  uint64_t sync_count_ = 0;
  int failing_writes_ = 0;
};

}  // namespace corridor::storage
