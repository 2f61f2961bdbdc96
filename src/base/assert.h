// Always-on assertions for programmer errors. A failed assertion means the process has a bug,
// not that its input was bad: bad input is answered with a Status, never with an assertion.
#pragma once

namespace corridor::detail {
[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const char* msg);
}  // namespace corridor::detail

// CORRIDOR_ASSERT stays on in release builds, as stellar-core's releaseAssert does: a ledger that
// continues past a broken invariant would commit a wrong state root, which is worse than a stop.
#define CORRIDOR_ASSERT(expr)                                              \
  do {                                                                     \
    if (!(expr)) [[unlikely]]                                              \
      ::corridor::detail::assert_fail(#expr, __FILE__, __LINE__, nullptr); \
  } while (false)

#define CORRIDOR_ASSERT_MSG(expr, msg)                                   \
  do {                                                                   \
    if (!(expr)) [[unlikely]]                                            \
      ::corridor::detail::assert_fail(#expr, __FILE__, __LINE__, (msg)); \
  } while (false)
