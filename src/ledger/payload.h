// The payload of a consensus block: the transactions a proposer ordered, as their canonical
// envelopes. Defined once here so that the node and the simulator execute the same bytes the
// same way (docs/protocol.md, "Block payload"). The same list encoding carries transactions
// forwarded between validators' mempools.
//
//   u32 count, then count times var_bytes(envelope)
#pragma once

#include <optional>
#include <vector>

#include "base/bytes.h"
#include "ledger/transaction.h"

namespace corridor::ledger {

struct PayloadTx {
  Transaction tx;
  Bytes envelope;
};

Bytes encode_payload(const std::vector<Bytes>& envelopes);
// The envelopes of a payload as views into it, none decoded: nullopt when the list itself is
// not well formed (the same rule as decode_payload_txs). For a reader that holds some of the
// transactions decoded already and decodes only the others.
std::optional<std::vector<ByteView>> split_payload(ByteView payload);
// nullopt when the list itself is not well formed (count above block_txs_max, an envelope above
// tx_bytes_max, truncated or trailing bytes). Envelopes that do not decode as transactions are
// skipped, so a Byzantine proposer's garbage is executed the same way by every honest node.
std::optional<std::vector<PayloadTx>> decode_payload_txs(ByteView payload);
std::optional<std::vector<Transaction>> decode_payload(ByteView payload);

}  // namespace corridor::ledger
