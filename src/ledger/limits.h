// Protocol limits. Each is enforced where the data enters (decoders, stateless checks) and
// tested; changing one changes which transactions are valid, so they are part of the protocol.
#pragma once

#include <cstddef>
#include <cstdint>

namespace corridor::ledger {

// One envelope may carry a bank's whole batch of customer payments under one signature.
inline constexpr uint32_t tx_ops_max = 10'000;
inline constexpr uint8_t tx_signatures_max = 8;
// Large enough for tx_ops_max transfers (about 90 bytes each) with room to spare.
inline constexpr size_t tx_bytes_max = 1 << 20;
// A transaction names the last height it may be applied at; it may not reach further ahead
// than this, which bounds the set of ids kept for replay protection.
inline constexpr uint64_t tx_validity_blocks_max = 20'000;
inline constexpr uint8_t signers_max = 8;
// Holdings per account; an account's holdings are listed by the API in one response.
inline constexpr uint32_t account_holdings_max = 1'000;
// Validators of one epoch; equal to consensus::validators_max (the node checks they agree).
inline constexpr uint32_t validators_max = 256;
inline constexpr uint32_t block_txs_max = 100'000;
inline constexpr size_t block_bytes_max = 64 << 20;
// The state root is recomputed at heights that are multiples of the network's state root
// interval (ledger.h, "root heights"). Checkpoints and state-sync snapshots fall on root heights
// only, so the interval must divide their intervals; it is bounded so that changes waiting for
// the next root stay few (at most this many blocks' worth) and a divergence between validators'
// execution shows within this many blocks.
inline constexpr uint64_t state_root_interval_blocks_max = 64;

// --- FX: offers, order books and path payments (docs/fx.md) -------------------------------
// Offers crossed by one operation, over all the legs of a path payment and by an offer placed
// across the opposite book. Crossing costs validators work linear in this number, so it bounds
// the cost of any single operation (Stellar uses the same figure).
inline constexpr uint32_t offers_crossed_max = 1'000;
// A path payment names at most this many intermediate assets between its source and
// destination assets, so it crosses at most path_hops_max books (one per hop).
inline constexpr uint32_t path_intermediate_assets_max = 5;
inline constexpr uint32_t path_hops_max = path_intermediate_assets_max + 1;
// Resting offers in one order book. Bounds the memory one pair can take; the ledger is
// expected to bound offers per account as well (as it bounds holdings per account).
inline constexpr uint32_t book_offers_max = 1'000'000;
// Resting offers per account, as account_holdings_max bounds holdings: it bounds what one
// account can put in the books and the API's listing of its offers.
inline constexpr uint32_t account_offers_max = 1'000;
// The most fractional digits a decimal price text may carry: 10^18 is the largest power of
// ten in an int64, which is what a price component is.
inline constexpr uint8_t price_fraction_digits_max = 18;
// Path finding (quotes, not consensus): the most paths returned per query, and the most
// partial paths the bounded search examines before it stops, so that a query costs at most
// path_find_steps_max times one leg's crossing.
inline constexpr uint32_t path_find_results_max = 10;
inline constexpr uint32_t path_find_steps_max = 20'000;

// The liquidity queue: at most this many payments wait at once (the gridlock resolver takes
// 13 ms for 100,000 on this machine, docs/benchmarks.md), each for at most this many blocks.
inline constexpr uint32_t queue_payments_max = 100'000;
inline constexpr uint64_t queue_validity_blocks_max = 100'000;
// Escrows open at once, and the longest preimage a hash condition accepts.
inline constexpr uint32_t escrows_max = 1'000'000;
inline constexpr size_t escrow_preimage_bytes_max = 256;

}  // namespace corridor::ledger
