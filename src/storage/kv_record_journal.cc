#include "storage/kv_record_journal.h"

#include "base/encoding.h"

namespace corridor::storage {
namespace {

constexpr size_t sequence_bytes = 8;
constexpr size_t height_bytes = 8;

}  // namespace

Result<std::unique_ptr<KvRecordJournal>> KvRecordJournal::open(std::shared_ptr<KvStore> kv,
                                                               Bytes prefix, size_t bytes_max) {
  std::unique_ptr<KvRecordJournal> j(
      new KvRecordJournal(std::move(kv), std::move(prefix), bytes_max));
  Status bad = Status::ok_status();
  Status st = j->kv_->scan_prefix(j->prefix_, [&](ByteView k, ByteView v) {
    if (k.size() != j->prefix_.size() + sequence_bytes || v.size() < height_bytes) {
      bad = corruption("a record journal key or value of the wrong size under its prefix");
      return false;
    }
    const uint64_t sequence = get_be64(k.subspan(j->prefix_.size()));
    j->live_[sequence] = Live{get_be64(v), v.size() - height_bytes};
    j->live_bytes_ += v.size() - height_bytes;
    j->next_sequence_ = sequence + 1;
    return true;
  });
  CORRIDOR_RETURN_IF_ERROR(st);
  CORRIDOR_RETURN_IF_ERROR(bad);
  return j;
}

Bytes KvRecordJournal::key_of(uint64_t sequence) const {
  Bytes k = prefix_;
  put_be64(k, sequence);
  return k;
}

Status KvRecordJournal::append(uint64_t height, ByteView body) {
  if (bytes_max_ != 0 && live_bytes_ + body.size() > bytes_max_)
    return resource_exhausted("the record journal is full");
  Bytes value;
  value.reserve(height_bytes + body.size());
  put_be64(value, height);
  value.insert(value.end(), body.begin(), body.end());
  WriteBatch batch;
  batch.put(key_of(next_sequence_), value);
  CORRIDOR_RETURN_IF_ERROR(kv_->write(batch, /*sync=*/false));
  live_[next_sequence_++] = Live{height, body.size()};
  live_bytes_ += body.size();
  return Status::ok_status();
}

Status KvRecordJournal::sync() {
  // An empty synced write syncs every write made before it (kv_store.h).
  return kv_->write(WriteBatch{}, /*sync=*/true);
}

void KvRecordJournal::release_through(uint64_t height) {
  WriteBatch batch;
  for (auto it = live_.begin(); it != live_.end();) {
    if (it->second.height > height) {
      ++it;
      continue;
    }
    batch.erase(key_of(it->first));
    live_bytes_ -= it->second.bytes;
    it = live_.erase(it);
  }
  // A failed erase leaves records that readers skip by height; the next clear() erases them.
  if (!batch.empty()) (void)kv_->write(batch, /*sync=*/false);
}

Status KvRecordJournal::clear() {
  WriteBatch batch;
  Status st = kv_->scan_prefix(prefix_, [&](ByteView k, ByteView) {
    batch.erase(k);
    return true;
  });
  CORRIDOR_RETURN_IF_ERROR(st);
  CORRIDOR_RETURN_IF_ERROR(kv_->write(batch, /*sync=*/true));
  live_.clear();
  live_bytes_ = 0;
  return Status::ok_status();
}

Result<std::vector<JournalRecord>> KvRecordJournal::read_all() const {
  std::vector<JournalRecord> out;
  Status bad = Status::ok_status();
  Status st = kv_->scan_prefix(prefix_, [&](ByteView k, ByteView v) {
    if (k.size() != prefix_.size() + sequence_bytes || v.size() < height_bytes) {
      bad = corruption("a record journal key or value of the wrong size under its prefix");
      return false;
    }
    // Keys sort by sequence number: the records come in the order they were appended.
    out.push_back(JournalRecord{get_be64(v), Bytes(v.begin() + height_bytes, v.end())});
    return true;
  });
  CORRIDOR_RETURN_IF_ERROR(st);
  CORRIDOR_RETURN_IF_ERROR(bad);
  return out;
}

}  // namespace corridor::storage
