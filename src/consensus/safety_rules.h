// The voting and timeout rules of 2-chain HotStuff (Jolteon / DiemBFT v4), as pure functions
// of the persistent safety data. A validator that follows them never signs two conflicting
// messages, even across restarts, provided the data is durable before a vote or timeout
// leaves it (the core emits PersistSafety before any such send).
#pragma once

#include <optional>

#include "consensus/types.h"

namespace corridor::consensus {

struct SafetyData {
  Epoch epoch = 0;
  // The highest round this validator voted or timed out in; it never signs for a round at or
  // below it again.
  Round last_voted_round = 0;
  // The highest QC round it has voted on top of ("one-chain round"); a timeout must carry a QC
  // at least this high, so a TC cannot skip a block the validator helped certify.
  Round highest_qc_round = 0;
  // The highest round this validator may have proposed in, so that after a restart it never
  // proposes a second, different block for a round it already led. It can be ahead of the
  // rounds actually led: a validator that will lead the next round records it with its vote or
  // timeout in this one (reserve_proposal), which it writes anyway, so that its proposal can
  // leave without a write of its own; after a restart it then never proposes in that round.
  Round last_proposed_round = 0;
  friend bool operator==(const SafetyData&, const SafetyData&) = default;
};

Bytes encode_safety_data(const SafetyData& s);
Result<SafetyData> decode_safety_data(ByteView bytes);

// Voting rule: vote for a block of round `block_round` whose QC has round `qc_round`, entered
// through `tc` if the rounds are not consecutive.
//   block_round > max(last_voted_round, qc_round), and either
//   block_round == qc_round + 1, or
//   block_round == tc.round + 1 and qc_round >= max high_qc_round in tc.
bool safe_to_vote(const SafetyData& s, Round block_round, Round qc_round,
                  const std::optional<TimeoutCert>& tc);

// Timeout rule: time out in `round` holding a QC of round `qc_round`, with `tc` the last TC.
//   qc_round >= highest_qc_round, round > last_voted_round - 1 (a validator may time out in
//   the round it voted in, not in an earlier one), round > qc_round, and
//   round == qc_round + 1 or round == tc.round + 1.
bool safe_to_timeout(const SafetyData& s, Round round, Round qc_round,
                     const std::optional<TimeoutCert>& tc);

// The updates that signing makes to the safety data.
SafetyData after_vote(SafetyData s, Round block_round, Round qc_round);
SafetyData after_timeout(SafetyData s, Round round);
// Records `round`, which this validator leads, as proposed in before it is: in the write that
// carries its vote or timeout for the round before.
SafetyData reserve_proposal(SafetyData s, Round round);

}  // namespace corridor::consensus
