// Runs data-driven ledger scenarios (tests/scenarios/*.scn, format in README.md): transactions in,
// result codes, balances and state out. Every failed expectation is reported as file:line with
// what was expected and what happened, and the run carries on, so one run lists every
// difference. The exit status is 0 when nothing failed.
//
// Usage: scenario_runner [--expect-failures=N] FILE...
//   --expect-failures=N  succeed only if exactly N expectations fail in total; used to check
//                        that the runner itself notices wrong expectations.

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/amount.h"
#include "ledger/ledger.h"
#include "ledger/result_code.h"
#include "support/test_support.h"

namespace corridor::test {
namespace {

using ledger::AssetEntry;
using ledger::HoldingEntry;

// A malformed line or an expectation that does not hold; caught per line and reported.
struct ScenarioError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void error(const std::string& message) {
  throw ScenarioError(message);
}

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> words;
  std::istringstream in{std::string(line)};
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(sep, start);
    parts.emplace_back(text.substr(start, at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

uint64_t parse_u64(std::string_view text, std::string_view what) {
  if (text.empty() || text.size() > 19)
    error("bad " + std::string(what) + " '" + std::string(text) + "'");
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') error("bad " + std::string(what) + " '" + std::string(text) + "'");
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

bool parse_yes_no(std::string_view text) {
  if (text == "yes") return true;
  if (text == "no") return false;
  error("expected yes or no, got '" + std::string(text) + "'");
}

// The words of one directive after its verb, consumed from the front. Options are words of the
// form key=value, which may appear anywhere.
class Words {
 public:
  explicit Words(std::vector<std::string> words) : words_(std::move(words)) {}

  bool empty() const { return pos_ >= words_.size(); }
  const std::string& next(std::string_view what) {
    if (empty()) error("missing " + std::string(what));
    return words_[pos_++];
  }
  std::optional<std::string> peek() const {
    if (empty()) return std::nullopt;
    return words_[pos_];
  }
  // Removes and returns the value of key=value, wherever it is.
  std::optional<std::string> option(std::string_view key) {
    for (size_t i = pos_; i < words_.size(); ++i) {
      const std::string& w = words_[i];
      if (w.size() > key.size() && w.compare(0, key.size(), key) == 0 && w[key.size()] == '=') {
        std::string value = w.substr(key.size() + 1);
        words_.erase(words_.begin() + static_cast<std::ptrdiff_t>(i));
        return value;
      }
    }
    return std::nullopt;
  }
  void expect_end() const {
    if (!empty()) error("unexpected '" + words_[pos_] + "'");
  }
  std::string rest() const {
    std::string s;
    for (size_t i = pos_; i < words_.size(); ++i) s += (s.empty() ? "" : " ") + words_[i];
    return s;
  }

 private:
  std::vector<std::string> words_;
  size_t pos_ = 0;
};

class Runner {
 public:
  explicit Runner(std::string file)
      : file_(std::move(file)), t_([this](const std::string& message) { fail(message); }) {}

  // Runs every line; returns the number of failures.
  int run(std::istream& in) {
    std::string text;
    while (std::getline(in, text)) {
      ++line_;
      std::string_view view = text;
      size_t start = view.find_first_not_of(" \t\r");
      if (start == std::string_view::npos || view[start] == '#') continue;
      run_line(view.substr(start));
    }
    try {
      check_pending();
      if (t_.block_open()) t_.end_block();
    } catch (const ScenarioError& e) {
      fail(e.what());
    }
    return failures_;
  }

 private:
  using Handler = void (Runner::*)(Words&);
  using OpParser = Operation (Runner::*)(const std::string& source, Words&);

  // The directives. New verbs (offers, queues) are added here and nowhere else.
  static const std::map<std::string, Handler, std::less<>>& directives() {
    static const std::map<std::string, Handler, std::less<>> table = {
        {"account", &Runner::do_account},
        {"tx", &Runner::do_tx},
        {"resubmit", &Runner::do_resubmit},
        {"batch", &Runner::do_batch},
        {"repeat", &Runner::do_repeat},
        {"expect", &Runner::do_expect},
        {"block", &Runner::do_block},
        {"advance", &Runner::do_advance},
        {"height", &Runner::do_height},
        {"balance", &Runner::do_balance},
        {"supply", &Runner::do_supply},
        {"holding", &Runner::do_holding},
        {"signers", &Runner::do_signers},
        {"count", &Runner::do_count},
        {"snapshot", &Runner::do_snapshot},
        {"unchanged", &Runner::do_unchanged},
        {"proof", &Runner::do_proof},
        {"restart", &Runner::do_restart},
        {"replay_id", &Runner::do_replay_id},
        {"invariants", &Runner::do_invariants},
        // FX.
        {"offer", &Runner::do_offer},
        {"book", &Runner::do_book},
        {"locked", &Runner::do_locked},
        {"quote", &Runner::do_quote},
        // The liquidity queue and escrows.
        {"queue", &Runner::do_queue},
        {"escrow", &Runner::do_escrow},
        {"events", &Runner::do_events},
    };
    return table;
  }

  // The operations a `tx` line may carry, named as in OpType where there is one name per type.
  static const std::map<std::string, OpParser, std::less<>>& operations() {
    static const std::map<std::string, OpParser, std::less<>> table = {
        {"create_account", &Runner::op_create_account},
        {"set_signers", &Runner::op_set_signers},
        {"create_asset", &Runner::op_create_asset},
        {"open_holding", &Runner::op_open_holding},
        {"authorize", &Runner::op_authorize},
        {"deauthorize", &Runner::op_deauthorize},
        {"freeze", &Runner::op_freeze},
        {"unfreeze", &Runner::op_unfreeze},
        {"issue", &Runner::op_issue},
        {"redeem", &Runner::op_redeem},
        {"transfer", &Runner::op_transfer},
        {"clawback", &Runner::op_clawback},
        // FX.
        {"place_offer", &Runner::op_place_offer},
        {"cancel_offer", &Runner::op_cancel_offer},
        {"replace_offer", &Runner::op_replace_offer},
        {"path_send", &Runner::op_path_send},
        {"path_receive", &Runner::op_path_receive},
        {"queue_transfer", &Runner::op_queue_transfer},
        {"cancel_queued", &Runner::op_cancel_queued},
        {"create_escrow", &Runner::op_create_escrow},
        {"finish_escrow", &Runner::op_finish_escrow},
        {"cancel_escrow", &Runner::op_cancel_escrow},
    };
    return table;
  }

  void fail(const std::string& message) {
    ++failures_;
    std::cerr << file_ << ":" << line_ << ": " << message << "\n";
  }

  void run_line(std::string_view text) {
    Words words(split_words(text));
    std::string verb = words.next("directive");
    auto it = directives().find(verb);
    try {
      if (it == directives().end()) error("unknown directive '" + verb + "'");
      if (verb != "expect") check_pending();
      (this->*(it->second))(words);
    } catch (const std::exception& e) {
      // ScenarioError, or a standard parse error such as std::stoul's.
      fail(e.what());
    }
  }

  // --- Names, assets and amounts --------------------------------------------------------

  const std::string& name(const std::string& n) {
    names_.insert(n);
    return n;
  }

  // CODE:ISSUER, where ISSUER is a participant's name.
  AssetId parse_asset(const std::string& text) {
    size_t colon = text.find(':');
    if (colon == std::string::npos) error("asset '" + text + "' is not CODE:ISSUER");
    auto c = AssetCode::parse(text.substr(0, colon));
    if (!c.ok()) error(c.status().message());
    AssetId id{*c, test_id(name(text.substr(colon + 1)))};
    assets_.insert(id);
    return id;
  }
  AssetId own_asset(const std::string& source, const std::string& code_text) {
    return parse_asset(code_text + ":" + source);
  }

  // The scale amounts of an asset are written in: the ledger's, else the one a create_asset
  // earlier in this file declared, else 0.
  uint8_t scale_of(const AssetId& id) const {
    if (const AssetEntry* a = t_.ledger().asset(id)) return a->scale;
    auto it = declared_scales_.find(id);
    return it == declared_scales_.end() ? 0 : it->second;
  }

  // A decimal amount in the asset's scale, optionally negative; "max" and "min" are the
  // extremes of int64, for overflow tests.
  Amount parse_amount_text(const std::string& text, const AssetId& id) {
    if (text == "max") return std::numeric_limits<Amount>::max();
    if (text == "min") return std::numeric_limits<Amount>::min();
    bool negative = !text.empty() && text[0] == '-';
    auto parsed = parse_amount(negative ? text.substr(1) : text, scale_of(id));
    if (!parsed.ok()) error(parsed.status().message());
    return negative ? -*parsed : *parsed;
  }
  std::string format(Amount amount, const AssetId& id) const {
    return format_amount(amount, scale_of(id));
  }

  // --- Operations -------------------------------------------------------------------------

  Operation op_create_account(const std::string& source, Words& w) {
    std::string key = w.option("key").value_or(source);
    return op::create_account(name(key));
  }
  Operation op_set_signers(const std::string&, Words& w) {
    auto threshold = w.option("threshold");
    if (!threshold) error("set_signers needs threshold=N");
    std::vector<std::pair<std::string, uint16_t>> signers;
    while (!w.empty()) {
      auto parts = split(w.next("signer"), '=');
      if (parts.size() != 2) error("signer must be NAME=WEIGHT");
      signers.emplace_back(name(parts[0]),
                           static_cast<uint16_t>(parse_u64(parts[1], "signer weight")));
    }
    return op::set_signers(signers, static_cast<uint16_t>(parse_u64(*threshold, "threshold")));
  }
  Operation op_create_asset(const std::string& source, Words& w) {
    std::string c = w.next("asset code");
    auto scale = w.option("scale");
    if (!scale) error("create_asset needs scale=N");
    uint8_t flags = 0;
    std::string flag_text = w.option("flags").value_or("none");
    if (flag_text.rfind("0x", 0) == 0) {
      flags = static_cast<uint8_t>(std::stoul(flag_text.substr(2), nullptr, 16));
    } else if (flag_text != "none") {
      for (const auto& f : split(flag_text, ',')) {
        if (f == "auth_required") {
          flags |= ledger::asset_flag_authorization_required;
        } else if (f == "freezable") {
          flags |= ledger::asset_flag_freezable;
        } else if (f == "clawback") {
          flags |= ledger::asset_flag_clawback_enabled;
        } else {
          error("unknown asset flag '" + f + "'");
        }
      }
    }
    uint64_t s = parse_u64(*scale, "scale");
    if (s > 255) error("scale out of range");
    AssetId id = own_asset(source, c);
    declared_scales_.emplace(id, static_cast<uint8_t>(s));
    return op::create_asset(c, static_cast<uint8_t>(s), flags);
  }
  Operation op_open_holding(const std::string&, Words& w) {
    AssetId id = parse_asset(w.next("asset"));
    auto limit = w.option("limit");
    if (!limit) error("open_holding needs limit=AMOUNT");
    return op::open_holding(id, parse_amount_text(*limit, id));
  }
  Operation holding_flag(Words& w, bool authorize, bool set) {
    std::string holder = name(w.next("holder"));
    std::string c = w.next("asset code");
    return authorize ? Operation(op::authorize(holder, c, set))
                     : Operation(op::freeze(holder, c, set));
  }
  Operation op_authorize(const std::string&, Words& w) { return holding_flag(w, true, true); }
  Operation op_deauthorize(const std::string&, Words& w) { return holding_flag(w, true, false); }
  Operation op_freeze(const std::string&, Words& w) { return holding_flag(w, false, true); }
  Operation op_unfreeze(const std::string&, Words& w) { return holding_flag(w, false, false); }
  Operation op_issue(const std::string& source, Words& w) {
    std::string holder = name(w.next("holder"));
    std::string c = w.next("asset code");
    return op::issue(holder, c, parse_amount_text(w.next("amount"), own_asset(source, c)));
  }
  Operation op_redeem(const std::string&, Words& w) {
    AssetId id = parse_asset(w.next("asset"));
    return op::redeem(id, parse_amount_text(w.next("amount"), id));
  }
  Operation op_transfer(const std::string&, Words& w) {
    std::string to = name(w.next("destination"));
    AssetId id = parse_asset(w.next("asset"));
    return op::transfer(to, id, parse_amount_text(w.next("amount"), id));
  }
  Operation op_clawback(const std::string& source, Words& w) {
    std::string holder = name(w.next("holder"));
    std::string c = w.next("asset code");
    return op::clawback(holder, c, parse_amount_text(w.next("amount"), own_asset(source, c)));
  }

  // The height of the block a transaction goes into, and H or +N relative to it.
  uint64_t apply_height() const { return t_.block_open() ? t_.height() : t_.height() + 1; }
  uint64_t height_arg(const std::string& text, const char* what) const {
    return !text.empty() && text[0] == '+' ? apply_height() + parse_u64(text.substr(1), what)
                                           : parse_u64(text, what);
  }
  // queue_transfer DEST ASSET AMOUNT [band=urgent|normal|N] [until=H|+N]
  Operation op_queue_transfer(const std::string&, Words& w) {
    auto band = w.option("band");
    auto until = w.option("until");
    std::string to = name(w.next("destination"));
    AssetId id = parse_asset(w.next("asset"));
    Amount amount = parse_amount_text(w.next("amount"), id);
    uint8_t b = ledger::queue_band_normal;
    if (band == "urgent") {
      b = ledger::queue_band_urgent;
    } else if (band && band != "normal") {
      b = static_cast<uint8_t>(parse_u64(*band, "band"));
    }
    return ledger::QueueTransferOp{test_id(to), id, amount, b,
                                   until ? height_arg(*until, "until") : apply_height() + 100};
  }
  Operation op_cancel_queued(const std::string&, Words& w) {
    return ledger::CancelQueuedOp{parse_u64(w.next("sequence number"), "sequence number")};
  }
  // create_escrow BENEFICIARY ASSET AMOUNT [preimage=TEXT] [approver=NAME] [release=H|+N]
  //   [cancel=H|+N]: preimage=TEXT sets the hash condition to SHA-256(TEXT).
  Operation op_create_escrow(const std::string&, Words& w) {
    auto preimage = w.option("preimage");
    auto approver = w.option("approver");
    auto release = w.option("release");
    auto cancel = w.option("cancel");
    ledger::CreateEscrowOp op;
    op.beneficiary = test_id(name(w.next("beneficiary")));
    op.asset = parse_asset(w.next("asset"));
    op.amount = parse_amount_text(w.next("amount"), op.asset);
    if (preimage) {
      op.conditions |= ledger::escrow_on_preimage;
      op.hash = sha256(as_bytes(*preimage));
    }
    if (approver) {
      op.conditions |= ledger::escrow_on_approver;
      op.approver = test_id(name(*approver));
    }
    if (release) {
      op.conditions |= ledger::escrow_after_height;
      op.release_height = height_arg(*release, "release");
    }
    if (cancel) {
      op.conditions |= ledger::escrow_cancel_after;
      op.cancel_height = height_arg(*cancel, "cancel");
    }
    return op;
  }
  // finish_escrow ID [preimage=TEXT]
  Operation op_finish_escrow(const std::string&, Words& w) {
    auto preimage = w.option("preimage");
    ledger::FinishEscrowOp op;
    op.id = parse_u64(w.next("escrow id"), "escrow id");
    if (preimage) {
      ByteView b = as_bytes(*preimage);
      op.preimage.assign(b.begin(), b.end());
    }
    return op;
  }
  Operation op_cancel_escrow(const std::string&, Words& w) {
    return ledger::CancelEscrowOp{parse_u64(w.next("escrow id"), "escrow id")};
  }

  // --- FX operations ------------------------------------------------------------------------

  // N/D: a price exact in minor units (buying per selling); components may be 0 or negative so
  // that invalid prices can be written.
  ledger::Price parse_price_text(const std::string& text) {
    auto parts = split(text, '/');
    if (parts.size() != 2) error("price '" + text + "' is not N/D");
    auto component = [&](const std::string& c) -> int64_t {
      if (c == "max") return std::numeric_limits<int64_t>::max();
      size_t used = 0;
      int64_t v = std::stoll(c, &used);
      if (used != c.size()) error("price component '" + c + "' is not an integer");
      return v;
    };
    return {component(parts[0]), component(parts[1])};
  }
  std::vector<AssetId> parse_via(Words& w) {
    std::vector<AssetId> path;
    if (auto via = w.option("via"))
      for (const auto& a : split(*via, ',')) path.push_back(parse_asset(a));
    return path;
  }
  // place_offer SELLING BUYING AMOUNT N/D
  Operation op_place_offer(const std::string&, Words& w) {
    AssetId selling = parse_asset(w.next("selling asset"));
    AssetId buying = parse_asset(w.next("buying asset"));
    Amount amount = parse_amount_text(w.next("amount"), selling);
    return ledger::PlaceOfferOp{selling, buying, amount, parse_price_text(w.next("price"))};
  }
  // cancel_offer ID
  Operation op_cancel_offer(const std::string&, Words& w) {
    return ledger::CancelOfferOp{parse_u64(w.next("offer id"), "offer id")};
  }
  // replace_offer ID AMOUNT N/D (the amount in the offer's selling asset, if it exists)
  Operation op_replace_offer(const std::string&, Words& w) {
    uint64_t id = parse_u64(w.next("offer id"), "offer id");
    const ledger::OfferEntry* o = t_.ledger().offer(id);
    std::string amount_text = w.next("amount");
    Amount amount =
        o ? parse_amount_text(amount_text, o->selling) : parse_amount_text(amount_text, AssetId{});
    return ledger::ReplaceOfferOp{id, amount, parse_price_text(w.next("price"))};
  }
  // path_send DEST SEND_ASSET AMOUNT DEST_ASSET DEST_MIN [via=A,B]
  Operation op_path_send(const std::string&, Words& w) {
    std::string to = name(w.next("destination"));
    AssetId send = parse_asset(w.next("send asset"));
    Amount amount = parse_amount_text(w.next("send amount"), send);
    AssetId dest = parse_asset(w.next("destination asset"));
    Amount min = parse_amount_text(w.next("destination minimum"), dest);
    return ledger::PathPaymentSendOp{test_id(to), send, amount, dest, min, parse_via(w)};
  }
  // path_receive DEST SEND_ASSET SEND_MAX DEST_ASSET AMOUNT [via=A,B]
  Operation op_path_receive(const std::string&, Words& w) {
    std::string to = name(w.next("destination"));
    AssetId send = parse_asset(w.next("send asset"));
    Amount max = parse_amount_text(w.next("send maximum"), send);
    AssetId dest = parse_asset(w.next("destination asset"));
    Amount amount = parse_amount_text(w.next("destination amount"), dest);
    return ledger::PathPaymentReceiveOp{test_id(to), send, max, dest, amount, parse_via(w)};
  }

  Operation parse_operation(const std::string& source, const std::vector<std::string>& words) {
    Words w(words);
    std::string verb = w.next("operation");
    auto it = operations().find(verb);
    if (it == operations().end()) error("unknown operation '" + verb + "'");
    Operation op = (this->*(it->second))(source, w);
    w.expect_end();
    return op;
  }

  // --- Applying transactions --------------------------------------------------------------

  // Options shared by tx, batch and resubmit: sign=A,B nonce=N until=H|+N net=NAME.
  TxOptions parse_tx_options(Words& w) {
    TxOptions options;
    if (auto s = w.option("sign"))
      for (const auto& n : split(*s, ',')) options.signers.push_back(name(n));
    if (auto n = w.option("nonce")) options.nonce = parse_u64(*n, "nonce");
    if (auto u = w.option("until")) {
      uint64_t apply_height = t_.block_open() ? t_.height() : t_.height() + 1;
      options.valid_until =
          (*u)[0] == '+' ? apply_height + parse_u64(u->substr(1), "until") : parse_u64(*u, "until");
    }
    if (auto net = w.option("net")) options.network_id = sha256(as_bytes(*net));
    return options;
  }

  void applied(std::vector<TxOutcome> outcomes) {
    pending_ = std::move(outcomes);
    pending_line_ = line_;
  }

  // A transaction that did not succeed must be checked by an expect line right after it.
  void check_pending() {
    if (!pending_) return;
    auto outcomes = std::move(*pending_);
    pending_.reset();
    for (const auto& out : outcomes)
      if (out.code != ResultCode::ok)
        error("transaction at line " + std::to_string(pending_line_) + " gave " + describe(out) +
              " and no expect line follows it");
  }

  // account NAME... : creates each account, each by its own transaction in the current block.
  void do_account(Words& w) {
    if (w.empty()) error("account needs at least one name");
    while (!w.empty()) {
      const std::string& n = name(w.next("name"));
      TxOutcome out = t_.apply(t_.make_tx(n, {op::create_account(n)}));
      if (out.code != ResultCode::ok) error("account " + n + ": " + describe(out));
    }
  }

  // tx SOURCE [options] [id=LABEL]: OP ARGS ; OP ARGS ...
  void do_tx(Words& w) {
    std::vector<std::string> header_words;
    std::vector<std::vector<std::string>> ops(1);
    bool in_ops = false;
    while (!w.empty()) {
      std::string word = w.next("word");
      if (!in_ops) {
        if (!word.empty() && word.back() == ':') {
          word.pop_back();
          if (!word.empty()) header_words.push_back(word);
          in_ops = true;
        } else {
          header_words.push_back(word);
        }
      } else if (word == ";") {
        ops.emplace_back();
      } else {
        ops.back().push_back(word);
      }
    }
    if (!in_ops) error("tx needs 'SOURCE:' before its operations");
    Words header_parsed(header_words);
    std::string source = name(header_parsed.next("source"));
    TxOptions options = parse_tx_options(header_parsed);
    auto label = header_parsed.option("id");
    header_parsed.expect_end();
    std::vector<Operation> parsed;
    for (const auto& words : ops) {
      // "tx a:" with nothing after it is a transaction without operations.
      if (words.empty() && ops.size() == 1) break;
      if (words.empty()) error("empty operation between ';'");
      parsed.push_back(parse_operation(source, words));
    }
    Transaction tx = t_.make_tx(source, std::move(parsed), options);
    if (label) labelled_[*label] = tx;
    applied({t_.apply(tx)});
  }

  // resubmit LABEL [sign=A,B]: applies a labelled transaction again, with the same id; the
  // listed keys add their signatures first (a checker completing a maker's transaction).
  void do_resubmit(Words& w) {
    std::string label = w.next("label");
    auto it = labelled_.find(label);
    if (it == labelled_.end()) error("no transaction labelled '" + label + "'");
    if (auto s = w.option("sign"))
      for (const auto& n : split(*s, ',')) it->second.sign(test_key(name(n)));
    w.expect_end();
    applied({t_.apply(it->second)});
  }

  // batch SOURCE -> DEST ASSET AMOUNT x COUNT [options]: one transaction of COUNT transfers.
  void do_batch(Words& w) {
    TxOptions options = parse_tx_options(w);
    std::string source = name(w.next("source"));
    if (w.next("'->'") != "->") error("batch needs SOURCE -> DEST");
    std::string dest = name(w.next("destination"));
    AssetId id = parse_asset(w.next("asset"));
    Amount amount = parse_amount_text(w.next("amount"), id);
    if (w.next("'x'") != "x") error("batch needs 'x COUNT'");
    uint64_t count = parse_u64(w.next("count"), "count");
    w.expect_end();
    std::vector<Operation> ops(count, op::transfer(dest, id, amount));
    applied({t_.apply(t_.make_tx(source, std::move(ops), options))});
  }

  // repeat COUNT DIRECTIVE...: runs the directive COUNT times; an expect line after it checks
  // every transaction it applied.
  void do_repeat(Words& w) {
    uint64_t count = parse_u64(w.next("count"), "count");
    std::string rest = w.rest();
    std::vector<TxOutcome> all;
    for (uint64_t i = 0; i < count; ++i) {
      Words inner(split_words(rest));
      std::string verb = inner.next("directive");
      auto it = directives().find(verb);
      if (it == directives().end() || verb == "repeat" || verb == "expect")
        error("cannot repeat '" + verb + "'");
      (this->*(it->second))(inner);
      if (pending_) all.insert(all.end(), pending_->begin(), pending_->end());
      pending_.reset();
    }
    applied(std::move(all));
  }

  // expect ok | expect CODE | expect CODE op=N OPCODE
  void do_expect(Words& w) {
    if (!pending_) error("expect without a transaction before it");
    auto outcomes = std::move(*pending_);
    pending_.reset();
    std::string code_text = w.next("result code");
    auto code = ledger::result_code_from_name(code_text);
    if (!code) error("unknown result code '" + code_text + "'");
    TxOutcome expected{*code, 0, ResultCode::ok};
    if (auto index = w.option("op")) {
      expected.op_index = static_cast<uint32_t>(parse_u64(*index, "operation index"));
      std::string op_text = w.next("operation result code");
      auto op_code = ledger::result_code_from_name(op_text);
      if (!op_code) error("unknown result code '" + op_text + "'");
      expected.op_code = *op_code;
    } else if (*code == ResultCode::tx_failed) {
      error("expect tx_failed needs op=N CODE");
    }
    w.expect_end();
    for (size_t i = 0; i < outcomes.size(); ++i)
      if (!(outcomes[i] == expected))
        error("expected " + describe(expected) + ", got " + describe(outcomes[i]) +
              (outcomes.size() > 1 ? " (transaction " + std::to_string(i + 1) + " of " +
                                         std::to_string(outcomes.size()) + ")"
                                   : ""));
  }

  // --- Blocks -------------------------------------------------------------------------------

  void end_open_block() {
    if (t_.block_open()) last_events_ = t_.end_block().queue_events;
  }

  // block: ends the current block; with nothing applied since the last one, an empty block.
  void do_block(Words& w) {
    w.expect_end();
    if (!t_.block_open()) t_.begin_block();
    last_events_ = t_.end_block().queue_events;
  }

  // advance N: ends the current block, then N empty blocks.
  void do_advance(Words& w) {
    uint64_t n = parse_u64(w.next("block count"), "block count");
    w.expect_end();
    t_.advance(n);
  }

  // height N: the height of the open block, or of the last ended one.
  void do_height(Words& w) {
    uint64_t expected = parse_u64(w.next("height"), "height");
    w.expect_end();
    if (t_.height() != expected)
      error("expected height " + std::to_string(expected) + ", got " + std::to_string(t_.height()));
  }

  // --- FX checks ----------------------------------------------------------------------------

  // offer ID none | [owner=NAME] [amount=X] [price=N/D]
  void do_offer(Words& w) {
    uint64_t id = parse_u64(w.next("offer id"), "offer id");
    const ledger::OfferEntry* o = t_.ledger().offer(id);
    std::string what = "offer " + std::to_string(id);
    if (w.peek() == "none") {
      w.next("none");
      w.expect_end();
      if (o) error(what + ": expected none, found one");
      return;
    }
    auto owner = w.option("owner");
    auto amount = w.option("amount");
    auto price = w.option("price");
    w.expect_end();
    if (!o) error(what + ": expected an offer, found none");
    if (owner && o->owner != test_id(name(*owner))) error(what + ": another owner");
    if (amount && o->amount != parse_amount_text(*amount, o->selling))
      error(what + ": expected amount " + *amount + ", got " + format(o->amount, o->selling));
    if (price && !(o->price == parse_price_text(*price)))
      error(what + ": expected price " + *price + ", got " + std::to_string(o->price.n) + "/" +
            std::to_string(o->price.d));
  }

  // book SELLING BUYING ID... | empty: the book's offer ids in priority order.
  void do_book(Words& w) {
    AssetId selling = parse_asset(w.next("selling asset"));
    AssetId buying = parse_asset(w.next("buying asset"));
    std::vector<uint64_t> want;
    if (w.peek() == "empty") {
      w.next("empty");
    } else {
      while (!w.empty()) want.push_back(parse_u64(w.next("offer id"), "offer id"));
    }
    w.expect_end();
    std::vector<uint64_t> got;
    for (const auto& o : t_.ledger().book_offers(selling, buying, 1'000'000)) got.push_back(o.id);
    auto text = [](const std::vector<uint64_t>& ids) {
      std::string s;
      for (uint64_t i : ids) s += " " + std::to_string(i);
      return ids.empty() ? std::string(" empty") : s;
    };
    if (got != want) error("book: expected" + text(want) + ", got" + text(got));
  }

  // locked NAME ASSET AMOUNT: the amount of ASSET locked in NAME's resting offers.
  void do_locked(Words& w) {
    std::string holder = name(w.next("holder"));
    AssetId id = parse_asset(w.next("asset"));
    Amount want = parse_amount_text(w.next("amount"), id);
    w.expect_end();
    Amount got = t_.ledger().locked_in_offers(test_id(holder), id);
    if (got != want)
      error("locked " + holder + ": expected " + format(want, id) + ", got " + format(got, id));
  }

  // quote send|receive FROM TO AMOUNT -> SEND RECEIVE [via=A,B] | none: the best quote.
  void do_quote(Words& w) {
    std::string mode = w.next("mode");
    if (mode != "send" && mode != "receive") error("quote mode is send or receive");
    AssetId from = parse_asset(w.next("source asset"));
    AssetId to = parse_asset(w.next("destination asset"));
    bool send = mode == "send";
    Amount amount = parse_amount_text(w.next("amount"), send ? from : to);
    auto q = t_.ledger().find_paths(
        from, to, amount, send ? ledger::PathMode::exact_send : ledger::PathMode::exact_receive);
    if (w.peek() == "none") {
      w.next("none");
      w.expect_end();
      if (!q.paths.empty()) error("quote: expected none, found a path");
      return;
    }
    if (w.next("'->'") != "->") error("quote needs '-> SEND RECEIVE'");
    Amount want_send = parse_amount_text(w.next("send amount"), from);
    Amount want_receive = parse_amount_text(w.next("receive amount"), to);
    std::vector<AssetId> via = parse_via(w);
    w.expect_end();
    if (q.paths.empty()) error("quote: expected a path, found none");
    const auto& best = q.paths.front();
    if (best.send_amount != want_send || best.receive_amount != want_receive || best.path != via)
      error("quote: expected " + format(want_send, from) + " -> " + format(want_receive, to) +
            ", got " + format(best.send_amount, from) + " -> " + format(best.receive_amount, to) +
            " through " + std::to_string(best.path.size()) + " intermediate assets");
  }

  // --- State checks -------------------------------------------------------------------------

  // balance NAME ASSET AMOUNT|none
  void do_balance(Words& w) {
    std::string holder = name(w.next("holder"));
    AssetId id = parse_asset(w.next("asset"));
    std::string expected = w.next("amount");
    w.expect_end();
    auto actual = t_.balance(holder, id);
    std::string got = actual ? format(*actual, id) : "none";
    std::string want = expected == "none" ? "none" : format(parse_amount_text(expected, id), id);
    if (got != want)
      error("balance " + holder + " " + std::string(id.code.str()) + ": expected " + want +
            ", got " + got);
  }

  // supply ASSET AMOUNT|none
  void do_supply(Words& w) {
    std::string text = w.next("asset");
    AssetId id = parse_asset(text);
    std::string expected = w.next("amount");
    w.expect_end();
    auto actual = t_.supply(id);
    std::string got = actual ? format(*actual, id) : "none";
    std::string want = expected == "none" ? "none" : format(parse_amount_text(expected, id), id);
    if (got != want) error("supply " + text + ": expected " + want + ", got " + got);
  }

  // holding NAME ASSET none | [balance=X] [limit=X] [authorized=yes|no] [frozen=yes|no]
  void do_holding(Words& w) {
    std::string holder = name(w.next("holder"));
    std::string text = w.next("asset");
    AssetId id = parse_asset(text);
    const HoldingEntry* h = t_.ledger().holding(test_id(holder), id);
    std::string what = "holding " + holder + " " + text;
    if (w.peek() == "none") {
      w.next("none");
      w.expect_end();
      if (h) error(what + ": expected none, found one");
      return;
    }
    auto balance = w.option("balance");
    auto limit = w.option("limit");
    auto authorized = w.option("authorized");
    auto frozen = w.option("frozen");
    w.expect_end();
    if (!h) error(what + ": no such holding");
    std::string diffs;
    auto compare = [&](const char* field, const std::string& want, const std::string& got) {
      if (want != got)
        diffs += std::string(" ") + field + " expected " + want + ", got " + got + ";";
    };
    if (balance)
      compare("balance", format(parse_amount_text(*balance, id), id), format(h->balance, id));
    if (limit) compare("limit", format(parse_amount_text(*limit, id), id), format(h->limit, id));
    if (authorized)
      compare("authorized", parse_yes_no(*authorized) ? "yes" : "no",
              h->authorized() ? "yes" : "no");
    if (frozen) compare("frozen", parse_yes_no(*frozen) ? "yes" : "no", h->frozen() ? "yes" : "no");
    if (!diffs.empty()) error(what + ":" + diffs);
  }

  // signers NAME threshold=N SIGNER=WEIGHT...: the account's signer list, in order.
  void do_signers(Words& w) {
    std::string account = name(w.next("account"));
    auto threshold = w.option("threshold");
    if (!threshold) error("signers needs threshold=N");
    std::string want = "threshold=" + *threshold;
    while (!w.empty()) want += " " + w.next("signer");
    const auto* a = t_.ledger().account(test_id(account));
    if (!a) error("signers " + account + ": no such account");
    std::string got = "threshold=" + std::to_string(a->threshold);
    for (const auto& s : a->signers) {
      std::string signer_name = s.key.hex();
      for (const auto& n : names_)
        if (test_key(n).public_key() == s.key) signer_name = n;
      got += " " + signer_name + "=" + std::to_string(s.weight);
    }
    if (want != got) error("signers " + account + ": expected " + want + ", got " + got);
  }

  // count accounts|assets|holdings N
  void do_count(Words& w) {
    std::string what = w.next("accounts, assets or holdings");
    uint64_t expected = parse_u64(w.next("count"), "count");
    w.expect_end();
    size_t actual;
    if (what == "accounts") {
      actual = t_.ledger().account_count();
    } else if (what == "assets") {
      actual = t_.ledger().asset_count();
    } else if (what == "holdings") {
      actual = t_.ledger().holding_count();
    } else {
      error("count of '" + what + "'? (accounts, assets or holdings)");
    }
    if (actual != expected)
      error("expected " + std::to_string(expected) + " " + what + ", got " +
            std::to_string(actual));
  }

  struct Snapshot {
    std::map<Bytes, Bytes> entries;
    std::vector<std::string> names;
    std::vector<AssetId> assets;
    StateView view;
  };

  // snapshot LABEL: ends the current block and records every stored entry, and a view of the
  // names and assets mentioned so far.
  void do_snapshot(Words& w) {
    std::string label = w.next("label");
    w.expect_end();
    end_open_block();
    Snapshot s;
    s.entries = t_.stored_entries();
    s.names.assign(names_.begin(), names_.end());
    s.assets.assign(assets_.begin(), assets_.end());
    s.view = view_state(t_.ledger(), s.names, s.assets);
    snapshots_[label] = std::move(s);
  }

  // unchanged LABEL: ends the current block; the entries are as recorded, and the state root is
  // theirs (it moves only by the replay ids failed transactions consumed).
  void do_unchanged(Words& w) {
    std::string label = w.next("label");
    w.expect_end();
    end_open_block();
    auto it = snapshots_.find(label);
    if (it == snapshots_.end()) error("no snapshot '" + label + "'");
    const Snapshot& s = it->second;
    StateView now = view_state(t_.ledger(), s.names, s.assets);
    if (!(now == s.view)) {
      std::string diffs;
      for (size_t i = 0; i < now.lines.size() && i < s.view.lines.size(); ++i)
        if (now.lines[i] != s.view.lines[i])
          diffs += "\n    was: " + s.view.lines[i] + "\n    now: " + now.lines[i];
      if (now.account_count != s.view.account_count || now.asset_count != s.view.asset_count ||
          now.holding_count != s.view.holding_count)
        diffs += "\n    entry counts changed";
      error("state changed since snapshot '" + label + "':" + diffs);
    }
    if (t_.stored_entries() != s.entries)
      error("stored entries changed since snapshot '" + label + "'");
    if (t_.ledger().state_root() != t_.stored_state_root())
      error("the state root is not that of the stored entries and live replay ids");
  }

  // proof NAME ASSET: ends the current block; the holding has a proof that verifies against
  // the state root, and fails against it once its balance is altered.
  void do_proof(Words& w) {
    std::string holder = name(w.next("holder"));
    std::string text = w.next("asset");
    AssetId id = parse_asset(text);
    w.expect_end();
    end_open_block();
    auto proof = t_.ledger().prove_holding(test_id(holder), id);
    if (!proof) error("proof " + holder + " " + text + ": no proof");
    Hash256 root = t_.ledger().state_root();
    if (!ledger::verify_holding_proof(root, *proof))
      error("proof " + holder + " " + text + ": does not verify against the state root");
    ledger::HoldingProof forged = *proof;
    forged.entry_value[0] ^= 1;
    if (ledger::verify_holding_proof(root, forged))
      error("proof " + holder + " " + text + ": verifies with an altered balance");
  }

  // restart: ends the current block and reloads the ledger from what storage would hold; the
  // state root must not move.
  void do_restart(Words& w) {
    w.expect_end();
    t_.restart();
  }

  // replay_id LABEL live|gone: whether the labelled transaction's id is remembered.
  void do_replay_id(Words& w) {
    std::string label = w.next("label");
    std::string state = w.next("live or gone");
    w.expect_end();
    auto it = labelled_.find(label);
    if (it == labelled_.end()) error("no transaction labelled '" + label + "'");
    if (state != "live" && state != "gone") error("expected live or gone, got '" + state + "'");
    bool live = t_.ledger().is_replay_id_live(it->second.id);
    if (live != (state == "live"))
      error("replay id of '" + label + "': expected " + state + ", got " +
            (live ? "live" : "gone"));
  }

  // invariants: checks them now (they are also checked at every block end).
  void do_invariants(Words& w) {
    w.expect_end();
    Status s = t_.ledger().check_invariants();
    if (!s.ok()) error("invariants: " + s.to_string());
  }

  // queue N [SEQ...]: the liquidity queue holds N payments (and these sequence numbers).
  void do_queue(Words& w) {
    uint64_t expected = parse_u64(w.next("count"), "count");
    std::string want, got;
    while (!w.empty()) want += (want.empty() ? "" : ",") + w.next("sequence number");
    const auto& queue = t_.ledger().queue();
    if (queue.size() != expected)
      error("queue: expected " + std::to_string(expected) + " payments, found " +
            std::to_string(queue.size()));
    if (want.empty()) return;
    for (const auto& [seq, q] : queue) got += (got.empty() ? "" : ",") + std::to_string(seq);
    if (got != want) error("queue: expected payments " + want + ", found " + got);
  }

  // escrow ID none | amount=X: an open escrow and its amount, or none.
  void do_escrow(Words& w) {
    uint64_t id = parse_u64(w.next("escrow id"), "escrow id");
    const ledger::EscrowEntry* e = t_.ledger().escrow(id);
    if (w.peek() == "none") {
      w.next("none");
      w.expect_end();
      if (e) error("escrow " + std::to_string(id) + ": expected none, found one");
      return;
    }
    auto amount = w.option("amount");
    w.expect_end();
    if (!e) {
      error("escrow " + std::to_string(id) + ": expected one, found none");
      return;
    }
    if (amount &&
        format(parse_amount_text(*amount, e->asset), e->asset) != format(e->amount, e->asset))
      error("escrow " + std::to_string(id) + ": expected amount " + *amount + ", found " +
            format(e->amount, e->asset));
  }

  // events [KIND:SEQ...]: the queue events of the block the last `block` directive ended, in
  // order (KIND is queued, settled, expired or cancelled); none when nothing is listed.
  void do_events(Words& w) {
    static constexpr const char* names[] = {"queued", "settled", "expired", "cancelled"};
    std::string want, got;
    while (!w.empty()) want += (want.empty() ? "" : " ") + w.next("event");
    for (const auto& e : last_events_)
      got += (got.empty() ? "" : " ") + std::string(names[static_cast<size_t>(e.kind)]) + ":" +
             std::to_string(e.seq);
    if (got != want) error("events: expected [" + want + "], found [" + got + "]");
  }

  std::string file_;
  int line_ = 0;
  int failures_ = 0;
  TestLedger t_;
  std::vector<ledger::QueueEvent> last_events_;
  std::set<std::string> names_;
  std::set<AssetId> assets_;
  std::map<AssetId, uint8_t> declared_scales_;
  std::map<std::string, Transaction> labelled_;
  std::map<std::string, Snapshot> snapshots_;
  std::optional<std::vector<TxOutcome>> pending_;
  int pending_line_ = 0;
};

}  // namespace
}  // namespace corridor::test

int main(int argc, char** argv) {
  std::optional<long> expect_failures;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const std::string flag = "--expect-failures=";
    if (arg.rfind(flag, 0) == 0) {
      expect_failures = std::stol(arg.substr(flag.size()));
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::cerr << "usage: scenario_runner [--expect-failures=N] FILE...\n";
    return 2;
  }
  long failures = 0;
  for (const auto& file : files) {
    std::ifstream in(file);
    if (!in) {
      std::cerr << file << ": cannot open\n";
      return 2;
    }
    corridor::test::Runner runner(file);
    int f = runner.run(in);
    std::cerr << file << ": " << (f == 0 ? "ok" : std::to_string(f) + " failed") << "\n";
    failures += f;
  }
  if (expect_failures) {
    if (failures == *expect_failures) return 0;
    std::cerr << "expected " << *expect_failures << " failures, got " << failures << "\n";
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
