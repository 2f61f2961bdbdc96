// Each voting and timeout rule of the 2-chain protocol, with the cases that must be refused.
#include "consensus/safety_rules.h"

#include <gtest/gtest.h>

namespace corridor::consensus {
namespace {

TimeoutCert tc_for(Round round, std::vector<Round> high_qc_rounds) {
  TimeoutCert tc;
  tc.round = round;
  ValidatorIndex i = 0;
  for (Round r : high_qc_rounds) tc.entries.push_back({i++, r, {}});
  return tc;
}

TEST(SafetyRules, VotesOnlyForABlockDirectlyAfterItsQc) {
  SafetyData s;
  EXPECT_TRUE(safe_to_vote(s, 1, 0, std::nullopt));
  EXPECT_TRUE(safe_to_vote(s, 8, 7, std::nullopt));
  // A gap between the QC and the block needs a timeout certificate.
  EXPECT_FALSE(safe_to_vote(s, 9, 7, std::nullopt));
}

TEST(SafetyRules, NeverVotesTwiceInARoundOrGoesBack) {
  SafetyData s;
  s.last_voted_round = 8;
  EXPECT_FALSE(safe_to_vote(s, 8, 7, std::nullopt)) << "second vote in round 8";
  EXPECT_FALSE(safe_to_vote(s, 7, 6, std::nullopt)) << "vote in an earlier round";
  EXPECT_TRUE(safe_to_vote(s, 9, 8, std::nullopt));
}

TEST(SafetyRules, AfterATimeoutCertificateTheBlockMustExtendTheHighestQcInIt) {
  SafetyData s;
  s.last_voted_round = 9;
  auto tc = tc_for(10, {7, 8, 6});
  EXPECT_TRUE(safe_to_vote(s, 11, 8, tc));
  EXPECT_TRUE(safe_to_vote(s, 11, 9, tc));
  EXPECT_FALSE(safe_to_vote(s, 11, 7, tc))
      << "a QC below the TC's highest would skip a certified block";
  EXPECT_FALSE(safe_to_vote(s, 12, 8, tc)) << "the TC is not for the round before";
}

TEST(SafetyRules, BlockRoundMustExceedItsQcRound) {
  SafetyData s;
  EXPECT_FALSE(safe_to_vote(s, 5, 5, std::nullopt));
  EXPECT_FALSE(safe_to_vote(s, 5, 6, tc_for(4, {6})));
}

TEST(SafetyRules, TimeoutNeedsAQcAsHighAsAnyVotedOn) {
  SafetyData s;
  s.highest_qc_round = 7;
  s.last_voted_round = 8;
  EXPECT_TRUE(safe_to_timeout(s, 8, 7, std::nullopt));
  EXPECT_FALSE(safe_to_timeout(s, 7, 6, std::nullopt)) << "QC older than the one voted on";
}

TEST(SafetyRules, TimeoutOnlyForTheRoundAfterTheQcOrTheTc) {
  SafetyData s;
  EXPECT_TRUE(safe_to_timeout(s, 5, 4, std::nullopt));
  EXPECT_FALSE(safe_to_timeout(s, 6, 4, std::nullopt));
  EXPECT_TRUE(safe_to_timeout(s, 6, 4, tc_for(5, {4})));
  EXPECT_FALSE(safe_to_timeout(s, 4, 4, std::nullopt)) << "round not above its QC";
}

TEST(SafetyRules, NoTimeoutForARoundBeforeTheLastVote) {
  SafetyData s;
  s.last_voted_round = 10;
  EXPECT_FALSE(safe_to_timeout(s, 9, 8, std::nullopt));
  EXPECT_TRUE(safe_to_timeout(s, 10, 9, std::nullopt))
      << "a validator may time out in the round it voted in";
}

TEST(SafetyRules, SigningUpdatesTheData) {
  SafetyData s;
  s = after_vote(s, 5, 4);
  EXPECT_EQ(s.last_voted_round, 5u);
  EXPECT_EQ(s.highest_qc_round, 4u);
  EXPECT_FALSE(safe_to_vote(s, 5, 4, std::nullopt));
  s = after_timeout(s, 6);
  EXPECT_EQ(s.last_voted_round, 6u);
  EXPECT_FALSE(safe_to_vote(s, 6, 5, std::nullopt)) << "no vote in a round after timing out in it";
  s = after_vote(s, 3, 2);  // Never goes backwards.
  EXPECT_EQ(s.last_voted_round, 6u);
  EXPECT_EQ(s.highest_qc_round, 4u);
}

TEST(SafetyRules, DataRoundTripsAndRejectsBadBytes) {
  SafetyData s{3, 17, 16};
  auto back = decode_safety_data(encode_safety_data(s));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, s);
  Bytes b = encode_safety_data(s);
  b.pop_back();
  EXPECT_FALSE(decode_safety_data(b).ok());
  b.push_back(0);
  b.push_back(0);
  EXPECT_FALSE(decode_safety_data(b).ok());
}

}  // namespace
}  // namespace corridor::consensus
