#include "api/http_server.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "base/thread_name.h"

namespace corridor::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

// After an error response the connection is closed, but the client may still be sending the
// request (a body over the limit). Closing a socket with unread data makes the kernel answer with
// RST, which can destroy the response before the client reads it, so the server first shuts down
// its sending side and reads and discards what arrives, within these bounds.
constexpr size_t kLingerBytesMax = 1 << 20;
constexpr size_t kLingerChunkBytes = 16 << 10;
constexpr std::chrono::milliseconds kLingerTimeMax{1'000};
// Pause before accepting again after an accept error such as running out of file descriptors, so
// the accept loop does not spin while the condition lasts.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};
// More I/O threads than this is a configuration mistake, not a deployment.
constexpr int kThreadsMax = 256;

constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

// Beast 1.74 uses boost::string_view, which does not convert from std::string_view.
std::string to_std(beast::string_view s) {
  return std::string(s.data(), s.size());
}
beast::string_view to_beast(std::string_view s) {
  return {s.data(), s.size()};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one application/x-www-form-urlencoded component. False on a malformed %xx escape.
bool decode_component(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return true;
}

// Parses "a=1&b=x+y" into `out`. Returns an error message for the client, or nothing on success.
// A repeated key is rejected rather than resolved silently one way or the other: a payment API
// should not guess which of two values the client meant.
std::optional<std::string> parse_query(std::string_view query,
                                       std::map<std::string, std::string>& out) {
  std::string key;
  std::string value;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    const std::string_view raw_key = part.substr(0, eq);
    const std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    if (!decode_component(raw_key, key) || !decode_component(raw_value, value)) {
      return "malformed percent escape in the query string";
    }
    if (key.empty()) return "query parameter without a name";
    auto [it, inserted] = out.try_emplace(std::move(key), std::move(value));
    if (!inserted) return "repeated query parameter '" + it->first + "'";
    key = std::string();
    value = std::string();
  }
  return std::nullopt;
}

bool is_token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Header names must be tokens and values must not contain CR, LF or NUL, or a handler could
// split the response (header injection).
bool valid_header(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) return false;
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Fields the server owns: it derives them from the response and the connection state.
bool server_owned_header(std::string_view name) {
  for (std::string_view owned :
       {"content-type", "content-length", "connection", "transfer-encoding"}) {
    if (beast::iequals(to_beast(name), to_beast(owned))) return true;
  }
  return false;
}

std::string endpoint_string(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  std::string s = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  s += ':';
  s += std::to_string(endpoint.port());
  return s;
}

}  // namespace

HttpResponse json_error(int status, std::string_view code, std::string_view message) {
  nlohmann::json inner = nlohmann::json::object();
  inner["code"] = std::string(code);
  inner["message"] = std::string(message);
  nlohmann::json root = nlohmann::json::object();
  root["error"] = std::move(inner);
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  // Replacing invalid UTF-8 keeps an error reportable even when it quotes bad client input.
  response.body = root.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

namespace detail {

class Session;

// State shared by the server object, its I/O threads and every connection. Connections and
// Responders hold it by shared_ptr, so the io_context outlives every socket and timer even when a
// Responder is kept past the server's destruction.
struct ServerCore {
  ServerCore(HttpServerOptions opts, HttpHandler h)
      : ioc(opts.threads),
        options(std::move(opts)),
        handler(std::move(h)),
        request_timeout(options.request_timeout_ms) {}

  asio::io_context ioc;  // Declared first: destroyed after every I/O object below.
  const HttpServerOptions options;
  const HttpHandler handler;
  const std::chrono::milliseconds request_timeout;
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  asio::steady_timer accept_retry_timer{acceptor.get_executor()};

  std::mutex mutex;
  // Set by stop(). Once set, nothing new is posted to the io_context, so the I/O threads run out
  // of work and can be joined.
  bool stopped = false;                   // Guarded by mutex.
  std::unordered_set<Session*> sessions;  // Live connections; guarded by mutex.
};

struct ResponderState {
  explicit ResponderState(std::shared_ptr<Session> s) : session(std::move(s)) {}
  ResponderState(const ResponderState&) = delete;
  ResponderState& operator=(const ResponderState&) = delete;
  ~ResponderState();

  static Responder make(std::shared_ptr<ResponderState> state) {
    return Responder(std::move(state));
  }

  const std::shared_ptr<Session> session;
  std::atomic<bool> answered{false};
};

// One connection. Every member function except deliver() and post_close() runs on the
// connection's strand (the executor of its socket), so the session needs no lock of its own.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<ServerCore> core, tcp::socket socket)
      : core_(std::move(core)), socket_(std::move(socket)), timer_(socket_.get_executor()) {
    error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    const tcp::endpoint remote = socket_.remote_endpoint(ec);
    remote_ = ec ? std::string("unknown") : endpoint_string(remote);
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  ~Session() {
    std::lock_guard lock(core_->mutex);
    core_->sessions.erase(this);
  }

  void start() {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->read_request(); });
  }

  // Any thread: queues the response for the request this session is waiting on.
  void deliver(HttpResponse response) {
    std::lock_guard lock(core_->mutex);
    if (core_->stopped) return;
    asio::post(socket_.get_executor(),
               [self = shared_from_this(), response = std::move(response)]() mutable {
                 self->on_response(std::move(response));
               });
  }

  // Any thread: closes the connection on its strand. Used by HttpServer::stop().
  void post_close() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

 private:
  enum class Phase { reading, awaiting_response, writing, lingering };

  void read_request() {
    if (closed_) return;
    phase_ = Phase::reading;
    timed_out_ = false;
    parser_.emplace();
    const auto& options = core_->options;
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(options.header_bytes_max, std::numeric_limits<std::uint32_t>::max())));
    parser_->body_limit(static_cast<std::uint64_t>(options.body_bytes_max));
    arm_timer(core_->request_timeout);
    http::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    if (ec) return on_read_error(ec);
    if (parser_->is_done()) return on_request();
    const auto& header = parser_->get();
    // A client that asks for 100-continue waits (curl for a second) before sending the body.
    if (header.version() >= 11 && beast::iequals(header[http::field::expect], "100-continue")) {
      asio::async_write(socket_, asio::buffer(kContinueResponse.data(), kContinueResponse.size()),
                        [self = shared_from_this()](error_code write_ec, size_t) {
                          if (write_ec) return self->on_read_error(write_ec);
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    if (closed_) return;
    http::async_read(socket_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, size_t) {
                       if (ec) return self->on_read_error(ec);
                       self->on_request();
                     });
  }

  void on_read_error(error_code ec) {
    if (closed_) return;
    if (timed_out_) {
      // A client that went quiet between requests is simply closed; one that stopped in the
      // middle of a request is told why.
      if (buffer_.size() > 0 || parser_->got_some()) {
        return send_error(408, "request_timeout", "the request was not received in time");
      }
      return close();
    }
    if (ec == http::error::header_limit) {
      return send_error(431, "header_too_large", "the request header is too large");
    }
    if (ec == http::error::body_limit) {
      return send_error(413, "body_too_large", "the request body is too large");
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return close();
    if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      return send_error(400, "malformed_request", "malformed HTTP request: " + ec.message());
    }
    close();  // Connection reset and other transport errors: nobody to answer.
  }

  void on_request() {
    disarm_timer();
    http::request<http::string_body> req = parser_->release();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;

    const beast::string_view target = req.target();
    if (target.empty() || target.front() != '/') {
      return send_error(400, "malformed_request", "the request target must be an absolute path");
    }
    HttpRequest request;
    const size_t question = target.find('?');
    if (question == beast::string_view::npos) {
      request.path = to_std(target);
    } else {
      request.path = to_std(target.substr(0, question));
      const beast::string_view query = target.substr(question + 1);
      if (auto error = parse_query(std::string_view(query.data(), query.size()), request.query)) {
        return send_error(400, "malformed_query", *error);
      }
    }
    request.method = to_std(req.method_string());
    request.content_type = to_std(req[http::field::content_type]);
    request.body = std::move(req.body());
    request.remote = remote_;

    phase_ = Phase::awaiting_response;
    const Responder responder =
        ResponderState::make(std::make_shared<ResponderState>(shared_from_this()));
    // The handler gets its own copy; this one answers if the handler throws, and its destruction
    // answers 500 if the handler dropped its copy without calling it.
    try {
      core_->handler(std::move(request), responder);
    } catch (const std::exception& e) {
      spdlog::error("http: handler for {} threw: {}", remote_, e.what());
      responder(json_error(500, "internal_error", "the request handler failed"));
    } catch (...) {
      spdlog::error("http: handler for {} threw a non-standard exception", remote_);
      responder(json_error(500, "internal_error", "the request handler failed"));
    }
  }

  void on_response(HttpResponse response) {
    if (closed_ || phase_ != Phase::awaiting_response) return;
    const bool valid_status = response.status >= 200 && response.status <= 599;
    const bool valid_headers =
        std::all_of(response.headers.begin(), response.headers.end(),
                    [](const auto& field) { return valid_header(field.first, field.second); }) &&
        valid_header("content-type", response.content_type);
    if (!valid_status || !valid_headers) {
      spdlog::error("http: handler for {} produced an invalid response (status {})", remote_,
                    response.status);
      response =
          json_error(500, "internal_error", "the request handler produced an invalid response");
    }
    prepare_response(std::move(response));
    write_response();
  }

  void prepare_response(HttpResponse response) {
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(response.status));
    if (!response.content_type.empty()) {
      response_.set(http::field::content_type, response.content_type);
    }
    for (const auto& [name, value] : response.headers) {
      if (!server_owned_header(name)) response_.insert(name, value);
    }
    response_.keep_alive(keep_alive_);
    // 204 and 304 have no body and no Content-Length; a response to HEAD announces the length
    // of the body it does not carry.
    if (response.status == 204 || response.status == 304) return;
    response_.content_length(response.body.size());
    if (!head_) response_.body() = std::move(response.body);
  }

  void write_response() {
    phase_ = Phase::writing;
    arm_timer(core_->request_timeout);
    http::async_write(socket_, response_,
                      [self = shared_from_this()](error_code ec, size_t) { self->on_write(ec); });
  }

  void on_write(error_code ec) {
    if (ec) return close();
    if (close_after_write_) return linger();
    if (!keep_alive_) {
      error_code ignored;
      socket_.shutdown(tcp::socket::shutdown_send, ignored);
      return close();
    }
    read_request();
  }

  // Answers with a JSON error and closes the connection: after a protocol error the position in
  // the byte stream can no longer be trusted.
  void send_error(int status, std::string_view code, std::string_view message) {
    if (closed_) return;
    disarm_timer();
    version_ = 11;
    keep_alive_ = false;
    head_ = false;
    close_after_write_ = true;
    prepare_response(json_error(status, code, message));
    write_response();
  }

  void linger() {
    phase_ = Phase::lingering;
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    arm_timer(std::min<Clock::duration>(kLingerTimeMax, core_->request_timeout));
    buffer_.consume(buffer_.size());
    lingered_bytes_ = 0;
    discard_input();
  }

  void discard_input() {
    socket_.async_read_some(buffer_.prepare(kLingerChunkBytes),
                            [self = shared_from_this()](error_code ec, size_t n) {
                              self->lingered_bytes_ += n;
                              if (ec || self->lingered_bytes_ >= kLingerBytesMax) {
                                return self->close();
                              }
                              self->discard_input();
                            });
  }

  void arm_timer(Clock::duration timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](error_code) { self->on_timer(); });
  }

  // Setting the expiry to the far future also cancels the pending wait. A wait that completed
  // just before is still queued, so on_timer() checks the expiry rather than the error code.
  void disarm_timer() { timer_.expires_at(Clock::time_point::max()); }

  void on_timer() {
    if (closed_ || timer_.expiry() > Clock::now()) return;
    timed_out_ = true;
    switch (phase_) {
      case Phase::reading: {
        // Cancel rather than close: the read handler may still answer 408 on this socket.
        error_code ignored;
        socket_.cancel(ignored);
        break;
      }
      case Phase::writing:
      case Phase::lingering:
        close();
        break;
      case Phase::awaiting_response:
        break;
    }
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  // core_ is declared first so that it, and with it the io_context, outlives the socket and the
  // timer even when the last reference to this session is a Responder on a user thread.
  const std::shared_ptr<ServerCore> core_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  std::string remote_;
  Phase phase_ = Phase::reading;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool head_ = false;
  bool close_after_write_ = false;
  bool timed_out_ = false;
  bool closed_ = false;
  size_t lingered_bytes_ = 0;
};

ResponderState::~ResponderState() {
  if (answered.load(std::memory_order_acquire)) return;
  try {
    session->deliver(
        json_error(500, "internal_error", "the request handler finished without a response"));
  } catch (...) {
    // Only allocation can fail here; the connection then ends with the server.
  }
}

namespace {

void accept_next(const std::shared_ptr<ServerCore>& core);

void on_accept(const std::shared_ptr<ServerCore>& core, error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !core->acceptor.is_open()) return;
  if (ec) {
    if (ec == asio::error::connection_aborted) return accept_next(core);
    spdlog::warn("http: accept failed: {}", ec.message());
    core->accept_retry_timer.expires_after(kAcceptRetryDelay);
    core->accept_retry_timer.async_wait([core](error_code wait_ec) {
      if (!wait_ec && core->acceptor.is_open()) accept_next(core);
    });
    return;
  }
  try {
    // The session is built outside the lock: its destructor takes the same lock.
    auto session = std::make_shared<Session>(core, std::move(socket));
    bool admitted = false;
    {
      std::lock_guard lock(core->mutex);
      if (core->stopped) return;
      if (core->sessions.size() < core->options.connections_max) {
        core->sessions.insert(session.get());
        admitted = true;
      }
    }
    if (admitted) {
      session->start();
    } else {
      spdlog::debug("http: refused a connection: {} connections open",
                    core->options.connections_max);
    }
  } catch (const std::exception& e) {
    spdlog::error("http: could not set up a connection: {}", e.what());
  }
  accept_next(core);
}

void accept_next(const std::shared_ptr<ServerCore>& core) {
  core->acceptor.async_accept(
      asio::make_strand(core->ioc),
      [core](error_code ec, tcp::socket socket) { on_accept(core, ec, std::move(socket)); });
}

// Handlers catch their own exceptions; this keeps an I/O thread alive if one still escapes.
void run_io(asio::io_context& ioc) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("http: unexpected exception on an I/O thread: {}", e.what());
    } catch (...) {
      spdlog::error("http: unexpected non-standard exception on an I/O thread");
    }
  }
}

Status validate(const HttpServerOptions& options, const HttpHandler& handler) {
  if (!handler) return invalid_argument("http server: no handler");
  if (options.threads < 1 || options.threads > kThreadsMax) {
    return invalid_argument("http server: threads must be between 1 and " +
                            std::to_string(kThreadsMax));
  }
  if (options.header_bytes_max == 0) return invalid_argument("http server: header_bytes_max is 0");
  if (options.request_timeout_ms == 0) {
    return invalid_argument("http server: request_timeout_ms is 0");
  }
  if (options.connections_max == 0) return invalid_argument("http server: connections_max is 0");
  return Status::ok_status();
}

}  // namespace
}  // namespace detail

void Responder::operator()(HttpResponse response) const {
  if (!state_ || state_->answered.exchange(true, std::memory_order_acq_rel)) return;
  state_->session->deliver(std::move(response));
}

bool Responder::answered() const {
  return state_ && state_->answered.load(std::memory_order_acquire);
}

struct HttpServer::Impl {
  std::shared_ptr<detail::ServerCore> core;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  std::mutex stop_mutex;
  bool stopped = false;  // Guarded by stop_mutex.
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  stop();
}

uint16_t HttpServer::port() const {
  return impl_->port;
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerOptions options,
                                                      HttpHandler handler) {
  CORRIDOR_RETURN_IF_ERROR(detail::validate(options, handler));
  const std::string where = options.address + ":" + std::to_string(options.port);
  try {
    auto core = std::make_shared<detail::ServerCore>(std::move(options), std::move(handler));
    const auto& opts = core->options;

    std::vector<tcp::endpoint> endpoints;
    error_code ec;
    const auto address = asio::ip::make_address(opts.address, ec);
    if (!ec) {
      endpoints.emplace_back(address, opts.port);
    } else {
      tcp::resolver resolver(core->ioc);
      const auto results =
          resolver.resolve(opts.address, std::to_string(opts.port),
                           tcp::resolver::passive | tcp::resolver::numeric_service, ec);
      if (ec) return invalid_argument("http server: cannot resolve " + where + ": " + ec.message());
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }

    auto& acceptor = core->acceptor;
    error_code last_error = asio::error::host_not_found;
    bool listening = false;
    for (const auto& endpoint : endpoints) {
      error_code ignored;
      if (acceptor.is_open()) acceptor.close(ignored);
      acceptor.open(endpoint.protocol(), ec);
      if (ec) {
        last_error = ec;
        continue;
      }
      // Lets a restarted node bind while connections of its previous run sit in TIME_WAIT. On
      // Linux it does not let two sockets listen on one port.
      acceptor.set_option(asio::socket_base::reuse_address(true), ignored);
      acceptor.bind(endpoint, ec);
      if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
      if (ec) {
        last_error = ec;
        continue;
      }
      listening = true;
      break;
    }
    if (!listening) {
      return io_error("http server: cannot listen on " + where + ": " + last_error.message());
    }

    auto impl = std::make_unique<Impl>();
    impl->port = acceptor.local_endpoint().port();
    impl->core = core;
    impl->work.emplace(core->ioc.get_executor());
    std::unique_ptr<HttpServer> server(new HttpServer(std::move(impl)));
    detail::accept_next(core);
    // If starting a thread fails, the server's destructor stops the ones already running.
    for (int i = 0; i < core->options.threads; ++i) {
      server->impl_->threads.emplace_back([core_ptr = core.get(), i] {
        set_current_thread_name("http-" + std::to_string(i));
        detail::run_io(core_ptr->ioc);
      });
    }
    return server;
  } catch (const std::exception& e) {
    return io_error("http server: cannot start on " + where + ": " + e.what());
  }
}

void HttpServer::stop() {
  std::lock_guard guard(impl_->stop_mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  detail::ServerCore& core = *impl_->core;
  CORRIDOR_ASSERT_MSG(!core.ioc.get_executor().running_in_this_thread(),
                      "HttpServer::stop() called from a server thread");

  std::vector<std::shared_ptr<detail::Session>> live;
  {
    std::lock_guard lock(core.mutex);
    core.stopped = true;
    live.reserve(core.sessions.size());
    for (detail::Session* session : core.sessions) {
      // A session whose destructor is waiting for this lock is already gone: lock() is empty.
      if (auto alive = session->weak_from_this().lock()) live.push_back(std::move(alive));
    }
  }
  asio::post(core.acceptor.get_executor(), [core_ptr = impl_->core] {
    error_code ignored;
    core_ptr->acceptor.close(ignored);
    core_ptr->accept_retry_timer.cancel();
  });
  for (const auto& session : live) session->post_close();
  live.clear();

  // With the work guard gone and every socket closed, the threads run out of work and return.
  impl_->work.reset();
  for (auto& thread : impl_->threads) {
    if (thread.joinable()) thread.join();
  }
  // Runs whatever is left when no thread ever started, so no handler keeps the core alive.
  core.ioc.restart();
  detail::run_io(core.ioc);
}

}  // namespace corridor::api
