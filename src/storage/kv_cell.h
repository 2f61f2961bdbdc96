// A DurableCell kept under one key of a KvStore, written with a synced batch. Tests and the
// simulator use it over their in-memory store, whose crash semantics then apply to the cell.
#pragma once

#include <memory>

#include "storage/durable_cell.h"
#include "storage/kv_store.h"

namespace corridor::storage {

class KvCell final : public DurableCell {
 public:
  KvCell(std::shared_ptr<KvStore> kv, Bytes key) : kv_(std::move(kv)), key_(std::move(key)) {}

  [[nodiscard]] Result<std::optional<Bytes>> read() const override;

 private:
  [[nodiscard]] Status write_record(ByteView record) override;

  std::shared_ptr<KvStore> kv_;
  Bytes key_;
};

}  // namespace corridor::storage
