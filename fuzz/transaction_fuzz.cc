// Transaction envelopes: decoding never crashes, and whatever decodes re-encodes to exactly
// the input (one encoding per value) and passes through the stateless checks safely.
#include "base/assert.h"
#include "ledger/transaction.h"

using namespace corridor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto tx = ledger::decode_transaction(ByteView(data, size));
  if (!tx.ok()) return 0;
  Bytes again = ledger::encode_transaction(*tx);
  CORRIDOR_ASSERT_MSG(again == Bytes(data, data + size), "transaction encoding is not canonical");
  (void)ledger::check_stateless(*tx, tx->network_id, /*verify_signatures=*/false);
  return 0;
}
