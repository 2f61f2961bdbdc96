#include "node/stage_latency.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "base/percentile.h"

namespace corridor::node {

uint64_t steady_clock_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void LatencyWindow::expire(uint64_t now_ms) const {
  while (!samples_.empty() && (samples_.size() > stage_latency_samples_max ||
                               samples_.front().first + stage_latency_window_ms < now_ms))
    samples_.pop_front();
}

void LatencyWindow::add(std::span<const double> samples_ms, uint64_t now_ms) {
  if (samples_ms.empty()) return;
  std::lock_guard lock(mu_);
  for (double ms : samples_ms) samples_.emplace_back(now_ms, ms);
  expire(now_ms);
}

LatencySummary LatencyWindow::summary(uint64_t now_ms) const {
  std::vector<double> sorted;
  {
    std::lock_guard lock(mu_);
    expire(now_ms);
    sorted.reserve(samples_.size());
    for (const auto& [at, ms] : samples_) sorted.push_back(ms);
  }
  LatencySummary s;
  if (sorted.empty()) return s;
  std::sort(sorted.begin(), sorted.end());
  s.samples = sorted.size();
  s.p50_ms = percentile(sorted, 0.50);
  s.p90_ms = percentile(sorted, 0.90);
  s.p99_ms = percentile(sorted, 0.99);
  s.max_ms = sorted.back();
  return s;
}

}  // namespace corridor::node
