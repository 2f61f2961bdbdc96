// The model behind `corridor localnet --demo`, free of I/O: the currencies and their reference
// rates, the participants (central banks, banks, market makers, a shipping agent), the market
// makers' offer ladders, the treasury bands that keep every participant funded, and the random
// choice of the next payment. localnet_demo.cc drives a network with it; the unit tests check
// that the ladders never cross, that payment limits cover the ladders' prices and that the
// treasury keeps balances inside their bands.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "base/amount.h"
#include "ledger/price.h"

namespace corridor::cli::demo {

// Every demo currency has two decimal places, so a price in minor units equals the price in
// major units and amounts convert between currencies by the reference rates alone.
inline constexpr uint8_t currency_scale = 2;
inline constexpr Amount minor_per_major = 100;

struct CurrencyInfo {
  std::string_view code;
  // The value of one unit in millionths of a US dollar: the mid rate the market makers quote
  // around and the payers' limits are computed from.
  int64_t usd_value_micro;
  std::string_view issuer;  // The participant that issues it.
};

inline constexpr std::array<CurrencyInfo, 4> currencies{{
    {"USD", 1'000'000, "usd-central-bank"},
    {"EUR", 1'085'000, "eur-central-bank"},
    {"GBP", 1'270'000, "gbp-central-bank"},
    {"SGD", 745'000, "sgd-central-bank"},
}};
inline constexpr int currency_count = static_cast<int>(currencies.size());
// The vehicle currency some cross payments are routed through (two hops instead of one).
inline constexpr int vehicle_currency = 0;

enum class Role : uint8_t { issuer, bank, market_maker, agent };

struct ParticipantInfo {
  std::string_view name;  // Also the key file's name: <dir>/demo/keys/<name>.key.
  Role role;
  // The issuer's currency, or the bank's home currency (the one it holds, pays and receives);
  // -1 for market makers (they hold every currency) and the agent (it holds none).
  int currency;
  std::string_view label;
};

inline constexpr std::array<ParticipantInfo, 15> participants{{
    {"usd-central-bank", Role::issuer, 0, "issues USD"},
    {"eur-central-bank", Role::issuer, 1, "issues EUR"},
    {"gbp-central-bank", Role::issuer, 2, "issues GBP"},
    {"sgd-central-bank", Role::issuer, 3, "issues SGD"},
    {"us-bank-1", Role::bank, 0, "a US bank: holds, pays and receives USD"},
    {"us-bank-2", Role::bank, 0, "a US bank: holds, pays and receives USD"},
    {"eu-bank-1", Role::bank, 1, "a euro-area bank: holds, pays and receives EUR"},
    {"eu-bank-2", Role::bank, 1, "a euro-area bank: holds, pays and receives EUR"},
    {"uk-bank-1", Role::bank, 2, "a UK bank: holds, pays and receives GBP"},
    {"uk-bank-2", Role::bank, 2, "a UK bank: holds, pays and receives GBP"},
    {"sg-bank-1", Role::bank, 3, "a Singapore bank: holds, pays and receives SGD"},
    {"sg-bank-2", Role::bank, 3, "a Singapore bank: holds, pays and receives SGD"},
    {"market-maker-1", Role::market_maker, -1, "market maker: offers on every currency pair"},
    {"market-maker-2", Role::market_maker, -1, "market maker: offers on every currency pair"},
    {"shipping-agent", Role::agent, -1, "approves the release of trade-finance escrows"},
}};
inline constexpr int participant_count = static_cast<int>(participants.size());

// The index of the issuer of currency c, and of the agent.
int issuer_of(int currency);
int agent_index();
// Banks whose home currency is c.
std::vector<int> banks_of(int currency);
std::vector<int> market_makers();

// Largest balance any demo holding accepts.
inline constexpr Amount holding_limit_minor = 1'000'000'000'000'00;

// --- Offers --------------------------------------------------------------------------------

// The price of an offer selling `selling` for `buying` at the mid rate plus spread_bps basis
// points in the owner's favour, reduced: buying per selling in minor units.
ledger::Price offer_price(int selling, int buying, uint32_t spread_bps);

struct LadderLevel {
  int selling = 0;
  int buying = 0;
  uint32_t spread_bps = 0;
  Amount amount = 0;  // Of the selling currency, minor units.
  ledger::Price price;
};
// A market maker's resting offers: on every ordered currency pair, three levels of growing
// size at growing spreads. The second market maker quotes slightly wider than the first.
std::vector<LadderLevel> ladder(int market_maker_number);
// The widest spread any level quotes.
uint32_t ladder_spread_bps_max();
// A level whose resting amount fell below this share of its size (in percent) gets a fresh
// full-size offer.
inline constexpr Amount ladder_refill_below_pct = 50;

// --- Treasury ------------------------------------------------------------------------------

// A participant's free balance of a currency is kept between low and high: below low its
// central bank issues it back up to target (the bank moved reserves to the central bank), above
// high it redeems down to target. So no participant runs dry or piles up funds, however long
// the demo runs.
struct TreasuryBand {
  Amount low = 0;
  Amount target = 0;
  Amount high = 0;
};
TreasuryBand treasury_band(Role role);
// Positive: issue that much; negative: redeem that much; zero: inside the band.
Amount treasury_adjustment(Amount balance, const TreasuryBand& band);

// --- Payments ------------------------------------------------------------------------------

enum class PaymentKind : uint8_t { fx_receive, fx_send, transfer, queue, escrow };
inline constexpr int payment_kind_count = 5;
std::string_view payment_kind_name(PaymentKind kind);

// How much of the payer's currency a path payment may spend beyond the mid rate (exact
// receive), or how much less the payee may get (exact send): enough for two hops at the
// ladders' widest spread and the rounding of every fill.
inline constexpr uint32_t path_tolerance_bps = 150;

struct PaymentPlan {
  PaymentKind kind = PaymentKind::transfer;
  int payer = 0;  // Participant indices.
  int payee = 0;
  int send_currency = 0;
  int dest_currency = 0;
  // fx_receive: delivered exactly (dest currency); fx_send: spent exactly (send currency);
  // otherwise the amount moved (send currency == dest currency). Minor units.
  Amount amount = 0;
  // fx_receive: most spent (send_max); fx_send: least delivered (dest_min); otherwise 0.
  Amount limit = 0;
  // The intermediate currency of a two-hop path payment.
  std::optional<int> via;
  bool urgent = false;      // queue: the urgent band.
  bool with_agent = false;  // escrow: the shipping agent must approve the release too.
};

// Shares of the payment kinds, in percent: mostly cross-border path payments.
inline constexpr std::array<int, payment_kind_count> payment_mix_pct{50, 15, 22, 10, 3};

// Draws the next payment: kind by payment_mix_pct, a payer and a payee (banks of different home
// currencies for path payments, of the same one otherwise), an amount, and the limit that
// bounds the payer's cost at the reference rates plus path_tolerance_bps.
PaymentPlan plan_payment(std::mt19937_64& rng);

// dest_amount of `dest` at the mid rate in `send`, plus tolerance_bps, rounded up.
Amount send_max_for(Amount dest_amount, int send, int dest, uint32_t tolerance_bps);
// send_amount of `send` at the mid rate in `dest`, less tolerance_bps, rounded down.
Amount dest_min_for(Amount send_amount, int send, int dest, uint32_t tolerance_bps);

// The p-th percentile (0-100, nearest rank) of the samples; 0 when there are none. Reorders
// the samples.
uint64_t percentile(std::vector<uint64_t>& samples, unsigned p);

}  // namespace corridor::cli::demo
