#include "ledger/store_overlay.h"

#include <algorithm>

#include "base/assert.h"

namespace corridor::ledger {

namespace {

bool view_less(ByteView a, ByteView b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

}  // namespace

ByteView StoreOverlay::key(size_t i) const {
  CORRIDOR_ASSERT(i < entries_.size());
  const Entry& e = entries_[i];
  return ByteView(bytes_).subspan(e.key_begin, e.key_size);
}

StoreOverlay::Change StoreOverlay::at(size_t i) const {
  Change c{key(i), std::nullopt};
  const Entry& e = entries_[i];
  if (e.value_end != deleted_value) {
    const uint32_t value_begin = e.key_begin + e.key_size;
    c.value = ByteView(bytes_).subspan(value_begin, e.value_end - value_begin);
  }
  return c;
}

size_t StoreOverlay::lower_bound(ByteView key) const {
  size_t lo = 0, hi = entries_.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (view_less(this->key(mid), key))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

void StoreOverlay::Builder::reserve(size_t changes, size_t bytes) {
  entries_.reserve(changes);
  bytes_.reserve(bytes);
}

void StoreOverlay::Builder::add(ByteView key, std::optional<ByteView> value) {
  add_parts({}, key, value);
}

void StoreOverlay::Builder::add(uint8_t prefix, ByteView key, std::optional<ByteView> value) {
  add_parts(ByteView(&prefix, 1), key, value);
}

void StoreOverlay::Builder::add_parts(ByteView head, ByteView key, std::optional<ByteView> value) {
  Bytes& b = bytes_;
  const size_t key_begin = b.size();
  const size_t key_size = head.size() + key.size();
  const size_t end = key_begin + key_size + (value ? value->size() : 0);
  CORRIDOR_ASSERT_MSG(end < deleted_value, "a store overlay of 4 GiB or more");
  b.insert(b.end(), head.begin(), head.end());
  b.insert(b.end(), key.begin(), key.end());
  if (value) b.insert(b.end(), value->begin(), value->end());
  const ByteView added = ByteView(b).subspan(key_begin, key_size);
  if (!entries_.empty()) {
    const Entry& last = entries_.back();
    CORRIDOR_ASSERT_MSG(view_less(ByteView(b).subspan(last.key_begin, last.key_size), added),
                        "store overlay keys out of order");
  }
  entries_.push_back({static_cast<uint32_t>(key_begin), static_cast<uint32_t>(key_size),
                      value ? static_cast<uint32_t>(end) : deleted_value});
}

StoreOverlay StoreOverlay::Builder::finish() && {
  StoreOverlay out;
  out.bytes_ = std::move(bytes_);
  out.entries_ = std::move(entries_);
  return out;
}

}  // namespace corridor::ledger
