// Transaction lists from peers: the forwarded transactions of channel 1 and a block's payload
// share this encoding. Splitting and decoding never crash, agree on whether the list is well
// formed, and a well-formed list re-encodes to exactly the input.
#include "base/assert.h"
#include "ledger/payload.h"

using namespace corridor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in(data, size);
  const auto views = ledger::split_payload(in);
  const auto txs = ledger::decode_payload_txs(in);
  CORRIDOR_ASSERT_MSG(views.has_value() == txs.has_value(),
                      "split_payload and decode_payload_txs disagree on a list");
  if (!views) return 0;
  std::vector<Bytes> envelopes;
  envelopes.reserve(views->size());
  for (ByteView v : *views) envelopes.emplace_back(v.begin(), v.end());
  CORRIDOR_ASSERT_MSG(ledger::encode_payload(envelopes) == Bytes(data, data + size),
                      "payload encoding is not canonical");
  // Envelopes that do not decode are skipped; those that do are kept with their own bytes.
  CORRIDOR_ASSERT_MSG(txs->size() <= views->size(), "more transactions than envelopes");
  for (const auto& t : *txs)
    CORRIDOR_ASSERT_MSG(ledger::encode_transaction(t.tx) == t.envelope,
                        "a decoded transaction is not its envelope");
  return 0;
}
