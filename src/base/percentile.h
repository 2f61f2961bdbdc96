// Nearest-rank percentiles of measured samples, shared by the benchmarks and the simulator's
// measurements so that every figure Corridor prints means the same thing.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "base/assert.h"

namespace corridor {

// The nearest-rank percentile of ascending `sorted` values; p in (0, 1]. The result is always
// one of the samples: the smallest value at or above a fraction p of them.
inline double percentile(const std::vector<double>& sorted, double p) {
  CORRIDOR_ASSERT(!sorted.empty());
  auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace corridor
