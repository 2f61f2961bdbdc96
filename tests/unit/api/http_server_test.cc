// The HTTP server and client against each other on loopback, plus a raw TCP socket for the bytes
// a well-behaved client never sends.
#include "api/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/http_client.h"

namespace corridor::api {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kLoopback = "127.0.0.1";
// Generous bounds for "quickly" on a shared two-core test machine.
constexpr auto kQuickly = 3s;

// A blocking TCP socket with a receive timeout, so a test fails instead of hanging.
class RawSocket {
 public:
  explicit RawSocket(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{};
    timeout.tv_sec = 5;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    ::inet_pton(AF_INET, kLoopback, &address.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  ~RawSocket() { close(); }

  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until the peer closes, an error, or the receive timeout; returns what arrived.
  std::string read_until_close() {
    std::string data;
    char chunk[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return data;
      data.append(chunk, static_cast<size_t>(n));
    }
  }

  // Reads until `marker` has arrived, or the peer closes or times out.
  std::string read_until(std::string_view marker) {
    std::string data;
    char chunk[4096];
    while (data.find(marker) == std::string::npos) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      data.append(chunk, static_cast<size_t>(n));
    }
    return data;
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

struct RawResponse {
  int status = 0;
  std::string body;  // Everything after the header.
};

// Parses the first response of `data`, which must start with a status line.
std::optional<RawResponse> parse_raw(const std::string& data) {
  if (data.rfind("HTTP/1.1 ", 0) != 0 || data.size() < 12) return std::nullopt;
  const size_t header_end = data.find("\r\n\r\n");
  if (header_end == std::string::npos) return std::nullopt;
  return RawResponse{std::stoi(data.substr(9, 3)), data.substr(header_end + 4)};
}

void expect_json_error(int status, std::string_view code, const std::string& content_type,
                       const std::string& body, int expected_status) {
  EXPECT_EQ(status, expected_status);
  EXPECT_EQ(content_type, "application/json");
  const auto json = nlohmann::json::parse(body, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << body;
  ASSERT_TRUE(json.is_object()) << body;
  EXPECT_EQ(json.size(), 1u) << body;
  ASSERT_TRUE(json.contains("error")) << body;
  const auto& error = json["error"];
  ASSERT_TRUE(error.is_object()) << body;
  EXPECT_EQ(error.size(), 2u) << body;
  EXPECT_EQ(error.value("code", ""), code) << body;
  ASSERT_TRUE(error.contains("message") && error["message"].is_string()) << body;
  // Byte for byte the documented shape, not merely equivalent JSON.
  EXPECT_EQ(body, json_error(expected_status, code, error["message"].get<std::string>()).body);
}

void expect_json_error(const HttpResponse& response, int status, std::string_view code) {
  expect_json_error(response.status, code, response.content_type, response.body, status);
}

HttpResponse echo_response(const HttpRequest& request) {
  nlohmann::json json;
  json["method"] = request.method;
  json["path"] = request.path;
  json["query"] = request.query;
  json["body"] = request.body;
  json["content_type"] = request.content_type;
  json["remote"] = request.remote;
  HttpResponse response;
  response.body = json.dump();
  return response;
}

HttpHandler echo_handler() {
  return [](HttpRequest request, Responder respond) { respond(echo_response(request)); };
}

// Answers with the request body verbatim, for binary payloads.
HttpHandler raw_echo_handler() {
  return [](HttpRequest request, Responder respond) {
    HttpResponse response;
    response.content_type = "application/octet-stream";
    response.body = std::move(request.body);
    respond(std::move(response));
  };
}

std::unique_ptr<HttpServer> start_server(HttpHandler handler, HttpServerOptions options = {}) {
  auto server = HttpServer::start(std::move(options), std::move(handler));
  if (!server.ok()) {
    ADD_FAILURE() << server.status().to_string();
    return nullptr;
  }
  return std::move(server).value();
}

nlohmann::json parse_json(const std::string& body) {
  auto json = nlohmann::json::parse(body, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << body;
  return json;
}

// Holds responders the test answers later, and says when the first request arrived.
struct PendingRequests {
  std::mutex mutex;
  std::vector<Responder> responders;
  std::promise<void> arrived;
  bool signalled = false;

  HttpHandler handler() {
    return [this](HttpRequest, Responder respond) {
      std::lock_guard lock(mutex);
      responders.push_back(std::move(respond));
      if (!signalled) {
        signalled = true;
        arrived.set_value();
      }
    };
  }
};

TEST(HttpServerTest, JsonErrorHasTheDocumentedShape) {
  const HttpResponse plain = json_error(404, "not_found", "no such account");
  EXPECT_EQ(plain.status, 404);
  EXPECT_EQ(plain.content_type, "application/json");
  EXPECT_EQ(plain.body, R"({"error":{"code":"not_found","message":"no such account"}})");

  const HttpResponse escaped = json_error(400, "bad", "quote \" backslash \\ newline \n tab \t");
  const auto json = parse_json(escaped.body);
  EXPECT_EQ(json["error"]["message"], "quote \" backslash \\ newline \n tab \t");

  // Invalid UTF-8 in quoted client input must not make the error itself fail.
  const HttpResponse invalid = json_error(400, "bad", "byte \xff here");
  EXPECT_FALSE(nlohmann::json::parse(invalid.body, nullptr, false).is_discarded());
}

TEST(HttpServerTest, GetDecodesQueryParameters) {
  auto server = start_server(echo_handler());
  ASSERT_NE(server, nullptr);
  ASSERT_NE(server->port(), 0);

  auto response = http_request(kLoopback, server->port(), "GET",
                               "/v1/accounts?name=J%C3%B6rg+M&empty=&flag&plus=%2B&pct=100%25&&"
                               "sp%20ace=a%2fb");
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->content_type, "application/json");
  const auto json = parse_json(response->body);
  EXPECT_EQ(json["method"], "GET");
  EXPECT_EQ(json["path"], "/v1/accounts");
  const std::map<std::string, std::string> expected = {
      {"name", "J\xc3\xb6rg M"}, {"empty", ""},    {"flag", ""}, {"plus", "+"},
      {"pct", "100%"},           {"sp ace", "a/b"}};
  EXPECT_EQ((json["query"].get<std::map<std::string, std::string>>()), expected);
  EXPECT_EQ(json["body"], "");
  EXPECT_EQ(json["remote"].get<std::string>().rfind("127.0.0.1:", 0), 0u);

  auto no_query = http_request(kLoopback, server->port(), "GET", "/health");
  ASSERT_TRUE(no_query.ok()) << no_query.status().to_string();
  EXPECT_EQ(parse_json(no_query->body)["path"], "/health");
  EXPECT_TRUE(parse_json(no_query->body)["query"].empty());
}

TEST(HttpServerTest, MalformedQueryIsRejectedBeforeTheHandler) {
  std::atomic<int> calls{0};
  auto server = start_server([&calls](HttpRequest request, Responder respond) {
    ++calls;
    respond(echo_response(request));
  });
  ASSERT_NE(server, nullptr);
  for (const char* target : {"/x?a=%zz", "/x?a=%4", "/x?a=1%", "/x?a=1&a=2", "/x?=value"}) {
    auto response = http_request(kLoopback, server->port(), "GET", target);
    ASSERT_TRUE(response.ok()) << target << ": " << response.status().to_string();
    expect_json_error(*response, 400, "malformed_query");
  }
  EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServerTest, PostBodyIsEchoed) {
  auto server = start_server(echo_handler());
  ASSERT_NE(server, nullptr);
  const std::string body = R"({"amount":"12.50","asset":"EUR"})";
  auto response = http_request(kLoopback, server->port(), "POST", "/v1/payments", body);
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(response->status, 200);
  const auto json = parse_json(response->body);
  EXPECT_EQ(json["method"], "POST");
  EXPECT_EQ(json["body"], body);
  EXPECT_EQ(json["content_type"], "application/json");

  auto put = http_request(kLoopback, server->port(), "PUT", "/v1/notes", "hello", "text/plain");
  ASSERT_TRUE(put.ok()) << put.status().to_string();
  EXPECT_EQ(parse_json(put->body)["content_type"], "text/plain");
  EXPECT_EQ(parse_json(put->body)["method"], "PUT");
}

TEST(HttpServerTest, BinaryBodyRoundTrips) {
  auto server = start_server(raw_echo_handler());
  ASSERT_NE(server, nullptr);
  std::string body(1 << 20, '\0');
  std::mt19937 random(7);
  for (char& c : body) c = static_cast<char>(random());
  auto response =
      http_request(kLoopback, server->port(), "POST", "/blob", body, "application/octet-stream");
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(response->content_type, "application/octet-stream");
  EXPECT_TRUE(response->body == body);
}

TEST(HttpServerTest, ResponseStatusHeadersAndHead) {
  auto server = start_server([](HttpRequest request, Responder respond) {
    HttpResponse response;
    if (request.path == "/created") {
      response.status = 201;
      response.content_type = "text/plain";
      response.body = "made";
      response.headers = {{"X-Request-Id", "abc-1"}, {"Content-Length", "999"}};
    } else if (request.path == "/empty") {
      response.status = 204;
      response.body = "dropped";
    } else if (request.path == "/bad-status") {
      response.status = 42;
    } else if (request.path == "/bad-header") {
      response.headers = {{"X-Injected", "a\r\nSet-Cookie: x=1"}};
    } else {
      response.body = "twelve bytes";
    }
    respond(std::move(response));
  });
  ASSERT_NE(server, nullptr);
  HttpConnection connection = HttpConnection::connect(kLoopback, server->port()).value();

  auto created = connection.request("POST", "/created");
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  EXPECT_EQ(created->status, 201);
  EXPECT_EQ(created->content_type, "text/plain");
  EXPECT_EQ(created->body, "made");
  std::map<std::string, std::string> headers(created->headers.begin(), created->headers.end());
  EXPECT_EQ(headers["X-Request-Id"], "abc-1");
  EXPECT_EQ(headers["Content-Length"], "4");  // The server's own, not the handler's.

  auto empty = connection.request("DELETE", "/empty");
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  EXPECT_EQ(empty->status, 204);
  EXPECT_EQ(empty->body, "");

  auto head = connection.request("HEAD", "/anything");
  ASSERT_TRUE(head.ok()) << head.status().to_string();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");
  headers = std::map<std::string, std::string>(head->headers.begin(), head->headers.end());
  EXPECT_EQ(headers["Content-Length"], "12");

  auto bad_status = connection.request("GET", "/bad-status");
  ASSERT_TRUE(bad_status.ok()) << bad_status.status().to_string();
  expect_json_error(*bad_status, 500, "internal_error");

  auto bad_header = connection.request("GET", "/bad-header");
  ASSERT_TRUE(bad_header.ok()) << bad_header.status().to_string();
  expect_json_error(*bad_header, 500, "internal_error");

  auto after = connection.request("GET", "/plain");
  ASSERT_TRUE(after.ok()) << after.status().to_string();
  EXPECT_EQ(after->body, "twelve bytes");
}

TEST(HttpServerTest, ResponderAnswersLaterFromAnotherThread) {
  std::mutex mutex;
  std::vector<std::thread> workers;
  auto server = start_server([&](HttpRequest request, Responder respond) {
    std::lock_guard lock(mutex);
    workers.emplace_back([request = std::move(request), respond] {
      std::this_thread::sleep_for(20ms);
      HttpResponse first;
      first.body = R"({"answer":"first"})";
      respond(first);
      EXPECT_TRUE(respond.answered());
      // Later calls are ignored, whichever thread makes them.
      HttpResponse second;
      second.body = R"({"answer":"second"})";
      respond(second);
    });
  });
  ASSERT_NE(server, nullptr);
  for (int i = 0; i < 3; ++i) {
    auto response = http_request(kLoopback, server->port(), "GET", "/slow");
    ASSERT_TRUE(response.ok()) << response.status().to_string();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, R"({"answer":"first"})");
  }
  server->stop();
  std::lock_guard lock(mutex);
  for (auto& worker : workers) worker.join();
}

TEST(HttpServerTest, ThrowingHandlerGives500AndTheServerLives) {
  auto server = start_server([](HttpRequest request, Responder respond) {
    if (request.path == "/throw") throw std::runtime_error("database on fire");
    if (request.path == "/throw-int") throw 42;
    if (request.path == "/answer-then-throw") {
      respond(echo_response(request));
      throw std::runtime_error("after the answer");
    }
    respond(echo_response(request));
  });
  ASSERT_NE(server, nullptr);
  for (const char* target : {"/throw", "/throw-int"}) {
    auto response = http_request(kLoopback, server->port(), "GET", target);
    ASSERT_TRUE(response.ok()) << response.status().to_string();
    expect_json_error(*response, 500, "internal_error");
    // The exception's text stays in the log; clients see a generic message.
    EXPECT_EQ(response->body.find("fire"), std::string::npos);
  }
  auto answered = http_request(kLoopback, server->port(), "GET", "/answer-then-throw");
  ASSERT_TRUE(answered.ok()) << answered.status().to_string();
  EXPECT_EQ(answered->status, 200);
  auto fine = http_request(kLoopback, server->port(), "GET", "/fine");
  ASSERT_TRUE(fine.ok()) << fine.status().to_string();
  EXPECT_EQ(fine->status, 200);
}

TEST(HttpServerTest, DroppedResponderGives500) {
  std::mutex mutex;
  std::vector<std::thread> workers;
  auto server = start_server([&](HttpRequest request, Responder respond) {
    if (request.path == "/drop-later") {
      std::lock_guard lock(mutex);
      workers.emplace_back([respond = std::move(respond)]() mutable {
        std::this_thread::sleep_for(10ms);
        Responder dropped = std::move(respond);
      });
    }
  });
  ASSERT_NE(server, nullptr);
  for (const char* target : {"/drop", "/drop-later"}) {
    auto response = http_request(kLoopback, server->port(), "GET", target);
    ASSERT_TRUE(response.ok()) << response.status().to_string();
    expect_json_error(*response, 500, "internal_error");
  }
  std::lock_guard lock(mutex);
  for (auto& worker : workers) worker.join();
}

TEST(HttpServerTest, BodyTooLargeGives413) {
  std::atomic<int> calls{0};
  HttpServerOptions options;
  options.body_bytes_max = 1024;
  auto server = start_server(
      [&calls](HttpRequest request, Responder respond) {
        ++calls;
        respond(echo_response(request));
      },
      options);
  ASSERT_NE(server, nullptr);

  auto at_limit = http_request(kLoopback, server->port(), "POST", "/p", std::string(1024, 'a'));
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().to_string();
  EXPECT_EQ(at_limit->status, 200);

  auto over = http_request(kLoopback, server->port(), "POST", "/p", std::string(1025, 'a'));
  ASSERT_TRUE(over.ok()) << over.status().to_string();
  expect_json_error(*over, 413, "body_too_large");

  // Far more than the socket buffers hold: the server answers before the body is sent and the
  // client must still receive that answer.
  auto huge = http_request(kLoopback, server->port(), "POST", "/p", std::string(8 << 20, 'a'));
  ASSERT_TRUE(huge.ok()) << huge.status().to_string();
  expect_json_error(*huge, 413, "body_too_large");

  // A chunked body is limited as it arrives.
  RawSocket raw(server->port());
  ASSERT_TRUE(raw.connected());
  std::string chunked = "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) chunked += "200\r\n" + std::string(512, 'b') + "\r\n";
  chunked += "0\r\n\r\n";
  ASSERT_TRUE(raw.send(chunked));
  const auto parsed = parse_raw(raw.read_until_close());
  ASSERT_TRUE(parsed.has_value());
  expect_json_error(parsed->status, "body_too_large", "application/json", parsed->body, 413);

  EXPECT_EQ(calls.load(), 1);
  auto after = http_request(kLoopback, server->port(), "GET", "/after");
  ASSERT_TRUE(after.ok()) << after.status().to_string();
  EXPECT_EQ(after->status, 200);
}

TEST(HttpServerTest, HeaderTooLargeGives431) {
  HttpServerOptions options;
  options.header_bytes_max = 1024;
  auto server = start_server(echo_handler(), options);
  ASSERT_NE(server, nullptr);
  auto response =
      http_request(kLoopback, server->port(), "GET", "/x?pad=" + std::string(4096, 'a'));
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  expect_json_error(*response, 431, "header_too_large");
  auto after = http_request(kLoopback, server->port(), "GET", "/x?pad=short");
  ASSERT_TRUE(after.ok()) << after.status().to_string();
  EXPECT_EQ(after->status, 200);
}

TEST(HttpServerTest, GarbageBytesNeverCrashTheServer) {
  auto server = start_server(echo_handler());
  ASSERT_NE(server, nullptr);
  std::string random_bytes(4096, '\0');
  std::mt19937 random(11);
  for (char& c : random_bytes) c = static_cast<char>(random());
  const std::vector<std::string> garbage = {
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),  // A TLS ClientHello.
      "GET / HTTP/9.9\r\n\r\n",
      "GET /\r\n\r\n",
      "G@T / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
      "GET http://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n",
      random_bytes,
  };
  for (const auto& bytes : garbage) {
    RawSocket raw(server->port());
    ASSERT_TRUE(raw.connected());
    raw.send(bytes);
    const std::string answer = raw.read_until_close();
    // Either a 400 with the JSON error, or the connection closed without an answer.
    if (!answer.empty()) {
      const auto parsed = parse_raw(answer);
      ASSERT_TRUE(parsed.has_value()) << answer;
      EXPECT_EQ(parsed->status, 400) << answer;
      const auto json = parse_json(parsed->body);
      EXPECT_TRUE(json["error"]["code"] == "malformed_request") << answer;
    }
  }
  auto good = http_request(kLoopback, server->port(), "GET", "/still-alive");
  ASSERT_TRUE(good.ok()) << good.status().to_string();
  EXPECT_EQ(good->status, 200);
}

TEST(HttpServerTest, ChunkedBodyExpectContinueAndPipelining) {
  auto server = start_server(raw_echo_handler());
  ASSERT_NE(server, nullptr);
  {
    RawSocket raw(server->port());
    ASSERT_TRUE(raw.connected());
    ASSERT_TRUE(raw.send(
        "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
    const auto parsed = parse_raw(raw.read_until_close());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->status, 200);
    EXPECT_EQ(parsed->body, "hello world");
  }
  {
    RawSocket raw(server->port());
    ASSERT_TRUE(raw.connected());
    ASSERT_TRUE(
        raw.send("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                 "Expect: 100-continue\r\nConnection: close\r\n\r\n"));
    EXPECT_EQ(raw.read_until("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
    ASSERT_TRUE(raw.send("abcde"));
    const auto parsed = parse_raw(raw.read_until_close());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->status, 200);
    EXPECT_EQ(parsed->body, "abcde");
  }
  {
    RawSocket raw(server->port());
    ASSERT_TRUE(raw.connected());
    ASSERT_TRUE(
        raw.send("POST /1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
                 "POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                 "Connection: close\r\n\r\ntwo"));
    const std::string answer = raw.read_until_close();
    const size_t second = answer.find("HTTP/1.1 200", 1);
    ASSERT_NE(second, std::string::npos) << answer;
    EXPECT_EQ(parse_raw(answer.substr(0, second))->body, "one");
    EXPECT_EQ(parse_raw(answer.substr(second))->body, "two");
  }
}

TEST(HttpServerTest, KeepAliveConnectionServes100Requests) {
  auto server = start_server(echo_handler());
  ASSERT_NE(server, nullptr);
  auto connection = HttpConnection::connect(kLoopback, server->port(), 5'000);
  ASSERT_TRUE(connection.ok()) << connection.status().to_string();
  std::set<std::string> remotes;
  for (int i = 0; i < 100; ++i) {
    const std::string body = "request " + std::to_string(i);
    auto response = connection->request("POST", "/n?i=" + std::to_string(i), body);
    ASSERT_TRUE(response.ok()) << i << ": " << response.status().to_string();
    ASSERT_EQ(response->status, 200);
    const auto json = parse_json(response->body);
    EXPECT_EQ(json["body"], body);
    EXPECT_EQ(json["query"]["i"], std::to_string(i));
    remotes.insert(json["remote"].get<std::string>());
  }
  EXPECT_EQ(remotes.size(), 1u) << "all requests must share one connection";
}

TEST(HttpServerTest, ConnectionReopensAfterTheServerClosedIt) {
  auto server = start_server(echo_handler());
  ASSERT_NE(server, nullptr);
  auto connection = HttpConnection::connect(kLoopback, server->port());
  ASSERT_TRUE(connection.ok()) << connection.status().to_string();
  auto first = connection->request("GET", "/a");
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  // A protocol error makes the server close the connection after its answer.
  auto rejected = connection->request("GET", "/a?x=%zz");
  ASSERT_TRUE(rejected.ok()) << rejected.status().to_string();
  EXPECT_EQ(rejected->status, 400);
  auto second = connection->request("GET", "/b");
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_NE(parse_json(first->body)["remote"], parse_json(second->body)["remote"]);
}

TEST(HttpServerTest, ClientRejectsMalformedArguments) {
  auto server = start_server(echo_handler());
  ASSERT_NE(server, nullptr);
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GE T", "/"}, {"", "/"}, {"GET", "no-slash"}, {"GET", "/a b"}, {"GET", "/a\r\nX: y"}}) {
    auto response = http_request(kLoopback, server->port(), method, target);
    ASSERT_FALSE(response.ok()) << method << " " << target;
    EXPECT_EQ(response.status().code(), StatusCode::invalid_argument);
  }
}

TEST(HttpServerTest, EightConcurrentClientsOf50Requests) {
  constexpr int kClients = 8;
  constexpr int kRequestsEach = 50;
  std::atomic<int> handled{0};
  HttpServerOptions options;
  options.threads = 2;
  auto server = start_server(
      [&handled](HttpRequest request, Responder respond) {
        ++handled;
        respond(echo_response(request));
      },
      options);
  ASSERT_NE(server, nullptr);
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kRequestsEach; ++i) {
        const std::string body = std::to_string(c) + "/" + std::to_string(i);
        auto response =
            http_request(kLoopback, server->port(), "POST", "/load", body, "text/plain", 10'000);
        if (response.ok() && response->status == 200 &&
            nlohmann::json::parse(response->body)["body"] == body) {
          ++good;
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(good.load(), kClients * kRequestsEach);
  EXPECT_EQ(handled.load(), kClients * kRequestsEach);
}

TEST(HttpServerTest, StopWhileIdleIsIdempotent) {
  auto server = start_server(echo_handler());
  ASSERT_NE(server, nullptr);
  const uint16_t port = server->port();
  auto before = http_request(kLoopback, port, "GET", "/");
  ASSERT_TRUE(before.ok()) << before.status().to_string();
  server->stop();
  server->stop();
  auto after = http_request(kLoopback, port, "GET", "/", "", "application/json", 2'000);
  EXPECT_FALSE(after.ok());
  server.reset();  // The destructor stops again.
}

TEST(HttpServerTest, StopWhileRequestIsPending) {
  PendingRequests pending;
  auto server = start_server(pending.handler());
  ASSERT_NE(server, nullptr);
  const uint16_t port = server->port();
  auto client = std::async(std::launch::async, [port] {
    return http_request(kLoopback, port, "POST", "/wait", "{}", "application/json", 20'000);
  });
  ASSERT_EQ(pending.arrived.get_future().wait_for(5s), std::future_status::ready);

  const auto stop_started = Clock::now();
  server->stop();
  EXPECT_LT(Clock::now() - stop_started, kQuickly);
  ASSERT_EQ(client.wait_for(kQuickly), std::future_status::ready);
  EXPECT_FALSE(client.get().ok());

  // Answering after the stop is ignored, and the Responder may outlive the server.
  std::vector<Responder> kept;
  {
    std::lock_guard lock(pending.mutex);
    kept = pending.responders;
  }
  ASSERT_EQ(kept.size(), 1u);
  kept[0](HttpResponse{});
  server.reset();
  kept[0](HttpResponse{});
  pending.responders.clear();
  kept.clear();
}

TEST(HttpServerTest, UnansweredResponderOutlivesTheServer) {
  PendingRequests pending;
  auto server = start_server(pending.handler());
  ASSERT_NE(server, nullptr);
  auto client = std::async(std::launch::async, [port = server->port()] {
    return http_request(kLoopback, port, "GET", "/wait", "", "application/json", 20'000);
  });
  ASSERT_EQ(pending.arrived.get_future().wait_for(5s), std::future_status::ready);
  server.reset();
  EXPECT_FALSE(client.get().ok());
  // The last copy goes away without an answer after the server is gone: nothing to send to.
  std::lock_guard lock(pending.mutex);
  pending.responders.clear();
}

TEST(HttpServerTest, StartRejectsBadAddressesAndOptions) {
  auto first = start_server(echo_handler());
  ASSERT_NE(first, nullptr);
  HttpServerOptions same_port;
  same_port.port = first->port();
  auto second = HttpServer::start(same_port, echo_handler());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::io_error);
  EXPECT_NE(second.status().message().find(std::to_string(first->port())), std::string::npos);

  HttpServerOptions bad_address;
  bad_address.address = "not a host name!";
  EXPECT_FALSE(HttpServer::start(bad_address, echo_handler()).ok());

  HttpServerOptions no_threads;
  no_threads.threads = 0;
  auto zero = HttpServer::start(no_threads, echo_handler());
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), StatusCode::invalid_argument);

  EXPECT_FALSE(HttpServer::start({}, nullptr).ok());

  HttpServerOptions by_name;
  by_name.address = "localhost";
  auto named = HttpServer::start(by_name, echo_handler());
  ASSERT_TRUE(named.ok()) << named.status().to_string();
  auto response = http_request("localhost", (*named)->port(), "GET", "/");
  ASSERT_TRUE(response.ok()) << response.status().to_string();
  EXPECT_EQ(response->status, 200);
}

TEST(HttpServerTest, ConnectToAClosedPortFailsQuickly) {
  uint16_t port = 0;
  {
    auto server = start_server(echo_handler());
    ASSERT_NE(server, nullptr);
    port = server->port();
  }
  const auto started = Clock::now();
  auto response = http_request(kLoopback, port, "GET", "/");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::unavailable);
  auto connection = HttpConnection::connect(kLoopback, port);
  ASSERT_FALSE(connection.ok());
  EXPECT_EQ(connection.status().code(), StatusCode::unavailable);
  EXPECT_LT(Clock::now() - started, kQuickly);
}

TEST(HttpServerTest, ClientGivesUpAtItsDeadline) {
  PendingRequests pending;
  auto server = start_server(pending.handler());
  ASSERT_NE(server, nullptr);
  const auto started = Clock::now();
  auto response =
      http_request(kLoopback, server->port(), "GET", "/never", "", "application/json", 200);
  const auto elapsed = Clock::now() - started;
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::unavailable);
  EXPECT_GE(elapsed, 150ms);
  EXPECT_LT(elapsed, kQuickly);
  std::lock_guard lock(pending.mutex);
  for (auto& respond : pending.responders) respond(HttpResponse{});
}

TEST(HttpServerTest, SlowRequestGets408AndIdleConnectionCloses) {
  HttpServerOptions options;
  options.request_timeout_ms = 200;
  auto server = start_server(echo_handler(), options);
  ASSERT_NE(server, nullptr);
  {
    RawSocket raw(server->port());
    ASSERT_TRUE(raw.connected());
    const auto started = Clock::now();
    ASSERT_TRUE(raw.send("GET / HTTP/1.1\r\nHost: x\r\n"));
    const auto parsed = parse_raw(raw.read_until_close());
    EXPECT_LT(Clock::now() - started, kQuickly);
    ASSERT_TRUE(parsed.has_value());
    expect_json_error(parsed->status, "request_timeout", "application/json", parsed->body, 408);
  }
  {
    RawSocket raw(server->port());
    ASSERT_TRUE(raw.connected());
    const auto started = Clock::now();
    EXPECT_EQ(raw.read_until_close(), "");
    EXPECT_LT(Clock::now() - started, kQuickly);
  }
}

TEST(HttpServerTest, ConnectionsAboveTheLimitAreRefused) {
  HttpServerOptions options;
  options.connections_max = 1;
  auto server = start_server(echo_handler(), options);
  ASSERT_NE(server, nullptr);
  auto holder = std::make_unique<RawSocket>(server->port());
  ASSERT_TRUE(holder->connected());
  {
    RawSocket refused(server->port());
    const auto started = Clock::now();
    refused.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(refused.read_until_close(), "");
    EXPECT_LT(Clock::now() - started, kQuickly);
  }
  holder.reset();
  // The held connection's session ends asynchronously; then the slot is free again.
  bool served = false;
  for (auto deadline = Clock::now() + kQuickly; !served && Clock::now() < deadline;) {
    auto response =
        http_request(kLoopback, server->port(), "GET", "/", "", "application/json", 1'000);
    served = response.ok() && response->status == 200;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

}  // namespace
}  // namespace corridor::api
