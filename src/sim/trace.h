// The simulator's readable event log: a ring buffer of the last lines for failure reports, a
// hash of every line to compare replays, and an optional sink that sees every line.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace corridor::sim {

class Trace {
 public:
  Trace(size_t tail_lines, std::function<void(const std::string&)> sink)
      : tail_lines_(tail_lines), sink_(std::move(sink)) {}

  // Records "t=<ms>.<us>ms <text>".
  void add(uint64_t now_us, std::string_view text);

  uint64_t hash() const { return hash_; }
  uint64_t lines() const { return lines_; }
  std::vector<std::string> tail() const { return {tail_.begin(), tail_.end()}; }

 private:
  size_t tail_lines_;
  std::function<void(const std::string&)> sink_;
  std::deque<std::string> tail_;
  // FNV-1a, 64 bits: cheap per line and stable across platforms.
  uint64_t hash_ = 0xcbf29ce484222325ULL;
  uint64_t lines_ = 0;
};

}  // namespace corridor::sim
