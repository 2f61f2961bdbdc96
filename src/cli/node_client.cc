#include "cli/node_client.h"

#include <charconv>

#include "api/http_client.h"

namespace corridor::cli {

NodeClient::NodeClient(const std::string& url) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw CliError("--node must look like http://127.0.0.1:8080, got '" + url + "'", 2);
  host_ = rest.substr(0, colon);
  std::string port = rest.substr(colon + 1);
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), port_);
  if (ec != std::errc() || p != port.data() + port.size() || port_ == 0)
    throw CliError("invalid port in --node '" + url + "'", 2);
}

namespace {
ApiReply to_reply(const Result<api::HttpResponse>& r, const std::string& host, uint16_t port) {
  if (!r.ok())
    throw CliError("cannot reach the node at " + host + ":" + std::to_string(port) + ": " +
                   r.status().message() + " (is `corridor node` running?)");
  ApiReply out;
  out.status = r->status;
  out.body = nlohmann::json::parse(r->body, nullptr, false);
  if (out.body.is_discarded())
    throw CliError("the node answered " + std::to_string(r->status) +
                   " with a body that is not JSON");
  return out;
}
}  // namespace

ApiReply NodeClient::get(const std::string& target) const {
  return to_reply(api::http_request(host_, port_, "GET", target), host_, port_);
}

ApiReply NodeClient::post(const std::string& target, const nlohmann::json& body,
                          uint32_t timeout_ms) const {
  return to_reply(
      api::http_request(host_, port_, "POST", target, body.dump(), "application/json", timeout_ms),
      host_, port_);
}

nlohmann::json NodeClient::get_ok(const std::string& target) const {
  ApiReply r = get(target);
  if (r.status != 200) throw CliError(api_error_text(r));
  return r.body;
}

Hash256 NodeClient::network_id() const {
  auto j = get_ok("/v1/status");
  auto id = Hash256::from_hex_text(j["network"]["id"].get<std::string>());
  if (!id.ok()) throw CliError("the node reported a malformed network id");
  return *id;
}

uint64_t NodeClient::height() const {
  return get_ok("/v1/status")["height"].get<uint64_t>();
}

std::optional<uint8_t> NodeClient::asset_scale(const AssetId& id) const {
  ApiReply r = get("/v1/assets/" + id.to_string());
  if (r.status == 404) return std::nullopt;
  if (r.status != 200) throw CliError(api_error_text(r));
  return r.body["scale"].get<uint8_t>();
}

std::string api_error_text(const ApiReply& r) {
  if (r.body.is_object() && r.body.contains("error")) {
    const auto& e = r.body["error"];
    std::string s = e.value("code", "error") + ": " + e.value("message", "");
    return s;
  }
  return "HTTP " + std::to_string(r.status);
}

}  // namespace corridor::cli
