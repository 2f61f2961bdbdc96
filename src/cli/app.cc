#include "cli/app.h"

#include <sodium.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/json_codec.h"
#include "base/amount.h"
#include "cli/bench_apply.h"
#include "cli/bench_network.h"
#include "cli/cmd_fx.h"
#include "cli/cmd_network.h"
#include "cli/cmd_sim.h"
#include "cli/cmd_sync.h"
#include "cli/exit_codes.h"
#include "cli/key_file.h"
#include "cli/node_client.h"
#include "cli/run_node.h"
#include "cli/status_text.h"
#include "ledger/ledger.h"
#include "ledger/limits.h"
#include "ledger/state_tree.h"

namespace corridor::cli {

using nlohmann::json;

namespace {

constexpr const char* node_url_default = "http://127.0.0.1:8080";
// Blocks a transaction built by the CLI stays valid for, from the node's current height.
constexpr uint64_t valid_for_blocks_default = 1'000;

struct Common {
  std::string node = node_url_default;
  bool json = false;
};

struct TxFlags {
  std::string key;
  std::vector<std::string> cosign;
  bool no_wait = false;
  uint64_t valid_for = valid_for_blocks_default;
  std::optional<uint64_t> nonce;
};

// An account argument may be a 40-hex-digit id or the path of a key file.
AccountId resolve_account(const std::string& text) {
  auto id = parse_account_id(text);
  if (id.ok()) return *id;
  if (std::filesystem::exists(text)) {
    auto key = read_key_file(text);
    if (!key.ok()) throw CliError(key.status().message(), 2);
    return key->account_id();
  }
  throw CliError("'" + text + "' is neither an account id (40 hex digits) nor a key file", 2);
}

std::string resolve_account_hex(const std::string& text) {
  return resolve_account(text).hex();
}

KeyPair load_key(const std::string& path) {
  auto key = read_key_file(path);
  if (!key.ok()) throw CliError(key.status().message(), 2);
  return *key;
}

void print_json(const json& j) {
  std::cout << j.dump(2) << "\n";
}

// Builds, signs and submits one transaction of the given operations; prints the outcome.
int submit(const Common& c, const TxFlags& f, json ops) {
  KeyPair key = load_key(f.key);
  NodeClient client(c.node);
  json status = client.get_ok("/v1/status");
  auto network_id = Hash256::from_hex_text(status["network"]["id"].get<std::string>());
  if (!network_id.ok()) throw CliError("the node reported a malformed network id");
  uint64_t nonce = 0;
  if (f.nonce) {
    nonce = *f.nonce;
  } else {
    randombytes_buf(&nonce, sizeof nonce);
  }
  json tx_json = {{"source", key.account_id().hex()},
                  {"nonce", nonce},
                  {"valid_until_height", status["height"].get<uint64_t>() + f.valid_for},
                  {"operations", std::move(ops)}};
  ledger::Transaction tx;
  try {
    tx = api::transaction_from_json(tx_json, *network_id,
                                    [&](const AssetId& a) { return client.asset_scale(a); });
  } catch (const api::ApiError& e) {
    throw CliError(e.code() + ": " + e.what(), 2);
  }
  tx.sign(key);
  for (const auto& path : f.cosign) tx.sign(load_key(path));
  json body = {{"envelope", to_hex(ledger::encode_transaction(tx))},
               {"wait", f.no_wait ? "none" : "final"}};
  ApiReply r = client.post("/v1/transactions", body);
  if (c.json) {
    print_json(r.body);
  } else if (r.status == 200) {
    const json& res = r.body["result"];
    std::string code = res["code"];
    std::cout << "transaction " << r.body["id"].get<std::string>() << "\n"
              << "  final at height " << r.body["height"] << " (index " << r.body["index"] << ")"
              << (r.body.value("resubmitted", false) ? ", resubmission of an earlier transaction"
                                                     : "")
              << "\n  result: " << code;
    if (res.contains("failed_operation"))
      std::cout << " (operation " << res["failed_operation"]["index"] << ": "
                << res["failed_operation"]["code"].get<std::string>() << ": "
                << res["failed_operation"]["message"].get<std::string>() << ")";
    std::cout << "\n";
  } else if (r.status == 202) {
    std::cout << "transaction " << r.body["id"].get<std::string>() << "\n  pending"
              << (r.body.contains("message") ? ": " + r.body["message"].get<std::string>() : "")
              << "\n";
  } else {
    std::cerr << "rejected: " << api_error_text(r) << "\n";
  }
  // The exit status is the same with --json and without.
  if (r.status == 200) return r.body["result"]["code"] == "ok" ? exit_ok : exit_rejected;
  if (r.status == 202) return exit_ok;
  return r.status >= 500 ? exit_failed : exit_rejected;
}

void add_tx_flags(CLI::App* cmd, TxFlags& f) {
  cmd->add_option("--key", f.key, "Key file of the source account (signs)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--cosign", f.cosign, "Further signer key files (multi-signature)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--no-wait", f.no_wait, "Return once accepted instead of waiting for finality");
  cmd->add_option("--valid-for", f.valid_for, "Blocks the transaction stays valid for")
      ->check(CLI::Range(uint64_t{1}, uint64_t{20'000}));
  cmd->add_option("--nonce", f.nonce,
                  "Nonce (default: random); the same body and nonce give the same id");
}

void print_account(const json& a) {
  std::cout << "account " << a["id"].get<std::string>() << "\n  signers (threshold "
            << a["threshold"] << "):\n";
  for (const auto& s : a["signers"])
    std::cout << "    " << s["public_key"].get<std::string>() << " weight " << s["weight"] << "\n";
  if (a["holdings"].empty()) std::cout << "  no holdings\n";
  for (const auto& h : a["holdings"]) {
    std::cout << "  " << h["asset"].get<std::string>() << "  balance "
              << h["balance"].get<std::string>() << "  limit " << h["limit"].get<std::string>()
              << (h["authorized"].get<bool>() ? "" : "  (not authorized)")
              << (h["frozen"].get<bool>() ? "  (frozen)" : "") << "\n";
  }
}

}  // namespace

int run_cli(int argc, char** argv) {
  crypto_init();
  CLI::App app{"corridor: a BFT settlement network for cross-border payments between banks"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "corridor 0.1.0");
  Common common;
  auto add_common = [&](CLI::App* cmd, bool with_node = true) {
    if (with_node)
      cmd->add_option("--node", common.node, "Node API URL")
          ->envname("CORRIDOR_NODE")
          ->capture_default_str();
    cmd->add_flag("--json", common.json, "Print JSON");
  };
  int rc = 0;

  // keys
  auto* keys = app.add_subcommand("keys", "Generate and inspect Ed25519 key files");
  keys->require_subcommand(1);
  std::string key_out, key_in;
  bool force = false;
  auto* keys_gen = keys->add_subcommand("generate", "Generate a key pair into a new key file");
  keys_gen->add_option("--out", key_out, "Key file to create (mode 0600)")->required();
  keys_gen->add_flag("--force", force, "Replace an existing file");
  add_common(keys_gen, false);
  keys_gen->callback([&] {
    KeyPair kp = KeyPair::generate();
    Status s = write_key_file(key_out, kp, force);
    if (!s.ok()) throw CliError(s.message());
    json j = {{"file", key_out},
              {"account_id", kp.account_id().hex()},
              {"public_key", kp.public_key().hex()}};
    if (common.json)
      print_json(j);
    else
      std::cout << "wrote " << key_out << "\n  account id  " << j["account_id"].get<std::string>()
                << "\n  public key  " << j["public_key"].get<std::string>() << "\n";
  });
  std::string field;
  auto* keys_show = keys->add_subcommand("show", "Show a key file's account id and public key");
  keys_show->add_option("--key", key_in, "Key file")->required()->check(CLI::ExistingFile);
  keys_show->add_option("--field", field, "Print only this field")
      ->check(CLI::IsMember({"account_id", "public_key"}));
  add_common(keys_show, false);
  keys_show->callback([&] {
    KeyPair kp = load_key(key_in);
    json j = {{"account_id", kp.account_id().hex()}, {"public_key", kp.public_key().hex()}};
    if (!field.empty())
      std::cout << j[field].get<std::string>() << "\n";
    else if (common.json)
      print_json(j);
    else
      std::cout << "account id  " << j["account_id"].get<std::string>() << "\npublic key  "
                << j["public_key"].get<std::string>() << "\n";
  });

  // node
  RunNodeOptions node_opts;
  auto* node_cmd =
      app.add_subcommand("node", "Run a node (solo sequencer or BFT member) with its HTTP API");
  node_cmd->add_option("--config", node_opts.config_path, "TOML configuration file")
      ->check(CLI::ExistingFile);
  node_cmd->add_option("--data-dir", node_opts.data_dir, "Override node.data_dir");
  node_cmd->add_option("--port", node_opts.port, "Override api.port");
  node_cmd->add_flag("--memory", node_opts.memory,
                     "Keep everything in memory (nothing survives a restart)");
  node_cmd->add_flag("--print-config", node_opts.print_config,
                     "Print the effective configuration and exit");
  node_cmd->callback([&] { rc = run_node(node_opts); });

  // queries
  auto* status_cmd =
      app.add_subcommand("status", "Show the node's height, state root and counters");
  add_common(status_cmd);
  status_cmd->callback([&] {
    json s = NodeClient(common.node).get_ok("/v1/status");
    if (common.json) return print_json(s);
    std::cout << "network     " << s["network"]["name"].get<std::string>() << " ("
              << s["network"]["id"].get<std::string>() << ")\n"
              << "height      " << s["height"] << "\n"
              << "block hash  " << s["block_hash"].get<std::string>() << "\n"
              << "state root  " << s["state_root"].get<std::string>() << "\n"
              << "mempool     " << s["mempool"]["txs"] << " txs, " << s["mempool"]["ops"]
              << " ops\n"
              << "committed   " << s["committed"]["txs"] << " txs, " << s["committed"]["ops"]
              << " ops since start\n"
              << "ledger      " << s["ledger"]["accounts"] << " accounts, " << s["ledger"]["assets"]
              << " assets, " << s["ledger"]["holdings"] << " holdings\n";
    if (const std::string store = store_backlog_text(s); !store.empty())
      std::cout << "store       " << store << "\n";
    const json& c = s["consensus"];
    std::cout << "consensus   " << c["mode"].get<std::string>();
    if (c.contains("epoch"))
      std::cout << ", epoch " << c["epoch"] << ", " << c["validators"] << " validators";
    std::cout << "\n";
    if (c.contains("round")) {
      std::cout << "role        " << c["role"].get<std::string>() << ", round " << c["round"]
                << " (leader: validator " << c["leader_index"] << "), " << c["pending_txs"]
                << " txs pending in consensus\n";
      const json& k = c["counters"];
      std::cout << "sent        " << k["proposals_sent"] << " proposals, " << k["votes_sent"]
                << " votes, " << k["timeouts_sent"] << " timeouts; formed " << k["qcs_formed"]
                << " QCs, " << k["tcs_formed"] << " TCs\n"
                << "refused     " << k["invalid_messages"] << " invalid messages, "
                << k["equivocations_seen"] << " equivocations, "
                << c["transport"]["handshake_failures"] << " bad handshakes, "
                << c["transport"]["frames_malformed"] << " malformed frames\n";
      for (const json& p : c["peers"])
        std::cout << "peer        " << p["public_key"].get<std::string>().substr(0, 16) << "  "
                  << (p["connected"].get<bool>() ? "connected" : "down     ") << "  in "
                  << p["frames_in"] << " frames, out " << p["frames_out"] << " frames, "
                  << p["queued_bytes"] << " bytes queued, " << p["reconnects"] << " reconnects\n";
    }
  });
  std::string account_arg;
  auto* account_cmd = app.add_subcommand("account", "Show an account's signers and holdings");
  account_cmd->add_option("account", account_arg, "Account id or key file")->required();
  add_common(account_cmd);
  account_cmd->callback([&] {
    json a = NodeClient(common.node).get_ok("/v1/accounts/" + resolve_account_hex(account_arg));
    if (common.json)
      print_json(a);
    else
      print_account(a);
  });
  std::string asset_arg;
  auto* asset_cmd = app.add_subcommand("asset", "Show an asset (CODE:ISSUER)");
  asset_cmd->add_option("asset", asset_arg, "CODE:ISSUER")->required();
  add_common(asset_cmd);
  asset_cmd->callback([&] {
    json a = NodeClient(common.node).get_ok("/v1/assets/" + asset_arg);
    if (common.json) return print_json(a);
    std::cout << "asset   " << a["asset"].get<std::string>() << "\nscale   " << a["scale"]
              << "\nflags   " << a["flags"].dump() << "\nsupply  " << a["supply"].get<std::string>()
              << "\n";
  });
  std::string block_arg;
  auto* block_cmd = app.add_subcommand("block", "Show a block by height (or 'latest')");
  block_cmd->add_option("height", block_arg, "Height or 'latest'")->required();
  add_common(block_cmd);
  block_cmd->callback([&] {
    json b = NodeClient(common.node).get_ok("/v1/blocks/" + block_arg);
    if (common.json) return print_json(b);
    std::cout << "block " << b["height"] << "  " << b["hash"].get<std::string>() << "\n  time_ms "
              << b["time_ms"] << "\n  parent " << b["parent_hash"].get<std::string>()
              << "\n  state root " << b["state_root"].get<std::string>() << "\n  " << b["tx_count"]
              << " transactions\n";
    for (const auto& t : b["transactions"])
      std::cout << "    " << t["id"].get<std::string>() << "  " << t["operations"] << " ops  "
                << t["code"].get<std::string>() << "\n";
  });
  std::string tx_id_arg;
  auto* tx_cmd = app.add_subcommand("tx", "Show a transaction and its result");
  tx_cmd->add_option("id", tx_id_arg, "Transaction id")->required();
  add_common(tx_cmd);
  tx_cmd->callback([&] {
    ApiReply r = NodeClient(common.node).get("/v1/transactions/" + tx_id_arg);
    if (r.status != 200) throw CliError(api_error_text(r));
    if (common.json) return print_json(r.body);
    std::cout << "transaction " << r.body["id"].get<std::string>() << "\n  status "
              << r.body["status"].get<std::string>() << "\n";
    if (r.body["status"] == "final") {
      std::cout << "  height " << r.body["height"] << " index " << r.body["index"] << "\n  result "
                << r.body["result"]["code"].get<std::string>() << "\n  source "
                << r.body["transaction"]["source"].get<std::string>() << "\n  operations:\n";
      const auto& ops = r.body["transaction"]["operations"];
      for (size_t i = 0; i < ops.size() && i < 20; ++i)
        std::cout << "    " << ops[i].dump() << "  -> "
                  << r.body["result"]["operations"][i].get<std::string>() << "\n";
      if (ops.size() > 20) std::cout << "    ... " << ops.size() - 20 << " more\n";
    }
  });
  std::string proof_account, proof_asset;
  auto* proof_cmd =
      app.add_subcommand("proof", "Fetch a holding's Merkle proof and verify it locally");
  proof_cmd->add_option("--account", proof_account, "Account id or key file")->required();
  proof_cmd->add_option("--asset", proof_asset, "CODE:ISSUER")->required();
  add_common(proof_cmd);
  proof_cmd->callback([&] {
    json p = NodeClient(common.node)
                 .get_ok("/v1/accounts/" + resolve_account_hex(proof_account) + "/holdings/" +
                         proof_asset + "/proof");
    ledger::HoldingProof proof;
    auto key = from_hex(p["entry_key"].get<std::string>());
    auto value = from_hex(p["entry_value"].get<std::string>());
    auto root = Hash256::from_hex_text(p["state_root"].get<std::string>());
    if (!key.ok() || !value.ok() || !root.ok()) throw CliError("the node sent a malformed proof");
    proof.entry_key = *key;
    proof.entry_value = *value;
    for (const auto& s : p["siblings"]) {
      auto h = Hash256::from_hex_text(s.get<std::string>());
      if (!h.ok()) throw CliError("the node sent a malformed proof sibling");
      proof.proof.siblings.push_back(*h);
    }
    bool ok = ledger::verify_holding_proof(*root, proof);
    p["verified"] = ok;
    if (common.json)
      print_json(p);
    else
      std::cout << "holding " << p["asset"].get<std::string>() << " of "
                << p["account"].get<std::string>() << "\n  balance "
                << p["holding"]["balance"].get<std::string>() << "\n  height " << p["height"]
                << "\n  state root " << p["state_root"].get<std::string>() << "\n  proof "
                << p["siblings"].size() << " siblings: " << (ok ? "VERIFIED" : "INVALID") << "\n";
    if (!ok) rc = 1;
  });

  // transactions
  TxFlags tf;
  auto* create_account =
      app.add_subcommand("create-account", "Register the key's account on the ledger");
  add_tx_flags(create_account, tf);
  add_common(create_account);
  create_account->callback([&] {
    KeyPair kp = load_key(tf.key);
    rc = submit(common, tf,
                json::array({{{"type", "create_account"}, {"public_key", kp.public_key().hex()}}}));
  });
  std::string code;
  unsigned scale = 2;
  std::vector<std::string> flags;
  auto* create_asset =
      app.add_subcommand("create-asset", "Create an asset issued by the key's account");
  add_tx_flags(create_asset, tf);
  add_common(create_asset);
  create_asset->add_option("--code", code, "Asset code, 1-12 of A-Z 0-9")->required();
  create_asset->add_option("--scale", scale, "Decimal places of the minor unit")
      ->check(CLI::Range(0, 18))
      ->capture_default_str();
  create_asset->add_option("--flag", flags,
                           "authorization_required | freezable | clawback_enabled (repeatable)");
  create_asset->callback([&] {
    rc = submit(
        common, tf,
        json::array(
            {{{"type", "create_asset"}, {"code", code}, {"scale", scale}, {"flags", flags}}}));
  });
  std::string asset, limit, amount, to, holder, from;
  auto* open_holding =
      app.add_subcommand("open-holding", "Open a holding of an asset (or change its limit)");
  add_tx_flags(open_holding, tf);
  add_common(open_holding);
  open_holding->add_option("--asset", asset, "CODE:ISSUER")->required();
  open_holding->add_option("--limit", limit, "Largest balance accepted, in asset units")
      ->required();
  open_holding->callback([&] {
    rc = submit(common, tf,
                json::array({{{"type", "open_holding"}, {"asset", asset}, {"limit", limit}}}));
  });
  auto* issue = app.add_subcommand("issue", "Issue units of your asset to a holder");
  add_tx_flags(issue, tf);
  add_common(issue);
  issue->add_option("--to", to, "Holder account id or key file")->required();
  issue->add_option("--code", code, "Asset code (the issuer is the key's account)")->required();
  issue->add_option("--amount", amount, "Amount in asset units, e.g. 250.00")->required();
  issue->callback([&] {
    rc = submit(common, tf,
                json::array({{{"type", "issue"},
                              {"to", resolve_account_hex(to)},
                              {"code", code},
                              {"amount", amount}}}));
  });
  auto* pay = app.add_subcommand("pay", "Transfer units of an asset to another account");
  add_tx_flags(pay, tf);
  add_common(pay);
  pay->add_option("--to", to, "Recipient account id or key file")->required();
  pay->add_option("--asset", asset, "CODE:ISSUER")->required();
  pay->add_option("--amount", amount, "Amount in asset units")->required();
  pay->callback([&] {
    rc = submit(common, tf,
                json::array({{{"type", "transfer"},
                              {"to", resolve_account_hex(to)},
                              {"asset", asset},
                              {"amount", amount}}}));
  });
  // --- The liquidity queue and escrows ---------------------------------------------------
  std::string band = "normal";
  uint64_t wait_blocks = 1'000;
  auto* queue_pay = app.add_subcommand(
      "queue-pay", "Pay through the liquidity queue: wait for funds instead of failing");
  add_tx_flags(queue_pay, tf);
  add_common(queue_pay);
  queue_pay->add_option("--to", to, "Recipient account id or key file")->required();
  queue_pay->add_option("--asset", asset, "CODE:ISSUER")->required();
  queue_pay->add_option("--amount", amount, "Amount in asset units")->required();
  queue_pay->add_option("--band", band, "Priority: urgent or normal")
      ->check(CLI::IsMember({"urgent", "normal"}));
  queue_pay
      ->add_option("--wait-blocks", wait_blocks, "Blocks the payment may wait before it expires")
      ->check(CLI::Range(uint64_t{0}, uint64_t{100'000}));
  queue_pay->callback([&] {
    json status = NodeClient(common.node).get_ok("/v1/status");
    rc = submit(
        common, tf,
        json::array({{{"type", "queue_transfer"},
                      {"to", resolve_account_hex(to)},
                      {"asset", asset},
                      {"amount", amount},
                      {"band", band},
                      {"last_height", status["height"].get<uint64_t>() + 1 + wait_blocks}}}));
  });
  uint64_t seq = 0;
  auto* cancel_queued =
      app.add_subcommand("cancel-queued", "Withdraw one of your payments from the queue");
  add_tx_flags(cancel_queued, tf);
  add_common(cancel_queued);
  cancel_queued->add_option("seq", seq, "The payment's sequence number")->required();
  cancel_queued->callback([&] {
    rc = submit(common, tf, json::array({{{"type", "cancel_queued"}, {"seq", seq}}}));
  });
  std::string party;
  auto* queue_cmd = app.add_subcommand("queue", "List the liquidity queue (oldest first)");
  add_common(queue_cmd);
  queue_cmd->add_option("--account", party, "Only payments this account pays or receives");
  queue_cmd->callback([&] {
    std::string path = "/v1/queue";
    if (!party.empty()) path += "?account=" + resolve_account_hex(party);
    json q = NodeClient(common.node).get_ok(path);
    if (common.json) return print_json(q);
    if (q["payments"].empty()) std::cout << "the queue is empty\n";
    for (const auto& p : q["payments"])
      std::cout << "#" << p["seq"] << "  " << p["payer"].get<std::string>() << " -> "
                << p["payee"].get<std::string>() << "  " << p["amount"].get<std::string>() << " "
                << p["asset"].get<std::string>() << "  " << p["band"].get<std::string>()
                << "  until " << p["last_height"] << "\n";
  });

  auto* escrow = app.add_subcommand("escrow", "Conditional payments (trade finance)");
  escrow->require_subcommand(1);
  std::string preimage_text, hash_hex, approver;
  std::optional<uint64_t> release_height, cancel_height;
  uint64_t escrow_id = 0;
  auto* escrow_create = escrow->add_subcommand(
      "create", "Lock funds for a beneficiary until the conditions given hold");
  add_tx_flags(escrow_create, tf);
  add_common(escrow_create);
  escrow_create->add_option("--to", to, "Beneficiary account id or key file")->required();
  escrow_create->add_option("--asset", asset, "CODE:ISSUER")->required();
  escrow_create->add_option("--amount", amount, "Amount in asset units")->required();
  escrow_create->add_option("--hash", hash_hex, "Release on the preimage of this SHA-256 (hex)");
  escrow_create->add_option("--approver", approver,
                            "Release only by this account (id or key file)");
  escrow_create->add_option("--release-height", release_height, "Release from this height on");
  escrow_create->add_option("--cancel-height", cancel_height,
                            "The payer may cancel from this height on");
  escrow_create->callback([&] {
    json op = {{"type", "create_escrow"},
               {"beneficiary", resolve_account_hex(to)},
               {"asset", asset},
               {"amount", amount}};
    if (!hash_hex.empty()) op["hash"] = hash_hex;
    if (!approver.empty()) op["approver"] = resolve_account_hex(approver);
    if (release_height) op["release_height"] = *release_height;
    if (cancel_height) op["cancel_height"] = *cancel_height;
    rc = submit(common, tf, json::array({op}));
  });
  auto* escrow_finish = escrow->add_subcommand("finish", "Release an escrow to its beneficiary");
  add_tx_flags(escrow_finish, tf);
  add_common(escrow_finish);
  escrow_finish->add_option("id", escrow_id, "Escrow id")->required();
  escrow_finish->add_option("--preimage", preimage_text,
                            "The preimage, as text (its SHA-256 must be the escrow's hash)");
  escrow_finish->callback([&] {
    json op = {{"type", "finish_escrow"}, {"id", escrow_id}};
    if (!preimage_text.empty()) op["preimage"] = to_hex(as_bytes(preimage_text));
    rc = submit(common, tf, json::array({op}));
  });
  auto* escrow_cancel =
      escrow->add_subcommand("cancel", "Return an escrow to its payer after its cancel height");
  add_tx_flags(escrow_cancel, tf);
  add_common(escrow_cancel);
  escrow_cancel->add_option("id", escrow_id, "Escrow id")->required();
  escrow_cancel->callback([&] {
    rc = submit(common, tf, json::array({{{"type", "cancel_escrow"}, {"id", escrow_id}}}));
  });
  auto* escrow_show = escrow->add_subcommand("show", "Show an open escrow");
  add_common(escrow_show);
  escrow_show->add_option("id", escrow_id, "Escrow id")->required();
  escrow_show->callback([&] {
    json e = NodeClient(common.node).get_ok("/v1/escrows/" + std::to_string(escrow_id));
    if (common.json) return print_json(e);
    std::cout << "escrow " << e["id"] << "\n  " << e["payer"].get<std::string>() << " -> "
              << e["beneficiary"].get<std::string>() << "  " << e["amount"].get<std::string>()
              << " " << e["asset"].get<std::string>() << "\n";
    for (const char* c : {"hash", "approver", "release_height", "cancel_height"})
      if (e.contains(c)) std::cout << "  " << c << " " << e[c].dump() << "\n";
  });

  auto* redeem =
      app.add_subcommand("redeem", "Return units to the asset's issuer (supply shrinks)");
  add_tx_flags(redeem, tf);
  add_common(redeem);
  redeem->add_option("--asset", asset, "CODE:ISSUER")->required();
  redeem->add_option("--amount", amount, "Amount in asset units")->required();
  redeem->callback([&] {
    rc = submit(common, tf,
                json::array({{{"type", "redeem"}, {"asset", asset}, {"amount", amount}}}));
  });
  bool revoke = false;
  auto* authorize =
      app.add_subcommand("authorize", "Issuer: authorize (or --revoke) a holding of your asset");
  add_tx_flags(authorize, tf);
  add_common(authorize);
  authorize->add_option("--holder", holder, "Holder account id or key file")->required();
  authorize->add_option("--code", code, "Asset code")->required();
  authorize->add_flag("--revoke", revoke, "Remove the authorization");
  authorize->callback([&] {
    rc = submit(common, tf,
                json::array({{{"type", "authorize_holding"},
                              {"holder", resolve_account_hex(holder)},
                              {"code", code},
                              {"authorized", !revoke}}}));
  });
  bool unfreeze = false;
  auto* freeze =
      app.add_subcommand("freeze", "Issuer: freeze (or --unfreeze) a holding of your asset");
  add_tx_flags(freeze, tf);
  add_common(freeze);
  freeze->add_option("--holder", holder, "Holder account id or key file")->required();
  freeze->add_option("--code", code, "Asset code")->required();
  freeze->add_flag("--unfreeze", unfreeze, "Lift the freeze");
  freeze->callback([&] {
    rc = submit(common, tf,
                json::array({{{"type", "freeze_holding"},
                              {"holder", resolve_account_hex(holder)},
                              {"code", code},
                              {"frozen", !unfreeze}}}));
  });
  auto* clawback = app.add_subcommand("clawback", "Issuer: take units back from a holder");
  add_tx_flags(clawback, tf);
  add_common(clawback);
  clawback->add_option("--from", from, "Holder account id or key file")->required();
  clawback->add_option("--code", code, "Asset code")->required();
  clawback->add_option("--amount", amount, "Amount in asset units")->required();
  clawback->callback([&] {
    rc = submit(common, tf,
                json::array({{{"type", "clawback"},
                              {"from", resolve_account_hex(from)},
                              {"code", code},
                              {"amount", amount}}}));
  });
  std::vector<std::string> signer_specs;
  unsigned threshold = 1;
  auto* set_signers =
      app.add_subcommand("set-signers", "Replace the account's signer list (multi-signature)");
  add_tx_flags(set_signers, tf);
  add_common(set_signers);
  set_signers->add_option("--signer", signer_specs, "KEYFILE_OR_PUBKEY:WEIGHT (repeatable)")
      ->required();
  set_signers->add_option("--threshold", threshold, "Weight needed to sign")
      ->required()
      ->check(CLI::Range(1, 65535));
  set_signers->callback([&] {
    json list = json::array();
    for (const auto& spec : signer_specs) {
      size_t colon = spec.rfind(':');
      if (colon == std::string::npos)
        throw CliError("--signer must be KEY:WEIGHT, got '" + spec + "'", 2);
      std::string who = spec.substr(0, colon);
      std::string pub = std::filesystem::exists(who) ? load_key(who).public_key().hex() : who;
      list.push_back({{"public_key", pub}, {"weight", std::stoul(spec.substr(colon + 1))}});
    }
    rc = submit(
        common, tf,
        json::array({{{"type", "set_signers"}, {"signers", list}, {"threshold", threshold}}}));
  });
  std::string ops_file;
  auto* submit_cmd =
      app.add_subcommand("submit", "Sign and submit operations from a JSON file (an array)");
  add_tx_flags(submit_cmd, tf);
  add_common(submit_cmd);
  submit_cmd->add_option("--ops", ops_file, "JSON file with an array of operations")
      ->required()
      ->check(CLI::ExistingFile);
  submit_cmd->callback([&] {
    std::ifstream in(ops_file);
    json ops = json::parse(in, nullptr, false);
    if (ops.is_discarded() || !ops.is_array())
      throw CliError(ops_file + " is not a JSON array of operations", 2);
    rc = submit(common, tf, ops);
  });

  // FX: offers, books, quotes and path payments (cli/cmd_fx.cc).
  FxCliHooks fx_hooks;
  fx_hooks.add_tx_flags = [&](CLI::App* cmd) { add_tx_flags(cmd, tf); };
  fx_hooks.add_common = [&](CLI::App* cmd) { add_common(cmd); };
  fx_hooks.submit = [&](json ops) { return submit(common, tf, std::move(ops)); };
  fx_hooks.key_account_hex = [&] { return load_key(tf.key).account_id().hex(); };
  fx_hooks.resolve_account_hex = [](const std::string& text) { return resolve_account_hex(text); };
  fx_hooks.node_url = &common.node;
  fx_hooks.json = &common.json;
  add_fx_commands(app, fx_hooks, rc);

  // bench
  auto* bench = app.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  BenchApplyOptions bo;
  auto* bench_apply = bench->add_subcommand(
      "apply", "Apply batch-signed transfers through ledger and storage of one node");
  bench_apply->add_flag("--durable", bo.durable,
                        "RocksDB with a synced commit per block (default: in memory)");
  bench_apply->add_option("--data-dir", bo.data_dir,
                          "Directory for --durable (default: a temporary one)");
  bench_apply->add_option("--accounts", bo.accounts, "Funded accounts")->capture_default_str();
  bench_apply->add_option("--blocks", bo.blocks, "Timed blocks")->capture_default_str();
  bench_apply->add_option("--txs-per-block", bo.txs_per_block, "Envelopes per block")
      ->capture_default_str();
  bench_apply->add_option("--ops-per-tx", bo.ops_per_tx, "Transfers per envelope")
      ->capture_default_str();
  bench_apply->add_option("--seed", bo.seed, "PRNG seed")->capture_default_str();
  bench_apply->add_flag("--json", bo.json, "Print JSON");
  bench_apply->callback([&] { rc = run_bench_apply(bo, std::cout); });
  BenchNetworkOptions bn;
  auto* bench_net = bench->add_subcommand(
      "network", "Transfers through a BFT network of real processes, as clients see them");
  bench_net->add_option("--node", bn.nodes,
                        "API of a running network's node (repeat); default: start a temporary "
                        "localnet");
  bench_net->add_option("--validators", bn.validators, "Validators of the temporary localnet")
      ->capture_default_str();
  bench_net
      ->add_option("--mode", bn.mode,
                   "closed (fixed clients), open (fixed rate) or half-peak (a closed loop, then "
                   "an open one at half its throughput)")
      ->capture_default_str();
  bench_net->add_option("--rate", bn.rate_per_s, "Open loop: transfers offered per second");
  bench_net->add_option("--signing", bn.signing, "batch or individual")->capture_default_str();
  bench_net->add_option("--batch-ops", bn.batch_ops, "Transfers per batch-signed transaction")
      ->capture_default_str();
  bench_net->add_option("--clients", bn.clients, "Closed loop: concurrent clients (0: default)")
      ->capture_default_str();
  bench_net
      ->add_option("--per-request", bn.per_request,
                   "Individually signed: transactions per HTTP request (0: default 100)")
      ->capture_default_str();
  bench_net
      ->add_option("--wire", bn.wire,
                   "binary (envelope bytes, application/octet-stream) or json (hex in JSON)")
      ->capture_default_str();
  bench_net->add_option("--accounts", bn.accounts, "Funded accounts")->capture_default_str();
  bench_net
      ->add_option("--state-root-interval", bn.state_root_interval_blocks,
                   "The temporary localnet recomputes its state root every this many blocks")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, ledger::state_root_interval_blocks_max));
  bench_net->add_option("--duration-s", bn.duration_s, "Measured seconds")->capture_default_str();
  bench_net->add_option("--warmup-s", bn.warmup_s, "Unmeasured seconds of load first")
      ->capture_default_str();
  bench_net->add_option("--seed", bn.seed, "PRNG seed")->capture_default_str();
  bench_net->add_flag("--keep", bn.keep, "Keep the temporary localnet's directory and logs");
  bench_net->add_flag("--json", bn.json, "Print one JSON object");
  bench_net->add_option("--samples-csv", bn.samples_csv,
                        "Write each measured submission (done_ms,latency_ms,transfers) here");
  bench_net->callback([&] { rc = run_bench_network(bn, std::cout, std::cerr); });
  add_sim_command(app, rc);
  add_network_commands(app, rc);
  add_sync_command(app, rc);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const CliError& e) {
    std::cerr << "corridor: " << e.what() << "\n";
    return e.exit_code();
  } catch (const json::exception& e) {
    std::cerr << "corridor: unexpected answer from the node: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "corridor: " << e.what() << "\n";
    return 1;
  }
  return rc;
}

}  // namespace corridor::cli
