// The API's JSON transaction form: any body gives a transaction or an ApiError, never a crash
// or another exception.
#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/json_codec.h"

using namespace corridor;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  auto scales = [](const AssetId& a) -> std::optional<uint8_t> {
    return a.code.str() == "USD" ? std::optional<uint8_t>(2) : std::nullopt;
  };
  try {
    auto tx = api::transaction_from_json(j, Hash256{}, scales);
    (void)api::transaction_to_json(tx, scales);
    if (j.is_object() && j.contains("signatures")) (void)api::signatures_from_json(j["signatures"]);
  } catch (const api::ApiError&) {
  }
  return 0;
}
