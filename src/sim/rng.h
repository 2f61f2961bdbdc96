// The simulator's one source of randomness: xoshiro256** seeded through splitmix64. Its output
// is fixed by the seed on every platform and standard library (the std distributions promise
// no such thing), so a seed replays exactly.
#pragma once

#include <cstdint>

namespace corridor::sim {

// splitmix64 (Steele, Lea and Flood): spreads a seed over the generator's state, and derives
// independent seeds (for MemKvStore::crash, for key material) from one draw.
inline uint64_t splitmix64(uint64_t& state) {
  state += 0x9e3779b97f4a7c15ULL;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// xoshiro256** (Blackman and Vigna).
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t s = seed;
    for (uint64_t& word : state_) word = splitmix64(s);
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  // In [0, n); 0 when n is 0. The modulo bias is below n / 2^64, invisible at simulation sizes.
  uint64_t below(uint64_t n) { return n == 0 ? 0 : next() % n; }
  // In [lo, hi], both inclusive.
  uint64_t range(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }
  // True with probability permille / 1000; integer arithmetic keeps it exact everywhere.
  bool chance_permille(uint32_t permille) { return below(1000) < permille; }
  // An independent generator, so that one consumer's draws do not shift another's.
  Rng fork() { return Rng(next()); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace corridor::sim
