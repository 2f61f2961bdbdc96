// The deterministic simulator on fixed seeds: replays are exact, a fault-free network commits,
// and each fault class alone keeps every invariant (the sweep over random seeds mixing all of
// them is the sim_seeds_500 CTest entry).
#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <string>

#include "sim/rng.h"
#include "sim/scenario.h"
#include "sim/sim_node.h"

namespace corridor::sim {
namespace {

// Short runs keep the debug build's suite quick; each still spans several round timeouts.
constexpr uint64_t test_duration_ms = 2'500;

SimOptions options_for(uint32_t fault_classes, uint32_t validators = 4) {
  SimOptions o;
  o.scenario.validators = validators;
  o.scenario.profile = NetworkProfile::lan;
  o.scenario.fault_classes = fault_classes;
  o.scenario.duration_ms = test_duration_ms;
  return o;
}

void expect_ok(const SimResult& r) {
  EXPECT_TRUE(r.ok) << format_failure(r);
  EXPECT_GE(r.committed_height, liveness_blocks);
}

TEST(Rng, SameSeedSameSequence) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    differs |= x != c.next();
  }
  EXPECT_TRUE(differs);
  Rng r(7);
  for (int i = 0; i < 1000; ++i) {
    const uint64_t v = r.range(3, 5);
    EXPECT_GE(v, 3u);
    EXPECT_LE(v, 5u);
  }
}

TEST(Payload, RoundTripsAndRejectsMalformed) {
  EXPECT_EQ(decode_payload(encode_payload({}))->size(), 0u);
  const Bytes bad = {1, 0, 0, 0, 9, 0, 0, 0, 1};  // One envelope of 9 bytes, 1 present.
  EXPECT_FALSE(decode_payload(bad).has_value());
  // A well-formed payload with an envelope that is not a transaction: skipped, not fatal.
  auto skipped = decode_payload(encode_payload({Bytes{1, 2, 3}}));
  ASSERT_TRUE(skipped.has_value());
  EXPECT_TRUE(skipped->empty());
}

TEST(Scenario, RespectsTheFaultBudget) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    Scenario s = make_scenario(seed, ScenarioOptions{});
    size_t byzantine = 0;
    for (ByzantineMode m : s.byzantine) byzantine += m != ByzantineMode::none;
    size_t wiped = 0;
    for (const NodeFault& nf : s.node_faults) {
      wiped += nf.kind == NodeFault::Kind::wipe;
      EXPECT_EQ(s.byzantine[nf.node], ByzantineMode::none) << "seed " << seed;
      EXPECT_LE(nf.start_ms + nf.duration_ms, s.duration_ms) << "seed " << seed;
    }
    EXPECT_LE(byzantine + wiped, s.f()) << "seed " << seed;
    // At every fault's start, the validators down or paused then, plus the Byzantine ones.
    for (const NodeFault& at : s.node_faults) {
      size_t down = 0;
      for (const NodeFault& nf : s.node_faults)
        down += nf.kind != NodeFault::Kind::wipe && nf.start_ms <= at.start_ms &&
                at.start_ms < nf.start_ms + nf.duration_ms;
      EXPECT_LE(byzantine + wiped + down, s.f()) << "seed " << seed;
    }
  }
}

TEST(Simulator, SameSeedReplaysExactly) {
  const SimOptions o = options_for(fault_classes_all, 7);
  const SimResult a = run_simulation(11, o);
  const SimResult b = run_simulation(11, o);
  expect_ok(a);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.committed_ids, b.committed_ids);
  EXPECT_EQ(a.messages_sent, b.messages_sent);
  EXPECT_EQ(a.virtual_ms, b.virtual_ms);
  const SimResult c = run_simulation(12, o);
  EXPECT_NE(a.trace_hash, c.trace_hash);
}

TEST(Simulator, FaultFreeFourValidatorsCommit) {
  const SimResult r = run_simulation(1, options_for(0));
  expect_ok(r);
  EXPECT_EQ(r.messages_dropped, 0u);
  EXPECT_EQ(r.messages_undecodable, 0u);
  // Every transfer submitted long enough before the end was applied or refused by the model's
  // rules; most apply, since balances start well above the largest transfer.
  EXPECT_GT(r.txs_applied, r.txs_created / 2);
}

TEST(Simulator, WanProfileCommits) {
  SimOptions o = options_for(0);
  o.scenario.profile = NetworkProfile::wan;
  o.scenario.duration_ms = 10'000;
  expect_ok(run_simulation(2, o));
}

// Validator-set changes while validators crash, lose their disks and are partitioned away:
// the laggards cross the epoch boundary with the proof of its end, the joining validator
// follows as an observer first, and every invariant holds across epochs.
TEST(Simulator, EpochChangesUnderCrashesWipesAndPartitions) {
  uint64_t changed = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const SimResult r = run_simulation(
        seed, options_for(fault_epoch | fault_crash | fault_wipe | fault_partition, 4));
    expect_ok(r);
    ASSERT_FALSE(r.scenario.epoch_changes.empty());
    changed += r.epoch;
  }
  // Most scheduled changes commit before the run ends.
  EXPECT_GE(changed, 12u);
}

struct ClassCase {
  const char* name;
  uint32_t fault_class;
  uint32_t validators;
};

class FaultClassTest : public ::testing::TestWithParam<ClassCase> {};

TEST_P(FaultClassTest, InvariantsHoldOnFixedSeeds) {
  const ClassCase& c = GetParam();
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const SimResult r = run_simulation(seed, options_for(c.fault_class, c.validators));
    expect_ok(r);
    EXPECT_FALSE(r.scenario.describe().empty()) << "the class was not exercised";
    if (c.fault_class == fault_invalid_proposal) {
      EXPECT_GT(r.invalid_messages + r.messages_undecodable, 0u);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    EachClass, FaultClassTest,
    ::testing::Values(ClassCase{"crash", fault_crash, 4}, ClassCase{"wipe", fault_wipe, 4},
                      ClassCase{"pause", fault_pause, 4},
                      ClassCase{"partition", fault_partition, 4},
                      ClassCase{"twins", fault_twins, 4},
                      ClassCase{"equivocate", fault_equivocate, 4},
                      ClassCase{"conflicting_vote", fault_conflicting_vote, 4},
                      ClassCase{"invalid_proposal", fault_invalid_proposal, 4},
                      ClassCase{"withhold", fault_withhold, 7}, ClassCase{"epoch", fault_epoch, 4}),
    [](const ::testing::TestParamInfo<ClassCase>& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace corridor::sim
