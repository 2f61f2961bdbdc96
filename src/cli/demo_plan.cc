#include "cli/demo_plan.h"

#include <algorithm>
#include <cassert>

namespace corridor::cli::demo {

int issuer_of(int currency) {
  for (int i = 0; i < participant_count; ++i)
    if (participants[i].role == Role::issuer && participants[i].currency == currency) return i;
  assert(false && "every currency has an issuer");
  return 0;
}

int agent_index() {
  for (int i = 0; i < participant_count; ++i)
    if (participants[i].role == Role::agent) return i;
  assert(false && "the roster has an agent");
  return 0;
}

std::vector<int> banks_of(int currency) {
  std::vector<int> out;
  for (int i = 0; i < participant_count; ++i)
    if (participants[i].role == Role::bank && participants[i].currency == currency)
      out.push_back(i);
  return out;
}

std::vector<int> market_makers() {
  std::vector<int> out;
  for (int i = 0; i < participant_count; ++i)
    if (participants[i].role == Role::market_maker) out.push_back(i);
  return out;
}

namespace {

// Products of amounts, rates and basis points exceed 64 bits; their quotients do not.
__extension__ using Int128 = __int128;

constexpr int64_t bps_one = 10'000;

// A level of a ladder: spread and size; the size is in major units of the selling currency.
struct LevelShape {
  uint32_t spread_bps;
  Amount amount_major;
};
// Market maker 0 quotes tighter than market maker 1, so both get taken, the first more often.
constexpr std::array<std::array<LevelShape, 3>, 2> ladder_shapes{{
    {{{5, 400'000}, {15, 800'000}, {30, 1'600'000}}},
    {{{8, 400'000}, {20, 800'000}, {40, 1'600'000}}},
}};

Int128 gcd128(Int128 a, Int128 b) {
  while (b != 0) {
    Int128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

}  // namespace

ledger::Price offer_price(int selling, int buying, uint32_t spread_bps) {
  // One unit of `selling` is worth usd[selling] / usd[buying] units of `buying`; the owner asks
  // spread_bps more. Equal scales make this the price in minor units as well.
  Int128 n = static_cast<Int128>(currencies[selling].usd_value_micro) * (bps_one + spread_bps);
  Int128 d = static_cast<Int128>(currencies[buying].usd_value_micro) * bps_one;
  Int128 g = gcd128(n, d);
  return {static_cast<int64_t>(n / g), static_cast<int64_t>(d / g)};
}

std::vector<LadderLevel> ladder(int market_maker_number) {
  const auto& shapes = ladder_shapes[static_cast<size_t>(market_maker_number) % 2];
  std::vector<LadderLevel> out;
  for (int s = 0; s < currency_count; ++s)
    for (int b = 0; b < currency_count; ++b) {
      if (s == b) continue;
      for (const LevelShape& shape : shapes)
        out.push_back({s, b, shape.spread_bps, shape.amount_major * minor_per_major,
                       offer_price(s, b, shape.spread_bps)});
    }
  return out;
}

uint32_t ladder_spread_bps_max() {
  uint32_t m = 0;
  for (const auto& shapes : ladder_shapes)
    for (const LevelShape& s : shapes) m = std::max(m, s.spread_bps);
  return m;
}

TreasuryBand treasury_band(Role role) {
  // Market makers keep more: their offers lock a share of each currency besides.
  if (role == Role::market_maker)
    return {10'000'000 * minor_per_major, 30'000'000 * minor_per_major,
            60'000'000 * minor_per_major};
  return {2'000'000 * minor_per_major, 10'000'000 * minor_per_major, 25'000'000 * minor_per_major};
}

Amount treasury_adjustment(Amount balance, const TreasuryBand& band) {
  if (balance < band.low) return band.target - balance;
  if (balance > band.high) return band.target - balance;
  return 0;
}

std::string_view payment_kind_name(PaymentKind kind) {
  switch (kind) {
    case PaymentKind::fx_receive:
      return "receive";
    case PaymentKind::fx_send:
      return "send";
    case PaymentKind::transfer:
      return "transfer";
    case PaymentKind::queue:
      return "queue";
    case PaymentKind::escrow:
      return "escrow";
  }
  return "unknown";
}

Amount send_max_for(Amount dest_amount, int send, int dest, uint32_t tolerance_bps) {
  Int128 num = static_cast<Int128>(dest_amount) * currencies[dest].usd_value_micro *
               (bps_one + tolerance_bps);
  Int128 den = static_cast<Int128>(currencies[send].usd_value_micro) * bps_one;
  return static_cast<Amount>((num + den - 1) / den);
}

Amount dest_min_for(Amount send_amount, int send, int dest, uint32_t tolerance_bps) {
  Int128 num = static_cast<Int128>(send_amount) * currencies[send].usd_value_micro *
               (bps_one - tolerance_bps);
  Int128 den = static_cast<Int128>(currencies[dest].usd_value_micro) * bps_one;
  return static_cast<Amount>(num / den);
}

namespace {

// Payment sizes in major units, most of them small: the weight of each size class.
struct SizeClass {
  Amount major;
  int weight;
};
constexpr std::array<SizeClass, 8> size_classes{{{500, 10},
                                                 {1'000, 15},
                                                 {2'500, 15},
                                                 {5'000, 15},
                                                 {10'000, 15},
                                                 {25'000, 14},
                                                 {50'000, 10},
                                                 {150'000, 6}}};

int draw(std::mt19937_64& rng, int below) {
  return static_cast<int>(rng() % static_cast<uint64_t>(below));
}

Amount draw_amount(std::mt19937_64& rng) {
  int total = 0;
  for (const auto& c : size_classes) total += c.weight;
  int pick = draw(rng, total);
  Amount major = size_classes.back().major;
  for (const auto& c : size_classes) {
    if (pick < c.weight) {
      major = c.major;
      break;
    }
    pick -= c.weight;
  }
  // Between half and one and a half times the class, to the cent.
  const Amount base = major * minor_per_major;
  return base / 2 + static_cast<Amount>(rng() % static_cast<uint64_t>(base));
}

PaymentKind draw_kind(std::mt19937_64& rng) {
  int pick = draw(rng, 100);
  for (int k = 0; k < payment_kind_count; ++k) {
    if (pick < payment_mix_pct[static_cast<size_t>(k)]) return static_cast<PaymentKind>(k);
    pick -= payment_mix_pct[static_cast<size_t>(k)];
  }
  return PaymentKind::fx_receive;
}

}  // namespace

PaymentPlan plan_payment(std::mt19937_64& rng) {
  PaymentPlan p;
  p.kind = draw_kind(rng);
  const int from = draw(rng, currency_count);
  const auto payers = banks_of(from);
  p.payer = payers[static_cast<size_t>(draw(rng, static_cast<int>(payers.size())))];
  p.send_currency = from;
  p.amount = draw_amount(rng);
  if (p.kind == PaymentKind::fx_receive || p.kind == PaymentKind::fx_send) {
    int to = draw(rng, currency_count - 1);
    if (to >= from) ++to;
    const auto payees = banks_of(to);
    p.payee = payees[static_cast<size_t>(draw(rng, static_cast<int>(payees.size())))];
    p.dest_currency = to;
    // A third of the payments between two non-vehicle currencies go through the vehicle
    // currency, as many real corridors do; the rest cross the direct book.
    if (from != vehicle_currency && to != vehicle_currency && draw(rng, 3) == 0)
      p.via = vehicle_currency;
    p.limit = p.kind == PaymentKind::fx_receive
                  ? send_max_for(p.amount, from, to, path_tolerance_bps)
                  : dest_min_for(p.amount, from, to, path_tolerance_bps);
    return p;
  }
  // Same-currency payments go to the other bank of the payer's currency.
  for (int b : payers)
    if (b != p.payer) p.payee = b;
  p.dest_currency = from;
  p.urgent = p.kind == PaymentKind::queue && draw(rng, 4) == 0;
  p.with_agent = p.kind == PaymentKind::escrow && draw(rng, 2) == 0;
  return p;
}

uint64_t percentile(std::vector<uint64_t>& samples, unsigned p) {
  if (samples.empty()) return 0;
  p = std::min(p, 100u);
  // Nearest rank: the smallest sample with at least p percent of the samples at or below it.
  size_t rank = (static_cast<size_t>(p) * samples.size() + 99) / 100;
  size_t k = rank == 0 ? 0 : rank - 1;
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(k),
                   samples.end());
  return samples[k];
}

}  // namespace corridor::cli::demo
