// Consensus messages from peers: decoding never crashes; decoded messages re-encode exactly.
#include "base/assert.h"
#include "consensus/types.h"

using namespace corridor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = consensus::decode_message(ByteView(data, size));
  if (!m.ok()) return 0;
  CORRIDOR_ASSERT_MSG(consensus::encode_message(*m) == Bytes(data, data + size),
                      "consensus message encoding is not canonical");
  return 0;
}
