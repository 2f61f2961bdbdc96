#include "api/node_api.h"

#include <charconv>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>

#include "api/api_error.h"
#include "api/detail/timeout_queue.h"
#include "api/json_codec.h"
#include "base/allocator.h"
#include "base/encoding.h"
#include "ledger/limits.h"

namespace corridor::api {

using ledger::ResultCode;
using nlohmann::json;

namespace {

// How long a submission may wait for finality, by default and at most.
constexpr uint64_t wait_timeout_ms_default = 30'000;
constexpr uint64_t wait_timeout_ms_max = 120'000;
// Envelopes in one POST /v1/transactions/batch. Individually signed payments are a few hundred
// bytes of hex each, so this many fit the server's 4 MiB body limit.
constexpr size_t batch_envelopes_max = 5'000;
// A proof of a holding changed since the last root height waits for the next one (node.h).
// Leaders propose the empty blocks up to it after a shorter pause than the idle one
// (BftOptions::root_block_delay_ms); even at the idle pace, state_root_interval_blocks_max
// blocks would come within this, with room to spare.
constexpr uint64_t proof_wait_ms_max = 10'000;
// A page of the liquidity queue: the API lists at most this many payments per request.
constexpr uint64_t queue_page_max = 1'000;

HttpResponse json_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

ScaleLookup scale_lookup(node::Node& node) {
  return [&node](const AssetId& id) -> std::optional<uint8_t> {
    auto a = node.asset(id);
    if (!a) return std::nullopt;
    return a->scale;
  };
}

json finality_json(const node::Finality& f, size_t op_count) {
  return {{"id", f.id.hex()},
          {"status", "final"},
          {"height", f.height},
          {"index", f.index},
          {"block_time_ms", f.block_time_ms},
          {"result", outcome_to_json(f.outcome, op_count)}};
}

// Rejections that describe the bytes themselves are 400; those that depend on the ledger's
// state (unknown source account, signer weights, replay window) are 422.
int rejection_status(ResultCode code) {
  switch (code) {
    case ResultCode::tx_malformed:
    case ResultCode::tx_wrong_network:
    case ResultCode::tx_bad_signature:
    case ResultCode::tx_no_operations:
    case ResultCode::tx_too_many_operations:
    case ResultCode::tx_validity_too_long:
      return 400;
    default:
      return 422;
  }
}

// How a submission (one or many) is answered: at once, or when final (or at the timeout).
struct WaitOptions {
  bool wait = false;
  uint64_t timeout_ms = 0;
};

// The wait options from their two values, each absent when not given; the rules are the same
// whether they came in a JSON body or in the query of a binary submission.
WaitOptions parse_wait_values(const std::string* wait_text, std::optional<uint64_t> timeout_ms) {
  WaitOptions w;
  w.timeout_ms = wait_timeout_ms_default;
  if (wait_text) {
    if (*wait_text == "final")
      w.wait = true;
    else if (*wait_text != "none")
      throw ApiError(400, "invalid_wait", "field 'wait' must be \"none\" or \"final\"");
  }
  if (timeout_ms) {
    if (*timeout_ms > wait_timeout_ms_max)
      throw ApiError(400, "out_of_range",
                     "timeout_ms may be at most " + std::to_string(wait_timeout_ms_max));
    w.timeout_ms = *timeout_ms;
  }
  return w;
}

WaitOptions parse_wait(const json& body) {
  const std::string* wait_text = nullptr;
  if (body.contains("wait")) {
    if (!body["wait"].is_string())
      throw ApiError(400, "wrong_type", "field 'wait' must be a string");
    wait_text = &body["wait"].get_ref<const std::string&>();
  }
  std::optional<uint64_t> timeout_ms;
  if (body.contains("timeout_ms")) {
    const json& t = body["timeout_ms"];
    if (!t.is_number_unsigned())
      throw ApiError(400, "wrong_type", "field 'timeout_ms' must be a non-negative integer");
    timeout_ms = t.get<uint64_t>();
  }
  return parse_wait_values(wait_text, timeout_ms);
}

// A binary submission carries its wait options in the query: ?wait=final&timeout_ms=N.
WaitOptions parse_wait_query(const HttpRequest& req) {
  for (const auto& [k, v] : req.query)
    if (k != "wait" && k != "timeout_ms")
      throw ApiError(400, "unknown_field", "unknown query parameter '" + k + "'");
  const std::string* wait_text = nullptr;
  if (auto it = req.query.find("wait"); it != req.query.end()) wait_text = &it->second;
  std::optional<uint64_t> timeout_ms;
  if (auto it = req.query.find("timeout_ms"); it != req.query.end()) {
    uint64_t value = 0;
    const std::string& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
      throw ApiError(400, "wrong_type",
                     "query parameter 'timeout_ms' must be a non-negative "
                     "integer");
    timeout_ms = value;
  }
  return parse_wait_values(wait_text, timeout_ms);
}

// True when the body is binary (Content-Type application/octet-stream, parameters ignored):
// envelopes as bytes rather than hex inside JSON, which spares both sides the text encoding.
bool is_binary(const HttpRequest& req) {
  const std::string_view type =
      std::string_view(req.content_type)
          .substr(0, std::min(req.content_type.find(';'), req.content_type.size()));
  return type == "application/octet-stream";
}

// An envelope's bytes (from `what`): the transaction and its canonical bytes.
std::pair<ledger::Transaction, Bytes> decode_envelope_bytes(Bytes raw, const std::string& what) {
  if (raw.size() > ledger::tx_bytes_max)
    throw ApiError(
        400, "too_large",
        what + ": the envelope exceeds " + std::to_string(ledger::tx_bytes_max) + " bytes");
  auto decoded = ledger::decode_transaction(raw);
  if (!decoded.ok())
    throw ApiError(400, "malformed_envelope", what + ": " + decoded.status().message());
  return {std::move(decoded).value(), std::move(raw)};
}

// A hex envelope from the field `what`: the transaction and its canonical bytes.
std::pair<ledger::Transaction, Bytes> decode_envelope(const json& value, const std::string& what) {
  if (!value.is_string())
    throw ApiError(400, "wrong_type", "field '" + what + "' must be a hex string");
  const std::string& hex = value.get_ref<const std::string&>();
  if (hex.size() > 2 * ledger::tx_bytes_max)
    throw ApiError(
        400, "too_large",
        what + ": the envelope exceeds " + std::to_string(ledger::tx_bytes_max) + " bytes");
  auto raw = from_hex(hex);
  if (!raw.ok()) throw ApiError(400, "invalid_hex", what + ": " + raw.status().message());
  return decode_envelope_bytes(std::move(raw).value(), what);
}

// A binary batch: envelopes one after the other, each preceded by its length as a
// little-endian u32, like every length in the protocol's encoding (docs/api.md). Every envelope
// decodes, or the request is refused as a whole.
std::vector<std::pair<ledger::Transaction, Bytes>> decode_binary_batch(const std::string& body) {
  std::vector<std::pair<ledger::Transaction, Bytes>> txs;
  const auto* data = reinterpret_cast<const uint8_t*>(body.data());
  size_t at = 0;
  while (at < body.size()) {
    const std::string what = "envelope " + std::to_string(txs.size());
    if (txs.size() == batch_envelopes_max)
      throw ApiError(400, "out_of_range",
                     "at most " + std::to_string(batch_envelopes_max) + " envelopes per batch");
    if (body.size() - at < 4)
      throw ApiError(400, "malformed_batch", what + ": the length prefix is cut short");
    const uint32_t length =
        static_cast<uint32_t>(data[at]) | static_cast<uint32_t>(data[at + 1]) << 8 |
        static_cast<uint32_t>(data[at + 2]) << 16 | static_cast<uint32_t>(data[at + 3]) << 24;
    at += 4;
    if (length > ledger::tx_bytes_max)
      throw ApiError(
          400, "too_large",
          what + ": the envelope exceeds " + std::to_string(ledger::tx_bytes_max) + " bytes");
    if (body.size() - at < length)
      throw ApiError(400, "malformed_batch", what + ": the body ends inside the envelope");
    txs.push_back(decode_envelope_bytes(Bytes(data + at, data + at + length), what));
    at += length;
  }
  if (txs.empty()) throw ApiError(400, "out_of_range", "the batch holds no envelopes");
  return txs;
}

// The answer to a submission that is not waited for (or was not queued): HTTP status and body.
std::pair<int, json> submit_result_json(const node::SubmitResult& r, const std::string& id_hex,
                                        size_t op_count) {
  switch (r.kind) {
    case node::SubmitResult::Kind::accepted:
    case node::SubmitResult::Kind::already_pending:
      return {202, {{"id", id_hex}, {"status", "pending"}}};
    case node::SubmitResult::Kind::already_final: {
      json j = finality_json(r.final, op_count);
      j["resubmitted"] = true;
      return {200, j};
    }
    case node::SubmitResult::Kind::rejected: {
      json err = {{"code", std::string(ledger::result_code_name(r.code))},
                  {"message", std::string(ledger::result_code_description(r.code))},
                  {"id", id_hex}};
      if (r.op_code != ResultCode::ok) {
        err["message"] = "operation " + std::to_string(r.op_index) + ": " +
                         std::string(ledger::result_code_description(r.op_code));
        err["operation"] = {{"index", r.op_index},
                            {"code", std::string(ledger::result_code_name(r.op_code))}};
      }
      return {rejection_status(r.code), {{"error", err}}};
    }
    case node::SubmitResult::Kind::unavailable:
      return {503, {{"error", {{"code", "unavailable"}, {"message", r.message}}}}};
    case node::SubmitResult::Kind::rate_limited:
      return {429,
              {{"error",
                {{"code", "rate_limited"},
                 {"message", r.message},
                 {"id", id_hex},
                 {"retry_after_ms", r.retry_after_ms}}}}};
  }
  return {500, {{"error", {{"code", "internal"}, {"message", "unhandled submission result"}}}}};
}

Hash256 parse_hash(const std::string& text, const char* what) {
  auto h = Hash256::from_hex_text(text);
  if (!h.ok()) throw ApiError(400, "invalid_hex", std::string(what) + ": " + h.status().message());
  return *h;
}

AccountId parse_account(const std::string& text) {
  auto a = parse_account_id(text);
  if (!a.ok()) throw ApiError(400, "invalid_account_id", a.status().message());
  return *a;
}

AssetId parse_asset(const std::string& text) {
  auto a = AssetId::parse(text);
  if (!a.ok()) throw ApiError(400, "invalid_asset", a.status().message());
  return *a;
}

json parse_body(const HttpRequest& req) {
  if (req.body.empty()) throw ApiError(400, "malformed_json", "the request body is empty");
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw ApiError(400, "malformed_json", "the request body is not valid JSON");
  if (!j.is_object()) throw ApiError(400, "wrong_type", "the request body must be a JSON object");
  return j;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits the path on '/' and percent-decodes each segment (clients encode the ':' of
// CODE:ISSUER as %3A). The server leaves the path encoded so that an encoded '/' stays
// inside its segment.
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) {
      std::string seg;
      for (size_t k = i; k < j; ++k) {
        if (path[k] != '%') {
          seg += path[k];
          continue;
        }
        int hi = k + 2 < j ? hex_digit(path[k + 1]) : -1;
        int lo = k + 2 < j ? hex_digit(path[k + 2]) : -1;
        if (hi < 0 || lo < 0)
          throw ApiError(400, "malformed_path", "invalid percent escape in the path");
        seg += static_cast<char>(hi * 16 + lo);
        k += 2;
      }
      parts.push_back(std::move(seg));
    }
    i = j + 1;
  }
  return parts;
}

}  // namespace

NodeApi::NodeApi(node::Node& node)
    : node_(node), timeouts_(std::make_unique<detail::TimeoutQueue>()) {}
NodeApi::~NodeApi() = default;

void NodeApi::handle(HttpRequest request, Responder respond) {
  bool deferred = false;
  HttpResponse response;
  try {
    response = route(request, respond, deferred);
  } catch (const ApiError& e) {
    response = json_error(e.http_status(), e.code(), e.what());
  } catch (const json::exception& e) {
    response = json_error(400, "wrong_type", e.what());
  }
  if (!deferred) respond(std::move(response));
}

HttpResponse NodeApi::route(const HttpRequest& req, Responder& respond, bool& deferred) {
  auto parts = split_path(req.path);
  const bool get = req.method == "GET";
  const bool post = req.method == "POST";
  auto method_not_allowed = [&] {
    return json_error(405, "method_not_allowed", req.method + " is not allowed on " + req.path);
  };
  if (parts.size() < 2 || parts[0] != "v1")
    return json_error(404, "not_found", "no such endpoint: " + req.path);
  const std::string& resource = parts[1];
  if (resource == "status" && parts.size() == 2) return get ? get_status() : method_not_allowed();
  if (resource == "result-codes" && parts.size() == 2)
    return get ? get_result_codes() : method_not_allowed();
  if (resource == "transactions") {
    if (parts.size() == 2) return post ? submit(req, respond, deferred) : method_not_allowed();
    if (parts.size() == 3 && parts[2] == "encode") return post ? encode(req) : method_not_allowed();
    if (parts.size() == 3 && parts[2] == "batch")
      return post ? submit_batch(req, respond, deferred) : method_not_allowed();
    if (parts.size() == 3) return get ? get_transaction(parts[2]) : method_not_allowed();
  }
  if (resource == "accounts") {
    if (parts.size() == 3) return get ? get_account(parts[2]) : method_not_allowed();
    if (parts.size() == 6 && parts[3] == "holdings" && parts[5] == "proof")
      return get ? get_proof(parts[2], parts[4], respond, deferred) : method_not_allowed();
  }
  if (resource == "assets" && parts.size() == 3)
    return get ? get_asset(parts[2]) : method_not_allowed();
  if (resource == "blocks" && parts.size() == 3)
    return get ? get_block(parts[2]) : method_not_allowed();
  if (resource == "queue" && parts.size() == 2) return get ? get_queue(req) : method_not_allowed();
  if (resource == "escrows" && parts.size() == 3)
    return get ? get_escrow(parts[2]) : method_not_allowed();
  // FX.
  if (resource == "offers" && parts.size() == 3)
    return get ? get_offer(parts[2]) : method_not_allowed();
  if (resource == "accounts" && parts.size() == 4 && parts[3] == "offers")
    return get ? get_account_offers(parts[2]) : method_not_allowed();
  if (resource == "books" && parts.size() == 4)
    return get ? get_book(parts[2], parts[3], req) : method_not_allowed();
  if (resource == "paths" && parts.size() == 2) return get ? get_paths(req) : method_not_allowed();
  return json_error(404, "not_found", "no such endpoint: " + req.path);
}

HttpResponse NodeApi::submit(const HttpRequest& req, Responder& respond, bool& deferred) {
  ledger::Transaction tx;
  Bytes envelope;
  WaitOptions options;
  if (is_binary(req)) {
    options = parse_wait_query(req);
    std::tie(tx, envelope) = decode_envelope_bytes(Bytes(req.body.begin(), req.body.end()), "body");
  } else {
    json body = parse_body(req);
    for (const auto& [k, v] : body.items())
      if (k != "envelope" && k != "transaction" && k != "signatures" && k != "wait" &&
          k != "timeout_ms")
        throw ApiError(400, "unknown_field", "unknown field '" + k + "'");
    options = parse_wait(body);
    if (body.contains("envelope")) {
      if (body.contains("transaction") || body.contains("signatures"))
        throw ApiError(400, "conflicting_fields",
                       "give either 'envelope' or 'transaction' with 'signatures'");
      std::tie(tx, envelope) = decode_envelope(body["envelope"], "envelope");
    } else {
      if (!body.contains("transaction"))
        throw ApiError(400, "missing_field", "missing field 'transaction' (or 'envelope')");
      if (!body.contains("signatures"))
        throw ApiError(400, "missing_field", "missing field 'signatures'");
      tx = transaction_from_json(body["transaction"], node_.network_id(), scale_lookup(node_));
      check_replaced_offer_assets(body["transaction"]);
      tx.signatures = signatures_from_json(body["signatures"]);
      // The node takes a transaction with the bytes it was decoded from (validators execute
      // the decoded copy in place of the block's bytes), so the JSON form goes through the
      // same decoder as an envelope would.
      std::tie(tx, envelope) = decode_envelope_bytes(ledger::encode_transaction(tx), "transaction");
    }
  }
  const bool wait = options.wait;
  const uint64_t timeout_ms = options.timeout_ms;

  const size_t op_count = tx.ops.size();
  const std::string id_hex = tx.id.hex();
  node::FinalityCallback on_final;
  uint64_t timeout_id = 0;
  if (wait) {
    // The timeout is armed before submitting, so that a block committing at once still finds
    // it to cancel; whichever of the two answers first wins (a Responder answers once).
    timeout_id = timeouts_->schedule(std::chrono::milliseconds(timeout_ms), [respond, id_hex,
                                                                             timeout_ms] {
      respond(json_response(202, {{"id", id_hex},
                                  {"status", "pending"},
                                  {"message", "not final within " + std::to_string(timeout_ms) +
                                                  " ms; query GET /v1/transactions/" + id_hex}}));
    });
    on_final = [respond, op_count, timeout_id, timeouts = timeouts_.get()](
                   const Status& s, const node::Finality& f) {
      timeouts->cancel(timeout_id);
      if (!s.ok()) {
        respond(json_error(503, "unavailable", s.message()));
        return;
      }
      respond(json_response(200, finality_json(f, op_count)));
    };
  }
  node::SubmitResult r = node_.submit(std::move(tx), std::move(envelope), on_final);
  const bool queued = r.kind == node::SubmitResult::Kind::accepted ||
                      r.kind == node::SubmitResult::Kind::already_pending;
  if (wait && !queued) timeouts_->cancel(timeout_id);
  if (wait && queued) {
    deferred = true;
    return {};
  }
  auto [status, reply] = submit_result_json(r, id_hex, op_count);
  HttpResponse response = json_response(status, reply);
  if (r.kind == node::SubmitResult::Kind::rate_limited)
    // Retry-After counts whole seconds; the body's figure is exact.
    response.headers.emplace_back("Retry-After", std::to_string((r.retry_after_ms + 999) / 1'000));
  return response;
}

HttpResponse NodeApi::submit_batch(const HttpRequest& req, Responder& respond, bool& deferred) {
  // Every envelope decodes before any is submitted: a malformed one refuses the whole request,
  // which then changed nothing.
  std::vector<std::pair<ledger::Transaction, Bytes>> txs;
  WaitOptions options;
  if (is_binary(req)) {
    options = parse_wait_query(req);
    txs = decode_binary_batch(req.body);
  } else {
    json body = parse_body(req);
    for (const auto& [k, v] : body.items())
      if (k != "envelopes" && k != "wait" && k != "timeout_ms")
        throw ApiError(400, "unknown_field", "unknown field '" + k + "'");
    options = parse_wait(body);
    if (!body.contains("envelopes"))
      throw ApiError(400, "missing_field", "missing field 'envelopes'");
    const json& list = body["envelopes"];
    if (!list.is_array()) throw ApiError(400, "wrong_type", "field 'envelopes' must be an array");
    if (list.empty()) throw ApiError(400, "out_of_range", "field 'envelopes' is empty");
    if (list.size() > batch_envelopes_max)
      throw ApiError(400, "out_of_range",
                     "at most " + std::to_string(batch_envelopes_max) + " envelopes per batch");
    txs.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i)
      txs.push_back(decode_envelope(list[i], "envelopes[" + std::to_string(i) + "]"));
  }
  const bool wait = options.wait;
  const uint64_t timeout_ms = options.timeout_ms;

  // The answers, filled as submissions are answered and transactions become final. With wait
  // "final" the response goes out when the last one is final, or at the timeout with the rest
  // marked pending, whichever comes first (a Responder answers once).
  struct Pending {
    std::mutex mu;
    json results = json::array();
    size_t waiting = 0;
    bool answered = false;
  };
  auto state = std::make_shared<Pending>();
  state->results = json::array();
  for (size_t i = 0; i < txs.size(); ++i)
    state->results.push_back({{"id", txs[i].first.id.hex()}, {"status", "pending"}});
  auto answer = [respond](const json& results) {
    size_t final_count = 0;
    for (const json& r : results) final_count += r.value("status", "") == "final" ? 1 : 0;
    respond(json_response(200, {{"final", final_count}, {"results", results}}));
  };
  uint64_t timeout_id = 0;
  if (wait) {
    timeout_id = timeouts_->schedule(std::chrono::milliseconds(timeout_ms), [state, answer] {
      std::lock_guard lock(state->mu);
      if (state->answered) return;
      state->answered = true;
      answer(state->results);
    });
  }
  {
    // Held while submitting, so that callbacks of transactions final at once wait until
    // `waiting` counts every queued transaction.
    std::lock_guard lock(state->mu);
    for (size_t i = 0; i < txs.size(); ++i) {
      auto& [tx, envelope] = txs[i];
      const size_t op_count = tx.ops.size();
      const std::string id_hex = tx.id.hex();
      node::FinalityCallback on_final;
      if (wait)
        on_final = [state, i, op_count, answer, timeout_id, timeouts = timeouts_.get()](
                       const Status& s, const node::Finality& f) {
          std::lock_guard l(state->mu);
          if (s.ok())
            state->results[i] = finality_json(f, op_count);
          else
            state->results[i] = {{"id", f.id.hex()},
                                 {"error", {{"code", "unavailable"}, {"message", s.message()}}}};
          if (--state->waiting > 0 || state->answered) return;
          state->answered = true;
          timeouts->cancel(timeout_id);
          answer(state->results);
        };
      node::SubmitResult r = node_.submit(std::move(tx), std::move(envelope), on_final);
      const bool queued = r.kind == node::SubmitResult::Kind::accepted ||
                          r.kind == node::SubmitResult::Kind::already_pending;
      if (wait && queued) {
        ++state->waiting;
        continue;
      }
      auto [status, reply] = submit_result_json(r, id_hex, op_count);
      if (!reply.contains("id")) reply["id"] = id_hex;
      state->results[i] = std::move(reply);
    }
    if (wait && state->waiting > 0) {
      deferred = true;
      return {};
    }
    state->answered = true;
  }
  if (wait) timeouts_->cancel(timeout_id);
  size_t final_count = 0;
  for (const json& r : state->results) final_count += r.value("status", "") == "final" ? 1 : 0;
  return json_response(200, {{"final", final_count}, {"results", state->results}});
}

HttpResponse NodeApi::encode(const HttpRequest& req) {
  json body = parse_body(req);
  for (const auto& [k, v] : body.items())
    if (k != "transaction") throw ApiError(400, "unknown_field", "unknown field '" + k + "'");
  if (!body.contains("transaction"))
    throw ApiError(400, "missing_field", "missing field 'transaction'");
  auto tx = transaction_from_json(body["transaction"], node_.network_id(), scale_lookup(node_));
  check_replaced_offer_assets(body["transaction"]);
  Bytes b;
  ledger::encode_tx_body(tx, b);
  return json_response(200, {{"id", tx.id.hex()},
                             {"body", to_hex(b)},
                             {"signing_message", to_hex(ledger::tx_signing_message(tx.id))}});
}

HttpResponse NodeApi::get_transaction(const std::string& id_hex) {
  Hash256 id = parse_hash(id_hex, "transaction id");
  auto rec = node_.transaction(id);
  if (!rec.ok()) return json_error(500, "storage_error", rec.status().to_string());
  if (!rec->has_value()) {
    if (node_.is_pending(id)) return json_response(200, {{"id", id.hex()}, {"status", "pending"}});
    return json_error(404, "not_found", "no transaction " + id.hex() + " is known to this node");
  }
  const node::TxRecord& r = **rec;
  auto tx = ledger::decode_transaction(r.envelope);
  if (!tx.ok()) return json_error(500, "corruption", tx.status().to_string());
  node::Finality f{id, r.location.height, r.location.index, r.block_time_ms, r.outcome};
  json j = finality_json(f, tx->ops.size());
  j["transaction"] = transaction_to_json(*tx, scale_lookup(node_));
  return json_response(200, j);
}

HttpResponse NodeApi::get_account(const std::string& id_hex) {
  AccountId id = parse_account(id_hex);
  auto info = node_.account(id);
  if (!info) return json_error(404, "account_not_found", "no account " + id.hex());
  json j = account_to_json(info->account);
  json holdings = json::array();
  for (size_t i = 0; i < info->holdings.size(); ++i)
    holdings.push_back(
        holding_to_json(info->holdings[i].asset, info->holdings[i].holding, info->scales[i]));
  j["holdings"] = holdings;
  return json_response(200, j);
}

namespace {

json proof_json(const node::HoldingProofInfo& p, const AccountId& id, const AssetId& asset,
                const node::Node& node) {
  json siblings = json::array();
  for (const auto& s : p.proof.proof.siblings) siblings.push_back(s.hex());
  json j = {{"account", id.hex()},
            {"asset", asset.to_string()},
            {"height", p.height},
            {"state_root", p.state_root.hex()},
            {"entry_key", to_hex(p.proof.entry_key)},
            {"entry_value", to_hex(p.proof.entry_value)},
            {"siblings", siblings}};
  auto h = ledger::decode_holding_value(p.proof.entry_value);
  auto as = node.asset(asset);
  if (h.ok() && as) j["holding"] = holding_to_json(asset, *h, as->scale);
  return j;
}

}  // namespace

HttpResponse NodeApi::get_proof(const std::string& id_hex, const std::string& asset_text,
                                Responder& respond, bool& deferred) {
  const AccountId id = parse_account(id_hex);
  const AssetId asset = parse_asset(asset_text);
  // The answer may come later, from the executor at the next root height (node.h): armed
  // first, the timeout answers if none comes in time, and whichever is first wins.
  const uint64_t timeout_id =
      timeouts_->schedule(std::chrono::milliseconds(proof_wait_ms_max), [respond] {
        respond(json_error(503, "unavailable",
                           "the holding changed after the last state root and no root height "
                           "came within " +
                               std::to_string(proof_wait_ms_max) + " ms"));
      });
  deferred = true;
  node_.prove_holding(
      id, asset,
      [respond, id, asset, timeout_id, timeouts = timeouts_.get(),
       &node = node_](Result<std::optional<node::HoldingProofInfo>> proven) {
        timeouts->cancel(timeout_id);
        if (!proven.ok()) {
          respond(json_error(503, "unavailable", proven.status().message()));
          return;
        }
        if (!*proven) {
          respond(json_error(404, "holding_not_found",
                             "account " + id.hex() + " holds no " + asset.to_string()));
          return;
        }
        respond(json_response(200, proof_json(**proven, id, asset, node)));
      });
  return {};
}

HttpResponse NodeApi::get_asset(const std::string& asset_text) {
  AssetId id = parse_asset(asset_text);
  auto a = node_.asset(id);
  if (!a) return json_error(404, "asset_not_found", "no asset " + id.to_string());
  return json_response(200, asset_to_json(*a));
}

HttpResponse NodeApi::get_block(const std::string& height_text) {
  uint64_t height = 0;
  if (height_text == "latest") {
    height = node_.status().height;
  } else {
    auto [p, ec] =
        std::from_chars(height_text.data(), height_text.data() + height_text.size(), height);
    if (ec != std::errc() || p != height_text.data() + height_text.size())
      return json_error(400, "invalid_height",
                        "block height must be a non-negative integer or 'latest'");
  }
  auto b = node_.block(height);
  if (!b.ok()) return json_error(500, "storage_error", b.status().to_string());
  if (!b->has_value())
    return json_error(404, "block_not_found", "no block at height " + std::to_string(height));
  const node::BlockInfo& info = **b;
  const auto& h = info.block.header;
  json txs = json::array();
  for (size_t i = 0; i < info.block.txs.size(); ++i) {
    const auto& o = info.result.outcomes[i];
    json t = {{"id", info.block.txs[i].id.hex()},
              {"source", info.block.txs[i].source.hex()},
              {"operations", info.block.txs[i].ops.size()},
              {"code", std::string(ledger::result_code_name(o.code))}};
    if (o.op_code != ResultCode::ok)
      t["failed_operation"] = {{"index", o.op_index},
                               {"code", std::string(ledger::result_code_name(o.op_code))}};
    txs.push_back(t);
  }
  return json_response(200, {{"height", h.height},
                             {"hash", info.hash.hex()},
                             {"parent_hash", h.parent_hash.hex()},
                             {"time_ms", h.time_ms},
                             {"tx_root", h.tx_root.hex()},
                             {"tx_count", h.tx_count},
                             {"parent_state_root", h.parent_state_root.hex()},
                             {"state_root", info.result.state_root.hex()},
                             {"transactions", txs},
                             {"queue_events", queue_events_to_json(info.result.queue_events)}});
}

namespace {

// A decimal u64 from a path segment or query value; nullopt unless it is all digits and fits.
std::optional<uint64_t> parse_u64(const std::string& text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

HttpResponse NodeApi::get_queue(const HttpRequest& req) {
  for (const auto& [k, v] : req.query)
    if (k != "account" && k != "from" && k != "limit")
      throw ApiError(400, "unknown_parameter", "unknown query parameter '" + k + "'");
  std::optional<AccountId> party;
  if (auto it = req.query.find("account"); it != req.query.end()) party = parse_account(it->second);
  uint64_t from = 0;
  if (auto it = req.query.find("from"); it != req.query.end()) {
    auto v = parse_u64(it->second);
    if (!v) throw ApiError(400, "invalid_parameter", "'from' must be a sequence number");
    from = *v;
  }
  uint64_t limit = queue_page_max;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    auto v = parse_u64(it->second);
    if (!v || *v == 0 || *v > queue_page_max)
      throw ApiError(400, "invalid_parameter",
                     "'limit' must be 1 to " + std::to_string(queue_page_max));
    limit = *v;
  }
  json list = json::array();
  for (const auto& q : node_.queued_payments(party, from, limit)) {
    auto scale = node_.asset(q.asset);
    list.push_back(queued_payment_to_json(q, scale ? scale->scale : 0));
  }
  return json_response(200, {{"payments", list}});
}

HttpResponse NodeApi::get_escrow(const std::string& id_text) {
  auto id = parse_u64(id_text);
  if (!id) return json_error(400, "invalid_escrow_id", "an escrow id is a decimal number");
  auto e = node_.escrow(*id);
  if (!e) return json_error(404, "escrow_not_found", "no open escrow " + id_text);
  auto asset = node_.asset(e->asset);
  return json_response(200, escrow_to_json(*e, asset ? asset->scale : 0));
}

namespace {

json latency_json(const node::LatencySummary& l) {
  return {{"samples", l.samples},
          {"p50", l.p50_ms},
          {"p90", l.p90_ms},
          {"p99", l.p99_ms},
          {"max", l.max_ms}};
}

}  // namespace

HttpResponse NodeApi::get_status() {
  node::NodeStatus s = node_.status();
  json consensus = {{"mode", s.bft ? "bft" : "solo"}, {"validators", s.validators}};
  if (s.epoch) consensus["epoch"] = *s.epoch;
  if (s.consensus) {
    const node::ConsensusStatus& c = *s.consensus;
    consensus["role"] = c.observer ? "observer" : c.leader ? "leader" : "validator";
    consensus["round"] = c.round;
    consensus["consensus_epoch"] = c.epoch;
    consensus["committed_height"] = c.committed_height;
    consensus["leader_index"] = c.leader_index;
    consensus["pending_txs"] = c.pending_txs;
    consensus["proposal_held"] = c.proposal_held;
    consensus["counters"] = {{"proposals_sent", c.core.proposals_sent},
                             {"votes_sent", c.core.votes_sent},
                             {"timeouts_sent", c.core.timeouts_sent},
                             {"qcs_formed", c.core.qcs_formed},
                             {"tcs_formed", c.core.tcs_formed},
                             {"sync_requests", c.core.sync_requests},
                             {"invalid_messages", c.core.invalid_messages},
                             {"equivocations_seen", c.core.equivocations_seen},
                             {"exec_root_mismatches", c.core.exec_root_mismatches}};
    consensus["safety_write_ms"] = latency_json(c.safety_write_ms);
    consensus["proposals_spilled"] = c.proposals_spilled;
    json peers = json::array();
    for (const node::PeerStatus& p : c.peers)
      peers.push_back({{"public_key", p.key.hex()},
                       {"connected", p.connected},
                       {"frames_in", p.frames_in},
                       {"frames_out", p.frames_out},
                       {"bytes_in", p.bytes_in},
                       {"bytes_out", p.bytes_out},
                       {"queued_bytes", p.queued_bytes},
                       {"send_rejected", p.send_rejected},
                       {"reconnects", p.reconnects},
                       {"frames_refused", p.frames_refused}});
    consensus["peers"] = peers;
    consensus["relay"] = {{"txs_forwarded", c.txs_forwarded},
                          {"forwarded_frames_admitted", c.forwarded_frames_admitted},
                          {"forwarded_frames_undecodable", c.forwarded_frames_undecodable},
                          {"forwarded_txs_vouched_in", c.forwarded_txs_vouched_in},
                          {"txs_vouched_out", c.txs_vouched_out},
                          {"vouches_received", c.vouches_received},
                          {"vouch_frames_refused", c.vouch_frames_refused},
                          {"compact_proposals_sent", c.compact_proposals.sent},
                          {"compact_proposals_expanded", c.compact_proposals.expanded},
                          {"compact_proposals_incomplete", c.compact_proposals.incomplete},
                          {"compact_proposals_refused", c.compact_proposals.refused},
                          {"full_proposals_served", c.compact_proposals.full_served}};
    consensus["transport"] = {{"handshake_failures", c.handshake_failures},
                              {"connections_refused", c.connections_refused},
                              {"frames_malformed", c.frames_malformed}};
  }
  json body = {
      {"network", {{"name", s.network_name}, {"id", s.network_id.hex()}}},
      {"height", s.height},
      {"block_hash", s.block_hash.hex()},
      {"state_root", s.state_root.hex()},
      {"state_root_height", s.state_root_height},
      {"state_root_interval", s.state_root_interval},
      {"block_time_ms", s.block_time_ms},
      {"mempool", {{"txs", s.mempool_txs}, {"ops", s.mempool_ops}}},
      {"committed", {{"txs", s.txs_committed}, {"ops", s.ops_committed}}},
      {"signatures",
       {{"verified_at_admission", s.admission_verifications},
        {"verified_at_execution", s.execution_verifications}}},
      {"ledger", {{"accounts", s.accounts}, {"assets", s.assets}, {"holdings", s.holdings}}},
      {"consensus", consensus},
      {"latency_ms",
       {{"admission_to_proposal", latency_json(s.latency.admission_to_proposal)},
        {"proposal_to_commit", latency_json(s.latency.proposal_to_commit)},
        {"commit_to_durable", latency_json(s.latency.commit_to_durable)},
        {"admission_to_durable", latency_json(s.latency.admission_to_durable)}}}};
  const AllocatorInfo heap = allocator_info();
  const auto bytes_or_null = [](const std::optional<uint64_t>& v) {
    return v ? json(*v) : json(nullptr);
  };
  body["process"] = {{"allocator", heap.name},
                     {"allocator_version", heap.version},
                     {"heap_allocated_bytes", bytes_or_null(heap.allocated_bytes)},
                     {"heap_resident_bytes", bytes_or_null(heap.resident_bytes)}};
  body["store"] = {{"memtables_unflushed", s.store.memtables_unflushed},
                   {"flush_pending", s.store.flush_pending},
                   {"compaction_pending", s.store.compaction_pending},
                   {"compaction_pending_bytes", s.store.compaction_pending_bytes},
                   {"writes_delayed", s.store.writes_delayed},
                   {"writes_stopped", s.store.writes_stopped},
                   {"settled", s.store.settled()}};
  if (s.sync) {
    const node::SyncProgress& p = *s.sync;
    body["sync"] = {{"phase", std::string(node::sync_phase_name(p.phase))},
                    {"target_height", p.target_height},
                    {"entries_received", p.entries_received},
                    {"entries_total", p.entries_total},
                    {"bytes_received", p.bytes_received},
                    {"bytes_total", p.bytes_total},
                    {"bad_chunks", p.bad_chunks},
                    {"checkpoints_installed", p.checkpoints_installed},
                    {"last_installed_height", p.last_installed_height},
                    {"network_height", p.network_height},
                    {"chunks_served", p.chunks_served},
                    {"serve_refused", p.serve_refused},
                    {"checkpoint_requests_cached", p.checkpoint_requests_cached}};
  }
  return json_response(200, body);
}

HttpResponse NodeApi::get_result_codes() {
  json codes = json::array();
  for (int v = 0; v < 1000; ++v) {
    auto code = static_cast<ResultCode>(v);
    auto name = ledger::result_code_name(code);
    if (name == "unknown") continue;
    codes.push_back({{"number", v},
                     {"name", std::string(name)},
                     {"description", std::string(ledger::result_code_description(code))}});
  }
  return json_response(200, {{"result_codes", codes}});
}

// --- FX: offers, order books and path quotes -------------------------------------------------

namespace {

constexpr size_t book_limit_default = 100;
constexpr size_t book_limit_max = 1'000;

uint64_t parse_u64_text(const std::string& text, const char* code, const std::string& what) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size())
    throw ApiError(400, code, what + " must be a non-negative integer");
  return v;
}

void check_query(const HttpRequest& req, std::initializer_list<const char*> allowed) {
  for (const auto& [k, v] : req.query) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || k == a;
    if (!ok) throw ApiError(400, "unknown_parameter", "unknown query parameter '" + k + "'");
  }
}

const std::string& query_param(const HttpRequest& req, const char* name) {
  auto it = req.query.find(name);
  if (it == req.query.end())
    throw ApiError(400, "missing_parameter", std::string("missing query parameter '") + name + "'");
  return it->second;
}

}  // namespace

// The JSON form of replace_offer names the offer's assets only to read its amount and price in
// their scales; an offer that exists now with other assets would be mis-scaled, so it is refused.
// (transaction_from_json has checked the form already.)
void NodeApi::check_replaced_offer_assets(const json& tx) {
  const json& ops = tx["operations"];
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].value("type", "") != "replace_offer") continue;
    auto o = node_.offer(ops[i]["offer_id"].get<uint64_t>());
    if (!o) continue;  // The ledger answers op_offer_not_found.
    if (ops[i]["selling"].get<std::string>() != o->selling.to_string() ||
        ops[i]["buying"].get<std::string>() != o->buying.to_string())
      throw ApiError(400, "offer_assets_mismatch",
                     "operations[" + std::to_string(i) + "]: offer " + std::to_string(o->id) +
                         " sells " + o->selling.to_string() + " for " + o->buying.to_string());
  }
}

HttpResponse NodeApi::get_offer(const std::string& id_text) {
  uint64_t id = parse_u64_text(id_text, "invalid_offer_id", "the offer id");
  auto o = node_.offer(id);
  if (!o) return json_error(404, "offer_not_found", "no resting offer " + std::to_string(id));
  auto as = node_.asset(o->selling);
  return json_response(200, offer_to_json(*o, as ? as->scale : 0));
}

HttpResponse NodeApi::get_account_offers(const std::string& id_hex) {
  AccountId id = parse_account(id_hex);
  if (!node_.account(id)) return json_error(404, "account_not_found", "no account " + id.hex());
  json list = json::array();
  for (const auto& o : node_.offers_of(id)) {
    auto as = node_.asset(o.selling);
    list.push_back(offer_to_json(o, as ? as->scale : 0));
  }
  return json_response(200, {{"account", id.hex()}, {"offers", list}});
}

HttpResponse NodeApi::get_book(const std::string& selling_text, const std::string& buying_text,
                               const HttpRequest& req) {
  check_query(req, {"limit"});
  AssetId selling = parse_asset(selling_text);
  AssetId buying = parse_asset(buying_text);
  if (selling == buying)
    throw ApiError(400, "same_asset", "a book's selling and buying assets must differ");
  size_t limit = book_limit_default;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    limit = parse_u64_text(it->second, "invalid_limit", "limit");
    if (limit == 0 || limit > book_limit_max)
      throw ApiError(400, "invalid_limit",
                     "limit must be between 1 and " + std::to_string(book_limit_max));
  }
  auto s = node_.asset(selling);
  if (!s) return json_error(404, "asset_not_found", "no asset " + selling.to_string());
  if (!node_.asset(buying))
    return json_error(404, "asset_not_found", "no asset " + buying.to_string());
  auto [offers, total] = node_.book(selling, buying, limit);
  json list = json::array();
  for (const auto& o : offers) list.push_back(offer_to_json(o, s->scale));
  return json_response(200, {{"selling", selling.to_string()},
                             {"buying", buying.to_string()},
                             {"total", total},
                             {"offers", list}});
}

HttpResponse NodeApi::get_paths(const HttpRequest& req) {
  check_query(req, {"source_asset", "destination_asset", "amount", "mode", "payer"});
  AssetId source = parse_asset(query_param(req, "source_asset"));
  AssetId destination = parse_asset(query_param(req, "destination_asset"));
  const std::string& mode_text = query_param(req, "mode");
  ledger::PathMode mode;
  if (mode_text == "send")
    mode = ledger::PathMode::exact_send;
  else if (mode_text == "receive")
    mode = ledger::PathMode::exact_receive;
  else
    throw ApiError(400, "invalid_mode", "mode must be 'send' or 'receive'");
  if (source == destination)
    throw ApiError(400, "same_asset", "source and destination assets must differ");
  std::optional<AccountId> payer;
  if (auto it = req.query.find("payer"); it != req.query.end()) payer = parse_account(it->second);
  auto src = node_.asset(source);
  if (!src) return json_error(404, "asset_not_found", "no asset " + source.to_string());
  auto dst = node_.asset(destination);
  if (!dst) return json_error(404, "asset_not_found", "no asset " + destination.to_string());
  // The amount is in the source asset for send, in the destination asset for receive.
  uint8_t scale = mode == ledger::PathMode::exact_send ? src->scale : dst->scale;
  auto amount = parse_amount(query_param(req, "amount"), scale);
  if (!amount.ok()) throw ApiError(400, "invalid_amount", "amount: " + amount.status().message());
  if (*amount <= 0) throw ApiError(400, "invalid_amount", "amount must be positive");
  ledger::FxQuotes q = node_.find_paths(source, destination, *amount, mode, payer);
  json paths = json::array();
  for (const auto& p : q.paths) {
    json via = json::array();
    for (const auto& a : p.path) via.push_back(a.to_string());
    paths.push_back({{"path", via},
                     {"send_amount", format_amount(p.send_amount, src->scale)},
                     {"send_amount_minor", p.send_amount},
                     {"receive_amount", format_amount(p.receive_amount, dst->scale)},
                     {"receive_amount_minor", p.receive_amount},
                     {"offers_crossed", p.offers_crossed}});
  }
  return json_response(200, {{"mode", mode_text},
                             {"source_asset", source.to_string()},
                             {"destination_asset", destination.to_string()},
                             {"amount", format_amount(*amount, scale)},
                             {"paths", paths},
                             {"truncated", q.truncated}});
}

Result<std::unique_ptr<HttpServer>> start_node_api(node::Node& node, NodeApi& api) {
  HttpServerOptions opt;
  opt.address = node.config().api_address;
  opt.port = node.config().api_port;
  opt.threads = static_cast<int>(node.config().api_threads);
  // A full batch envelope in hex, with JSON around it, fits well within this.
  opt.body_bytes_max = 4 * ledger::tx_bytes_max;
  return HttpServer::start(
      opt, [&api](HttpRequest req, Responder r) { api.handle(std::move(req), std::move(r)); });
}

}  // namespace corridor::api
