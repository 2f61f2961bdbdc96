// What one simulation run does: how many validators, which network, and which faults when.
// A scenario is a pure function of (seed, options), so a seed names a run exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace corridor::sim {

enum class NetworkProfile : uint8_t { lan, wan };

// Bits of SimOptions::fault_classes.
enum FaultClass : uint32_t {
  fault_crash = 1 << 0,             // Crash losing unsynced writes, restart after a delay.
  fault_wipe = 1 << 1,              // Crash, restart with an empty disk, sync from peers.
  fault_pause = 1 << 2,             // Stop handling messages and timers for a while.
  fault_partition = 1 << 3,         // Symmetric and asymmetric partitions, healed later.
  fault_twins = 1 << 4,             // Two cores with one key, both connected.
  fault_equivocate = 1 << 5,        // As leader, different proposals to the two halves.
  fault_conflicting_vote = 1 << 6,  // Votes for every proposal it sees, safety rules ignored.
  fault_invalid_proposal = 1 << 7,  // Proposals with bad signatures, QCs or authors; garbage.
  fault_withhold = 1 << 8,          // Sends nothing.
  fault_epoch = 1 << 9,             // Validator-set changes: key rotation, replacement.
};
inline constexpr uint32_t fault_classes_all = (1 << 10) - 1;
inline constexpr uint32_t fault_classes_byzantine = fault_twins | fault_equivocate |
                                                    fault_conflicting_vote |
                                                    fault_invalid_proposal | fault_withhold;

enum class ByzantineMode : uint8_t {
  none,
  twins,
  equivocate,
  conflicting_vote,
  invalid_proposal,
  withhold,
};
const char* byzantine_mode_name(ByzantineMode mode);
const char* profile_name(NetworkProfile profile);

// One-way delay of every message, uniform in [min, max].
struct DelayRange {
  uint64_t min_us = 0;
  uint64_t max_us = 0;
};
DelayRange profile_delay(NetworkProfile profile);

struct NodeFault {
  enum class Kind : uint8_t { crash, pause, wipe };
  Kind kind = Kind::crash;
  uint32_t node = 0;
  uint64_t start_ms = 0;
  uint64_t duration_ms = 0;  // Down (crash, wipe) or paused for this long.
  // A crash that strikes in the middle of the node's next batch of actions, after this many of
  // them; nullopt strikes between batches.
  std::optional<uint32_t> after_actions;
};

// Validators in `side_a` (a bit mask of indices) cannot send to the others; when symmetric,
// the others cannot send to them either.
struct PartitionFault {
  uint64_t side_a = 0;
  bool symmetric = true;
  uint64_t start_ms = 0;
  uint64_t duration_ms = 0;
};

// A governance change of the validator set, submitted at at_ms (or, if the previous change is
// not committed yet, as soon as it is). rotate: validator `node` moves to a new key. replace:
// validator `node` leaves the set and the next spare node (an observer until then) joins. add:
// the next spare joins. remove: validator `node` leaves, when the set keeps 3f + 1 members for
// the scenario's f (otherwise its key is rotated instead).
struct EpochChange {
  enum class Kind : uint8_t { rotate, replace, add, remove };
  Kind kind = Kind::rotate;
  uint32_t node = 0;
  uint64_t at_ms = 0;
};

struct Scenario {
  uint32_t validators = 4;
  NetworkProfile profile = NetworkProfile::lan;
  DelayRange delay;
  uint32_t loss_permille = 0;
  uint32_t duplicate_permille = 0;
  // Faults happen in [0, duration_ms); everything is healed at duration_ms, then the liveness
  // window runs.
  uint64_t duration_ms = 0;
  std::vector<ByzantineMode> byzantine;  // One per validator.
  std::vector<NodeFault> node_faults;
  std::vector<PartitionFault> partitions;
  std::vector<EpochChange> epoch_changes;
  // Nodes beyond the validators (indices validators, validators + 1, ...) that follow the
  // chain as observers until a replacement makes them validators.
  uint32_t spares = 0;

  size_t f() const { return (validators - 1) / 3; }
  // One line per fault, for summaries and failure reports.
  std::vector<std::string> describe() const;
};

struct ScenarioOptions {
  uint32_t validators = 0;  // 0: drawn from the seed (4 or 7, sometimes 10).
  std::optional<NetworkProfile> profile;
  std::optional<uint32_t> loss_permille;
  uint32_t fault_classes = fault_classes_all;
  uint64_t duration_ms = 0;  // 0: the profile's default.
};

// Draws a scenario: never more than f validators Byzantine, wiped or down at one time. When
// fault_classes is a strict subset of all classes, each enabled class occurs at least once, so
// a test of one class always exercises it.
Scenario make_scenario(uint64_t seed, const ScenarioOptions& options);

}  // namespace corridor::sim
