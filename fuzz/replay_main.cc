// A driver for fuzz targets where libFuzzer is not linked: feeds the target seeded random
// inputs, and mutations (bit flips, truncations, splices) of inputs that decoded far, so the
// targets run under the sanitizers in every test build. Real coverage-guided fuzzing uses
// libFuzzer (fuzz/CMakeLists.txt).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  uint64_t runs = 10'000;
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--runs") == 0) runs = std::strtoull(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--seed") == 0) seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  std::mt19937_64 rng(seed);
  // Inputs are biased towards small lengths and small byte values, where length and count
  // fields take plausible values and decoders get past their first checks.
  std::vector<uint8_t> last;
  for (uint64_t r = 0; r < runs; ++r) {
    std::vector<uint8_t> in;
    if (!last.empty() && rng() % 2 == 0) {
      in = last;
      int edits = 1 + static_cast<int>(rng() % 4);
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
    } else {
      size_t len = rng() % 8 == 0 ? rng() % 4096 : rng() % 160;
      in.resize(len);
      for (auto& b : in)
        b = rng() % 3 == 0 ? static_cast<uint8_t>(rng()) : static_cast<uint8_t>(rng() % 4);
    }
    LLVMFuzzerTestOneInput(in.data(), in.size());
    last = std::move(in);
  }
  std::printf("%llu inputs run\n", static_cast<unsigned long long>(runs));
  return 0;
}
