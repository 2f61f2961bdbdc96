// State sync messages from peers (channel 2): decoding never crashes, whatever decodes
// re-encodes to exactly the input, and an offer goes through the whole offer check against a
// fixed validator set without crashing (its evidence cannot carry valid signatures here, so the
// check runs as far as a forged offer can take it).
#include "base/assert.h"
#include "base/keys.h"
#include "consensus/types.h"
#include "node/state_sync.h"

using namespace corridor;

namespace {

consensus::ValidatorSet fixed_set() {
  crypto_init();
  std::vector<PublicKey> keys;
  for (uint8_t n = 1; n <= 4; ++n) {
    Seed s;
    s.bytes.fill(n);
    keys.push_back(KeyPair::from_seed(s).public_key());
  }
  return consensus::ValidatorSet(0, std::move(keys));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const consensus::ValidatorSet trusted = fixed_set();
  auto m = node::decode_sync_message(ByteView(data, size));
  if (!m.ok()) return 0;
  CORRIDOR_ASSERT_MSG(node::encode_sync_message(*m) == Bytes(data, data + size),
                      "state sync message encoding is not canonical");
  if (const auto* offer = std::get_if<node::CheckpointOffer>(&*m)) {
    (void)node::verify_offer(*offer, trusted, 0);
    (void)node::verify_offer(*offer, trusted, offer->height);
  }
  return 0;
}
