// The node's HTTP/JSON API (docs/api.md, docs/openapi.yaml): submit transactions, optionally
// waiting for finality; read transactions, accounts, assets, blocks, proofs and status.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>

#include "api/http_server.h"
#include "node/node.h"

namespace corridor::api {

namespace detail {
class TimeoutQueue;
}

// Stop the node before destroying its NodeApi: callbacks of waiting submissions refer to it.
class NodeApi {
 public:
  explicit NodeApi(node::Node& node);
  ~NodeApi();
  NodeApi(const NodeApi&) = delete;
  NodeApi& operator=(const NodeApi&) = delete;

  // Routes one request; every answer, including errors, is JSON.
  void handle(HttpRequest request, Responder respond);

 private:
  HttpResponse route(const HttpRequest& request, Responder& respond, bool& deferred);
  HttpResponse submit(const HttpRequest& request, Responder& respond, bool& deferred);
  HttpResponse submit_batch(const HttpRequest& request, Responder& respond, bool& deferred);
  HttpResponse encode(const HttpRequest& request);
  HttpResponse get_transaction(const std::string& id_hex);
  HttpResponse get_account(const std::string& id_hex);
  HttpResponse get_proof(const std::string& id_hex, const std::string& asset_text,
                         Responder& respond, bool& deferred);
  HttpResponse get_asset(const std::string& asset_text);
  HttpResponse get_block(const std::string& height_text);
  HttpResponse get_queue(const HttpRequest& req);
  HttpResponse get_escrow(const std::string& id_text);
  HttpResponse get_status();
  HttpResponse get_result_codes();
  // FX: offers, order books and path quotes (docs/api.md).
  HttpResponse get_offer(const std::string& id_text);
  HttpResponse get_account_offers(const std::string& id_hex);
  HttpResponse get_book(const std::string& selling_text, const std::string& buying_text,
                        const HttpRequest& request);
  HttpResponse get_paths(const HttpRequest& request);
  void check_replaced_offer_assets(const nlohmann::json& transaction);

  node::Node& node_;
  std::unique_ptr<detail::TimeoutQueue> timeouts_;
};

// Starts the HTTP server for a node on the configured address and port.
[[nodiscard]] Result<std::unique_ptr<HttpServer>> start_node_api(node::Node& node, NodeApi& api);

}  // namespace corridor::api
