// The CLI's client for a node's HTTP API: parses the --node URL, sends requests and turns
// transport failures into clear errors.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/asset_code.h"
#include "base/hash.h"

namespace corridor::cli {

class CliError : public std::runtime_error {
 public:
  explicit CliError(const std::string& m, int exit_code = 1)
      : std::runtime_error(m), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

struct ApiReply {
  int status = 0;
  nlohmann::json body;
};

class NodeClient {
 public:
  // url is "http://host:port" or "host:port".
  explicit NodeClient(const std::string& url);

  ApiReply get(const std::string& target) const;
  ApiReply post(const std::string& target, const nlohmann::json& body,
                uint32_t timeout_ms = 130'000) const;

  // GET that throws CliError with the API's error message unless the status is 200.
  nlohmann::json get_ok(const std::string& target) const;

  Hash256 network_id() const;
  uint64_t height() const;
  std::optional<uint8_t> asset_scale(const AssetId& id) const;

 private:
  std::string host_;
  uint16_t port_ = 0;
};

// "code: message" from an API error body.
std::string api_error_text(const ApiReply& r);

}  // namespace corridor::cli
