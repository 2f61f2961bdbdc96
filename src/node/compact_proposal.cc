#include "node/compact_proposal.h"

#include <string>
#include <vector>

#include "base/encoding.h"
#include "ledger/limits.h"
#include "ledger/payload.h"

namespace corridor::node {

std::optional<CompactPayload> compact_payload(ByteView payload, const EnvelopeIdLookup& id_of) {
  const auto envelopes = ledger::split_payload(payload);
  if (!envelopes) return std::nullopt;
  CompactPayload out;
  // At most the payload's own size: an id entry (33 bytes) replaces at least a length and an
  // envelope, and a whole one costs one tag byte more.
  out.bytes.reserve(payload.size() + envelopes->size());
  Writer w(out.bytes);
  w.u32(static_cast<uint32_t>(envelopes->size()));
  for (ByteView envelope : *envelopes) {
    if (const auto id = id_of(envelope)) {
      w.u8(compact_entry_id);
      w.fixed(*id);
      ++out.ids;
    } else {
      w.u8(compact_entry_envelope);
      w.var_bytes(envelope);
    }
  }
  return out;
}

Result<ExpandedPayload> expand_payload(ByteView compact, const EnvelopeLookup& envelope_of) {
  Reader r(compact);
  uint32_t count = 0;
  if (!r.u32(count)) return invalid_argument("compact payload: truncated count");
  if (count > ledger::block_txs_max)
    return invalid_argument("compact payload: " + std::to_string(count) +
                            " entries, above the block's limit");
  // The envelopes are gathered as views (into `compact` or into what `envelope_of` holds) and
  // copied once, into the payload, when every one is at hand.
  std::vector<ByteView> envelopes;
  envelopes.reserve(count);
  ExpandedPayload out;
  for (uint32_t i = 0; i < count; ++i) {
    uint8_t tag = 0;
    if (!r.u8(tag)) return invalid_argument("compact payload: truncated entry");
    if (tag == compact_entry_id) {
      Hash256 id;
      if (!r.fixed(id)) return invalid_argument("compact payload: truncated transaction id");
      ++out.ids;
      const auto envelope = envelope_of(id);
      if (!envelope) {
        ++out.missing;
        continue;
      }
      envelopes.push_back(*envelope);
    } else if (tag == compact_entry_envelope) {
      ByteView envelope;
      if (!r.var_bytes(envelope, ledger::tx_bytes_max))
        return invalid_argument("compact payload: truncated or oversized envelope");
      envelopes.push_back(envelope);
    } else {
      return invalid_argument("compact payload: unknown entry tag " + std::to_string(tag));
    }
  }
  CORRIDOR_RETURN_IF_ERROR(r.finish("compact payload"));
  if (out.missing > 0) return out;
  size_t size = sizeof(uint32_t);
  for (ByteView e : envelopes) size += sizeof(uint32_t) + e.size();
  out.payload.reserve(size);
  Writer w(out.payload);
  w.u32(count);
  for (ByteView e : envelopes) w.var_bytes(e);
  return out;
}

}  // namespace corridor::node
