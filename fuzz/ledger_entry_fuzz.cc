// Stored ledger entries: a damaged store must give errors, never crashes. The first byte
// splits the input into a key and a value, which are loaded into a fresh ledger.
#include "ledger/ledger.h"

using namespace corridor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t split = data[0] % size;
  ByteView key(data + 1, split > 0 ? split - 1 : 0);
  ByteView value(data + split, size - split);
  (void)ledger::decode_entry_key(key);
  (void)ledger::decode_holding_value(value);
  (void)ledger::decode_offer_value(1, value);
  (void)ledger::decode_offer_counter_value(value);
  ledger::Ledger l;
  (void)l.load_entry(key, value);
  l.finish_load(0);
  (void)l.state_root();
  (void)l.check_invariants();
  return 0;
}
