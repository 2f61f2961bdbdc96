#include "storage/mem_kv_store.h"

#include <algorithm>
#include <string>
#include <utility>

#include "base/assert.h"

namespace corridor::storage {
namespace {

// splitmix64 (Steele, Lea and Flood): a tiny, well-mixed generator whose output is fixed by the
// seed on every platform and standard library, unlike the std distributions.
uint64_t splitmix64(uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool starts_with(ByteView key, ByteView prefix) {
  return key.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), key.begin());
}

}  // namespace

bool MemKvStore::BytesLess::operator()(ByteView a, ByteView b) const {
  // std::lexicographical_compare on uint8_t compares unsigned bytes and, unlike memcmp, is
  // defined for the null data pointer of an empty span.
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

void MemKvStore::apply(Map& map, const WriteBatch& batch) {
  for (const WriteBatch::Op& op : batch.ops()) {
    switch (op.kind) {
      case WriteBatch::Kind::put:
        map.insert_or_assign(op.key, op.value);
        break;
      case WriteBatch::Kind::erase:
        map.erase(op.key);
        break;
    }
  }
}

Result<std::optional<Bytes>> MemKvStore::get(ByteView key) const {
  std::lock_guard lock(mu_);
  auto it = visible_.find(key);
  if (it == visible_.end()) return std::optional<Bytes>();
  return std::optional<Bytes>(it->second);
}

std::optional<Bytes> MemKvStore::durable_value(ByteView key) const {
  std::lock_guard lock(mu_);
  auto it = durable_.find(key);
  if (it == durable_.end()) return std::nullopt;
  return it->second;
}

std::vector<Bytes> MemKvStore::durable_values(ByteView prefix) const {
  std::lock_guard lock(mu_);
  std::vector<Bytes> out;
  for (auto it = durable_.lower_bound(prefix);
       it != durable_.end() && it->first.size() >= prefix.size() &&
       std::equal(prefix.begin(), prefix.end(), it->first.begin());
       ++it)
    out.push_back(it->second);
  return out;
}

Status MemKvStore::write(const WriteBatch& batch, bool sync) {
  std::lock_guard lock(mu_);
  if (failing_writes_ > 0) {
    --failing_writes_;
    return io_error("injected write failure in MemKvStore (" + std::to_string(batch.size()) +
                    " operations not applied)");
  }
  apply(visible_, batch);
  if (!batch.empty()) unsynced_.push_back(batch);
  if (sync) {
    // Replaying the unsynced batches costs only what was written since the last sync, where
    // copying visible_ would cost the size of the whole state on every block.
    for (const WriteBatch& pending : unsynced_) apply(durable_, pending);
    unsynced_.clear();
    ++sync_count_;
  }
  return Status::ok_status();
}

Status MemKvStore::scan_prefix(ByteView prefix, const ScanVisitor& visit) const {
  std::vector<std::pair<Bytes, Bytes>> snapshot;
  {
    std::lock_guard lock(mu_);
    for (auto it = visible_.lower_bound(prefix); it != visible_.end(); ++it) {
      if (!starts_with(it->first, prefix)) break;
      snapshot.emplace_back(it->first, it->second);
    }
  }
  for (const auto& [key, value] : snapshot) {
    if (!visit(key, value)) break;
  }
  return Status::ok_status();
}

class MemKvStore::Snapshot final : public KvSnapshot {
 public:
  explicit Snapshot(Map map) : map_(std::move(map)) {}

  Result<std::optional<Bytes>> get(ByteView key) const override {
    auto it = map_.find(key);
    if (it == map_.end()) return std::optional<Bytes>();
    return std::optional<Bytes>(it->second);
  }

  Status scan_range(ByteView start, std::optional<ByteView> end,
                    const ScanVisitor& visit) const override {
    // The map never changes, so the visitor may do anything, including reading this snapshot.
    for (auto it = map_.lower_bound(start); it != map_.end(); ++it) {
      if (end && !BytesLess()(it->first, *end)) break;
      if (!visit(it->first, it->second)) break;
    }
    return Status::ok_status();
  }

 private:
  const Map map_;
};

Result<std::shared_ptr<const KvSnapshot>> MemKvStore::snapshot() const {
  std::lock_guard lock(mu_);
  return std::shared_ptr<const KvSnapshot>(std::make_shared<Snapshot>(visible_));
}

void MemKvStore::crash(uint64_t seed) {
  std::lock_guard lock(mu_);
  uint64_t state = seed;
  const uint64_t choices = static_cast<uint64_t>(unsynced_.size()) + 1;
  crash_keeping(static_cast<size_t>(splitmix64(state) % choices));
}

void MemKvStore::crash_lose_all_unsynced() {
  std::lock_guard lock(mu_);
  crash_keeping(0);
}

void MemKvStore::crash_keeping(size_t kept_batches) {
  CORRIDOR_ASSERT(kept_batches <= unsynced_.size());
  for (size_t i = 0; i < kept_batches; ++i) apply(durable_, unsynced_[i]);
  unsynced_.clear();
  visible_ = durable_;
}

size_t MemKvStore::unsynced_batches() const {
  std::lock_guard lock(mu_);
  return unsynced_.size();
}

uint64_t MemKvStore::sync_count() const {
  std::lock_guard lock(mu_);
  return sync_count_;
}

void MemKvStore::fail_next_writes(int n) {
  CORRIDOR_ASSERT_MSG(n >= 0, "fail_next_writes needs a non-negative count");
  std::lock_guard lock(mu_);
  failing_writes_ = n;
}

}  // namespace corridor::storage
