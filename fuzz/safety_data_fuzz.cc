// Persisted consensus safety data: a damaged record is an error, never a crash.
#include "base/assert.h"
#include "consensus/safety_rules.h"

using namespace corridor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto s = consensus::decode_safety_data(ByteView(data, size));
  if (s.ok())
    CORRIDOR_ASSERT_MSG(consensus::encode_safety_data(*s) == Bytes(data, data + size),
                        "safety data encoding is not canonical");
  return 0;
}
