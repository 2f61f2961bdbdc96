#include "storage/kv_cell.h"

namespace corridor::storage {

Result<std::optional<Bytes>> KvCell::read() const {
  return kv_->get(key_);
}

Status KvCell::write_record(ByteView record) {
  WriteBatch batch;
  batch.put(key_, record);
  return kv_->write(batch, true);
}

}  // namespace corridor::storage
