// Path payments through the Ledger (issue 5): each iteration applies one transaction holding one
// two-hop path payment (A -> B -> C) with Ledger::apply - precheck, planning, the owners'
// holding checks, the balance moves, the offer and book updates and the undo journal - against
// books of 10,000 resting offers each; every 100 payments the block ends (state tree and delta
// for every changed holding and offer, timed too). Every 10 payments the timer pauses while
// makers put back as many offers as were consumed and the next transactions are built, so the
// books stay at 10,000 (within the ~60 offers 10 payments consume). bench/fx_bench.cc measures
// the pure modules on the same books; docs/benchmarks.md records both.
//
//   cmake --build build/release --target fx_ledger_bench && build/release/bench/fx_ledger_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/hash.h"
#include "ledger/ledger.h"

namespace corridor {
namespace {

using namespace ledger;

constexpr int offers_per_book = 10'000;
constexpr int makers = 1'000;
constexpr Amount big = 1'000'000'000'000'000;  // 10^15: limits and balances never bind.

// Deriving a key pair costs tens of microseconds, so each name's is derived once.
const KeyPair& key(const std::string& name) {
  static std::map<std::string, KeyPair> keys;
  auto it = keys.find(name);
  if (it != keys.end()) return it->second;
  Hash256 h = sha256(as_bytes(name));
  Seed s;
  std::copy(h.bytes.begin(), h.bytes.end(), s.bytes.begin());
  return keys.emplace(name, KeyPair::from_seed(s)).first->second;
}

// Builds and applies transactions without signing them: Ledger::apply trusts check_stateless
// to have verified signatures, and only matches signer keys against the account's list.
class Bench {
 public:
  Bench() {
    ledger_.begin_block(1);
    for (const char* n : {"ia", "ib", "ic", "payer", "dest"}) create(n);
    for (int i = 0; i < makers; ++i) create("m" + std::to_string(i));
    a_ = asset("ia", "AAA");
    b_ = asset("ib", "BBB");
    c_ = asset("ic", "CCC");
    for (int i = 0; i < makers; ++i) {
      std::string m = "m" + std::to_string(i);
      apply(m, {OpenHoldingOp{a_, big}, OpenHoldingOp{b_, big}, OpenHoldingOp{c_, big}});
      apply("ib", {IssueOp{id(m), b_.code, big / 100}});
      apply("ic", {IssueOp{id(m), c_.code, big / 100}});
    }
    apply("payer", {OpenHoldingOp{a_, big}});
    apply("ia", {IssueOp{id("payer"), a_.code, big / 10}});
    apply("dest", {OpenHoldingOp{c_, big}});
    end_block();
    for (int i = 0; i < offers_per_book; ++i) {
      refill(b_, a_);
      refill(c_, b_);
    }
    end_block();
  }

  // A maker's new offer at a price within 10% of 1:1, 1 to 10,000 units; the opposite books
  // are empty, so it rests.
  void refill(const AssetId& selling, const AssetId& buying) {
    std::string m = "m" + std::to_string(rng_() % makers);
    TxOutcome out = apply(m, {PlaceOfferOp{selling,
                                           buying,
                                           static_cast<Amount>(1 + rng_() % 10'000),
                                           {static_cast<int64_t>(90 + rng_() % 21), 100}}});
    if (out.code != ResultCode::ok) std::abort();
  }

  Transaction payment(PathMode mode) {
    Amount amount = static_cast<Amount>(100 + rng_() % 20'000);
    Operation op;
    if (mode == PathMode::exact_send)
      op = PathPaymentSendOp{id("dest"), a_, amount, c_, 1, {b_}};
    else
      op = PathPaymentReceiveOp{id("dest"), a_, amount * 2, c_, amount, {b_}};
    return make("payer", {std::move(op)});
  }

  TxOutcome apply(const Transaction& tx) { return ledger_.apply(tx); }
  void end_block() {
    ledger_.end_block();
    ledger_.begin_block(++height_);
  }
  size_t books_size() const {
    size_t ab = 0, bc = 0;
    ledger_.book_offers(b_, a_, 0, &ab);
    ledger_.book_offers(c_, b_, 0, &bc);
    return ab + bc;
  }
  void refill_to_full() {
    size_t ab = 0, bc = 0;
    ledger_.book_offers(b_, a_, 0, &ab);
    ledger_.book_offers(c_, b_, 0, &bc);
    for (size_t i = ab; i < offers_per_book; ++i) refill(b_, a_);
    for (size_t i = bc; i < offers_per_book; ++i) refill(c_, b_);
  }
  Status check() const { return ledger_.check_invariants(); }

 private:
  AccountId id(const std::string& n) { return key(n).account_id(); }
  AssetId asset(const std::string& issuer, const char* code) {
    apply(issuer, {CreateAssetOp{*AssetCode::parse(code), 2, 0}});
    return AssetId{*AssetCode::parse(code), id(issuer)};
  }
  void create(const std::string& n) {
    const KeyPair& k = key(n);
    Transaction tx = make(n, {CreateAccountOp{k.public_key()}});
    if (ledger_.apply(tx).code != ResultCode::ok) std::abort();
  }
  Transaction make(const std::string& source, std::vector<Operation> ops) {
    Transaction tx;
    tx.source = id(source);
    tx.nonce = ++nonce_;
    tx.valid_until_height = height_ + 10;
    tx.ops = std::move(ops);
    tx.compute_id();
    tx.signatures.push_back({key(source).public_key(), Signature{}});
    return tx;
  }
  TxOutcome apply(const std::string& source, std::vector<Operation> ops) {
    TxOutcome out = ledger_.apply(make(source, std::move(ops)));
    if (out.code != ResultCode::ok) std::abort();
    return out;
  }

  Ledger ledger_;
  uint64_t height_ = 1;
  uint64_t nonce_ = 0;
  std::mt19937_64 rng_{7};
  AssetId a_, b_, c_;
};

void ledger_path_payments(benchmark::State& state, PathMode mode) {
  Bench b;
  std::vector<Transaction> next;
  uint64_t consumed = 0, n = 0;
  for (auto _ : state) {
    if (next.empty()) {
      state.PauseTiming();
      b.refill_to_full();
      for (int i = 0; i < 10; ++i) next.push_back(b.payment(mode));
      std::reverse(next.begin(), next.end());
      state.ResumeTiming();
    }
    size_t before = b.books_size();
    TxOutcome out = b.apply(next.back());
    next.pop_back();
    if (out.code != ResultCode::ok) {
      state.SkipWithError(std::string(result_code_name(out.op_code)).c_str());
      break;
    }
    consumed += before - b.books_size();
    if (++n % 100 == 0) b.end_block();
  }
  if (!b.check().ok()) state.SkipWithError(b.check().message().c_str());
  state.SetItemsProcessed(state.iterations());
  state.counters["offers_consumed_per_payment"] =
      static_cast<double>(consumed) / static_cast<double>(state.iterations());
}

void BM_LedgerPathPaymentTwoHopsExactSend(benchmark::State& state) {
  ledger_path_payments(state, PathMode::exact_send);
}
BENCHMARK(BM_LedgerPathPaymentTwoHopsExactSend);
void BM_LedgerPathPaymentTwoHopsExactReceive(benchmark::State& state) {
  ledger_path_payments(state, PathMode::exact_receive);
}
BENCHMARK(BM_LedgerPathPaymentTwoHopsExactReceive);

}  // namespace
}  // namespace corridor

BENCHMARK_MAIN();
