#include "base/asset_code.h"

#include <cstring>

namespace corridor {

std::optional<AssetCode> AssetCode::from_text(std::string_view text) {
  if (text.empty() || text.size() > asset_code_len_max) return std::nullopt;
  for (char c : text)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return std::nullopt;
  AssetCode code;
  std::memcpy(code.chars_.data(), text.data(), text.size());
  code.len_ = static_cast<uint8_t>(text.size());
  return code;
}

Result<AssetCode> AssetCode::parse(std::string_view text) {
  if (auto code = from_text(text)) return *code;
  if (text.empty() || text.size() > asset_code_len_max)
    return invalid_argument("asset code must be 1 to " + std::to_string(asset_code_len_max) +
                            " characters");
  return invalid_argument("asset code '" + std::string(text) + "' may hold only A-Z and 0-9");
}

std::string AssetId::to_string() const {
  return std::string(code.str()) + ":" + issuer.hex();
}

Result<AssetId> AssetId::parse(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return invalid_argument("asset '" + std::string(text) + "' is not of the form CODE:ISSUER");
  auto code = AssetCode::parse(text.substr(0, colon));
  if (!code.ok()) return code.status();
  auto issuer = parse_account_id(text.substr(colon + 1));
  if (!issuer.ok()) return issuer.status();
  return AssetId{*code, *issuer};
}

Result<AccountId> parse_account_id(std::string_view text) {
  auto id = AccountId::from_hex_text(text);
  if (!id.ok()) return invalid_argument("account id: " + id.status().message());
  return id;
}

}  // namespace corridor
