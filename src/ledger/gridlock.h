// The liquidity queue's gridlock resolver: given the queued payments and the payers' available
// balances, it chooses the payments to settle now, all at once, so that no balance goes negative
// and no payer's queue is overtaken. It is a pure function of its input, as the rest of the
// ledger is: no clock, no randomness, no floating point, and its result does not depend on the
// order in which payments or balances are passed. docs/liquidity_queue.md states the algorithm
// and proves its guarantees.
//
// The ledger calls it once per block, after new queued payments were added and before the
// block ends, and applies the result: the net change of every position (not the payments one by
// one, which could overdraw a position transiently), the removal of settled and expired payments
// from the queue.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/amount.h"
#include "base/status.h"

namespace corridor::ledger {

// The most payments one resolution takes. Time and memory are linear in it up to a logarithm;
// at this size a resolution takes well under a second on one core (docs/benchmarks.md). The
// ledger's own bound on the queue length must not exceed it.
inline constexpr uint32_t gridlock_payments_max = 1'000'000;
// Two positions per payment at most, so more balances than this cannot all be relevant.
inline constexpr uint32_t gridlock_balances_max = 2 * gridlock_payments_max;

// A queued payment's priority. Within one payer's queue of one asset, every urgent payment comes
// before every normal one, whatever their arrival order.
enum class QueueBand : uint8_t {
  urgent = 0,
  normal = 1,
};

struct QueuedPayment {
  // Global arrival order; unique across the whole queue. FIFO within a band follows it.
  uint64_t seq = 0;
  // Dense indices chosen by the caller. A (participant, asset) pair is a position.
  uint32_t payer = 0;
  uint32_t payee = 0;
  uint32_t asset = 0;
  // Minor units of the asset; strictly positive.
  Amount amount = 0;
  QueueBand band = QueueBand::normal;
  // The last block height at which the payment may settle; at a later height it is expired
  // before resolution and takes no part in it. UINT64_MAX for a payment that never expires.
  uint64_t last_height = UINT64_MAX;
};

// The balance a position may spend: at least zero. A position with no entry has zero.
struct QueueBalance {
  uint32_t participant = 0;
  uint32_t asset = 0;
  Amount amount = 0;
};

enum class QueueOutcome : uint8_t {
  queued = 0,  // Stays in the queue for the next block.
  settled = 1,
  expired = 2,  // last_height < height: leaves the queue unsettled.
};

// The net effect of the settled payments on one position. balance + delta is in
// [0, INT64_MAX] for every position.
struct PositionChange {
  uint32_t participant = 0;
  uint32_t asset = 0;
  Amount delta = 0;
  friend bool operator==(const PositionChange&, const PositionChange&) = default;
};

struct GridlockResult {
  // The total value of payments can exceed an Amount (a cycle of large payments settles with no
  // liquidity at all), so value sums are 128-bit.
  __extension__ using Value = __int128;

  struct AssetTotals {
    uint32_t asset = 0;
    uint32_t settled_payments = 0;
    Value settled_value = 0;
    uint32_t queued_payments = 0;
    Value queued_value = 0;
    friend bool operator==(const AssetTotals&, const AssetTotals&) = default;
  };

  // One outcome per input payment, in input order.
  std::vector<QueueOutcome> outcomes;
  // Every position that pays or receives a settled payment, sorted by (asset, participant).
  std::vector<PositionChange> changes;
  // One entry per asset named by a payment that has not expired, sorted by asset.
  std::vector<AssetTotals> assets;
  uint32_t settled = 0;
  uint32_t queued = 0;
  uint32_t expired = 0;
  // How often a position was found in deficit and trimmed: a measure of the work done, not of
  // the result (which does not depend on the order of the trimming).
  uint32_t deficits_resolved = 0;

  friend bool operator==(const GridlockResult&, const GridlockResult&) = default;
};

// Resolves the queue at block `height`.
//
// Guarantees, for the payments that have not expired (docs/liquidity_queue.md proves them):
// 1. Cover: settling all chosen payments at once leaves every position's balance in
//    [0, INT64_MAX].
// 2. Order: within each (payer, asset), payments are ranked by (band, seq); a payment settles
//    only if every payment ranked before it settles too. So urgent before normal, and FIFO
//    within a band.
// 3. Maximum: the chosen set contains every other set that satisfies 1 and 2. It therefore
//    settles the most payments and the most value of each asset that any order-respecting
//    choice could, and everything that gross settlement of the queue or bilateral offsetting
//    in queue order would settle.
// 4. Determinism: the result depends only on the multisets of payments and balances and on the
//    height; outcomes follow the input order of the payments.
//
// Malformed input is refused with invalid_argument, and nothing is settled: an amount that is
// not positive, a payment to oneself, an unknown band, a repeated seq, a negative or repeated
// balance, or balances of one asset that together exceed INT64_MAX (a ledger's balances cannot,
// since they sum to the asset's supply). More than gridlock_payments_max payments or
// gridlock_balances_max balances is resource_exhausted.
//
// Time O(n log n + b log b) for n payments and b balances; memory O(n + b).
[[nodiscard]] Result<GridlockResult> resolve_gridlock(std::span<const QueuedPayment> payments,
                                                      std::span<const QueueBalance> balances,
                                                      uint64_t height);

}  // namespace corridor::ledger
