// A small synchronous HTTP/1.1 client for the CLI, tests and load generators. Like the server
// header, it names only standard types; Asio and Beast stay in http_client.cc.
//
// Every call has a deadline and returns a Status instead of throwing: unavailable when the server
// cannot be reached or the deadline passes, io_error when the exchange breaks, invalid_argument
// for a malformed method or target. Host names are resolved by the system resolver, which the
// deadline does not cover; numeric addresses skip it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/http_server.h"
#include "base/status.h"

namespace corridor::api {

// One request on a fresh connection, closed afterwards. timeout_ms bounds connecting, sending and
// receiving together. Any HTTP status, including 4xx and 5xx, is a successful Result.
[[nodiscard]] Result<HttpResponse> http_request(
    const std::string& host, uint16_t port, const std::string& method, const std::string& target,
    const std::string& body = "", const std::string& content_type = "application/json",
    uint32_t timeout_ms = 30'000);

// One keep-alive connection for many sequential requests. Not thread-safe: use one per thread.
// When the server closes the connection after a response (or an exchange fails), the next
// request connects again first; a request is never sent twice.
class HttpConnection {
 public:
  // timeout_ms bounds connecting and, later, each request.
  [[nodiscard]] static Result<HttpConnection> connect(const std::string& host, uint16_t port,
                                                      uint32_t timeout_ms = 30'000);

  HttpConnection(HttpConnection&& other) noexcept;
  HttpConnection& operator=(HttpConnection&& other) noexcept;
  ~HttpConnection();

  [[nodiscard]] Result<HttpResponse> request(const std::string& method, const std::string& target,
                                             const std::string& body = "",
                                             const std::string& content_type = "application/json");

 private:
  struct Impl;
  explicit HttpConnection(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace corridor::api
