// A seeded interbank payment workload for the gridlock benchmarks: banks of very different
// sizes paying each other, with a heavy-tailed size distribution, in integer arithmetic only, so
// that every run of the same seed produces the same payments on every machine.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "ledger/gridlock.h"

namespace corridor::bench {

// Bank i's share of the traffic is proportional to 1/(i+1): a few large banks, many small ones. A
// payment's payer and payee are both drawn by these weights, so a bank's receipts over a day
// roughly track its payments (the largest banks receive somewhat less than they pay, since a bank
// never pays itself); its position still swings within the day, which is what creates the need for
// liquidity.
class BankPicker {
 public:
  explicit BankPicker(uint32_t banks) {
    uint64_t total = 0;
    for (uint32_t i = 0; i < banks; ++i) {
      total += 1'000'000 / (i + 1);
      cumulative_.push_back(total);
    }
  }
  uint32_t pick(std::mt19937_64& rng) const {
    const uint64_t x = rng() % cumulative_.back();
    return static_cast<uint32_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), x) -
                                 cumulative_.begin());
  }
  // A payee other than the payer.
  uint32_t pick_other(std::mt19937_64& rng, uint32_t payer) const {
    for (;;) {
      const uint32_t b = pick(rng);
      if (b != payer) return b;
    }
  }

 private:
  std::vector<uint64_t> cumulative_;
};

// A payment amount in minor units: a decade starting at 10^5 (1,000.00) up to one starting at
// 10^10 (100,000,000.00), smaller decades more often, then uniform within the decade. Most payments
// are small and most value is in the few large ones.
inline Amount payment_amount(std::mt19937_64& rng) {
  // Weights of the decades 10^5 .. 10^10, in percent.
  static constexpr uint32_t decade_weights[] = {35, 27, 18, 11, 6, 3};
  uint32_t x = static_cast<uint32_t>(rng() % 100);
  Amount base = 100'000;
  for (uint32_t w : decade_weights) {
    if (x < w) break;
    x -= w;
    base *= 10;
  }
  return base + static_cast<Amount>(rng() % static_cast<uint64_t>(9 * base));
}

// `count` payments among `banks` banks in `assets` assets, with seqs 1..count in arrival order
// and `urgent_percent` of them urgent.
inline std::vector<ledger::QueuedPayment> interbank_payments(std::mt19937_64& rng, uint32_t banks,
                                                             uint32_t assets, uint32_t count,
                                                             uint32_t urgent_percent = 10) {
  BankPicker picker(banks);
  std::vector<ledger::QueuedPayment> out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    ledger::QueuedPayment p;
    p.seq = i + 1;
    p.payer = picker.pick(rng);
    p.payee = picker.pick_other(rng, p.payer);
    p.asset = static_cast<uint32_t>(rng() % assets);
    p.amount = payment_amount(rng);
    p.band = rng() % 100 < urgent_percent ? ledger::QueueBand::urgent : ledger::QueueBand::normal;
    out.push_back(p);
  }
  return out;
}

// Each bank's liquidity in each asset: `percent` of what it pays in that asset over `payments`.
inline std::vector<ledger::QueueBalance> liquidity_for(
    const std::vector<ledger::QueuedPayment>& payments, uint32_t banks, uint32_t assets,
    uint32_t percent) {
  std::vector<int64_t> paid(static_cast<size_t>(banks) * assets, 0);
  for (const auto& p : payments) paid[static_cast<size_t>(p.payer) * assets + p.asset] += p.amount;
  std::vector<ledger::QueueBalance> out;
  for (uint32_t b = 0; b < banks; ++b)
    for (uint32_t a = 0; a < assets; ++a)
      out.push_back({.participant = b,
                     .asset = a,
                     .amount = paid[static_cast<size_t>(b) * assets + a] / 100 * percent});
  return out;
}

}  // namespace corridor::bench
