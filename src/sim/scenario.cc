#include "sim/scenario.h"

#include <algorithm>
#include <string>

#include "base/assert.h"
#include "sim/rng.h"

namespace corridor::sim {
namespace {

// LAN: 1 ms +- 0.5 ms; WAN: 50 to 150 ms, as between continents.
constexpr DelayRange lan_delay{500, 1'500};
constexpr DelayRange wan_delay{50'000, 150'000};
// How long faults are injected for before everything heals. A LAN round takes a few
// milliseconds of virtual time and costs the same wall time as a WAN round, so LAN runs are
// shorter; both are long enough for several round timeouts (1 s base) and restarts.
constexpr uint64_t lan_duration_ms = 6'000;
constexpr uint64_t wan_duration_ms = 30'000;
constexpr uint32_t loss_permille_max = 300;
constexpr uint32_t duplicate_permille_max = 50;
// Share of runs drawn without message loss, and with 10 validators instead of 4 or 7.
constexpr uint32_t lossless_permille = 300;
constexpr uint32_t ten_validators_permille = 100;
constexpr uint32_t wan_permille = 300;
// Faults start after the first tenth of the run (so the network has committed something) and
// end by this share of it.
constexpr uint64_t faults_end_percent = 85;
constexpr uint32_t node_fault_rounds_max = 4;
constexpr uint32_t partitions_max = 2;
// Runs with validator-set changes, and how many changes at most in one run.
constexpr uint32_t epoch_change_permille = 400;
constexpr uint64_t epoch_changes_max = 2;

std::string mask_text(uint64_t mask, uint32_t n, bool inside) {
  std::string s = "{";
  for (uint32_t i = 0; i < n; ++i) {
    if (((mask >> i) & 1) != static_cast<uint64_t>(inside)) continue;
    if (s.size() > 1) s += ",";
    s += "n" + std::to_string(i);
  }
  return s + "}";
}

}  // namespace

const char* byzantine_mode_name(ByzantineMode mode) {
  switch (mode) {
    case ByzantineMode::none:
      return "honest";
    case ByzantineMode::twins:
      return "twins";
    case ByzantineMode::equivocate:
      return "equivocating-leader";
    case ByzantineMode::conflicting_vote:
      return "conflicting-voter";
    case ByzantineMode::invalid_proposal:
      return "invalid-proposals";
    case ByzantineMode::withhold:
      return "withholding";
  }
  return "?";
}

const char* profile_name(NetworkProfile profile) {
  return profile == NetworkProfile::lan ? "lan" : "wan";
}

DelayRange profile_delay(NetworkProfile profile) {
  return profile == NetworkProfile::lan ? lan_delay : wan_delay;
}

std::vector<std::string> Scenario::describe() const {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < byzantine.size(); ++i)
    if (byzantine[i] != ByzantineMode::none)
      out.push_back("byzantine n" + std::to_string(i) + " " + byzantine_mode_name(byzantine[i]));
  for (const NodeFault& nf : node_faults) {
    const char* kind = nf.kind == NodeFault::Kind::crash  ? "crash"
                       : nf.kind == NodeFault::Kind::wipe ? "crash+wipe"
                                                          : "pause";
    std::string line = std::string(kind) + " n" + std::to_string(nf.node) + " at " +
                       std::to_string(nf.start_ms) + "ms for " + std::to_string(nf.duration_ms) +
                       "ms";
    if (nf.after_actions)
      line += " (mid-batch, after " + std::to_string(*nf.after_actions) + " actions)";
    out.push_back(line);
  }
  for (const EpochChange& e : epoch_changes) {
    static constexpr const char* kinds[] = {"rotate the key of n", "replace validator n",
                                            "add a validator (after n", "remove validator n"};
    out.push_back(std::string(kinds[static_cast<size_t>(e.kind)]) + std::to_string(e.node) +
                  (e.kind == EpochChange::Kind::add ? ")" : "") + " at " + std::to_string(e.at_ms) +
                  "ms");
  }
  for (const PartitionFault& p : partitions)
    out.push_back(std::string(p.symmetric ? "partition " : "one-way partition ") +
                  mask_text(p.side_a, validators, true) + (p.symmetric ? " | " : " -/-> ") +
                  mask_text(p.side_a, validators, false) + " at " + std::to_string(p.start_ms) +
                  "ms for " + std::to_string(p.duration_ms) + "ms");
  return out;
}

Scenario make_scenario(uint64_t seed, const ScenarioOptions& options) {
  // A stream of its own, so that the simulation's draws never shift the scenario's.
  Rng rng(seed ^ 0x5ce7a210u);
  Scenario s;
  if (options.validators != 0) {
    s.validators = options.validators;
  } else {
    s.validators = rng.chance_permille(ten_validators_permille) ? 10
                   : rng.chance_permille(500)                   ? 4
                                                                : 7;
  }
  CORRIDOR_ASSERT(s.validators >= 1 && s.validators <= 64);
  s.profile = options.profile                     ? *options.profile
              : rng.chance_permille(wan_permille) ? NetworkProfile::wan
                                                  : NetworkProfile::lan;
  s.delay = profile_delay(s.profile);
  const uint32_t faults = options.fault_classes;
  if (options.loss_permille) {
    s.loss_permille = *options.loss_permille;
  } else if (faults != 0 && !rng.chance_permille(lossless_permille)) {
    s.loss_permille = static_cast<uint32_t>(rng.range(0, loss_permille_max));
  }
  if (faults != 0)
    s.duplicate_permille = static_cast<uint32_t>(rng.range(0, duplicate_permille_max));
  s.duration_ms = options.duration_ms != 0           ? options.duration_ms
                  : s.profile == NetworkProfile::lan ? lan_duration_ms
                                                     : wan_duration_ms;
  s.byzantine.assign(s.validators, ByzantineMode::none);

  const bool forced = faults != 0 && faults != fault_classes_all;
  const auto f = static_cast<uint32_t>(s.f());
  const uint64_t first_ms = s.duration_ms / 10;
  const uint64_t last_ms = s.duration_ms * faults_end_percent / 100;

  std::vector<uint32_t> order(s.validators);
  for (uint32_t i = 0; i < s.validators; ++i) order[i] = i;
  for (uint32_t i = s.validators; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);

  std::vector<ByzantineMode> modes;
  const std::pair<FaultClass, ByzantineMode> byzantine_classes[] = {
      {fault_twins, ByzantineMode::twins},
      {fault_equivocate, ByzantineMode::equivocate},
      {fault_conflicting_vote, ByzantineMode::conflicting_vote},
      {fault_invalid_proposal, ByzantineMode::invalid_proposal},
      {fault_withhold, ByzantineMode::withhold}};
  for (const auto& [cls, mode] : byzantine_classes)
    if (faults & cls) modes.push_back(mode);
  uint32_t byzantine = 0;
  if (!modes.empty() && f > 0) {
    byzantine =
        forced ? static_cast<uint32_t>(rng.range(1, f)) : static_cast<uint32_t>(rng.below(f + 1));
    for (uint32_t b = 0; b < byzantine; ++b)
      s.byzantine[order[b]] =
          forced && b < modes.size() ? modes[b] : modes[rng.below(modes.size())];
  }
  // The honest validators, in random order; node faults take from the front.
  std::vector<uint32_t> honest(order.begin() + byzantine, order.end());
  uint32_t budget = f - byzantine;

  const uint64_t span_ms = last_ms - first_ms;
  if ((faults & fault_wipe) && budget > 0 && (forced || rng.chance_permille(300))) {
    // A wiped validator lost its safety data, so it counts against f for the whole run.
    NodeFault nf;
    nf.kind = NodeFault::Kind::wipe;
    nf.node = honest.back();
    honest.pop_back();
    nf.start_ms = first_ms + rng.below(span_ms / 2);
    nf.duration_ms = rng.range(s.duration_ms / 40, s.duration_ms / 8);
    s.node_faults.push_back(nf);
    --budget;
  }

  std::vector<NodeFault::Kind> kinds;
  if (faults & fault_crash) kinds.push_back(NodeFault::Kind::crash);
  if (faults & fault_pause) kinds.push_back(NodeFault::Kind::pause);
  if (!kinds.empty() && budget > 0) {
    // Rounds of faults one after another, each taking up to `budget` validators down, so that
    // no more than f are ever faulty at once.
    const auto rounds = forced ? static_cast<uint32_t>(rng.range(1, node_fault_rounds_max))
                               : static_cast<uint32_t>(rng.below(node_fault_rounds_max + 1));
    uint64_t t = first_ms;
    for (uint32_t r = 0; r < rounds; ++r) {
      const uint64_t length = rng.range(s.duration_ms / 40, s.duration_ms / 6);
      if (t + length > last_ms) break;
      const auto count = static_cast<uint32_t>(rng.range(1, budget));
      for (uint32_t k = 0; k < count; ++k) {
        const uint32_t node = honest[rng.below(honest.size())];
        bool taken = false;
        for (const NodeFault& other : s.node_faults)
          if (other.node == node && other.start_ms + other.duration_ms > t) taken = true;
        if (taken) continue;
        NodeFault nf;
        nf.kind = forced && r < kinds.size() ? kinds[r] : kinds[rng.below(kinds.size())];
        nf.node = node;
        const uint64_t skew = rng.below(length / 4 + 1);
        nf.start_ms = t + skew;
        nf.duration_ms = length - skew;
        if (nf.kind == NodeFault::Kind::crash && rng.chance_permille(500))
          nf.after_actions = static_cast<uint32_t>(rng.below(4));
        s.node_faults.push_back(nf);
      }
      t += length + rng.range(0, s.duration_ms / 10);
    }
  }

  if ((faults & fault_partition) && s.validators > 1) {
    const auto count = forced ? static_cast<uint32_t>(rng.range(1, partitions_max))
                       : rng.chance_permille(400)
                           ? static_cast<uint32_t>(rng.range(1, partitions_max))
                           : 0u;
    const uint64_t all = s.validators == 64 ? ~uint64_t{0} : (uint64_t{1} << s.validators) - 1;
    for (uint32_t p = 0; p < count; ++p) {
      PartitionFault pf;
      do {
        pf.side_a = rng.next() & all;
      } while (pf.side_a == 0 || pf.side_a == all);
      pf.symmetric = rng.chance_permille(500);
      pf.start_ms = first_ms + rng.below(span_ms * 3 / 4);
      pf.duration_ms =
          std::min(rng.range(s.duration_ms / 20, s.duration_ms / 4), last_ms - pf.start_ms);
      s.partitions.push_back(pf);
    }
  }
  if ((faults & fault_epoch) && (forced || rng.chance_permille(epoch_change_permille))) {
    // Changes touch distinct honest validators, so the set never holds more than f faulty
    // members; a replaced validator's scheduled faults then strike an observer.
    std::vector<uint32_t> candidates;
    for (uint32_t i = 0; i < s.validators; ++i)
      if (s.byzantine[i] == ByzantineMode::none) candidates.push_back(i);
    const auto count = static_cast<uint32_t>(rng.range(1, epoch_changes_max));
    for (uint32_t c = 0; c < count && !candidates.empty(); ++c) {
      EpochChange e;
      e.kind = static_cast<EpochChange::Kind>(rng.below(4));
      const size_t pick = rng.below(candidates.size());
      e.node = candidates[pick];
      candidates.erase(candidates.begin() + static_cast<std::ptrdiff_t>(pick));
      e.at_ms = first_ms + rng.below(span_ms);
      if (e.kind == EpochChange::Kind::replace || e.kind == EpochChange::Kind::add) ++s.spares;
      s.epoch_changes.push_back(e);
    }
    std::sort(s.epoch_changes.begin(), s.epoch_changes.end(),
              [](const EpochChange& a, const EpochChange& b) { return a.at_ms < b.at_ms; });
  }
  std::sort(s.node_faults.begin(), s.node_faults.end(),
            [](const NodeFault& a, const NodeFault& b) { return a.start_ms < b.start_ms; });
  return s;
}

}  // namespace corridor::sim
