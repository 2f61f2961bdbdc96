#include "support/test_support.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "base/assert.h"

namespace corridor {
void PrintTo(StatusCode code, std::ostream* os) {
  *os << status_code_name(code);
}
}  // namespace corridor

namespace corridor::ledger {

void PrintTo(const TxOutcome& outcome, std::ostream* os) {
  *os << test::describe(outcome);
}
void PrintTo(ResultCode code, std::ostream* os) {
  *os << result_code_name(code) << " (" << static_cast<int>(code) << ")";
}

}  // namespace corridor::ledger

namespace corridor::test {

std::vector<std::string> thread_dirs_named(std::string_view name) {
  std::vector<std::string> dirs;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::string comm;
    std::getline(std::ifstream(task.path() / "comm"), comm);
    if (comm == name) dirs.push_back(task.path().string());
  }
  return dirs;
}

TempDir::TempDir(std::string_view prefix) {
  std::string pattern = "/tmp/" + std::string(prefix) + "_XXXXXX";
  const char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr) << "mkdtemp failed";
  if (made != nullptr) path_ = made;
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

using ledger::Ledger;
using ledger::StateDelta;

KeyPair test_key(std::string_view name) {
  Hash256 digest = sha256(as_bytes(name));
  Seed seed;
  std::memcpy(seed.data(), digest.data(), Seed::size());
  return KeyPair::from_seed(seed);
}

AccountId test_id(std::string_view name) {
  return test_key(name).account_id();
}

Hash256 test_network_id() {
  return sha256(as_bytes("corridor.test.network"));
}

AssetCode code(std::string_view text) {
  auto parsed = AssetCode::parse(text);
  CORRIDOR_ASSERT_MSG(parsed.ok(), "invalid asset code literal in a test");
  return *parsed;
}

AssetId asset(std::string_view code_text, std::string_view issuer_name) {
  return AssetId{code(code_text), test_id(issuer_name)};
}

std::string describe(const TxOutcome& outcome) {
  std::string s(ledger::result_code_name(outcome.code));
  if (outcome.code == ResultCode::tx_failed || outcome.op_code != ResultCode::ok)
    s += " op=" + std::to_string(outcome.op_index) + " " +
         std::string(ledger::result_code_name(outcome.op_code));
  return s;
}

namespace {

std::string short_hex(const AccountId& id) {
  return id.hex().substr(0, 8);
}
std::string asset_text(const AssetId& a) {
  return std::string(a.code.str()) + ":" + short_hex(a.issuer);
}

struct OpDescriber {
  std::string operator()(const ledger::CreateAccountOp& o) const {
    return "create_account key=" + o.public_key.hex().substr(0, 8);
  }
  std::string operator()(const ledger::SetSignersOp& o) const {
    std::string s = "set_signers";
    for (const auto& signer : o.signers)
      s += " " + signer.key.hex().substr(0, 8) + "=" + std::to_string(signer.weight);
    return s + " threshold=" + std::to_string(o.threshold);
  }
  std::string operator()(const ledger::CreateAssetOp& o) const {
    return "create_asset " + std::string(o.code.str()) + " scale=" + std::to_string(o.scale) +
           " flags=" + std::to_string(o.flags);
  }
  std::string operator()(const ledger::OpenHoldingOp& o) const {
    return "open_holding " + asset_text(o.asset) + " limit=" + std::to_string(o.limit);
  }
  std::string operator()(const ledger::AuthorizeHoldingOp& o) const {
    return "authorize " + short_hex(o.holder) + " " + std::string(o.code.str()) + " " +
           (o.authorized ? "yes" : "no");
  }
  std::string operator()(const ledger::FreezeHoldingOp& o) const {
    return "freeze " + short_hex(o.holder) + " " + std::string(o.code.str()) + " " +
           (o.frozen ? "yes" : "no");
  }
  std::string operator()(const ledger::IssueOp& o) const {
    return "issue " + short_hex(o.to) + " " + std::string(o.code.str()) + " " +
           std::to_string(o.amount);
  }
  std::string operator()(const ledger::RedeemOp& o) const {
    return "redeem " + asset_text(o.asset) + " " + std::to_string(o.amount);
  }
  std::string operator()(const ledger::TransferOp& o) const {
    return "transfer " + short_hex(o.to) + " " + asset_text(o.asset) + " " +
           std::to_string(o.amount);
  }
  std::string operator()(const ledger::ClawbackOp& o) const {
    return "clawback " + short_hex(o.from) + " " + std::string(o.code.str()) + " " +
           std::to_string(o.amount);
  }
  std::string operator()(const ledger::QueueTransferOp& o) const {
    return "queue_transfer " + short_hex(o.to) + " " + std::string(o.asset.code.str()) + " " +
           std::to_string(o.amount) + (o.band == ledger::queue_band_urgent ? " urgent" : "") +
           " until " + std::to_string(o.last_height);
  }
  std::string operator()(const ledger::CancelQueuedOp& o) const {
    return "cancel_queued " + std::to_string(o.seq);
  }
  std::string operator()(const ledger::CreateEscrowOp& o) const {
    return "create_escrow " + short_hex(o.beneficiary) + " " + std::string(o.asset.code.str()) +
           " " + std::to_string(o.amount) + " conditions " + std::to_string(o.conditions);
  }
  std::string operator()(const ledger::FinishEscrowOp& o) const {
    return "finish_escrow " + std::to_string(o.id);
  }
  std::string operator()(const ledger::CancelEscrowOp& o) const {
    return "cancel_escrow " + std::to_string(o.id);
  }
  std::string operator()(const ledger::SetValidatorsOp& o) const {
    return "set_validators epoch " + std::to_string(o.epoch) + ", " +
           std::to_string(o.validators.size()) + " validators, " +
           std::to_string(o.approvals.size()) + " approvals";
  }
  // FX.
  static std::string price_text(const ledger::Price& p) {
    return std::to_string(p.n) + "/" + std::to_string(p.d);
  }
  static std::string path_text(const std::vector<AssetId>& path) {
    std::string s;
    for (const auto& a : path) s += " via " + asset_text(a);
    return s;
  }
  std::string operator()(const ledger::PlaceOfferOp& o) const {
    return "place_offer " + asset_text(o.selling) + " for " + asset_text(o.buying) + " " +
           std::to_string(o.amount) + " @" + price_text(o.price);
  }
  std::string operator()(const ledger::CancelOfferOp& o) const {
    return "cancel_offer " + std::to_string(o.offer_id);
  }
  std::string operator()(const ledger::ReplaceOfferOp& o) const {
    return "replace_offer " + std::to_string(o.offer_id) + " " + std::to_string(o.amount) + " @" +
           price_text(o.price);
  }
  std::string operator()(const ledger::PathPaymentSendOp& o) const {
    return "path_payment_send " + short_hex(o.destination) + " " + asset_text(o.send_asset) + " " +
           std::to_string(o.send_amount) + " -> " + asset_text(o.dest_asset) + " min " +
           std::to_string(o.dest_min) + path_text(o.path);
  }
  std::string operator()(const ledger::PathPaymentReceiveOp& o) const {
    return "path_payment_receive " + short_hex(o.destination) + " " + asset_text(o.send_asset) +
           " max " + std::to_string(o.send_max) + " -> " + asset_text(o.dest_asset) + " " +
           std::to_string(o.dest_amount) + path_text(o.path);
  }
};

}  // namespace

std::string describe(const Operation& op) {
  return std::visit(OpDescriber{}, op);
}

namespace op {

ledger::CreateAccountOp create_account(std::string_view name) {
  return {test_key(name).public_key()};
}

ledger::SetSignersOp set_signers(const std::vector<std::pair<std::string, uint16_t>>& signers,
                                 uint16_t threshold) {
  ledger::SetSignersOp op;
  for (const auto& [name, weight] : signers)
    op.signers.push_back({test_key(name).public_key(), weight});
  op.threshold = threshold;
  return op;
}

ledger::CreateAssetOp create_asset(std::string_view code_text, uint8_t scale, uint8_t flags) {
  return {code(code_text), scale, flags};
}

ledger::OpenHoldingOp open_holding(const AssetId& asset_id, Amount limit) {
  return {asset_id, limit};
}

ledger::AuthorizeHoldingOp authorize(std::string_view holder, std::string_view code_text,
                                     bool authorized) {
  return {test_id(holder), code(code_text), authorized};
}

ledger::FreezeHoldingOp freeze(std::string_view holder, std::string_view code_text, bool frozen) {
  return {test_id(holder), code(code_text), frozen};
}

ledger::IssueOp issue(std::string_view to, std::string_view code_text, Amount amount) {
  return {test_id(to), code(code_text), amount};
}

ledger::RedeemOp redeem(const AssetId& asset_id, Amount amount) {
  return {asset_id, amount};
}

ledger::TransferOp transfer(std::string_view to, const AssetId& asset_id, Amount amount) {
  return {test_id(to), asset_id, amount};
}

ledger::PlaceOfferOp place_offer(const AssetId& selling, const AssetId& buying, Amount amount,
                                 int64_t n, int64_t d) {
  return {selling, buying, amount, {n, d}};
}
ledger::CancelOfferOp cancel_offer(uint64_t offer_id) {
  return {offer_id};
}
ledger::ReplaceOfferOp replace_offer(uint64_t offer_id, Amount amount, int64_t n, int64_t d) {
  return {offer_id, amount, {n, d}};
}
ledger::PathPaymentSendOp path_send(std::string_view to, const AssetId& send, Amount amount,
                                    const AssetId& dest, Amount dest_min,
                                    std::vector<AssetId> path) {
  return {test_id(to), send, amount, dest, dest_min, std::move(path)};
}
ledger::PathPaymentReceiveOp path_receive(std::string_view to, const AssetId& send, Amount send_max,
                                          const AssetId& dest, Amount amount,
                                          std::vector<AssetId> path) {
  return {test_id(to), send, send_max, dest, amount, std::move(path)};
}

ledger::ClawbackOp clawback(std::string_view from, std::string_view code_text, Amount amount) {
  return {test_id(from), code(code_text), amount};
}

}  // namespace op

void PrintTo(const StateView& view, std::ostream* os) {
  *os << "accounts=" << view.account_count << " assets=" << view.asset_count
      << " holdings=" << view.holding_count;
  for (const auto& line : view.lines) *os << "\n  " << line;
}

StateView view_state(const Ledger& l, const std::vector<std::string>& names,
                     const std::vector<AssetId>& assets) {
  StateView v;
  v.account_count = l.account_count();
  v.asset_count = l.asset_count();
  v.holding_count = l.holding_count();
  std::map<AccountId, std::string> name_of;
  for (const auto& n : names) name_of[test_id(n)] = n;
  auto asset_text = [&](const AssetId& a) {
    auto it = name_of.find(a.issuer);
    return std::string(a.code.str()) + ":" + (it == name_of.end() ? a.issuer.hex() : it->second);
  };
  for (const auto& n : names) {
    const auto* acct = l.account(test_id(n));
    if (!acct) {
      v.lines.push_back("account " + n + " absent");
      continue;
    }
    std::ostringstream s;
    s << "account " << n << " threshold=" << acct->threshold << " signers=";
    for (const auto& signer : acct->signers) {
      auto named = name_of.find(account_id_from_public_key(signer.key));
      s << (named == name_of.end() ? signer.key.hex() : named->second) << "/" << signer.weight
        << ",";
    }
    v.lines.push_back(s.str());
    for (const auto& h : l.holdings_of(test_id(n)))
      v.lines.push_back("holding " + n + " " + asset_text(h.asset) +
                        " balance=" + std::to_string(h.holding.balance) +
                        " limit=" + std::to_string(h.holding.limit) +
                        " flags=" + std::to_string(h.holding.flags));
  }
  for (const auto& a : assets) {
    const auto* entry = l.asset(a);
    if (!entry) {
      v.lines.push_back("asset " + asset_text(a) + " absent");
      continue;
    }
    v.lines.push_back("asset " + asset_text(a) + " scale=" + std::to_string(entry->scale) +
                      " flags=" + std::to_string(entry->flags) +
                      " supply=" + std::to_string(entry->supply));
  }
  // FX: every resting offer of the named accounts, the books between the listed assets, and the
  // next offer id, so that "nothing changed" covers offers and books too.
  for (const auto& n : names)
    for (const auto& o : l.offers_of(test_id(n)))
      v.lines.push_back("offer " + std::to_string(o.id) + " " + n + " " + asset_text(o.selling) +
                        "->" + asset_text(o.buying) + " amount=" + std::to_string(o.amount) +
                        " price=" + std::to_string(o.price.n) + "/" + std::to_string(o.price.d));
  for (const auto& s : assets)
    for (const auto& b : assets) {
      if (s == b) continue;
      size_t total = 0;
      std::string line = "book " + asset_text(s) + "->" + asset_text(b) + ":";
      for (const auto& o : l.book_offers(s, b, 1'000'000, &total))
        line += " " + std::to_string(o.id) + "/" + std::to_string(o.amount);
      if (total > 0) v.lines.push_back(line);
    }
  v.lines.push_back("next_offer_id " + std::to_string(l.next_offer_id()));
  return v;
}

TestLedger::TestLedger()
    : TestLedger([](const std::string& message) { ADD_FAILURE() << message; }) {}

TestLedger::TestLedger(FailureHandler on_failure)
    : on_failure_(std::move(on_failure)), ledger_(std::make_unique<Ledger>()) {}

Transaction TestLedger::make_tx(std::string_view source, std::vector<Operation> ops,
                                const TxOptions& options) {
  Transaction tx;
  tx.network_id = options.network_id.value_or(test_network_id());
  tx.source = test_id(source);
  names_.emplace(tx.source, std::string(source));
  tx.nonce = options.nonce.value_or(next_nonce_++);
  uint64_t apply_height = block_open_ ? height() : height() + 1;
  tx.valid_until_height = options.valid_until.value_or(apply_height + 100);
  tx.ops = std::move(ops);
  if (options.signers.empty()) {
    tx.sign(test_key(source));
  } else {
    for (const auto& name : options.signers) tx.sign(test_key(name));
  }
  return tx;
}

TxOutcome TestLedger::apply(const Transaction& tx) {
  if (!block_open_) begin_block();
  ledger::StatelessCheck check = ledger::check_stateless(tx, test_network_id());
  if (check.code != ResultCode::ok) return {check.code, check.op_index, check.op_code};
  return ledger_->apply(tx);
}

TxOutcome TestLedger::submit(const Transaction& tx) {
  if (block_open_) end_block();
  begin_block();
  TxOutcome out = apply(tx);
  end_block();
  return out;
}

TxOutcome TestLedger::submit(std::string_view source, std::vector<Operation> ops,
                             const TxOptions& options) {
  if (block_open_) end_block();
  return submit(make_tx(source, std::move(ops), options));
}

std::vector<TxOutcome> TestLedger::submit_block(const std::vector<Transaction>& txs) {
  if (block_open_) end_block();
  begin_block();
  std::vector<TxOutcome> out;
  out.reserve(txs.size());
  for (const auto& tx : txs) out.push_back(apply(tx));
  end_block();
  return out;
}

void TestLedger::begin_block() {
  CORRIDOR_ASSERT_MSG(!block_open_, "begin_block with a block already open");
  ledger_->begin_block(height() + 1);
  block_open_ = true;
}

StateDelta TestLedger::end_block() {
  CORRIDOR_ASSERT_MSG(block_open_, "end_block without an open block");
  block_open_ = false;
  StateDelta delta = ledger_->end_block();
  Status invariants = ledger_->check_invariants();
  if (!invariants.ok())
    fail("invariants broken at height " + std::to_string(height()) + ": " + invariants.to_string());
  store(delta);
  if (take_every_blocks_ != 0 && height() % take_every_blocks_ == 0)
    store(ledger_->take_holding_changes());
  if (recycle_deltas_) {
    StateDelta copy = delta;
    ledger_->recycle_delta(std::move(delta));
    return copy;
  }
  return delta;
}

void TestLedger::store(const StateDelta& delta) {
  for (const auto& change : delta.changes) {
    // An empty value deletes the entry.
    if (change.value.empty())
      stored_entries_.erase(change.key);
    else
      stored_entries_[change.key] = change.value;
  }
  for (const auto& id : delta.ids_added) stored_replay_ids_[id.id] = id.valid_until_height;
  for (const auto& id : delta.ids_expired) stored_replay_ids_.erase(id.id);
}

void TestLedger::hold_holding_changes(uint64_t take_every_blocks) {
  CORRIDOR_ASSERT_MSG(take_every_blocks >= 1, "held holding changes are taken every few blocks");
  ledger_->hold_holding_changes();
  take_every_blocks_ = take_every_blocks;
}

void TestLedger::advance(uint64_t blocks) {
  if (block_open_) end_block();
  for (uint64_t i = 0; i < blocks; ++i) {
    begin_block();
    end_block();
  }
}

void TestLedger::expect_ok(const TxOutcome& outcome, std::string_view what) {
  if (outcome.code != ResultCode::ok) fail(std::string(what) + " failed with " + describe(outcome));
}

void TestLedger::create_account(std::string_view name) {
  expect_ok(submit(name, {op::create_account(name)}), "create_account " + std::string(name));
}

void TestLedger::create_accounts(const std::vector<std::string>& names) {
  std::vector<Transaction> txs;
  for (const auto& n : names) txs.push_back(make_tx(n, {op::create_account(n)}));
  auto outcomes = submit_block(txs);
  for (size_t i = 0; i < names.size(); ++i) expect_ok(outcomes[i], "create_account " + names[i]);
}

AssetId TestLedger::create_asset(std::string_view issuer, std::string_view code_text, uint8_t scale,
                                 uint8_t flags) {
  expect_ok(submit(issuer, {op::create_asset(code_text, scale, flags)}),
            "create_asset " + std::string(code_text));
  return asset(code_text, issuer);
}

void TestLedger::open_holding(std::string_view holder, const AssetId& asset_id, Amount limit) {
  expect_ok(submit(holder, {op::open_holding(asset_id, limit)}),
            "open_holding " + std::string(holder));
}

void TestLedger::issue(std::string_view holder, const AssetId& asset_id, Amount amount) {
  auto issuer = names_.find(asset_id.issuer);
  if (issuer == names_.end()) {
    fail("issue of " + asset_id.to_string() + ": the issuer never signed a test transaction");
    return;
  }
  expect_ok(submit(issuer->second, {ledger::IssueOp{test_id(holder), asset_id.code, amount}}),
            "issue to " + std::string(holder));
}

std::optional<Amount> TestLedger::balance(std::string_view holder, const AssetId& asset_id) const {
  const auto* h = ledger_->holding(test_id(holder), asset_id);
  if (!h) return std::nullopt;
  return h->balance;
}

std::optional<Amount> TestLedger::supply(const AssetId& asset_id) const {
  const auto* a = ledger_->asset(asset_id);
  if (!a) return std::nullopt;
  return a->supply;
}

void TestLedger::set_state_root_interval(uint64_t blocks) {
  ledger_->set_state_root_interval(blocks);
  state_root_interval_ = blocks;
}

Result<std::unique_ptr<Ledger>> TestLedger::load_copy() const {
  auto copy = std::make_unique<Ledger>();
  copy->set_state_root_interval(state_root_interval_);
  if (take_every_blocks_ != 0) copy->hold_holding_changes();
  // A storage layer iterates its entries in key order, and the entry kind is the first byte of
  // a key, so accounts load before the assets they issue and assets before their holdings.
  for (const auto& [key, value] : stored_entries_)
    CORRIDOR_RETURN_IF_ERROR(copy->load_entry(key, value));
  for (const auto& [id, valid_until] : stored_replay_ids_) copy->load_replay_id({valid_until, id});
  copy->finish_load(height());
  return copy;
}

Hash256 TestLedger::stored_state_root(const std::map<Hash256, uint64_t>& replay_ids) const {
  Ledger copy;
  for (const auto& [key, value] : stored_entries_) {
    Status st = copy.load_entry(key, value);
    if (!st.ok()) fail("stored entry does not load: " + st.to_string());
  }
  for (const auto& [id, valid_until] : replay_ids) copy.load_replay_id({valid_until, id});
  copy.finish_load(height());
  return copy.state_root();
}

void TestLedger::restart() {
  if (block_open_) end_block();
  if (take_every_blocks_ != 0) store(ledger_->take_holding_changes());
  Hash256 before = ledger_->state_root();
  auto copy = load_copy();
  if (!copy.ok()) {
    fail("restart: loading failed: " + copy.status().to_string());
    return;
  }
  ledger_ = std::move(copy).value();
  Hash256 after = ledger_->state_root();
  if (after != before)
    fail("restart: state root " + after.hex() + " after loading differs from " + before.hex());
}

ledger::Transaction signed_registration(std::string_view who, uint64_t nonce,
                                        uint64_t valid_until) {
  ledger::Transaction tx;
  tx.source = test_id(who);
  tx.nonce = nonce;
  tx.valid_until_height = valid_until;
  tx.ops.push_back(op::create_account(who));
  tx.sign(test_key(who));
  return tx;
}

}  // namespace corridor::test
