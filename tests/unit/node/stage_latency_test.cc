// LatencyWindow: percentiles over the samples of the last stage_latency_window_ms, at most
// stage_latency_samples_max of them.
#include "node/stage_latency.h"

#include <vector>

#include <gtest/gtest.h>

namespace corridor::node {
namespace {

TEST(LatencyWindow, EmptyHasNoSamples) {
  LatencyWindow w;
  EXPECT_EQ(w.summary(0).samples, 0u);
  w.add({}, 5);
  EXPECT_EQ(w.summary(5).samples, 0u);
}

TEST(LatencyWindow, NearestRankPercentilesOfTheSamples) {
  LatencyWindow w;
  std::vector<double> ms;
  for (int i = 100; i >= 1; --i) ms.push_back(i);  // 1..100, in any order
  w.add(ms, 1'000);
  const LatencySummary s = w.summary(1'000);
  EXPECT_EQ(s.samples, 100u);
  EXPECT_EQ(s.p50_ms, 50);
  EXPECT_EQ(s.p90_ms, 90);
  EXPECT_EQ(s.p99_ms, 99);
  EXPECT_EQ(s.max_ms, 100);
}

TEST(LatencyWindow, SamplesOlderThanTheWindowLeave) {
  LatencyWindow w;
  const double old_ms[] = {500.0};
  const double new_ms[] = {5.0, 7.0};
  w.add(old_ms, 1'000);
  w.add(new_ms, 1'000 + stage_latency_window_ms / 2);
  EXPECT_EQ(w.summary(1'000 + stage_latency_window_ms).samples, 3u);
  // Just past the window of the first sample: only the two later ones count.
  const LatencySummary s = w.summary(1'000 + stage_latency_window_ms + 1);
  EXPECT_EQ(s.samples, 2u);
  EXPECT_EQ(s.max_ms, 7.0);
  EXPECT_EQ(w.summary(1'000 + 2 * stage_latency_window_ms).samples, 0u);
}

TEST(LatencyWindow, AtMostTheNewestSamplesMaxAreKept) {
  LatencyWindow w;
  std::vector<double> ms(stage_latency_samples_max, 1.0);
  w.add(ms, 10);
  const double later[] = {9.0, 9.0, 9.0};
  w.add(later, 11);
  const LatencySummary s = w.summary(11);
  EXPECT_EQ(s.samples, stage_latency_samples_max);
  EXPECT_EQ(s.max_ms, 9.0);
}

}  // namespace
}  // namespace corridor::node
