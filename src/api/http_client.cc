#include "api/http_client.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace corridor::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

// Bounds on what a server may send back, so a broken or hostile server cannot exhaust memory.
constexpr std::uint32_t kResponseHeaderBytesMax = 64 << 10;
constexpr std::uint64_t kResponseBodyBytesMax = 256 << 20;

constexpr const char* kUserAgent = "corridor";

Status unavailable(std::string message) {
  return Status(StatusCode::unavailable, std::move(message));
}

std::string to_std(beast::string_view s) {
  return std::string(s.data(), s.size());
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A target is sent verbatim in the request line, so it must not contain anything that would end
// or split that line.
bool valid_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return false;
  return std::all_of(target.begin(), target.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f;
  });
}

// The connection state behind both http_request() and HttpConnection. Every Asio call runs on the
// caller's thread inside io_context::run(), which returns once the operation completed, failed or
// hit the deadline of the Beast stream, so no call can hang.
struct ClientConnection {
  ClientConnection(std::string h, uint16_t p, std::chrono::milliseconds t)
      : host(std::move(h)), port(p), timeout(t) {}

  std::string host;
  uint16_t port;
  std::chrono::milliseconds timeout;
  asio::io_context ioc{1};  // Runs only inside calls, on the caller's thread.
  std::vector<tcp::endpoint> endpoints;
  std::optional<beast::tcp_stream> stream;  // Engaged while a connection is open.
  beast::flat_buffer buffer;
  // One-shot requests ask the server to close, so it does not keep an idle connection around.
  bool keep_alive = true;

  std::string where() const { return host + ":" + std::to_string(port); }

  Status resolve() {
    if (!endpoints.empty()) return Status::ok_status();
    error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (!ec) {
      endpoints.emplace_back(address, port);
      return Status::ok_status();
    }
    tcp::resolver resolver(ioc);
    const auto results =
        resolver.resolve(host, std::to_string(port), tcp::resolver::numeric_service, ec);
    if (ec) return unavailable("cannot resolve " + where() + ": " + ec.message());
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    if (endpoints.empty()) return unavailable("cannot resolve " + where() + ": no addresses");
    return Status::ok_status();
  }

  Status open(Clock::time_point deadline) {
    CORRIDOR_RETURN_IF_ERROR(resolve());
    close();
    stream.emplace(ioc);
    buffer.clear();
    stream->expires_at(deadline);
    error_code result = asio::error::would_block;
    stream->async_connect(endpoints,
                          [&result](error_code ec, const tcp::endpoint&) { result = ec; });
    ioc.restart();
    ioc.run();
    if (result) {
      close();
      if (result == beast::error::timeout) return unavailable("timed out connecting to " + where());
      return unavailable("cannot connect to " + where() + ": " + result.message());
    }
    error_code ignored;
    stream->socket().set_option(tcp::no_delay(true), ignored);
    return Status::ok_status();
  }

  void close() {
    if (!stream) return;
    error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->close();
    stream.reset();
  }

  Result<HttpResponse> exchange(const std::string& method, const std::string& target,
                                const std::string& body, const std::string& content_type,
                                Clock::time_point deadline) {
    if (method.empty() || !std::all_of(method.begin(), method.end(), is_token_char)) {
      return invalid_argument("http client: malformed method '" + method + "'");
    }
    if (!valid_target(target)) {
      return invalid_argument("http client: the target must be an absolute path without spaces");
    }
    if (content_type.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return invalid_argument("http client: malformed content type");
    }
    if (!stream) CORRIDOR_RETURN_IF_ERROR(open(deadline));

    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, where());
    req.set(http::field::user_agent, kUserAgent);
    const http::verb verb = req.method();
    if (!body.empty() || verb == http::verb::post || verb == http::verb::put ||
        verb == http::verb::patch) {
      if (!content_type.empty()) req.set(http::field::content_type, content_type);
      req.content_length(body.size());
      req.body() = body;
    }
    req.keep_alive(keep_alive);

    http::response_parser<http::string_body> parser;
    parser.header_limit(kResponseHeaderBytesMax);
    parser.body_limit(kResponseBodyBytesMax);
    if (verb == http::verb::head) parser.skip(true);

    // The request is written while the response is read: a server may answer early (413 for a
    // body over its limit) and stop reading, and the client must still see that answer.
    stream->expires_at(deadline);
    bool wrote = false;
    bool read = false;
    error_code write_ec;
    error_code read_ec;
    http::async_write(*stream, req, [&](error_code ec, size_t) {
      wrote = true;
      write_ec = ec;
    });
    http::async_read(*stream, buffer, parser, [&](error_code ec, size_t) {
      read = true;
      read_ec = ec;
      if (!wrote) stream->cancel();
    });
    ioc.restart();
    ioc.run();

    if (!read || read_ec) {
      close();
      if (read_ec == beast::error::timeout || write_ec == beast::error::timeout) {
        return unavailable("timed out waiting for " + where());
      }
      return io_error("http exchange with " + where() +
                      " failed: " + (read_ec ? read_ec : write_ec).message());
    }
    http::response<http::string_body> res = parser.release();
    // A request that was not completely written leaves the connection in an unknown state.
    if (!res.keep_alive() || !keep_alive || write_ec) close();

    HttpResponse response;
    response.status = static_cast<int>(res.result_int());
    response.content_type = to_std(res[http::field::content_type]);
    response.headers.reserve(static_cast<size_t>(std::distance(res.begin(), res.end())));
    for (const auto& field : res) {
      response.headers.emplace_back(to_std(field.name_string()), to_std(field.value()));
    }
    response.body = std::move(res.body());
    return response;
  }
};

}  // namespace

struct HttpConnection::Impl : ClientConnection {
  using ClientConnection::ClientConnection;
};

HttpConnection::HttpConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpConnection::HttpConnection(HttpConnection&& other) noexcept = default;
HttpConnection& HttpConnection::operator=(HttpConnection&& other) noexcept = default;
HttpConnection::~HttpConnection() = default;

Result<HttpConnection> HttpConnection::connect(const std::string& host, uint16_t port,
                                               uint32_t timeout_ms) {
  try {
    auto impl = std::make_unique<Impl>(host, port, std::chrono::milliseconds(timeout_ms));
    CORRIDOR_RETURN_IF_ERROR(impl->open(Clock::now() + impl->timeout));
    return HttpConnection(std::move(impl));
  } catch (const std::exception& e) {
    return io_error("http client: cannot connect to " + host + ":" + std::to_string(port) + ": " +
                    e.what());
  }
}

Result<HttpResponse> HttpConnection::request(const std::string& method, const std::string& target,
                                             const std::string& body,
                                             const std::string& content_type) {
  if (!impl_) return failed_precondition("http client: request on a moved-from connection");
  try {
    return impl_->exchange(method, target, body, content_type, Clock::now() + impl_->timeout);
  } catch (const std::exception& e) {
    impl_->close();
    return io_error("http client: request to " + impl_->where() + " failed: " + e.what());
  }
}

Result<HttpResponse> http_request(const std::string& host, uint16_t port, const std::string& method,
                                  const std::string& target, const std::string& body,
                                  const std::string& content_type, uint32_t timeout_ms) {
  try {
    ClientConnection impl(host, port, std::chrono::milliseconds(timeout_ms));
    impl.keep_alive = false;
    const Clock::time_point deadline = Clock::now() + impl.timeout;
    CORRIDOR_RETURN_IF_ERROR(impl.open(deadline));
    return impl.exchange(method, target, body, content_type, deadline);
  } catch (const std::exception& e) {
    return io_error("http client: request to " + host + ":" + std::to_string(port) +
                    " failed: " + e.what());
  }
}

}  // namespace corridor::api
