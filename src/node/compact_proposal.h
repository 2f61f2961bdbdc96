// Compact proposals: a leader's proposal as it travels to its peers, with each transaction the
// peers already hold named by its id instead of carried whole (docs/protocol.md, "Compact
// proposals").
//
// Every validator forwards what its API admits to all the others, so by the time a leader
// proposes a transaction its peers have admitted it already: carrying the envelope again made a
// proposal of 2,300 transfers about 160 KB that the leader encrypted once per peer and each peer
// decrypted, while a vote of the same round is a few hundred bytes. The compact form is a
// transport encoding only: a peer rebuilds the payload from the envelopes it holds, byte for
// byte, checks the rebuilt block against the id the leader signed, and hands its consensus core
// the same proposal the full form would have given it. A peer that lacks a transaction, or
// holds other bytes under its id (other signatures: the id does not cover them), asks the
// leader for the full proposal instead.
//
// Compact payload:
//
//   u32 count, then count times either
//     u8 0 || bytes[32] transaction id      a transaction the receiver is expected to hold
//     u8 1 || var_bytes(envelope)           one carried whole
//
// with the limits of the block payload (at most block_txs_max entries, envelopes of at most
// tx_bytes_max bytes, nothing after the last entry).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "base/bytes.h"
#include "base/hash.h"
#include "base/status.h"

namespace corridor::node {

inline constexpr uint8_t compact_entry_id = 0;
inline constexpr uint8_t compact_entry_envelope = 1;

// The id of the transaction whose envelope is exactly these bytes, if this node holds it.
using EnvelopeIdLookup = std::function<std::optional<Hash256>(ByteView envelope)>;
// The envelope this node holds for a transaction id, if any. The view must stay valid until
// expand_payload returns.
using EnvelopeLookup = std::function<std::optional<ByteView>(const Hash256& id)>;

struct CompactPayload {
  Bytes bytes;
  size_t ids = 0;  // Entries named by id; the rest are carried whole.
};

// The compact form of a block payload, naming by id each envelope `id_of` knows. nullopt when
// the payload is not a well-formed list: such a payload travels as it is.
std::optional<CompactPayload> compact_payload(ByteView payload, const EnvelopeIdLookup& id_of);

struct ExpandedPayload {
  Bytes payload;       // The block payload; empty when some id is missing.
  size_t ids = 0;      // Entries named by id.
  size_t missing = 0;  // Of those, the ones `envelope_of` does not hold.
};

// The block payload a compact form stands for. An error when the compact form is malformed.
[[nodiscard]] Result<ExpandedPayload> expand_payload(ByteView compact,
                                                     const EnvelopeLookup& envelope_of);

}  // namespace corridor::node
