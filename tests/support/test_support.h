// Helpers shared by the unit, property and scenario suites: deterministic named keys, operation
// builders, and TestLedger, which builds, signs and applies transactions in blocks and checks the
// ledger's invariants at the end of every block.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/amount.h"
#include "base/asset_code.h"
#include "base/bytes.h"
#include "base/hash.h"
#include "base/keys.h"
#include "base/status.h"
#include "ledger/ledger.h"
#include "ledger/operation.h"
#include "ledger/result_code.h"
#include "ledger/transaction.h"

// gtest prints these instead of raw bytes when an expectation on them fails. They live in the
// types' namespace so that gtest finds them by argument-dependent lookup.
namespace corridor {
void PrintTo(StatusCode code, std::ostream* os);
}  // namespace corridor
namespace corridor::ledger {
void PrintTo(const TxOutcome& outcome, std::ostream* os);
void PrintTo(ResultCode code, std::ostream* os);
}  // namespace corridor::ledger

namespace corridor::test {

// A fresh directory under /tmp, removed with everything in it when the owner goes away.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "corridor_test");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

using ledger::Operation;
using ledger::ResultCode;
using ledger::Transaction;
using ledger::TxOutcome;

// The key pair of a named test participant: its Ed25519 seed is SHA-256(name), so "alice" is
// the same key in every test, every run and every scenario file.
KeyPair test_key(std::string_view name);
AccountId test_id(std::string_view name);
// The network every test transaction is signed for: SHA-256("corridor.test.network").
Hash256 test_network_id();

// The /proc/self/task directories of this process's threads named `name` (Linux), for tests
// that read a thread's scheduling state: its nice value, its context switches.
std::vector<std::string> thread_dirs_named(std::string_view name);

// Parsers for literals written in tests; an invalid literal is a bug in the test and aborts.
AssetCode code(std::string_view text);
AssetId asset(std::string_view code_text, std::string_view issuer_name);

// "tx_failed op=1 op_frozen", "ok", "tx_duplicate", "tx_malformed op=0 op_invalid_amount".
std::string describe(const TxOutcome& outcome);
// "transfer 96d5805e USD:f2b6fe1b 5" (ids shortened): for messages about generated operations.
std::string describe(const Operation& op);
inline TxOutcome outcome_ok() {
  return {};
}
// A transaction-level rejection that names no operation.
inline TxOutcome outcome_rejected(ResultCode code) {
  return {code, 0, ResultCode::ok};
}
// An operation failed when applied: the transaction was rolled back and its id consumed.
inline TxOutcome outcome_failed(uint32_t op_index, ResultCode op_code) {
  return {ResultCode::tx_failed, op_index, op_code};
}
// An operation failed the stateless checks: the transaction was never applied.
inline TxOutcome outcome_malformed(uint32_t op_index, ResultCode op_code) {
  return {ResultCode::tx_malformed, op_index, op_code};
}

// Builders for each operation, naming accounts by their test key names.
namespace op {
ledger::CreateAccountOp create_account(std::string_view name);
ledger::SetSignersOp set_signers(const std::vector<std::pair<std::string, uint16_t>>& signers,
                                 uint16_t threshold);
ledger::CreateAssetOp create_asset(std::string_view code_text, uint8_t scale, uint8_t flags = 0);
ledger::OpenHoldingOp open_holding(const AssetId& asset_id, Amount limit);
ledger::AuthorizeHoldingOp authorize(std::string_view holder, std::string_view code_text,
                                     bool authorized = true);
ledger::FreezeHoldingOp freeze(std::string_view holder, std::string_view code_text,
                               bool frozen = true);
ledger::IssueOp issue(std::string_view to, std::string_view code_text, Amount amount);
ledger::RedeemOp redeem(const AssetId& asset_id, Amount amount);
ledger::TransferOp transfer(std::string_view to, const AssetId& asset_id, Amount amount);
ledger::ClawbackOp clawback(std::string_view from, std::string_view code_text, Amount amount);
// FX: prices are {n, d} in minor units (buying per selling).
ledger::PlaceOfferOp place_offer(const AssetId& selling, const AssetId& buying, Amount amount,
                                 int64_t n, int64_t d);
ledger::CancelOfferOp cancel_offer(uint64_t offer_id);
ledger::ReplaceOfferOp replace_offer(uint64_t offer_id, Amount amount, int64_t n, int64_t d);
ledger::PathPaymentSendOp path_send(std::string_view to, const AssetId& send, Amount amount,
                                    const AssetId& dest, Amount dest_min,
                                    std::vector<AssetId> path = {});
ledger::PathPaymentReceiveOp path_receive(std::string_view to, const AssetId& send, Amount send_max,
                                          const AssetId& dest, Amount amount,
                                          std::vector<AssetId> path = {});
}  // namespace op

// `who` registering its own account, signed by its key, with the given nonce and validity
// (the network id left zero): the smallest valid signed transaction.
ledger::Transaction signed_registration(std::string_view who, uint64_t nonce,
                                        uint64_t valid_until = 100);

// Everything the ledger answers about a fixed set of accounts and assets, one readable line per
// entry, so two states compare with == and a difference prints as text.
struct StateView {
  std::vector<std::string> lines;
  size_t account_count = 0;
  size_t asset_count = 0;
  size_t holding_count = 0;
  friend bool operator==(const StateView&, const StateView&) = default;
};
void PrintTo(const StateView& view, std::ostream* os);
StateView view_state(const ledger::Ledger& l, const std::vector<std::string>& names,
                     const std::vector<AssetId>& assets);

struct TxOptions {
  // Names whose keys sign, in order; empty means the source's own key.
  // Every member has an initializer so that designated initializers may name any subset.
  std::vector<std::string> signers = {};
  // Defaults to a counter, so that every built transaction has a distinct id.
  std::optional<uint64_t> nonce = std::nullopt;
  // Defaults to the height the transaction would be applied at plus 100.
  std::optional<uint64_t> valid_until = std::nullopt;
  std::optional<Hash256> network_id = std::nullopt;
};

// A ledger driven as a validator drives it: transactions pass check_stateless (as the mempool
// would) before Ledger::apply, blocks have increasing heights starting at 1, and the invariants
// are checked at every block end. It also keeps what a storage layer would hold (the latest
// value of every entry and the live replay ids) so that a restart can be simulated.
class TestLedger {
 public:
  // Receives a description of a broken invariant or of a helper whose expected success did not
  // happen. The default adds a gtest failure; property tests pass one that fails the property.
  using FailureHandler = std::function<void(const std::string&)>;

  TestLedger();
  explicit TestLedger(FailureHandler on_failure);

  ledger::Ledger& ledger() { return *ledger_; }
  const ledger::Ledger& ledger() const { return *ledger_; }
  // Sets the ledger's state root interval (before any block); copies loaded by load_copy()
  // and restart() get it too. Restart only at root heights then.
  void set_state_root_interval(uint64_t blocks);
  // Each block's delta, once stored, is given back to the ledger (Ledger::recycle_delta), as
  // a node does; end_block() then returns a copy.
  void set_recycle_deltas(bool on) { recycle_deltas_ = on; }
  // The ledger holds its changed holdings (Ledger::hold_holding_changes, before any block), and
  // the stored state takes them at every multiple of `take_every_blocks`, as a node's
  // checkpoints do, and before a restart. In between it lacks them.
  void hold_holding_changes(uint64_t take_every_blocks);
  uint64_t height() const { return ledger_->height(); }
  bool block_open() const { return block_open_; }

  Transaction make_tx(std::string_view source, std::vector<Operation> ops,
                      const TxOptions& options = {});

  // Applies one transaction in the open block, opening a block if none is open. A stateless
  // rejection is returned as the outcome and the ledger is not called.
  TxOutcome apply(const Transaction& tx);
  // Applies one transaction in a block of its own, ending the open block first if there is one.
  TxOutcome submit(const Transaction& tx);
  TxOutcome submit(std::string_view source, std::vector<Operation> ops,
                   const TxOptions& options = {});
  // Applies the transactions in order in one block of their own.
  std::vector<TxOutcome> submit_block(const std::vector<Transaction>& txs);

  void begin_block();
  // Ends the open block, checks the invariants and records the delta in the stored state.
  ledger::StateDelta end_block();
  // Ends the open block, if any, then applies `blocks` empty blocks.
  void advance(uint64_t blocks);

  // Shortcuts for setting up state; each reports a failure unless the transaction succeeds.
  void create_account(std::string_view name);
  void create_accounts(const std::vector<std::string>& names);
  AssetId create_asset(std::string_view issuer, std::string_view code_text, uint8_t scale,
                       uint8_t flags = 0);
  void open_holding(std::string_view holder, const AssetId& asset_id, Amount limit);
  // Signed by the asset's issuer, which must have been the source of an earlier make_tx.
  void issue(std::string_view holder, const AssetId& asset_id, Amount amount);

  // The balance of a holding, or nullopt when there is none.
  std::optional<Amount> balance(std::string_view holder, const AssetId& asset_id) const;
  // The supply of an asset, or nullopt when it does not exist.
  std::optional<Amount> supply(const AssetId& asset_id) const;

  // The latest value of every entry handed out in a delta, keyed by entry key, and the replay
  // ids that were added and have not expired.
  const std::map<Bytes, Bytes>& stored_entries() const { return stored_entries_; }
  const std::map<Hash256, uint64_t>& stored_replay_ids() const { return stored_replay_ids_; }
  // A fresh ledger loaded from the stored state, as a node builds after a restart.
  Result<std::unique_ptr<ledger::Ledger>> load_copy() const;
  // The state root of the stored entries with the given live replay ids (by default this
  // ledger's own): a failed transaction changes no entry but consumes its id, so tests of
  // "changed nothing" compare the entries and check the root against them this way.
  Hash256 stored_state_root() const { return stored_state_root(stored_replay_ids_); }
  Hash256 stored_state_root(const std::map<Hash256, uint64_t>& replay_ids) const;
  // Replaces the ledger with load_copy() and reports a failure if the state root moved.
  void restart();

 private:
  void fail(const std::string& message) const { on_failure_(message); }
  void expect_ok(const TxOutcome& outcome, std::string_view what);

  FailureHandler on_failure_;
  std::unique_ptr<ledger::Ledger> ledger_;
  uint64_t state_root_interval_ = 1;
  bool block_open_ = false;
  bool recycle_deltas_ = false;
  uint64_t next_nonce_ = 1;
  // The name of every account that has been the source of a transaction built here.
  std::map<AccountId, std::string> names_;
  void store(const ledger::StateDelta& delta);
  std::map<Bytes, Bytes> stored_entries_;
  uint64_t take_every_blocks_ = 0;
  std::map<Hash256, uint64_t> stored_replay_ids_;
};

}  // namespace corridor::test
