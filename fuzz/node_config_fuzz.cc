// Node configuration text: any input gives a config or an error, never a crash, and an
// accepted config round-trips through its TOML form.
#include <string>

#include "base/assert.h"
#include "node/config.h"

using namespace corridor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto c = node::parse_node_config(std::string(reinterpret_cast<const char*>(data), size));
  if (!c.ok()) return 0;
  auto again = node::parse_node_config(node::node_config_to_toml(*c));
  CORRIDOR_ASSERT_MSG(again.ok(), "a parsed configuration does not round-trip");
  return 0;
}
