// Asset codes and asset ids. An asset is identified by its code and its issuer, so two issuers
// may each issue a "USD" and they are different assets.
#pragma once

#include <array>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include "base/keys.h"
#include "base/status.h"

namespace corridor {

inline constexpr size_t asset_code_len_max = 12;

// 1 to 12 characters of A-Z and 0-9, stored zero-padded in a fixed array so an asset id is a
// plain value with no allocation.
class AssetCode {
 public:
  AssetCode() = default;
  static Result<AssetCode> parse(std::string_view text);
  // The same check without building an error: nullopt when parse would fail. Decoders call it
  // for every operation and describe a failure themselves.
  static std::optional<AssetCode> from_text(std::string_view text);

  std::string_view str() const { return {chars_.data(), len_}; }
  size_t size() const { return len_; }
  bool empty() const { return len_ == 0; }

  friend bool operator==(const AssetCode&, const AssetCode&) = default;
  friend auto operator<=>(const AssetCode&, const AssetCode&) = default;

 private:
  std::array<char, asset_code_len_max> chars_{};
  uint8_t len_ = 0;
};

struct AssetId {
  AssetCode code;
  AccountId issuer;

  // Text form "CODE:issuerhex", as used by the API and the CLI.
  std::string to_string() const;
  static Result<AssetId> parse(std::string_view text);

  friend bool operator==(const AssetId&, const AssetId&) = default;
  friend auto operator<=>(const AssetId&, const AssetId&) = default;
};

struct AssetIdHasher {
  size_t operator()(const AssetId& a) const {
    size_t h = FixedBytesHasher{}(a.issuer);
    for (char c : a.code.str()) h = h * 131 + static_cast<unsigned char>(c);
    return h;
  }
};

Result<AccountId> parse_account_id(std::string_view text);

}  // namespace corridor
