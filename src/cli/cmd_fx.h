// `corridor offer place|cancel|replace|show`, `corridor book`, `corridor path-pay` and
// `corridor quote`: the FX commands (docs/fx.md), built on the same submission path as the
// other transaction commands through FxCliHooks.
#pragma once

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace corridor::cli {

struct FxCliHooks {
  // Adds the transaction flags (--key, --cosign, --no-wait, ...) to a command.
  std::function<void(CLI::App*)> add_tx_flags;
  // Adds --node and --json.
  std::function<void(CLI::App*)> add_common;
  // Builds, signs and submits one transaction of these operations; returns the exit code.
  std::function<int(nlohmann::json ops)> submit;
  // The account id (hex) of the key file given with --key.
  std::function<std::string()> key_account_hex;
  std::function<std::string(const std::string&)> resolve_account_hex;
  const std::string* node_url = nullptr;
  const bool* json = nullptr;
};

// Registers the FX commands; their callbacks set `rc` to the process exit code.
void add_fx_commands(CLI::App& app, const FxCliHooks& hooks, int& rc);

}  // namespace corridor::cli
