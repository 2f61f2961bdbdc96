#include "base/thread_name.h"

#include <pthread.h>

#include <string>

namespace corridor {

void set_current_thread_name(std::string_view name) {
  std::string cut(name.substr(0, thread_name_bytes_max));
  // The result is ignored on purpose: an unnamed thread works exactly as a named one.
  (void)pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace corridor
