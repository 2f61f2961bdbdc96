// Blocks and block results: decoding never crashes; decoded blocks re-encode to the input.
#include "base/assert.h"
#include "ledger/block.h"

using namespace corridor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  if (auto b = ledger::decode_block(in); b.ok())
    CORRIDOR_ASSERT_MSG(ledger::encode_block(*b) == Bytes(data, data + size),
                        "block encoding is not canonical");
  if (auto r = ledger::decode_block_result(in); r.ok())
    CORRIDOR_ASSERT_MSG(ledger::encode_block_result(*r) == Bytes(data, data + size),
                        "block result encoding is not canonical");
  return 0;
}
