#include "node/genesis.h"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>

#include "ledger/limits.h"
#include "ledger/operation.h"
#include "ledger/transaction.h"
#include "node/chain_store.h"

namespace corridor::node {

namespace {

Bytes signed_envelope(const Hash256& network_id, const KeyPair& key, uint64_t nonce,
                      ledger::Operation op) {
  ledger::Transaction tx;
  tx.network_id = network_id;
  tx.source = key.account_id();
  tx.nonce = nonce;
  tx.valid_until_height = 0;  // Applied at ledger height 0 only.
  tx.ops.push_back(std::move(op));
  tx.sign(key);
  return ledger::encode_transaction(tx);
}

Result<std::vector<GenesisPeer>> read_peers(const toml::table& root, std::string_view name) {
  std::vector<GenesisPeer> out;
  const toml::node* n = root.get(name);
  if (!n) return out;
  const toml::array* arr = n->as_array();
  if (!arr)
    return invalid_argument("genesis: " + std::string(name) + " must be an array of tables");
  for (const toml::node& item : *arr) {
    const toml::table* t = item.as_table();
    if (!t)
      return invalid_argument("genesis: " + std::string(name) + " must be an array of tables");
    GenesisPeer p;
    p.name = t->get("name") ? t->get("name")->value_or(std::string()) : std::string();
    auto key = PublicKey::from_hex_text(
        t->get("public_key") ? t->get("public_key")->value_or(std::string()) : std::string());
    if (!key.ok())
      return invalid_argument("genesis: " + std::string(name) + " '" + p.name +
                              "': public_key: " + key.status().message());
    p.key = *key;
    p.host = t->get("host") ? t->get("host")->value_or(std::string()) : std::string();
    int64_t port = t->get("port") ? t->get("port")->value_or(int64_t{-1}) : int64_t{-1};
    if (p.host.empty() || port < 1 || port > 65'535)
      return invalid_argument("genesis: " + std::string(name) + " '" + p.name +
                              "' needs a host and a port within 1..65535");
    p.port = static_cast<uint16_t>(port);
    out.push_back(std::move(p));
  }
  return out;
}

void write_peers(std::ostringstream& o, std::string_view name,
                 const std::vector<GenesisPeer>& peers) {
  for (const auto& p : peers)
    o << "\n[[" << name << "]]\n"
      << "name = \"" << p.name << "\"\n"
      << "public_key = \"" << p.key.hex() << "\"\n"
      << "host = \"" << p.host << "\"\n"
      << "port = " << p.port << "\n";
}

}  // namespace

Genesis make_genesis(const std::string& network_name, std::vector<GenesisPeer> validators,
                     std::vector<GenesisPeer> observers, const KeyPair& operator_key,
                     uint64_t state_root_interval_blocks) {
  Genesis g;
  g.network_name = network_name;
  g.validators = std::move(validators);
  g.observers = std::move(observers);
  g.state_root_interval_blocks = state_root_interval_blocks;
  const Hash256 network_id = network_id_for(network_name, state_root_interval_blocks);
  std::vector<PublicKey> keys;
  for (const auto& v : g.validators) keys.push_back(v.key);
  g.transactions.push_back(signed_envelope(network_id, operator_key, 0,
                                           ledger::CreateAccountOp{operator_key.public_key()}));
  g.transactions.push_back(
      signed_envelope(network_id, operator_key, 1, ledger::SetValidatorsOp{0, keys, {}}));
  return g;
}

Result<ledger::Block> genesis_ledger_block(const Genesis& genesis) {
  ledger::Block block;
  bool installs = false;
  for (size_t i = 0; i < genesis.transactions.size(); ++i) {
    auto tx = ledger::decode_transaction(genesis.transactions[i]);
    if (!tx.ok())
      return invalid_argument("genesis transaction " + std::to_string(i) + ": " +
                              tx.status().message());
    for (const auto& op : tx->ops)
      if (const auto* sv = std::get_if<ledger::SetValidatorsOp>(&op)) {
        std::vector<PublicKey> keys;
        for (const auto& v : genesis.validators) keys.push_back(v.key);
        if (sv->validators != keys)
          return invalid_argument("the genesis block installs other validators than it lists");
        installs = true;
      }
    block.txs.push_back(std::move(tx).value());
  }
  if (!installs) return invalid_argument("the genesis block installs no validator set");
  block.header.height = 0;
  block.header.time_ms = genesis.time_ms;
  block.header.tx_count = static_cast<uint32_t>(block.txs.size());
  block.header.tx_root = ledger::compute_tx_root(block.txs);
  return block;
}

std::string genesis_to_toml(const Genesis& g) {
  std::ostringstream o;
  o << "# Corridor genesis: every node of the network must use this same file.\n"
    << "network_name = \"" << g.network_name << "\"\n"
    << "time_ms = " << g.time_ms << "\n"
    << "# The state root is recomputed at multiples of this height (docs/consensus.md).\n"
    << "state_root_interval_blocks = " << g.state_root_interval_blocks << "\n"
    << "# Ledger block 0: canonical transaction envelopes (hex), applied in order.\n"
    << "transactions = [\n";
  for (const Bytes& t : g.transactions) o << "  \"" << to_hex(t) << "\",\n";
  o << "]\n";
  write_peers(o, "validators", g.validators);
  write_peers(o, "observers", g.observers);
  return o.str();
}

Result<Genesis> parse_genesis(const std::string& toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& err) {
    return invalid_argument("genesis: line " + std::to_string(err.source().begin.line) + ": " +
                            std::string(err.description()));
  }
  Genesis g;
  g.network_name = root["network_name"].value_or(std::string());
  if (g.network_name.empty() || g.network_name.size() > 64)
    return invalid_argument("genesis: network_name must be 1 to 64 characters");
  int64_t time = root["time_ms"].value_or(int64_t{0});
  if (time < 0) return invalid_argument("genesis: time_ms must not be negative");
  g.time_ms = static_cast<uint64_t>(time);
  const int64_t interval = root["state_root_interval_blocks"].value_or(int64_t{1});
  if (interval < 1 || static_cast<uint64_t>(interval) > ledger::state_root_interval_blocks_max)
    return invalid_argument("genesis: state_root_interval_blocks must be 1 to " +
                            std::to_string(ledger::state_root_interval_blocks_max));
  g.state_root_interval_blocks = static_cast<uint64_t>(interval);
  if (const toml::array* txs = root["transactions"].as_array()) {
    for (const toml::node& t : *txs) {
      auto bytes = from_hex(t.value_or(std::string()));
      if (!bytes.ok())
        return invalid_argument("genesis: transactions: " + bytes.status().message());
      g.transactions.push_back(std::move(bytes).value());
    }
  }
  CORRIDOR_ASSIGN_OR_RETURN(g.validators, read_peers(root, "validators"));
  CORRIDOR_ASSIGN_OR_RETURN(g.observers, read_peers(root, "observers"));
  if (g.validators.empty()) return invalid_argument("genesis: no validators");
  CORRIDOR_RETURN_IF_ERROR(genesis_ledger_block(g).status());
  return g;
}

Result<Genesis> load_genesis(const std::string& path) {
  std::ifstream in(path);
  if (!in) return not_found("genesis file '" + path + "' cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  auto g = parse_genesis(ss.str());
  if (!g.ok()) return invalid_argument(path + ": " + g.status().message());
  return g;
}

}  // namespace corridor::node
