#include "consensus/safety_rules.h"

#include <algorithm>

#include "base/encoding.h"

namespace corridor::consensus {

Bytes encode_safety_data(const SafetyData& s) {
  Bytes out;
  Writer w(out);
  w.u64(s.epoch);
  w.u64(s.last_voted_round);
  w.u64(s.highest_qc_round);
  w.u64(s.last_proposed_round);
  return out;
}

Result<SafetyData> decode_safety_data(ByteView bytes) {
  Reader r(bytes);
  SafetyData s;
  r.u64(s.epoch) && r.u64(s.last_voted_round) && r.u64(s.highest_qc_round) &&
      r.u64(s.last_proposed_round);
  CORRIDOR_RETURN_IF_ERROR(r.finish("safety data"));
  return s;
}

bool safe_to_vote(const SafetyData& s, Round block_round, Round qc_round,
                  const std::optional<TimeoutCert>& tc) {
  if (block_round <= std::max(s.last_voted_round, qc_round)) return false;
  if (block_round == qc_round + 1) return true;
  return tc && block_round == tc->round + 1 && qc_round >= tc->max_high_qc_round();
}

bool safe_to_timeout(const SafetyData& s, Round round, Round qc_round,
                     const std::optional<TimeoutCert>& tc) {
  if (qc_round < s.highest_qc_round) return false;
  if (round + 1 < s.last_voted_round + 1 || round <= qc_round) return false;
  return round == qc_round + 1 || (tc && round == tc->round + 1);
}

SafetyData after_vote(SafetyData s, Round block_round, Round qc_round) {
  s.last_voted_round = std::max(s.last_voted_round, block_round);
  s.highest_qc_round = std::max(s.highest_qc_round, qc_round);
  return s;
}

SafetyData after_timeout(SafetyData s, Round round) {
  s.last_voted_round = std::max(s.last_voted_round, round);
  return s;
}

SafetyData reserve_proposal(SafetyData s, Round round) {
  s.last_proposed_round = std::max(s.last_proposed_round, round);
  return s;
}

}  // namespace corridor::consensus
