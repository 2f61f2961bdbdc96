#include "storage/kv_cell.h"

#include <string>

namespace corridor::storage {

Result<std::optional<Bytes>> KvCell::read() const {
  return kv_->get(key_);
}

Status KvCell::write(ByteView record) {
  if (record.size() > durable_cell_record_bytes_max)
    return invalid_argument("a durable cell holds at most " +
                            std::to_string(durable_cell_record_bytes_max) + " bytes");
  WriteBatch batch;
  batch.put(key_, record);
  return kv_->write(batch, true);
}

}  // namespace corridor::storage
