#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

#include "base/thread_name.h"

namespace corridor {
namespace {

// Reads the calling thread's name as the kernel keeps it (what `top -H` and perf show).
std::string current_thread_name() {
  char buf[thread_name_bytes_max + 1] = {};
  EXPECT_EQ(pthread_getname_np(pthread_self(), buf, sizeof buf), 0);
  return buf;
}

// Names a new thread `name` and returns the name the kernel then holds for it.
std::string name_seen_by_a_new_thread(const std::string& name) {
  std::string seen;
  std::thread t([&] {
    set_current_thread_name(name);
    seen = current_thread_name();
  });
  t.join();
  return seen;
}

TEST(ThreadName, NamesTheCallingThreadOnly) {
  const std::string before = current_thread_name();
  EXPECT_EQ(name_seen_by_a_new_thread("executor"), "executor");
  EXPECT_EQ(current_thread_name(), before);
}

TEST(ThreadName, LongNamesAreCutToTheKernelLimit) {
  const std::string seen = name_seen_by_a_new_thread("a-name-much-longer-than-fifteen-bytes");
  EXPECT_EQ(seen, "a-name-much-lon");
  EXPECT_EQ(seen.size(), thread_name_bytes_max);
}

}  // namespace
}  // namespace corridor
