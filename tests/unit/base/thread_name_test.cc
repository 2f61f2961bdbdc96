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

TEST(ThreadName, NamesTheCallingThreadOnly) {
  const std::string before = current_thread_name();
  std::string inside;
  std::thread t([&] {
    set_current_thread_name("executor");
    inside = current_thread_name();
  });
  t.join();
  EXPECT_EQ(inside, "executor");
  EXPECT_EQ(current_thread_name(), before);
}

TEST(ThreadName, LongNamesAreCutToTheKernelLimit) {
  std::string inside;
  std::thread t([&] {
    set_current_thread_name("a-name-much-longer-than-fifteen-bytes");
    inside = current_thread_name();
  });
  t.join();
  EXPECT_EQ(inside, "a-name-much-lon");
  EXPECT_EQ(inside.size(), thread_name_bytes_max);
}

}  // namespace
}  // namespace corridor
