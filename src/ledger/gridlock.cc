// The gridlock resolver (gridlock.h; the algorithm and its proof are in docs/liquidity_queue.md).
//
// Outline: every payment that has not expired starts in the candidate set. Each position's cover
// is its balance plus what it receives minus what it pays if the whole candidate set settled.
// While some position has a negative cover, the last payment of its own queue (ranked by band,
// then seq) leaves the candidate set, which raises its cover and lowers its payee's. A position
// in deficit always has a payment left to remove (with none, its cover is its balance plus what
// it receives, which is not negative), and every removal is final, so the loop ends after at
// most n removals. What remains is the unique largest order-respecting set that every position
// can cover, whatever the order in which deficits were trimmed.
#include "ledger/gridlock.h"

#include <algorithm>
#include <limits>
#include <string>

#include "base/assert.h"

namespace corridor::ledger {
namespace {

using Value = GridlockResult::Value;

constexpr Amount amount_max = std::numeric_limits<Amount>::max();

// A position's key orders positions by asset first, so that each asset's positions are
// contiguous once sorted: per-asset sums and totals are then one pass each.
uint64_t position_key(uint32_t asset, uint32_t participant) {
  return (static_cast<uint64_t>(asset) << 32) | participant;
}
uint32_t key_asset(uint64_t key) {
  return static_cast<uint32_t>(key >> 32);
}
uint32_t key_participant(uint64_t key) {
  return static_cast<uint32_t>(key & 0xffffffffu);
}

struct SeqEntry {
  uint64_t seq;
  uint32_t input;
};

struct BalanceEntry {
  uint64_t key;
  Amount amount;
};

// A live payment as the loop sees it, stored in its payer's stream.
struct StreamItem {
  Amount amount;
  uint32_t payee;  // Position index.
  uint32_t input;  // Index into the caller's payments.
};

// The index of `key` in the sorted, duplicate-free `keys`; the key must be present.
uint32_t position_of(const std::vector<uint64_t>& keys, uint64_t key) {
  auto it = std::lower_bound(keys.begin(), keys.end(), key);
  CORRIDOR_ASSERT(it != keys.end() && *it == key);
  return static_cast<uint32_t>(it - keys.begin());
}

Status check_payment(const QueuedPayment& p, size_t i) {
  if (p.amount <= 0)
    return invalid_argument("queued payment " + std::to_string(i) + ": amount must be positive");
  if (p.payer == p.payee)
    return invalid_argument("queued payment " + std::to_string(i) + ": payer is the payee");
  if (p.band != QueueBand::urgent && p.band != QueueBand::normal)
    return invalid_argument("queued payment " + std::to_string(i) + ": unknown band");
  return Status();
}

// Sorts the balances by position, and refuses negative or repeated ones and assets whose
// balances sum past INT64_MAX. That last bound is what keeps every balance after settlement
// within an Amount: settlement moves value between positions of one asset without creating any.
Result<std::vector<BalanceEntry>> sorted_balances(std::span<const QueueBalance> balances) {
  std::vector<BalanceEntry> out;
  out.reserve(balances.size());
  for (size_t i = 0; i < balances.size(); ++i) {
    const QueueBalance& b = balances[i];
    if (b.amount < 0) return invalid_argument("balance " + std::to_string(i) + ": negative amount");
    out.push_back({position_key(b.asset, b.participant), b.amount});
  }
  std::sort(out.begin(), out.end(),
            [](const BalanceEntry& a, const BalanceEntry& b) { return a.key < b.key; });
  Value asset_sum = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0 && out[i].key == out[i - 1].key)
      return invalid_argument("two balances for participant " +
                              std::to_string(key_participant(out[i].key)) + " in asset " +
                              std::to_string(key_asset(out[i].key)));
    if (i == 0 || key_asset(out[i].key) != key_asset(out[i - 1].key)) asset_sum = 0;
    asset_sum += out[i].amount;
    if (asset_sum > amount_max)
      return invalid_argument("balances of asset " + std::to_string(key_asset(out[i].key)) +
                              " sum to more than an amount can hold");
  }
  return out;
}

}  // namespace

Result<GridlockResult> resolve_gridlock(std::span<const QueuedPayment> payments,
                                        std::span<const QueueBalance> balances, uint64_t height) {
  if (payments.size() > gridlock_payments_max)
    return resource_exhausted("more than " + std::to_string(gridlock_payments_max) +
                              " queued payments");
  if (balances.size() > gridlock_balances_max)
    return resource_exhausted("more than " + std::to_string(gridlock_balances_max) + " balances");
  const auto n = static_cast<uint32_t>(payments.size());

  GridlockResult result;
  result.outcomes.assign(n, QueueOutcome::queued);

  // Validate every payment, expired or not: malformed input is refused whole.
  std::vector<SeqEntry> by_seq(n);
  for (uint32_t i = 0; i < n; ++i) {
    CORRIDOR_RETURN_IF_ERROR(check_payment(payments[i], i));
    by_seq[i] = {payments[i].seq, i};
  }
  std::sort(by_seq.begin(), by_seq.end(),
            [](const SeqEntry& a, const SeqEntry& b) { return a.seq < b.seq; });
  for (uint32_t i = 1; i < n; ++i)
    if (by_seq[i].seq == by_seq[i - 1].seq)
      return invalid_argument("two queued payments have seq " + std::to_string(by_seq[i].seq));
  CORRIDOR_ASSIGN_OR_RETURN(std::vector<BalanceEntry> sorted, sorted_balances(balances));

  // The live payments in rank order: urgent before normal, then by seq. Since each payer's
  // stream is filled in this order below, every stream comes out ranked too.
  std::vector<uint32_t> ranked;
  ranked.reserve(n);
  for (QueueBand band : {QueueBand::urgent, QueueBand::normal})
    for (const SeqEntry& e : by_seq) {
      const QueuedPayment& p = payments[e.input];
      if (p.band != band) continue;
      if (p.last_height < height) {
        result.outcomes[e.input] = QueueOutcome::expired;
        ++result.expired;
        continue;
      }
      ranked.push_back(e.input);
    }

  // Positions: every (asset, participant) a live payment names, sorted by key.
  std::vector<uint64_t> keys;
  keys.reserve(2 * ranked.size());
  for (uint32_t i : ranked) {
    keys.push_back(position_key(payments[i].asset, payments[i].payer));
    keys.push_back(position_key(payments[i].asset, payments[i].payee));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  const auto positions = static_cast<uint32_t>(keys.size());

  // Each position's balance, by a merge of the two sorted lists; absent means zero.
  std::vector<Amount> balance(positions, 0);
  for (size_t b = 0, k = 0; b < sorted.size() && k < positions;) {
    if (sorted[b].key < keys[k]) {
      ++b;
    } else if (keys[k] < sorted[b].key) {
      ++k;
    } else {
      balance[k++] = sorted[b++].amount;
    }
  }

  // Streams: each payer position's live payments in rank order, stored contiguously (start[p]
  // to start[p + 1]). length[p] is how many of them are still candidates: always a prefix.
  std::vector<uint32_t> payer_of(ranked.size());
  std::vector<uint32_t> start(positions + 1, 0);
  for (size_t r = 0; r < ranked.size(); ++r) {
    const QueuedPayment& p = payments[ranked[r]];
    payer_of[r] = position_of(keys, position_key(p.asset, p.payer));
    ++start[payer_of[r] + 1];
  }
  for (uint32_t p = 0; p < positions; ++p) start[p + 1] += start[p];
  std::vector<uint32_t> length(positions, 0);
  std::vector<StreamItem> stream(ranked.size());
  // Covers are 128-bit: a position may receive up to n payments of INT64_MAX each.
  std::vector<Value> cover(balance.begin(), balance.end());
  for (size_t r = 0; r < ranked.size(); ++r) {
    const QueuedPayment& p = payments[ranked[r]];
    const uint32_t payer = payer_of[r];
    const uint32_t payee = position_of(keys, position_key(p.asset, p.payee));
    stream[start[payer] + length[payer]++] = {p.amount, payee, ranked[r]};
    cover[payer] -= p.amount;
    cover[payee] += p.amount;
  }

  // Trim deficits. A position enters the worklist when its cover turns negative and stays
  // negative until it is processed, because only its own removals raise it; so it is never
  // in the list twice at once. The order of processing (initial deficits by position, then
  // first come, first served) fixes the work done, not the result.
  std::vector<uint32_t> worklist;
  for (uint32_t p = 0; p < positions; ++p)
    if (cover[p] < 0) worklist.push_back(p);
  for (size_t head = 0; head < worklist.size(); ++head) {
    const uint32_t p = worklist[head];
    ++result.deficits_resolved;
    while (cover[p] < 0) {
      // With an empty stream the cover is the balance plus receipts, never negative.
      CORRIDOR_ASSERT(length[p] > 0);
      const StreamItem& item = stream[start[p] + --length[p]];
      cover[p] += item.amount;
      const bool payee_was_covered = cover[item.payee] >= 0;
      cover[item.payee] -= item.amount;
      if (payee_was_covered && cover[item.payee] < 0) worklist.push_back(item.payee);
    }
  }

  // Outcomes, per-asset totals, and the positions' net changes.
  std::vector<bool> touched(positions, false);
  for (uint32_t p = 0; p < positions; ++p) {
    const uint32_t asset = key_asset(keys[p]);
    if (result.assets.empty() || result.assets.back().asset != asset)
      result.assets.push_back({.asset = asset});
    GridlockResult::AssetTotals& totals = result.assets.back();
    for (uint32_t s = start[p]; s < start[p + 1]; ++s) {
      const StreamItem& item = stream[s];
      if (s < start[p] + length[p]) {
        result.outcomes[item.input] = QueueOutcome::settled;
        ++totals.settled_payments;
        totals.settled_value += item.amount;
        touched[p] = true;
        touched[item.payee] = true;
      } else {
        ++totals.queued_payments;
        totals.queued_value += item.amount;
      }
    }
    result.settled += length[p];
  }
  result.queued = n - result.settled - result.expired;
  for (uint32_t p = 0; p < positions; ++p) {
    // The cover guarantee, checked on every run: a violation is a bug in this file, and
    // settling on it would commit a wrong state.
    CORRIDOR_ASSERT(cover[p] >= 0 && cover[p] <= amount_max);
    if (!touched[p]) continue;
    result.changes.push_back({.participant = key_participant(keys[p]),
                              .asset = key_asset(keys[p]),
                              .delta = static_cast<Amount>(cover[p] - balance[p])});
  }
  return result;
}

}  // namespace corridor::ledger
