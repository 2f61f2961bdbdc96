// A small HTTP/1.1 server on Boost.Beast for the node's JSON API and the explorer.
//
// This header is included widely, so it names only standard types: Asio, Beast and nlohmann stay
// in http_server.cc behind a pimpl. Requests are read on the server's own threads, one strand per
// connection; the handler answers through a Responder, which may be used later and from any
// thread, so slow work (waiting for a block to commit) never ties up an I/O thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace corridor::api {

namespace detail {
struct ResponderState;
}  // namespace detail

struct HttpRequest {
  std::string method;  // As sent, e.g. "GET".
  // The target up to the query string, still percent-encoded: decoding it would make "%2F" and
  // "/" the same, so routes that carry ids decode their own segments.
  std::string path;
  // Query parameters, decoded from %xx and '+'. A malformed query (bad escape, repeated key) is
  // answered with 400 before the handler sees the request.
  std::map<std::string, std::string> query;
  std::string body;
  std::string content_type;  // The Content-Type header, empty when absent.
  std::string remote;        // The peer as "address:port".
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra header fields. Content-Type, Content-Length and Connection are set by the server.
  std::vector<std::pair<std::string, std::string>> headers;
};

// The JSON error every Corridor HTTP endpoint answers with:
// {"error":{"code":"<code>","message":"<message>"}}, with both strings JSON-escaped (invalid
// UTF-8 is replaced rather than rejected, so an error can always be reported).
[[nodiscard]] HttpResponse json_error(int status, std::string_view code, std::string_view message);

// Sends the response to one request. It is a copyable handle to shared state: the first call,
// from any thread, queues the response on the connection's strand, and later calls are ignored.
// If no copy was ever called when the last one is destroyed, the server answers 500, so a client
// never waits for a response that will not come. Calls after the server stopped are ignored.
class Responder {
 public:
  void operator()(HttpResponse response) const;

  // True once some copy of this Responder was called.
  [[nodiscard]] bool answered() const;

 private:
  friend struct detail::ResponderState;
  explicit Responder(std::shared_ptr<detail::ResponderState> state) : state_(std::move(state)) {}

  std::shared_ptr<detail::ResponderState> state_;
};

// Called on a server thread (inside the connection's strand) for each complete request; with
// more than one thread, calls for different connections run concurrently. It should return
// quickly: long work answers later through the Responder. An exception escaping the handler is
// answered with 500 if the request was not answered yet.
using HttpHandler = std::function<void(HttpRequest, Responder)>;

struct HttpServerOptions {
  std::string address = "127.0.0.1";   // Numeric address or host name to listen on.
  uint16_t port = 0;                   // 0 picks an ephemeral port; see HttpServer::port().
  int threads = 1;                     // I/O threads running the server's own io_context.
  size_t body_bytes_max = 16 << 20;    // Larger request bodies are answered with 413.
  size_t header_bytes_max = 16 << 10;  // Request line and header fields; larger gets 431.
  // Time allowed to receive one whole request, and also to send one response and to wait idle on
  // a keep-alive connection for the next request. Expiry mid-request is answered with 408.
  uint32_t request_timeout_ms = 30'000;
  size_t connections_max = 1024;  // Connections beyond this are closed as soon as accepted.
};

class HttpServer {
 public:
  // Binds and listens, then serves on options.threads threads. A bind or listen failure (address
  // in use, bad address) or invalid options are returned as a Status, never thrown.
  [[nodiscard]] static Result<std::unique_ptr<HttpServer>> start(HttpServerOptions options,
                                                                 HttpHandler handler);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();

  // The bound port, useful when options.port was 0.
  [[nodiscard]] uint16_t port() const;

  // Stops accepting, closes every connection (requests still waiting for their Responder are
  // dropped) and joins the server threads. Idempotent. Must not be called from a handler.
  void stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace corridor::api
