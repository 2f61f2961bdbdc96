#include "sim/trace.h"

#include <cinttypes>
#include <cstdio>

namespace corridor::sim {

void Trace::add(uint64_t now_us, std::string_view text) {
  constexpr uint64_t us_per_ms = 1'000;
  char prefix[48];
  std::snprintf(prefix, sizeof prefix, "t=%" PRIu64 ".%03" PRIu64 "ms ", now_us / us_per_ms,
                now_us % us_per_ms);
  std::string line = prefix;
  line += text;
  for (unsigned char c : line) {
    hash_ ^= c;
    hash_ *= 0x100000001b3ULL;
  }
  // A line separator, so that "ab"+"c" and "a"+"bc" differ.
  hash_ ^= '\n';
  hash_ *= 0x100000001b3ULL;
  ++lines_;
  if (sink_) sink_(line);
  if (tail_lines_ == 0) return;
  if (tail_.size() == tail_lines_) tail_.pop_front();
  tail_.push_back(std::move(line));
}

}  // namespace corridor::sim
