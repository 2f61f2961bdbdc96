// A driver for fuzz targets where libFuzzer is not linked: feeds the target seeded random
// inputs, and mutations (bit flips, truncations, splices) of inputs that decoded far, so the
// targets run under the sanitizers in every test build. Real coverage-guided fuzzing uses
// libFuzzer (fuzz/CMakeLists.txt).
//
// With --seeds FILE it first runs every input of a seed file (fuzz/seeds/, inputs a libFuzzer
// campaign kept for the code paths they reach, packed by fuzz/pack_seeds.py), then mutates them
// as well: random bytes alone seldom get past a decoder's first fields, these reach its depths.
// A seed file is a sequence of inputs, each a u32 little-endian length and that many bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// A seed input larger than this is refused: libFuzzer's inputs here are at most 4,096 bytes.
constexpr size_t seed_bytes_max = 1 << 20;

using Input = std::vector<uint8_t>;

// The inputs of a seed file, or exits with a message when the file is missing or malformed.
std::vector<Input> read_seeds(const char* path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "cannot read the seed file %s\n", path);
    std::exit(2);
  }
  const Input all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<Input> seeds;
  size_t pos = 0;
  while (pos < all.size()) {
    if (all.size() - pos < 4) {
      std::fprintf(stderr, "%s: a length prefix is cut short at byte %zu\n", path, pos);
      std::exit(2);
    }
    const size_t n = static_cast<size_t>(all[pos]) | static_cast<size_t>(all[pos + 1]) << 8 |
                     static_cast<size_t>(all[pos + 2]) << 16 |
                     static_cast<size_t>(all[pos + 3]) << 24;
    pos += 4;
    if (n > seed_bytes_max || all.size() - pos < n) {
      std::fprintf(stderr, "%s: the input at byte %zu is cut short or too long\n", path, pos);
      std::exit(2);
    }
    seeds.emplace_back(all.begin() + static_cast<long>(pos),
                       all.begin() + static_cast<long>(pos + n));
    pos += n;
  }
  return seeds;
}

void mutate(Input& in, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !in.empty(); ++e) {
    switch (rng() % 4) {
      case 0:
        in[rng() % in.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        break;
      case 1:
        in.resize(rng() % in.size());
        break;
      case 2:
        in.insert(in.begin() + static_cast<long>(rng() % (in.size() + 1)),
                  static_cast<uint8_t>(rng() % 4));
        break;
      default:
        in[rng() % in.size()] = static_cast<uint8_t>(rng());
        break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t runs = 10'000;
  uint64_t seed = 1;
  const char* seeds_path = nullptr;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--seed") == 0) seed = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--seeds") == 0) seeds_path = argv[i + 1];
  }
  const std::vector<Input> seeds = seeds_path ? read_seeds(seeds_path) : std::vector<Input>{};
  for (const Input& s : seeds) LLVMFuzzerTestOneInput(s.data(), s.size());

  std::mt19937_64 rng(seed);
  // Inputs are biased towards small lengths and small byte values, where length and count
  // fields take plausible values and decoders get past their first checks.
  Input last;
  for (uint64_t r = 0; r < runs; ++r) {
    Input in;
    const uint64_t pick = rng() % 4;
    if (!seeds.empty() && pick == 0) {
      in = seeds[rng() % seeds.size()];
      mutate(in, rng);
    } else if (!last.empty() && pick >= 2) {
      in = last;
      mutate(in, rng);
    } else {
      size_t len = rng() % 8 == 0 ? rng() % 4096 : rng() % 160;
      in.resize(len);
      for (auto& b : in)
        b = rng() % 3 == 0 ? static_cast<uint8_t>(rng()) : static_cast<uint8_t>(rng() % 4);
    }
    LLVMFuzzerTestOneInput(in.data(), in.size());
    last = std::move(in);
  }
  std::printf("%zu seed inputs and %llu generated inputs run\n", seeds.size(),
              static_cast<unsigned long long>(runs));
  return 0;
}
