// Compact proposal payloads from peers (channel 3): expanding never crashes. The receiver here
// holds two envelopes. A compact form that expands with nothing missing gives a well-formed
// payload, and compacting that payload again with the same holdings expands to it once more.
#include <algorithm>
#include <array>

#include "base/assert.h"
#include "ledger/payload.h"
#include "node/compact_proposal.h"

using namespace corridor;

namespace {

struct Held {
  Hash256 id;
  Bytes envelope;
};

std::array<Held, 2> held_envelopes() {
  std::array<Held, 2> out;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].envelope = Bytes(3 + i, static_cast<uint8_t>(i + 1));
    out[i].id = sha256(out[i].envelope);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::array<Held, 2> held = held_envelopes();
  auto envelope_of = [](const Hash256& id) -> std::optional<ByteView> {
    for (const Held& h : held)
      if (h.id == id) return ByteView(h.envelope);
    return std::nullopt;
  };
  auto id_of = [](ByteView envelope) -> std::optional<Hash256> {
    for (const Held& h : held)
      if (std::ranges::equal(envelope, h.envelope)) return h.id;
    return std::nullopt;
  };
  auto expanded = node::expand_payload(ByteView(data, size), envelope_of);
  if (!expanded.ok()) return 0;
  CORRIDOR_ASSERT_MSG(expanded->missing <= expanded->ids, "more missing than named by id");
  if (expanded->missing != 0) {
    CORRIDOR_ASSERT_MSG(expanded->payload.empty(), "a payload despite a missing transaction");
    return 0;
  }
  const auto views = ledger::split_payload(expanded->payload);
  CORRIDOR_ASSERT_MSG(views.has_value(), "an expanded payload is not a well-formed list");
  const auto again = node::compact_payload(expanded->payload, id_of);
  CORRIDOR_ASSERT_MSG(again.has_value(), "an expanded payload cannot be compacted");
  auto round_trip = node::expand_payload(again->bytes, envelope_of);
  CORRIDOR_ASSERT_MSG(
      round_trip.ok() && round_trip->missing == 0 && round_trip->payload == expanded->payload,
      "compacting and expanding again changed the payload");
  return 0;
}
