#include "node/config.h"

#include <toml++/toml.h>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "ledger/limits.h"

namespace corridor::node {

namespace {

// Reads an integer field within [lo, hi]; absent keeps the default.
template <typename T>
Status read_int(const toml::table& t, std::string_view section, std::string_view key, T& out,
                int64_t lo, int64_t hi) {
  const toml::node* n = t.get(key);
  if (!n) return Status();
  // The type is checked before value<int64_t>(), which would convert a float, and a float
  // beyond int64's range makes that conversion undefined (found by fuzz_node_config).
  if (!n->is_integer())
    return invalid_argument(std::string(section) + "." + std::string(key) + " must be an integer");
  auto v = n->value<int64_t>();
  if (!v)
    return invalid_argument(std::string(section) + "." + std::string(key) + " must be an integer");
  if (*v < lo || *v > hi)
    return invalid_argument(std::string(section) + "." + std::string(key) + " must be within " +
                            std::to_string(lo) + ".." + std::to_string(hi));
  out = static_cast<T>(*v);
  return Status();
}

Status read_string(const toml::table& t, std::string_view section, std::string_view key,
                   std::string& out) {
  const toml::node* n = t.get(key);
  if (!n) return Status();
  if (!n->is_string())
    return invalid_argument(std::string(section) + "." + std::string(key) + " must be a string");
  out = *n->value<std::string>();
  return Status();
}

Status read_bool(const toml::table& t, std::string_view section, std::string_view key, bool& out) {
  const toml::node* n = t.get(key);
  if (!n) return Status();
  if (!n->is_boolean())
    return invalid_argument(std::string(section) + "." + std::string(key) + " must be a boolean");
  out = *n->value<bool>();
  return Status();
}

Status check_keys(const toml::table& t, std::string_view section,
                  std::initializer_list<std::string_view> allowed) {
  std::set<std::string_view> ok(allowed);
  for (const auto& [k, v] : t)
    if (!ok.contains(k.str()))
      return invalid_argument("unknown key '" + std::string(k.str()) + "' in [" +
                              std::string(section) + "]");
  return Status();
}

const toml::table* section(const toml::table& root, std::string_view name) {
  const toml::node* n = root.get(name);
  return n ? n->as_table() : nullptr;
}

// A TOML basic string, with quotes, backslashes and control characters escaped.
std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  out += '"';
  return out;
}

}  // namespace

Result<NodeConfig> parse_node_config(const std::string& toml_text) {
  // Debian's toml++ is built with exceptions; the parse error is turned into a Status here
  // so that nothing above this function sees an exception.
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& err) {
    return invalid_argument("config: line " + std::to_string(err.source().begin.line) + ": " +
                            std::string(err.description()));
  }
  NodeConfig c;
  CORRIDOR_RETURN_IF_ERROR(
      check_keys(root, "", {"node", "storage", "sequencer", "mempool", "api", "consensus"}));
  for (const auto& [k, v] : root)
    if (!v.is_table())
      return invalid_argument("config: [" + std::string(k.str()) + "] must be a table");

  if (const auto* t = section(root, "node")) {
    CORRIDOR_RETURN_IF_ERROR(check_keys(
        *t, "node",
        {"data_dir", "network_name", "log_level", "verify_threads", "check_invariants"}));
    CORRIDOR_RETURN_IF_ERROR(read_string(*t, "node", "data_dir", c.data_dir));
    CORRIDOR_RETURN_IF_ERROR(read_string(*t, "node", "network_name", c.network_name));
    CORRIDOR_RETURN_IF_ERROR(read_string(*t, "node", "log_level", c.log_level));
    CORRIDOR_RETURN_IF_ERROR(read_int(*t, "node", "verify_threads", c.verify_threads, 1, 64));
    CORRIDOR_RETURN_IF_ERROR(read_bool(*t, "node", "check_invariants", c.check_invariants));
    if (c.network_name.empty() || c.network_name.size() > 64)
      return invalid_argument("node.network_name must be 1 to 64 characters");
  }
  if (const auto* t = section(root, "storage")) {
    CORRIDOR_RETURN_IF_ERROR(check_keys(
        *t, "storage",
        {"engine", "checkpoint_blocks", "checkpoint_offset_blocks", "background_write_mb_per_s"}));
    CORRIDOR_RETURN_IF_ERROR(
        read_int(*t, "storage", "checkpoint_blocks", c.checkpoint_blocks, 1, 10'000));
    CORRIDOR_RETURN_IF_ERROR(
        read_int(*t, "storage", "checkpoint_offset_blocks", c.checkpoint_offset_blocks, 0, 9'999));
    if (c.checkpoint_offset_blocks >= c.checkpoint_blocks)
      return invalid_argument("storage.checkpoint_offset_blocks must be below checkpoint_blocks");
    CORRIDOR_RETURN_IF_ERROR(read_int(*t, "storage", "background_write_mb_per_s",
                                      c.background_write_mb_per_s, 0, 100'000));
    std::string engine = "rocksdb";
    CORRIDOR_RETURN_IF_ERROR(read_string(*t, "storage", "engine", engine));
    if (engine == "rocksdb")
      c.storage = StorageEngine::rocksdb;
    else if (engine == "memory")
      c.storage = StorageEngine::memory;
    else
      return invalid_argument("storage.engine must be \"rocksdb\" or \"memory\"");
  }
  if (const auto* t = section(root, "sequencer")) {
    CORRIDOR_RETURN_IF_ERROR(
        check_keys(*t, "sequencer", {"block_interval_ms", "block_txs_max", "block_ops_max"}));
    CORRIDOR_RETURN_IF_ERROR(
        read_int(*t, "sequencer", "block_interval_ms", c.block_interval_ms, 1, 60'000));
    CORRIDOR_RETURN_IF_ERROR(
        read_int(*t, "sequencer", "block_txs_max", c.block_txs_max, 1, 100'000));
    CORRIDOR_RETURN_IF_ERROR(
        read_int(*t, "sequencer", "block_ops_max", c.block_ops_max, 1, 10'000'000));
  }
  if (const auto* t = section(root, "mempool")) {
    CORRIDOR_RETURN_IF_ERROR(check_keys(
        *t, "mempool", {"txs_max", "ops_max", "account_ops_per_s", "account_burst_ops"}));
    CORRIDOR_RETURN_IF_ERROR(read_int(*t, "mempool", "txs_max", c.mempool_txs_max, 1, 10'000'000));
    CORRIDOR_RETURN_IF_ERROR(read_int(*t, "mempool", "ops_max", c.mempool_ops_max, 1, 100'000'000));
    CORRIDOR_RETURN_IF_ERROR(
        read_int(*t, "mempool", "account_ops_per_s", c.mempool_account_ops_per_s, 0, 100'000'000));
    CORRIDOR_RETURN_IF_ERROR(read_int(*t, "mempool", "account_burst_ops",
                                      c.mempool_account_burst_ops, ledger::tx_ops_max,
                                      1'000'000'000));
  }
  if (const auto* t = section(root, "api")) {
    CORRIDOR_RETURN_IF_ERROR(check_keys(*t, "api", {"address", "port", "threads"}));
    CORRIDOR_RETURN_IF_ERROR(read_string(*t, "api", "address", c.api_address));
    CORRIDOR_RETURN_IF_ERROR(read_int(*t, "api", "port", c.api_port, 0, 65'535));
    CORRIDOR_RETURN_IF_ERROR(read_int(*t, "api", "threads", c.api_threads, 1, 64));
  }
  if (const auto* t = section(root, "consensus")) {
    CORRIDOR_RETURN_IF_ERROR(
        check_keys(*t, "consensus",
                   {"mode", "key_file", "genesis_file", "address", "port", "empty_block_delay_ms",
                    "root_block_delay_ms", "round_timeout_ms", "state_sync_lag_blocks",
                    "state_sync_snapshot_interval_blocks"}));
    std::string mode = "solo";
    CORRIDOR_RETURN_IF_ERROR(read_string(*t, "consensus", "mode", mode));
    if (mode == "solo")
      c.mode = NodeConfig::Mode::solo;
    else if (mode == "bft")
      c.mode = NodeConfig::Mode::bft;
    else
      return invalid_argument("consensus.mode must be \"solo\" or \"bft\"");
    CORRIDOR_RETURN_IF_ERROR(read_string(*t, "consensus", "key_file", c.key_file));
    CORRIDOR_RETURN_IF_ERROR(read_string(*t, "consensus", "genesis_file", c.genesis_file));
    CORRIDOR_RETURN_IF_ERROR(read_string(*t, "consensus", "address", c.peer_address));
    CORRIDOR_RETURN_IF_ERROR(read_int(*t, "consensus", "port", c.peer_port, 0, 65'535));
    CORRIDOR_RETURN_IF_ERROR(
        read_int(*t, "consensus", "empty_block_delay_ms", c.empty_block_delay_ms, 0, 60'000));
    CORRIDOR_RETURN_IF_ERROR(
        read_int(*t, "consensus", "root_block_delay_ms", c.root_block_delay_ms, 0, 60'000));
    CORRIDOR_RETURN_IF_ERROR(
        read_int(*t, "consensus", "round_timeout_ms", c.round_timeout_ms, 50, 600'000));
    CORRIDOR_RETURN_IF_ERROR(read_int(*t, "consensus", "state_sync_lag_blocks",
                                      c.state_sync_lag_blocks, 0, 1'000'000'000));
    CORRIDOR_RETURN_IF_ERROR(read_int(*t, "consensus", "state_sync_snapshot_interval_blocks",
                                      c.state_sync_snapshot_interval_blocks, 0, 1'000'000));
    if (c.mode == NodeConfig::Mode::bft && (c.key_file.empty() || c.genesis_file.empty()))
      return invalid_argument(
          "consensus.mode = \"bft\" needs consensus.key_file and "
          "consensus.genesis_file");
  }
  return c;
}

Result<NodeConfig> load_node_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return not_found("config file '" + path + "' cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = parse_node_config(ss.str());
  if (!c.ok()) return invalid_argument(path + ": " + c.status().message());
  return c;
}

std::string node_config_to_toml(const NodeConfig& c) {
  std::ostringstream o;
  o << "[node]\n"
    << "data_dir = " << toml_string(c.data_dir) << "\n"
    << "network_name = " << toml_string(c.network_name) << "\n"
    << "log_level = " << toml_string(c.log_level) << "\n"
    << "verify_threads = " << c.verify_threads << "\n"
    << "check_invariants = " << (c.check_invariants ? "true" : "false") << "\n\n"
    << "[storage]\n"
    << "engine = \"" << (c.storage == StorageEngine::rocksdb ? "rocksdb" : "memory") << "\"\n"
    << "checkpoint_blocks = " << c.checkpoint_blocks << "\n"
    << "checkpoint_offset_blocks = " << c.checkpoint_offset_blocks << "\n"
    << "background_write_mb_per_s = " << c.background_write_mb_per_s << "\n\n"
    << "[sequencer]\n"
    << "block_interval_ms = " << c.block_interval_ms << "\n"
    << "block_txs_max = " << c.block_txs_max << "\n"
    << "block_ops_max = " << c.block_ops_max << "\n\n"
    << "[mempool]\n"
    << "txs_max = " << c.mempool_txs_max << "\n"
    << "ops_max = " << c.mempool_ops_max << "\n"
    << "account_ops_per_s = " << c.mempool_account_ops_per_s << "\n"
    << "account_burst_ops = " << c.mempool_account_burst_ops << "\n\n"
    << "[api]\n"
    << "address = " << toml_string(c.api_address) << "\n"
    << "port = " << c.api_port << "\n"
    << "threads = " << c.api_threads << "\n\n"
    << "[consensus]\n"
    << "mode = \"" << (c.mode == NodeConfig::Mode::bft ? "bft" : "solo") << "\"\n"
    << "key_file = " << toml_string(c.key_file) << "\n"
    << "genesis_file = " << toml_string(c.genesis_file) << "\n"
    << "address = " << toml_string(c.peer_address) << "\n"
    << "port = " << c.peer_port << "\n"
    << "empty_block_delay_ms = " << c.empty_block_delay_ms << "\n"
    << "root_block_delay_ms = " << c.root_block_delay_ms << "\n"
    << "round_timeout_ms = " << c.round_timeout_ms << "\n"
    << "state_sync_lag_blocks = " << c.state_sync_lag_blocks << "\n"
    << "state_sync_snapshot_interval_blocks = " << c.state_sync_snapshot_interval_blocks << "\n";
  return o.str();
}

}  // namespace corridor::node
