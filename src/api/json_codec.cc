#include "api/json_codec.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "api/api_error.h"
#include "base/amount.h"
#include "ledger/limits.h"

namespace corridor::api {

using nlohmann::json;
using namespace ledger;

namespace {

[[noreturn]] void bad(const std::string& code, const std::string& message) {
  throw ApiError(400, code, message);
}

void require_object(const json& j, const std::string& what) {
  if (!j.is_object()) bad("wrong_type", what + " must be a JSON object");
}

// Rejects fields outside `allowed`, so that a misspelt field is an error, not a silent default.
void check_fields(const json& j, const std::string& what,
                  std::initializer_list<const char*> allowed) {
  require_object(j, what);
  std::set<std::string> ok(allowed.begin(), allowed.end());
  for (const auto& [k, v] : j.items())
    if (!ok.contains(k)) bad("unknown_field", "unknown field '" + k + "' in " + what);
}

const json& field(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end()) bad("missing_field", std::string("missing field '") + name + "'");
  return *it;
}

std::string string_field(const json& j, const char* name) {
  const json& v = field(j, name);
  if (!v.is_string()) bad("wrong_type", std::string("field '") + name + "' must be a string");
  return v.get<std::string>();
}

uint64_t uint_field(const json& j, const char* name, uint64_t max) {
  const json& v = field(j, name);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
    bad("wrong_type", std::string("field '") + name + "' must be a non-negative integer");
  uint64_t u = v.get<uint64_t>();
  if (u > max)
    bad("out_of_range", std::string("field '") + name + "' exceeds " + std::to_string(max));
  return u;
}

bool bool_field(const json& j, const char* name) {
  const json& v = field(j, name);
  if (!v.is_boolean()) bad("wrong_type", std::string("field '") + name + "' must be true or false");
  return v.get<bool>();
}

template <typename Fixed>
Fixed hex_field(const json& j, const char* name) {
  std::string s = string_field(j, name);
  auto v = Fixed::from_hex_text(s);
  if (!v.ok()) bad("invalid_hex", std::string("field '") + name + "': " + v.status().message());
  return *v;
}

AssetCode code_field(const json& j, const char* name) {
  auto c = AssetCode::parse(string_field(j, name));
  if (!c.ok())
    bad("invalid_asset_code", std::string("field '") + name + "': " + c.status().message());
  return *c;
}

Amount amount_field(const json& j, const char* name, const AssetId& asset,
                    const std::optional<uint8_t>& scale) {
  const json& v = field(j, name);
  if (!v.is_string())
    bad("wrong_type", std::string("field '") + name +
                          "' must be a decimal string such as \"250.00\", not a JSON number");
  if (!scale) bad("unknown_asset", "asset " + asset.to_string() + " does not exist");
  auto a = parse_amount(v.get<std::string>(), *scale);
  if (!a.ok()) bad("invalid_amount", std::string("field '") + name + "': " + a.status().message());
  if (*a == 0) bad("invalid_amount", std::string("field '") + name + "' must be positive");
  return *a;
}

const std::map<std::string, uint8_t>& asset_flag_names() {
  static const std::map<std::string, uint8_t> names = {
      {"authorization_required", asset_flag_authorization_required},
      {"freezable", asset_flag_freezable},
      {"clawback_enabled", asset_flag_clawback_enabled},
  };
  return names;
}

json flags_to_json(uint8_t flags) {
  json out = json::array();
  for (const auto& [name, bit] : asset_flag_names())
    if (flags & bit) out.push_back(name);
  return out;
}

std::string amount_text(Amount a, const std::optional<uint8_t>& scale) {
  return format_amount(a, scale.value_or(0));
}

// --- FX: prices and paths ----------------------------------------------------------------------

// A price is either {"n": N, "d": D}, exact in minor units (buying per selling), or a decimal or
// fraction string in major units ("1.0850", "217/200"), scaled with the assets' scales.
Price price_field(const json& j, const char* name, const AssetId& selling, const AssetId& buying,
                  const std::function<std::optional<uint8_t>(const AssetId&)>& scale_of) {
  const json& v = field(j, name);
  if (v.is_object()) {
    check_fields(v, std::string("field '") + name + "'", {"n", "d"});
    auto component = [&](const char* c) {
      const json& x = field(v, c);
      if (!x.is_number_integer())
        bad("wrong_type", std::string("price component '") + c + "' must be an integer");
      return x.get<int64_t>();
    };
    return Price{component("n"), component("d")};
  }
  if (!v.is_string())
    bad("wrong_type", std::string("field '") + name +
                          "' must be a decimal or fraction string, or an object {n, d}");
  auto s_scale = scale_of(selling);
  auto b_scale = scale_of(buying);
  if (!s_scale) bad("unknown_asset", "asset " + selling.to_string() + " does not exist");
  if (!b_scale) bad("unknown_asset", "asset " + buying.to_string() + " does not exist");
  PriceParse p = parse_price(v.get<std::string>());
  if (p.error == PriceError::ok) p = scale_price(p.price, *s_scale, *b_scale);
  switch (p.error) {
    case PriceError::ok:
      return p.price;
    case PriceError::overflow:
      bad("price_overflow", std::string("field '") + name + "' does not fit int64 minor units");
    case PriceError::over_precise:
      bad("price_over_precise", std::string("field '") + name + "' has more than " +
                                    std::to_string(price_fraction_digits_max) +
                                    " fractional digits");
    default:
      bad("invalid_price", std::string("field '") + name +
                               "': " + std::string(price_error_name(p.error)) +
                               " (a positive decimal such as \"1.0850\" or a fraction such as "
                               "\"217/200\")");
  }
  bad("invalid_price", std::string("field '") + name + "' is not a valid price");
}

std::vector<AssetId> path_field(const json& j, const char* name) {
  if (!j.contains(name)) return {};
  const json& v = j[name];
  if (!v.is_array()) bad("wrong_type", std::string("field '") + name + "' must be an array");
  if (v.size() > path_intermediate_assets_max)
    bad("path_too_long", "a path names at most " + std::to_string(path_intermediate_assets_max) +
                             " intermediate assets");
  std::vector<AssetId> out;
  for (const json& a : v) {
    if (!a.is_string()) bad("wrong_type", "path assets are CODE:ISSUER strings");
    auto id = AssetId::parse(a.get<std::string>());
    if (!id.ok())
      bad("invalid_asset", std::string("field '") + name + "': " + id.status().message());
    out.push_back(*id);
  }
  return out;
}

json price_to_json(const Price& p) {
  return {{"n", p.n}, {"d", p.d}};
}

json path_to_json(const std::vector<AssetId>& path) {
  json out = json::array();
  for (const auto& a : path) out.push_back(a.to_string());
  return out;
}

}  // namespace

AccountId account_id_field(const json& j, const char* name) {
  return hex_field<AccountId>(j, name);
}

AssetId asset_id_field(const json& j, const char* name) {
  auto a = AssetId::parse(string_field(j, name));
  if (!a.ok()) bad("invalid_asset", std::string("field '") + name + "': " + a.status().message());
  return *a;
}

Transaction transaction_from_json(const json& j, const Hash256& network_id,
                                  const ScaleLookup& scales) {
  check_fields(j, "transaction", {"source", "nonce", "valid_until_height", "operations"});
  Transaction tx;
  tx.network_id = network_id;
  tx.source = account_id_field(j, "source");
  tx.nonce = uint_field(j, "nonce", UINT64_MAX);
  tx.valid_until_height = uint_field(j, "valid_until_height", UINT64_MAX);
  const json& ops = field(j, "operations");
  if (!ops.is_array()) bad("wrong_type", "field 'operations' must be an array");
  if (ops.empty()) bad("no_operations", "a transaction needs at least one operation");
  if (ops.size() > tx_ops_max)
    bad("too_many_operations", std::to_string(ops.size()) + " operations exceed the limit of " +
                                   std::to_string(tx_ops_max));
  // Assets created earlier in this transaction count as known for later operations.
  std::map<AssetId, uint8_t> created;
  auto scale_of = [&](const AssetId& a) -> std::optional<uint8_t> {
    if (auto it = created.find(a); it != created.end()) return it->second;
    return scales(a);
  };
  tx.ops.reserve(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    const json& o = ops[i];
    std::string where = "operations[" + std::to_string(i) + "]";
    require_object(o, where);
    std::string type = string_field(o, "type");
    try {
      if (type == "create_account") {
        check_fields(o, where, {"type", "public_key"});
        tx.ops.push_back(CreateAccountOp{hex_field<PublicKey>(o, "public_key")});
      } else if (type == "set_signers") {
        check_fields(o, where, {"type", "signers", "threshold"});
        SetSignersOp op;
        const json& list = field(o, "signers");
        if (!list.is_array()) bad("wrong_type", "field 'signers' must be an array");
        if (list.empty() || list.size() > signers_max)
          bad("invalid_signers",
              "a signer list has 1 to " + std::to_string(signers_max) + " entries");
        for (const json& s : list) {
          check_fields(s, "signer", {"public_key", "weight"});
          op.signers.push_back({hex_field<PublicKey>(s, "public_key"),
                                static_cast<uint16_t>(uint_field(s, "weight", UINT16_MAX))});
        }
        op.threshold = static_cast<uint16_t>(uint_field(o, "threshold", UINT16_MAX));
        tx.ops.push_back(std::move(op));
      } else if (type == "create_asset") {
        check_fields(o, where, {"type", "code", "scale", "flags"});
        CreateAssetOp op;
        op.code = code_field(o, "code");
        op.scale = static_cast<uint8_t>(uint_field(o, "scale", asset_scale_max));
        if (o.contains("flags")) {
          const json& flags = o["flags"];
          if (!flags.is_array()) bad("wrong_type", "field 'flags' must be an array of names");
          for (const json& f : flags) {
            if (!f.is_string()) bad("wrong_type", "asset flags are strings");
            auto it = asset_flag_names().find(f.get<std::string>());
            if (it == asset_flag_names().end())
              bad("invalid_flag", "unknown asset flag '" + f.get<std::string>() + "'");
            op.flags |= it->second;
          }
        }
        created[AssetId{op.code, tx.source}] = op.scale;
        tx.ops.push_back(op);
      } else if (type == "open_holding") {
        check_fields(o, where, {"type", "asset", "limit"});
        OpenHoldingOp op;
        op.asset = asset_id_field(o, "asset");
        op.limit = amount_field(o, "limit", op.asset, scale_of(op.asset));
        tx.ops.push_back(op);
      } else if (type == "authorize_holding") {
        check_fields(o, where, {"type", "holder", "code", "authorized"});
        tx.ops.push_back(AuthorizeHoldingOp{account_id_field(o, "holder"), code_field(o, "code"),
                                            bool_field(o, "authorized")});
      } else if (type == "freeze_holding") {
        check_fields(o, where, {"type", "holder", "code", "frozen"});
        tx.ops.push_back(FreezeHoldingOp{account_id_field(o, "holder"), code_field(o, "code"),
                                         bool_field(o, "frozen")});
      } else if (type == "issue") {
        check_fields(o, where, {"type", "to", "code", "amount"});
        IssueOp op;
        op.to = account_id_field(o, "to");
        op.code = code_field(o, "code");
        AssetId asset{op.code, tx.source};
        op.amount = amount_field(o, "amount", asset, scale_of(asset));
        tx.ops.push_back(op);
      } else if (type == "redeem") {
        check_fields(o, where, {"type", "asset", "amount"});
        RedeemOp op;
        op.asset = asset_id_field(o, "asset");
        op.amount = amount_field(o, "amount", op.asset, scale_of(op.asset));
        tx.ops.push_back(op);
      } else if (type == "transfer") {
        check_fields(o, where, {"type", "to", "asset", "amount"});
        TransferOp op;
        op.to = account_id_field(o, "to");
        op.asset = asset_id_field(o, "asset");
        op.amount = amount_field(o, "amount", op.asset, scale_of(op.asset));
        tx.ops.push_back(op);
      } else if (type == "clawback") {
        check_fields(o, where, {"type", "from", "code", "amount"});
        ClawbackOp op;
        op.from = account_id_field(o, "from");
        op.code = code_field(o, "code");
        AssetId asset{op.code, tx.source};
        op.amount = amount_field(o, "amount", asset, scale_of(asset));
        tx.ops.push_back(op);
      } else if (type == "set_validators") {
        check_fields(o, where, {"type", "epoch", "validators", "approvals"});
        SetValidatorsOp op;
        op.epoch = uint_field(o, "epoch", UINT64_MAX);
        const json& keys = field(o, "validators");
        if (!keys.is_array()) bad("wrong_type", "field 'validators' must be an array");
        if (keys.empty() || keys.size() > validators_max)
          bad("invalid_validators",
              "a validator set has 1 to " + std::to_string(validators_max) + " keys");
        for (const json& k : keys) {
          if (!k.is_string()) bad("wrong_type", "validator keys are hex strings");
          auto key = PublicKey::from_hex_text(k.get<std::string>());
          if (!key.ok())
            bad("invalid_hex", "field 'validators': " + std::string(key.status().message()));
          op.validators.push_back(*key);
        }
        if (o.contains("approvals")) {
          const json& list = o["approvals"];
          if (!list.is_array()) bad("wrong_type", "field 'approvals' must be an array");
          if (list.size() > validators_max)
            bad("invalid_validators", "more approvals than validators_max");
          for (const json& a : list) {
            check_fields(a, "approval", {"public_key", "signature"});
            op.approvals.push_back(
                {hex_field<PublicKey>(a, "public_key"), hex_field<Signature>(a, "signature")});
          }
        }
        tx.ops.push_back(std::move(op));
      } else if (type == "queue_transfer") {
        check_fields(o, where, {"type", "to", "asset", "amount", "band", "last_height"});
        QueueTransferOp op;
        op.to = account_id_field(o, "to");
        op.asset = asset_id_field(o, "asset");
        op.amount = amount_field(o, "amount", op.asset, scale_of(op.asset));
        const std::string band = o.contains("band") ? string_field(o, "band") : "normal";
        if (band == "urgent") {
          op.band = queue_band_urgent;
        } else if (band == "normal") {
          op.band = queue_band_normal;
        } else {
          bad("invalid_band", "field 'band' is \"urgent\" or \"normal\"");
        }
        op.last_height = uint_field(o, "last_height", UINT64_MAX);
        tx.ops.push_back(op);
      } else if (type == "cancel_queued") {
        check_fields(o, where, {"type", "seq"});
        tx.ops.push_back(CancelQueuedOp{uint_field(o, "seq", UINT64_MAX)});
      } else if (type == "create_escrow") {
        check_fields(o, where,
                     {"type", "beneficiary", "asset", "amount", "hash", "approver",
                      "release_height", "cancel_height"});
        CreateEscrowOp op;
        op.beneficiary = account_id_field(o, "beneficiary");
        op.asset = asset_id_field(o, "asset");
        op.amount = amount_field(o, "amount", op.asset, scale_of(op.asset));
        if (o.contains("hash")) {
          op.conditions |= escrow_on_preimage;
          op.hash = hex_field<Hash256>(o, "hash");
        }
        if (o.contains("approver")) {
          op.conditions |= escrow_on_approver;
          op.approver = account_id_field(o, "approver");
        }
        if (o.contains("release_height")) {
          op.conditions |= escrow_after_height;
          op.release_height = uint_field(o, "release_height", UINT64_MAX);
        }
        if (o.contains("cancel_height")) {
          op.conditions |= escrow_cancel_after;
          op.cancel_height = uint_field(o, "cancel_height", UINT64_MAX);
        }
        tx.ops.push_back(op);
      } else if (type == "finish_escrow") {
        check_fields(o, where, {"type", "id", "preimage"});
        FinishEscrowOp op;
        op.id = uint_field(o, "id", UINT64_MAX);
        if (o.contains("preimage")) {
          auto bytes = from_hex(string_field(o, "preimage"));
          if (!bytes.ok())
            bad("invalid_hex", "field 'preimage': " + std::string(bytes.status().message()));
          if (bytes->size() > escrow_preimage_bytes_max)
            bad("preimage_too_long",
                "a preimage has at most " + std::to_string(escrow_preimage_bytes_max) + " bytes");
          op.preimage = std::move(bytes).value();
        }
        tx.ops.push_back(std::move(op));
      } else if (type == "cancel_escrow") {
        check_fields(o, where, {"type", "id"});
        tx.ops.push_back(CancelEscrowOp{uint_field(o, "id", UINT64_MAX)});
        // --- FX operations -------------------------------------------------------------------
      } else if (type == "place_offer") {
        check_fields(o, where, {"type", "selling", "buying", "amount", "price"});
        PlaceOfferOp op;
        op.selling = asset_id_field(o, "selling");
        op.buying = asset_id_field(o, "buying");
        op.amount = amount_field(o, "amount", op.selling, scale_of(op.selling));
        op.price = price_field(o, "price", op.selling, op.buying, scale_of);
        tx.ops.push_back(op);
      } else if (type == "cancel_offer") {
        check_fields(o, where, {"type", "offer_id"});
        tx.ops.push_back(CancelOfferOp{uint_field(o, "offer_id", UINT64_MAX)});
      } else if (type == "replace_offer") {
        // The offer's assets give the scales of the amount and the price; they are not part of
        // the operation, whose offer keeps its assets.
        check_fields(o, where, {"type", "offer_id", "selling", "buying", "amount", "price"});
        ReplaceOfferOp op;
        op.offer_id = uint_field(o, "offer_id", UINT64_MAX);
        AssetId selling = asset_id_field(o, "selling");
        AssetId buying = asset_id_field(o, "buying");
        op.amount = amount_field(o, "amount", selling, scale_of(selling));
        op.price = price_field(o, "price", selling, buying, scale_of);
        tx.ops.push_back(op);
      } else if (type == "path_payment_send") {
        check_fields(
            o, where,
            {"type", "destination", "send_asset", "send_amount", "dest_asset", "dest_min", "path"});
        PathPaymentSendOp op;
        op.destination = account_id_field(o, "destination");
        op.send_asset = asset_id_field(o, "send_asset");
        op.send_amount = amount_field(o, "send_amount", op.send_asset, scale_of(op.send_asset));
        op.dest_asset = asset_id_field(o, "dest_asset");
        op.dest_min = amount_field(o, "dest_min", op.dest_asset, scale_of(op.dest_asset));
        op.path = path_field(o, "path");
        tx.ops.push_back(std::move(op));
      } else if (type == "path_payment_receive") {
        check_fields(
            o, where,
            {"type", "destination", "send_asset", "send_max", "dest_asset", "dest_amount", "path"});
        PathPaymentReceiveOp op;
        op.destination = account_id_field(o, "destination");
        op.send_asset = asset_id_field(o, "send_asset");
        op.send_max = amount_field(o, "send_max", op.send_asset, scale_of(op.send_asset));
        op.dest_asset = asset_id_field(o, "dest_asset");
        op.dest_amount = amount_field(o, "dest_amount", op.dest_asset, scale_of(op.dest_asset));
        op.path = path_field(o, "path");
        tx.ops.push_back(std::move(op));
        // --- end FX --------------------------------------------------------------------------
      } else {
        bad("unknown_operation", "unknown operation type '" + type + "'");
      }
    } catch (const ApiError& e) {
      throw ApiError(e.http_status(), e.code(), where + ": " + e.what());
    }
  }
  tx.compute_id();
  return tx;
}

std::vector<TxSignature> signatures_from_json(const json& j) {
  if (!j.is_array()) bad("wrong_type", "field 'signatures' must be an array");
  if (j.empty() || j.size() > tx_signatures_max)
    bad("invalid_signatures",
        "a transaction carries 1 to " + std::to_string(tx_signatures_max) + " signatures");
  std::vector<TxSignature> out;
  for (const json& s : j) {
    check_fields(s, "signature", {"public_key", "signature"});
    out.push_back({hex_field<PublicKey>(s, "public_key"), hex_field<Signature>(s, "signature")});
  }
  return out;
}

namespace {

struct OpToJson {
  const ScaleLookup& scales;
  const AccountId& source;
  json operator()(const CreateAccountOp& op) const {
    return {{"type", "create_account"}, {"public_key", op.public_key.hex()}};
  }
  json operator()(const SetSignersOp& op) const {
    json list = json::array();
    for (const auto& s : op.signers)
      list.push_back({{"public_key", s.key.hex()}, {"weight", s.weight}});
    return {{"type", "set_signers"}, {"signers", list}, {"threshold", op.threshold}};
  }
  json operator()(const CreateAssetOp& op) const {
    return {{"type", "create_asset"},
            {"code", std::string(op.code.str())},
            {"scale", op.scale},
            {"flags", flags_to_json(op.flags)}};
  }
  json operator()(const OpenHoldingOp& op) const {
    return {{"type", "open_holding"},
            {"asset", op.asset.to_string()},
            {"limit", amount_text(op.limit, scales(op.asset))}};
  }
  json operator()(const AuthorizeHoldingOp& op) const {
    return {{"type", "authorize_holding"},
            {"holder", op.holder.hex()},
            {"code", std::string(op.code.str())},
            {"authorized", op.authorized}};
  }
  json operator()(const FreezeHoldingOp& op) const {
    return {{"type", "freeze_holding"},
            {"holder", op.holder.hex()},
            {"code", std::string(op.code.str())},
            {"frozen", op.frozen}};
  }
  json operator()(const IssueOp& op) const {
    return {{"type", "issue"},
            {"to", op.to.hex()},
            {"code", std::string(op.code.str())},
            {"amount", amount_text(op.amount, scales(AssetId{op.code, source}))}};
  }
  json operator()(const RedeemOp& op) const {
    return {{"type", "redeem"},
            {"asset", op.asset.to_string()},
            {"amount", amount_text(op.amount, scales(op.asset))}};
  }
  json operator()(const TransferOp& op) const {
    return {{"type", "transfer"},
            {"to", op.to.hex()},
            {"asset", op.asset.to_string()},
            {"amount", amount_text(op.amount, scales(op.asset))}};
  }
  json operator()(const ClawbackOp& op) const {
    return {{"type", "clawback"},
            {"from", op.from.hex()},
            {"code", std::string(op.code.str())},
            {"amount", amount_text(op.amount, scales(AssetId{op.code, source}))}};
  }
  json operator()(const SetValidatorsOp& op) const {
    json keys = json::array();
    for (const auto& k : op.validators) keys.push_back(k.hex());
    json approvals = json::array();
    for (const auto& a : op.approvals)
      approvals.push_back({{"public_key", a.key.hex()}, {"signature", a.signature.hex()}});
    return {{"type", "set_validators"},
            {"epoch", op.epoch},
            {"validators", keys},
            {"approvals", approvals}};
  }
  json operator()(const QueueTransferOp& op) const {
    return {{"type", "queue_transfer"},
            {"to", op.to.hex()},
            {"asset", op.asset.to_string()},
            {"amount", amount_text(op.amount, scales(op.asset))},
            {"band", op.band == queue_band_urgent ? "urgent" : "normal"},
            {"last_height", op.last_height}};
  }
  json operator()(const CancelQueuedOp& op) const {
    return {{"type", "cancel_queued"}, {"seq", op.seq}};
  }
  json operator()(const CreateEscrowOp& op) const {
    json j = {{"type", "create_escrow"},
              {"beneficiary", op.beneficiary.hex()},
              {"asset", op.asset.to_string()},
              {"amount", amount_text(op.amount, scales(op.asset))}};
    if (op.conditions & escrow_on_preimage) j["hash"] = op.hash.hex();
    if (op.conditions & escrow_on_approver) j["approver"] = op.approver.hex();
    if (op.conditions & escrow_after_height) j["release_height"] = op.release_height;
    if (op.conditions & escrow_cancel_after) j["cancel_height"] = op.cancel_height;
    return j;
  }
  json operator()(const FinishEscrowOp& op) const {
    json j = {{"type", "finish_escrow"}, {"id", op.id}};
    if (!op.preimage.empty()) j["preimage"] = to_hex(op.preimage);
    return j;
  }
  json operator()(const CancelEscrowOp& op) const {
    return {{"type", "cancel_escrow"}, {"id", op.id}};
  }
  // --- FX operations: prices exact in minor units ({n, d}) -------------------------------------
  json operator()(const PlaceOfferOp& op) const {
    return {{"type", "place_offer"},
            {"selling", op.selling.to_string()},
            {"buying", op.buying.to_string()},
            {"amount", amount_text(op.amount, scales(op.selling))},
            {"price", price_to_json(op.price)}};
  }
  json operator()(const CancelOfferOp& op) const {
    return {{"type", "cancel_offer"}, {"offer_id", op.offer_id}};
  }
  json operator()(const ReplaceOfferOp& op) const {
    // The operation does not name the offer's assets, so the amount is in minor units.
    return {{"type", "replace_offer"},
            {"offer_id", op.offer_id},
            {"amount_minor", op.amount},
            {"price", price_to_json(op.price)}};
  }
  json operator()(const PathPaymentSendOp& op) const {
    return {{"type", "path_payment_send"},
            {"destination", op.destination.hex()},
            {"send_asset", op.send_asset.to_string()},
            {"send_amount", amount_text(op.send_amount, scales(op.send_asset))},
            {"dest_asset", op.dest_asset.to_string()},
            {"dest_min", amount_text(op.dest_min, scales(op.dest_asset))},
            {"path", path_to_json(op.path)}};
  }
  json operator()(const PathPaymentReceiveOp& op) const {
    return {{"type", "path_payment_receive"},
            {"destination", op.destination.hex()},
            {"send_asset", op.send_asset.to_string()},
            {"send_max", amount_text(op.send_max, scales(op.send_asset))},
            {"dest_asset", op.dest_asset.to_string()},
            {"dest_amount", amount_text(op.dest_amount, scales(op.dest_asset))},
            {"path", path_to_json(op.path)}};
  }
};

}  // namespace

json transaction_to_json(const Transaction& tx, const ScaleLookup& scales) {
  json ops = json::array();
  OpToJson conv{scales, tx.source};
  for (const auto& op : tx.ops) ops.push_back(std::visit(conv, op));
  json sigs = json::array();
  for (const auto& s : tx.signatures)
    sigs.push_back({{"public_key", s.key.hex()}, {"signature", s.signature.hex()}});
  return {{"id", tx.id.hex()},
          {"network_id", tx.network_id.hex()},
          {"source", tx.source.hex()},
          {"nonce", tx.nonce},
          {"valid_until_height", tx.valid_until_height},
          {"operations", ops},
          {"signatures", sigs}};
}

json outcome_to_json(const TxOutcome& outcome, size_t op_count) {
  json ops = json::array();
  // Large batches report per-operation codes compactly: every operation shares the
  // transaction's fate except the one that failed.
  for (size_t i = 0; i < op_count; ++i)
    ops.push_back(std::string(result_code_name(outcome.op_result(static_cast<uint32_t>(i)))));
  json j = {{"code", std::string(result_code_name(outcome.code))},
            {"code_number", static_cast<int>(outcome.code)},
            {"message", std::string(result_code_description(outcome.code))},
            {"operations", ops}};
  if (outcome.op_code != ResultCode::ok) {
    j["failed_operation"] = {{"index", outcome.op_index},
                             {"code", std::string(result_code_name(outcome.op_code))},
                             {"code_number", static_cast<int>(outcome.op_code)},
                             {"message", std::string(result_code_description(outcome.op_code))}};
  }
  return j;
}

json asset_to_json(const AssetEntry& a) {
  return {{"asset", a.id.to_string()},       {"code", std::string(a.id.code.str())},
          {"issuer", a.id.issuer.hex()},     {"scale", a.scale},
          {"flags", flags_to_json(a.flags)}, {"supply", format_amount(a.supply, a.scale)},
          {"supply_minor", a.supply}};
}

json holding_to_json(const AssetId& asset, const HoldingEntry& h, uint8_t scale) {
  return {{"asset", asset.to_string()},   {"balance", format_amount(h.balance, scale)},
          {"balance_minor", h.balance},   {"limit", format_amount(h.limit, scale)},
          {"authorized", h.authorized()}, {"frozen", h.frozen()}};
}

json offer_to_json(const OfferEntry& o, uint8_t selling_scale) {
  return {{"id", o.id},
          {"owner", o.owner.hex()},
          {"selling", o.selling.to_string()},
          {"buying", o.buying.to_string()},
          {"amount", format_amount(o.amount, selling_scale)},
          {"amount_minor", o.amount},
          {"price", price_to_json(o.price)}};
}

json account_to_json(const AccountEntry& a) {
  json signers = json::array();
  for (const auto& s : a.signers)
    signers.push_back({{"public_key", s.key.hex()}, {"weight", s.weight}});
  return {{"id", a.id.hex()}, {"signers", signers}, {"threshold", a.threshold}};
}

json queued_payment_to_json(const QueuedPaymentEntry& q, uint8_t scale) {
  return {{"seq", q.seq},
          {"payer", q.payer.hex()},
          {"payee", q.payee.hex()},
          {"asset", q.asset.to_string()},
          {"amount", format_amount(q.amount, scale)},
          {"band", q.band == queue_band_urgent ? "urgent" : "normal"},
          {"last_height", q.last_height},
          {"queued_height", q.queued_height},
          {"transaction", q.tx_id.hex()},
          {"operation", q.op_index}};
}

json escrow_to_json(const EscrowEntry& e, uint8_t scale) {
  json j = {{"id", e.id},
            {"payer", e.payer.hex()},
            {"beneficiary", e.beneficiary.hex()},
            {"asset", e.asset.to_string()},
            {"amount", format_amount(e.amount, scale)}};
  if (e.conditions & escrow_on_preimage) j["hash"] = e.hash.hex();
  if (e.conditions & escrow_on_approver) j["approver"] = e.approver.hex();
  if (e.conditions & escrow_after_height) j["release_height"] = e.release_height;
  if (e.conditions & escrow_cancel_after) j["cancel_height"] = e.cancel_height;
  return j;
}

json queue_events_to_json(const std::vector<QueueEvent>& events) {
  static constexpr const char* names[] = {"queued", "settled", "expired", "cancelled"};
  json out = json::array();
  for (const auto& e : events)
    out.push_back({{"event", names[static_cast<size_t>(e.kind)]},
                   {"seq", e.seq},
                   {"transaction", e.tx_id.hex()},
                   {"operation", e.op_index}});
  return out;
}

}  // namespace corridor::api
