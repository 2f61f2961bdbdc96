// Generators of random ledger activity shared by the property tests. The cast of accounts is
// small so that random operations often name existing accounts, assets and holdings, and the
// amounts mix ordinary values with zero, negative and extreme ones.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "ledger/operation.h"
#include "support/test_support.h"

namespace corridor::test::prop {

inline const std::vector<std::string> kIssuers = {"cb1", "cb2"};
inline const std::vector<std::string> kBanks = {"b1", "b2", "b3", "b4"};
// "ghost" never gets an account unless a random create_account makes one.
inline const std::vector<std::string> kNames = {"cb1", "cb2", "b1", "b2", "b3", "b4", "ghost"};
inline const std::vector<std::string> kCodes = {"USD", "EUR", "JPY"};

inline std::vector<AssetId> all_assets() {
  std::vector<AssetId> out;
  for (const auto& issuer : kNames)
    for (const auto& c : kCodes) out.push_back(asset(c, issuer));
  return out;
}

inline rc::Gen<Amount> gen_amount() {
  constexpr Amount max = std::numeric_limits<Amount>::max();
  constexpr Amount min = std::numeric_limits<Amount>::min();
  return rc::gen::weightedOneOf<Amount>({
      {12, rc::gen::inRange<Amount>(1, 5'000)},
      {2, rc::gen::element<Amount>(0, -1, 1, max, min, max / 2, max - 1, min + 1)},
      {1, rc::gen::arbitrary<Amount>()},
  });
}

inline rc::Gen<std::string> gen_name() {
  return rc::gen::elementOf(kNames);
}
inline rc::Gen<std::string> gen_code() {
  return rc::gen::elementOf(kCodes);
}

// Mostly names, codes and assets that exist after set_up(), so that most operations can
// succeed, with an occasional arbitrary one for the rejection paths.
inline rc::Gen<std::string> gen_holder() {
  return rc::gen::weightedOneOf<std::string>({{6, rc::gen::elementOf(kBanks)}, {1, gen_name()}});
}
inline rc::Gen<std::string> gen_code_of(const std::string& issuer) {
  std::string own = issuer == "cb1" ? "USD" : issuer == "cb2" ? "EUR" : "JPY";
  return rc::gen::weightedOneOf<std::string>({{6, rc::gen::just(own)}, {1, gen_code()}});
}
inline rc::Gen<AssetId> gen_asset() {
  return rc::gen::weightedOneOf<AssetId>(
      {{8, rc::gen::element(asset("USD", "cb1"), asset("EUR", "cb2"))},
       {1, rc::gen::exec([] { return asset(*gen_code(), *gen_name()); })}});
}

// One random operation by `source`. Issuers mostly issue and police their assets and banks
// mostly pay, but either may try anything, so that the rejections are exercised too.
inline rc::Gen<Operation> gen_operation(const std::string& source) {
  return rc::gen::exec([source]() -> Operation {
    bool issuer = source.rfind("cb", 0) == 0;
    // Weights of create_account, set_signers, create_asset, open_holding, authorize, freeze,
    // issue, redeem, transfer and clawback, in that order.
    int kind =
        issuer
            ? *rc::gen::weightedElement<int>(
                  {{1, 0}, {1, 1}, {2, 2}, {1, 3}, {3, 4}, {3, 5}, {8, 6}, {1, 7}, {3, 8}, {3, 9}})
            : *rc::gen::weightedElement<int>({{1, 0},
                                              {1, 1},
                                              {1, 2},
                                              {3, 3},
                                              {1, 4},
                                              {1, 5},
                                              {1, 6},
                                              {3, 7},
                                              {12, 8},
                                              {1, 9}});
    switch (kind) {
      case 0:
        return op::create_account(
            *rc::gen::weightedElement<std::string>({{4, source}, {1, *gen_name()}}));
      case 1: {
        // Keep the source's own key able to sign alone most of the time, so that an account
        // is rarely locked out for the rest of the run.
        uint16_t threshold = *rc::gen::weightedElement<uint16_t>({{5, 1}, {1, 2}, {1, 0}});
        return op::set_signers({{source, 1}, {*gen_name() + "-signer", 1}}, threshold);
      }
      case 2:
        return op::create_asset(
            *gen_code(), *rc::gen::inRange<uint8_t>(0, 21),
            *rc::gen::weightedElement<uint8_t>({{8, *rc::gen::inRange<uint8_t>(0, 8)}, {1, 0x10}}));
      case 3:
        return op::open_holding(*gen_asset(), *rc::gen::weightedOneOf<Amount>(
                                                  {{3, rc::gen::inRange<Amount>(1'000, 2'000'000)},
                                                   {1, gen_amount()}}));
      case 4:
        return op::authorize(*gen_holder(), *gen_code_of(source), *rc::gen::arbitrary<bool>());
      case 5:
        // Unfreezing is likelier than freezing, so that frozen holdings do not pile up.
        return op::freeze(*gen_holder(), *gen_code_of(source),
                          *rc::gen::weightedElement<bool>({{1, true}, {2, false}}));
      case 6:
        return op::issue(*gen_holder(), *gen_code_of(source), *gen_amount());
      case 7:
        return op::redeem(*gen_asset(), *gen_amount());
      case 8:
        return op::transfer(*gen_holder(), *gen_asset(), *gen_amount());
      default:
        return op::clawback(*gen_holder(), *gen_code_of(source), *gen_amount());
    }
  });
}

struct TxSpec {
  std::string source;
  std::vector<Operation> ops;
};
using BlockSpec = std::vector<TxSpec>;

inline std::ostream& operator<<(std::ostream& os, const TxSpec& tx) {
  os << tx.source << ":";
  for (size_t i = 0; i < tx.ops.size(); ++i) os << (i ? " ; " : " ") << describe(tx.ops[i]);
  return os;
}

inline rc::Gen<TxSpec> gen_tx() {
  return rc::gen::exec([] {
    TxSpec tx;
    // Issuers and banks act more often than the ghost.
    tx.source = *rc::gen::weightedElement<std::string>(
        {{3, "cb1"}, {3, "cb2"}, {2, "b1"}, {2, "b2"}, {2, "b3"}, {2, "b4"}, {1, "ghost"}});
    int n = *rc::gen::weightedElement<int>({{8, 1}, {3, 2}, {1, 3}, {1, 6}});
    for (int i = 0; i < n; ++i) tx.ops.push_back(*gen_operation(tx.source));
    return tx;
  });
}

inline rc::Gen<std::vector<BlockSpec>> gen_blocks() {
  return rc::gen::exec([] {
    int blocks = *rc::gen::inRange(1, 16);
    std::vector<BlockSpec> out;
    for (int b = 0; b < blocks; ++b) {
      int txs = *rc::gen::inRange(1, 6);
      BlockSpec block;
      for (int i = 0; i < txs; ++i) block.push_back(*gen_tx());
      out.push_back(std::move(block));
    }
    return out;
  });
}

// A failure handler for TestLedger that fails the current property case.
inline TestLedger::FailureHandler fail_property() {
  return [](const std::string& message) { RC_FAIL(message); };
}

// Every account exists; cb1 issues USD (freezable, clawback), cb2 issues EUR (authorization
// required, freezable, clawback); every bank holds both, authorized, with some USD.
inline void set_up(TestLedger& t) {
  std::vector<std::string> accounts = kIssuers;
  accounts.insert(accounts.end(), kBanks.begin(), kBanks.end());
  t.create_accounts(accounts);
  AssetId usd = t.create_asset("cb1", "USD", 2,
                               ledger::asset_flag_freezable | ledger::asset_flag_clawback_enabled);
  AssetId eur = t.create_asset("cb2", "EUR", 2, ledger::asset_flags_all);
  std::vector<Transaction> opens;
  for (const auto& bank : kBanks)
    opens.push_back(
        t.make_tx(bank, {op::open_holding(usd, 1'000'000), op::open_holding(eur, 500'000)}));
  t.submit_block(opens);
  std::vector<Operation> issue_usd, authorize_eur;
  for (const auto& bank : kBanks) {
    issue_usd.push_back(op::issue(bank, "USD", 50'000));
    authorize_eur.push_back(op::authorize(bank, "EUR"));
  }
  t.submit("cb1", issue_usd);
  t.submit("cb2", authorize_eur);
}

}  // namespace corridor::test::prop
