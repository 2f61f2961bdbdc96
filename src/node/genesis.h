// A BFT network's genesis file (TOML; docs/operations.md, "Genesis file"): the network's name,
// its validators and observers with their peer addresses, and ledger block 0 as canonical
// transaction envelopes. Every node executes the same envelopes at height 0, so every node
// computes the same genesis state, and the validator set that block installs (set_validators,
// epoch 0) is the set consensus starts with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/keys.h"
#include "base/status.h"
#include "ledger/block.h"

namespace corridor::node {

struct GenesisPeer {
  std::string name;
  PublicKey key;
  std::string host = "127.0.0.1";
  uint16_t port = 0;
};

struct Genesis {
  std::string network_name;
  uint64_t time_ms = 0;
  std::vector<GenesisPeer> validators;
  std::vector<GenesisPeer> observers;
  // Ledger block 0, in order: canonical transaction envelopes.
  std::vector<Bytes> transactions;
  // The ledger recomputes its state root at multiples of this height (ledger.h); the network id
  // commits to it (network_id_for).
  uint64_t state_root_interval_blocks = 1;
};

// A genesis whose block 0 has `operator_key` register its own account and install the
// validators' keys as epoch 0's set.
Genesis make_genesis(const std::string& network_name, std::vector<GenesisPeer> validators,
                     std::vector<GenesisPeer> observers, const KeyPair& operator_key,
                     uint64_t state_root_interval_blocks = 1);
// Ledger block 0 (height 0, the genesis time, the transactions); invalid_argument when an
// envelope does not decode or the block does not install exactly the listed validators.
Result<ledger::Block> genesis_ledger_block(const Genesis& genesis);

std::string genesis_to_toml(const Genesis& genesis);
Result<Genesis> parse_genesis(const std::string& toml_text);
Result<Genesis> load_genesis(const std::string& path);

}  // namespace corridor::node
