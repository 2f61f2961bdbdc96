// Lines of `corridor status` that need more than printing a field: kept apart from the command
// so that tests can hold their wording to a status body.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace corridor::cli {

// The store's backlog (`store` of GET /v1/status) in words: "settled", or what holds up the
// node's writes, then any compaction due. A body without `store` (a node older than the
// field) gives an empty string, and no line is printed.
std::string store_backlog_text(const nlohmann::json& status);

}  // namespace corridor::cli
