#include "cli/status_text.h"

#include <cstdint>
#include <vector>

namespace corridor::cli {

std::string store_backlog_text(const nlohmann::json& status) {
  if (!status.contains("store") || !status["store"].is_object()) return "";
  const nlohmann::json& s = status["store"];
  std::vector<std::string> parts;
  if (s.value("settled", false)) {
    parts.push_back("settled");
  } else {
    const auto unflushed = s.value("memtables_unflushed", uint64_t{0});
    if (unflushed > 0)
      parts.push_back(std::to_string(unflushed) +
                      (unflushed == 1 ? " memtable waits" : " memtables wait") + " for a flush");
    else if (s.value("flush_pending", false))
      parts.push_back("a flush is due");
    if (s.value("writes_stopped", false))
      parts.push_back("writes stopped");
    else if (s.value("writes_delayed", false))
      parts.push_back("writes slowed down");
  }
  if (s.value("compaction_pending", false)) {
    constexpr uint64_t bytes_per_mib = uint64_t{1} << 20;
    parts.push_back(
        "compaction due (" +
        std::to_string(s.value("compaction_pending_bytes", uint64_t{0}) / bytes_per_mib) +
        " MiB to rewrite)");
  }
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace corridor::cli
