// Decimal amounts from users: parsing never crashes, and what parses formats back to a string
// that parses to the same value.
#include <string>

#include "base/amount.h"
#include "base/assert.h"

using namespace corridor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t scale = data[0] % (asset_scale_max + 2);
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto a = parse_amount(text, scale);
  if (!a.ok()) return 0;
  auto again = parse_amount(format_amount(*a, scale), scale);
  CORRIDOR_ASSERT_MSG(again.ok() && *again == *a, "amount does not round-trip");
  return 0;
}
