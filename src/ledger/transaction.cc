#include "ledger/transaction.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "base/encoding.h"
#include "ledger/limits.h"

namespace corridor::ledger {

std::string_view op_type_name(OpType type) {
  switch (type) {
    case OpType::create_account:
      return "create_account";
    case OpType::set_signers:
      return "set_signers";
    case OpType::create_asset:
      return "create_asset";
    case OpType::open_holding:
      return "open_holding";
    case OpType::authorize_holding:
      return "authorize_holding";
    case OpType::freeze_holding:
      return "freeze_holding";
    case OpType::issue:
      return "issue";
    case OpType::redeem:
      return "redeem";
    case OpType::transfer:
      return "transfer";
    case OpType::clawback:
      return "clawback";
    case OpType::set_validators:
      return "set_validators";
    case OpType::queue_transfer:
      return "queue_transfer";
    case OpType::cancel_queued:
      return "cancel_queued";
    case OpType::create_escrow:
      return "create_escrow";
    case OpType::finish_escrow:
      return "finish_escrow";
    case OpType::cancel_escrow:
      return "cancel_escrow";
    case OpType::place_offer:
      return "place_offer";
    case OpType::cancel_offer:
      return "cancel_offer";
    case OpType::replace_offer:
      return "replace_offer";
    case OpType::path_payment_send:
      return "path_payment_send";
    case OpType::path_payment_receive:
      return "path_payment_receive";
  }
  return "unknown";
}

namespace {

constexpr std::string_view signing_domain = "corridor.tx.v1";
constexpr std::string_view validators_domain = "corridor.validators.v1";

// The smallest operation the decoder accepts is set_signers with no signers (type, count,
// threshold: 4 bytes; the stateless checks reject it later), and the smallest valid one is
// create_asset with a one-character code (5 bytes). An op_count larger than the remaining
// bytes could hold at 4 bytes each is rejected before any allocation.
constexpr size_t op_bytes_min = 1 + 1 + 2;

void put_code(Writer& w, const AssetCode& code) {
  w.short_string(code.str());
}
void put_asset(Writer& w, const AssetId& asset) {
  put_code(w, asset.code);
  w.fixed(asset.issuer);
}

struct OpEncoder {
  Writer& w;
  void operator()(const CreateAccountOp& op) const { w.fixed(op.public_key); }
  void operator()(const SetSignersOp& op) const {
    CORRIDOR_ASSERT(op.signers.size() <= 255);
    w.u8(static_cast<uint8_t>(op.signers.size()));
    for (const auto& s : op.signers) {
      w.fixed(s.key);
      w.u16(s.weight);
    }
    w.u16(op.threshold);
  }
  void operator()(const CreateAssetOp& op) const {
    put_code(w, op.code);
    w.u8(op.scale);
    w.u8(op.flags);
  }
  void operator()(const OpenHoldingOp& op) const {
    put_asset(w, op.asset);
    w.i64(op.limit);
  }
  void operator()(const AuthorizeHoldingOp& op) const {
    w.fixed(op.holder);
    put_code(w, op.code);
    w.u8(op.authorized ? 1 : 0);
  }
  void operator()(const FreezeHoldingOp& op) const {
    w.fixed(op.holder);
    put_code(w, op.code);
    w.u8(op.frozen ? 1 : 0);
  }
  void operator()(const IssueOp& op) const {
    w.fixed(op.to);
    put_code(w, op.code);
    w.i64(op.amount);
  }
  void operator()(const RedeemOp& op) const {
    put_asset(w, op.asset);
    w.i64(op.amount);
  }
  void operator()(const TransferOp& op) const {
    w.fixed(op.to);
    put_asset(w, op.asset);
    w.i64(op.amount);
  }
  void operator()(const ClawbackOp& op) const {
    w.fixed(op.from);
    put_code(w, op.code);
    w.i64(op.amount);
  }
  void operator()(const SetValidatorsOp& op) const {
    CORRIDOR_ASSERT(op.validators.size() <= UINT16_MAX && op.approvals.size() <= UINT16_MAX);
    w.u64(op.epoch);
    w.u16(static_cast<uint16_t>(op.validators.size()));
    for (const auto& k : op.validators) w.fixed(k);
    w.u16(static_cast<uint16_t>(op.approvals.size()));
    for (const auto& a : op.approvals) {
      w.fixed(a.key);
      w.fixed(a.signature);
    }
  }
  void operator()(const QueueTransferOp& op) const {
    w.fixed(op.to);
    put_asset(w, op.asset);
    w.i64(op.amount);
    w.u8(op.band);
    w.u64(op.last_height);
  }
  void operator()(const CancelQueuedOp& op) const { w.u64(op.seq); }
  void operator()(const CreateEscrowOp& op) const {
    w.fixed(op.beneficiary);
    put_asset(w, op.asset);
    w.i64(op.amount);
    w.u8(op.conditions);
    w.fixed(op.hash);
    w.fixed(op.approver);
    w.u64(op.release_height);
    w.u64(op.cancel_height);
  }
  void operator()(const FinishEscrowOp& op) const {
    w.u64(op.id);
    w.var_bytes(op.preimage);
  }
  void operator()(const CancelEscrowOp& op) const { w.u64(op.id); }
  // FX.
  void price(const Price& p) const {
    w.i64(p.n);
    w.i64(p.d);
  }
  void path(const std::vector<AssetId>& assets) const {
    CORRIDOR_ASSERT(assets.size() <= 255);
    w.u8(static_cast<uint8_t>(assets.size()));
    for (const auto& a : assets) put_asset(w, a);
  }
  void operator()(const PlaceOfferOp& op) const {
    put_asset(w, op.selling);
    put_asset(w, op.buying);
    w.i64(op.amount);
    price(op.price);
  }
  void operator()(const CancelOfferOp& op) const { w.u64(op.offer_id); }
  void operator()(const ReplaceOfferOp& op) const {
    w.u64(op.offer_id);
    w.i64(op.amount);
    price(op.price);
  }
  void operator()(const PathPaymentSendOp& op) const {
    w.fixed(op.destination);
    put_asset(w, op.send_asset);
    w.i64(op.send_amount);
    put_asset(w, op.dest_asset);
    w.i64(op.dest_min);
    path(op.path);
  }
  void operator()(const PathPaymentReceiveOp& op) const {
    w.fixed(op.destination);
    put_asset(w, op.send_asset);
    w.i64(op.send_max);
    put_asset(w, op.dest_asset);
    w.i64(op.dest_amount);
    path(op.path);
  }
};

bool get_code(Reader& r, AssetCode& code) {
  // Read in place: every transfer carries a code, and a decoded envelope may hold thousands.
  uint8_t len = 0;
  ByteView bytes;
  if (!r.u8(len) || !r.raw(len, bytes)) return false;
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (auto parsed = AssetCode::from_text(text)) {
    code = *parsed;
    return true;
  }
  return r.fail(AssetCode::parse(text).status().message());
}
bool get_asset(Reader& r, AssetId& asset) {
  return get_code(r, asset.code) && r.fixed(asset.issuer);
}
bool get_bool(Reader& r, bool& v) {
  uint8_t b;
  if (!r.u8(b)) return false;
  if (b > 1) return r.fail("boolean byte must be 0 or 1, got " + std::to_string(b));
  v = b == 1;
  return true;
}

// FX: a price is two i64; a path is a u8 count then that many assets. The count is bounded
// by the byte; check_stateless rejects more than path_intermediate_assets_max.
bool get_price(Reader& r, Price& p) {
  return r.i64(p.n) && r.i64(p.d);
}
bool get_path(Reader& r, std::vector<AssetId>& path) {
  uint8_t count = 0;
  if (!r.u8(count)) return false;
  path.resize(count);
  for (auto& a : path)
    if (!get_asset(r, a)) return false;
  return true;
}

bool decode_op(Reader& r, Operation& out) {
  uint8_t type;
  if (!r.u8(type)) return false;
  switch (static_cast<OpType>(type)) {
    case OpType::create_account: {
      CreateAccountOp op;
      if (!r.fixed(op.public_key)) return false;
      out = op;
      return true;
    }
    case OpType::set_signers: {
      SetSignersOp op;
      uint8_t count;
      if (!r.u8(count)) return false;
      if (count > signers_max)
        return r.fail("signer list of " + std::to_string(count) + " exceeds " +
                      std::to_string(signers_max));
      op.signers.resize(count);
      for (auto& s : op.signers)
        if (!r.fixed(s.key) || !r.u16(s.weight)) return false;
      if (!r.u16(op.threshold)) return false;
      out = std::move(op);
      return true;
    }
    case OpType::create_asset: {
      CreateAssetOp op;
      if (!get_code(r, op.code) || !r.u8(op.scale) || !r.u8(op.flags)) return false;
      out = op;
      return true;
    }
    case OpType::open_holding: {
      OpenHoldingOp op;
      if (!get_asset(r, op.asset) || !r.i64(op.limit)) return false;
      out = op;
      return true;
    }
    case OpType::authorize_holding: {
      AuthorizeHoldingOp op;
      if (!r.fixed(op.holder) || !get_code(r, op.code) || !get_bool(r, op.authorized)) return false;
      out = op;
      return true;
    }
    case OpType::freeze_holding: {
      FreezeHoldingOp op;
      if (!r.fixed(op.holder) || !get_code(r, op.code) || !get_bool(r, op.frozen)) return false;
      out = op;
      return true;
    }
    case OpType::issue: {
      IssueOp op;
      if (!r.fixed(op.to) || !get_code(r, op.code) || !r.i64(op.amount)) return false;
      out = op;
      return true;
    }
    case OpType::redeem: {
      RedeemOp op;
      if (!get_asset(r, op.asset) || !r.i64(op.amount)) return false;
      out = op;
      return true;
    }
    case OpType::transfer: {
      TransferOp op;
      if (!r.fixed(op.to) || !get_asset(r, op.asset) || !r.i64(op.amount)) return false;
      out = op;
      return true;
    }
    case OpType::clawback: {
      ClawbackOp op;
      if (!r.fixed(op.from) || !get_code(r, op.code) || !r.i64(op.amount)) return false;
      out = op;
      return true;
    }
    case OpType::set_validators: {
      SetValidatorsOp op;
      uint16_t count = 0;
      if (!r.u64(op.epoch) || !r.u16(count)) return false;
      if (count > validators_max)
        return r.fail(std::to_string(count) + " validators exceed the limit of " +
                      std::to_string(validators_max));
      op.validators.resize(count);
      for (auto& k : op.validators)
        if (!r.fixed(k)) return false;
      if (!r.u16(count)) return false;
      if (count > validators_max)
        return r.fail(std::to_string(count) + " approvals exceed the limit of " +
                      std::to_string(validators_max));
      op.approvals.resize(count);
      for (auto& a : op.approvals)
        if (!r.fixed(a.key) || !r.fixed(a.signature)) return false;
      out = std::move(op);
      return true;
    }
    case OpType::place_offer: {
      PlaceOfferOp op;
      if (!get_asset(r, op.selling) || !get_asset(r, op.buying) || !r.i64(op.amount) ||
          !get_price(r, op.price))
        return false;
      out = op;
      return true;
    }
    case OpType::cancel_offer: {
      CancelOfferOp op;
      if (!r.u64(op.offer_id)) return false;
      out = op;
      return true;
    }
    case OpType::replace_offer: {
      ReplaceOfferOp op;
      if (!r.u64(op.offer_id) || !r.i64(op.amount) || !get_price(r, op.price)) return false;
      out = op;
      return true;
    }
    case OpType::path_payment_send: {
      PathPaymentSendOp op;
      if (!r.fixed(op.destination) || !get_asset(r, op.send_asset) || !r.i64(op.send_amount) ||
          !get_asset(r, op.dest_asset) || !r.i64(op.dest_min) || !get_path(r, op.path))
        return false;
      out = std::move(op);
      return true;
    }
    case OpType::path_payment_receive: {
      PathPaymentReceiveOp op;
      if (!r.fixed(op.destination) || !get_asset(r, op.send_asset) || !r.i64(op.send_max) ||
          !get_asset(r, op.dest_asset) || !r.i64(op.dest_amount) || !get_path(r, op.path))
        return false;
      out = std::move(op);
      return true;
    }
    case OpType::queue_transfer: {
      QueueTransferOp op;
      if (!r.fixed(op.to) || !get_asset(r, op.asset) || !r.i64(op.amount) || !r.u8(op.band) ||
          !r.u64(op.last_height))
        return false;
      out = op;
      return true;
    }
    case OpType::cancel_queued: {
      CancelQueuedOp op;
      if (!r.u64(op.seq)) return false;
      out = op;
      return true;
    }
    case OpType::create_escrow: {
      CreateEscrowOp op;
      if (!r.fixed(op.beneficiary) || !get_asset(r, op.asset) || !r.i64(op.amount) ||
          !r.u8(op.conditions) || !r.fixed(op.hash) || !r.fixed(op.approver) ||
          !r.u64(op.release_height) || !r.u64(op.cancel_height))
        return false;
      out = op;
      return true;
    }
    case OpType::finish_escrow: {
      FinishEscrowOp op;
      ByteView preimage;
      if (!r.u64(op.id) || !r.var_bytes(preimage, escrow_preimage_bytes_max)) return false;
      op.preimage.assign(preimage.begin(), preimage.end());
      out = std::move(op);
      return true;
    }
    case OpType::cancel_escrow: {
      CancelEscrowOp op;
      if (!r.u64(op.id)) return false;
      out = op;
      return true;
    }
  }
  return r.fail("unknown operation type " + std::to_string(type));
}

}  // namespace

void encode_tx_body(const Transaction& tx, Bytes& out) {
  Writer w(out);
  w.u8(tx_version);
  w.fixed(tx.network_id);
  w.fixed(tx.source);
  w.u64(tx.nonce);
  w.u64(tx.valid_until_height);
  w.u32(static_cast<uint32_t>(tx.ops.size()));
  OpEncoder enc{w};
  for (const auto& op : tx.ops) {
    w.u8(static_cast<uint8_t>(op_type(op)));
    std::visit(enc, op);
  }
}

Bytes encode_transaction(const Transaction& tx) {
  Bytes out;
  out.reserve(64 + tx.ops.size() * 72 + tx.signatures.size() * 96);
  encode_tx_body(tx, out);
  Writer w(out);
  CORRIDOR_ASSERT(tx.signatures.size() <= 255);
  w.u8(static_cast<uint8_t>(tx.signatures.size()));
  for (const auto& s : tx.signatures) {
    w.fixed(s.key);
    w.fixed(s.signature);
  }
  return out;
}

void Transaction::compute_id() {
  Bytes body;
  body.reserve(64 + ops.size() * 72);
  encode_tx_body(*this, body);
  id = sha256(body);
}

Bytes validator_set_approval_message(const Hash256& network_id, uint64_t epoch,
                                     const std::vector<PublicKey>& validators) {
  Bytes msg(validators_domain.begin(), validators_domain.end());
  Writer w(msg);
  w.fixed(network_id);
  w.u64(epoch);
  CORRIDOR_ASSERT(validators.size() <= UINT16_MAX);
  w.u16(static_cast<uint16_t>(validators.size()));
  for (const auto& k : validators) w.fixed(k);
  return msg;
}

Bytes tx_signing_message(const Hash256& tx_id) {
  Bytes msg(signing_domain.size() + Hash256::size());
  std::memcpy(msg.data(), signing_domain.data(), signing_domain.size());
  std::memcpy(msg.data() + signing_domain.size(), tx_id.data(), Hash256::size());
  return msg;
}

void Transaction::sign(const KeyPair& key) {
  compute_id();
  signatures.push_back({key.public_key(), key.sign(tx_signing_message(id))});
}

Result<Transaction> decode_transaction(ByteView envelope) {
  if (envelope.size() > tx_bytes_max)
    return invalid_argument("transaction of " + std::to_string(envelope.size()) +
                            " bytes exceeds the limit of " + std::to_string(tx_bytes_max));
  Reader r(envelope);
  Transaction tx;
  uint8_t version;
  uint32_t op_count = 0;
  if (r.u8(version) && version != tx_version)
    r.fail("unsupported transaction version " + std::to_string(version));
  r.fixed(tx.network_id);
  r.fixed(tx.source);
  r.u64(tx.nonce);
  r.u64(tx.valid_until_height);
  if (r.u32(op_count)) {
    if (op_count > tx_ops_max)
      r.fail(std::to_string(op_count) + " operations exceed the limit of " +
             std::to_string(tx_ops_max));
    else if (op_count > r.remaining() / op_bytes_min)
      r.fail("operation count " + std::to_string(op_count) + " exceeds what the bytes can hold");
  }
  if (!r.ok()) return r.status("transaction");
  tx.ops.resize(op_count);
  for (uint32_t i = 0; i < op_count; ++i)
    if (!decode_op(r, tx.ops[i])) {
      r.fail("in operation " + std::to_string(i));
      return r.status("transaction");
    }
  size_t body_len = r.offset();
  uint8_t sig_count = 0;
  if (r.u8(sig_count) && sig_count > tx_signatures_max)
    r.fail(std::to_string(sig_count) + " signatures exceed the limit of " +
           std::to_string(tx_signatures_max));
  if (!r.ok()) return r.status("transaction");
  tx.signatures.resize(sig_count);
  for (auto& s : tx.signatures) r.fixed(s.key) && r.fixed(s.signature);
  CORRIDOR_RETURN_IF_ERROR(r.finish("transaction"));
  tx.id = sha256(envelope.first(body_len));
  return tx;
}

namespace {

struct OpCheck {
  ResultCode operator()(const CreateAccountOp&) const { return ResultCode::ok; }
  ResultCode operator()(const SetSignersOp& op) const {
    if (op.signers.empty() || op.signers.size() > signers_max || op.threshold == 0)
      return ResultCode::op_invalid_signers;
    uint32_t total = 0;
    for (size_t i = 0; i < op.signers.size(); ++i) {
      if (op.signers[i].weight == 0) return ResultCode::op_invalid_signers;
      for (size_t j = 0; j < i; ++j)
        if (op.signers[j].key == op.signers[i].key) return ResultCode::op_invalid_signers;
      total += op.signers[i].weight;
    }
    return total >= op.threshold ? ResultCode::ok : ResultCode::op_invalid_signers;
  }
  ResultCode operator()(const CreateAssetOp& op) const {
    if (op.scale > asset_scale_max) return ResultCode::op_invalid_scale;
    if ((op.flags & ~asset_flags_all) != 0) return ResultCode::op_invalid_flags;
    return ResultCode::ok;
  }
  ResultCode operator()(const OpenHoldingOp& op) const {
    return op.limit > 0 ? ResultCode::ok : ResultCode::op_invalid_limit;
  }
  ResultCode operator()(const AuthorizeHoldingOp&) const { return ResultCode::ok; }
  ResultCode operator()(const FreezeHoldingOp&) const { return ResultCode::ok; }
  ResultCode operator()(const IssueOp& op) const { return positive(op.amount); }
  ResultCode operator()(const RedeemOp& op) const { return positive(op.amount); }
  ResultCode operator()(const TransferOp& op) const { return positive(op.amount); }
  ResultCode operator()(const ClawbackOp& op) const { return positive(op.amount); }
  ResultCode operator()(const SetValidatorsOp& op) const {
    if (op.validators.empty() || op.validators.size() > validators_max ||
        op.approvals.size() > validators_max || has_duplicate(op.validators) ||
        has_duplicate(op.approvals))
      return ResultCode::op_invalid_validators;
    return ResultCode::ok;
  }
  ResultCode operator()(const QueueTransferOp& op) const {
    if (op.band > queue_band_normal) return ResultCode::op_invalid_band;
    return positive(op.amount);
  }
  ResultCode operator()(const CancelQueuedOp&) const { return ResultCode::ok; }
  ResultCode operator()(const CreateEscrowOp& op) const {
    if (op.amount <= 0) return ResultCode::op_invalid_amount;
    const uint8_t c = op.conditions;
    const bool valid = (c & ~escrow_conditions_all) == 0 &&
                       (c & (escrow_on_preimage | escrow_on_approver | escrow_after_height)) != 0 &&
                       ((c & escrow_on_preimage) != 0 || op.hash.is_zero()) &&
                       ((c & escrow_on_approver) != 0 || op.approver.is_zero()) &&
                       ((c & escrow_after_height) != 0 || op.release_height == 0) &&
                       ((c & escrow_cancel_after) != 0 || op.cancel_height == 0) &&
                       ((c & escrow_cancel_after) == 0 || (c & escrow_after_height) == 0 ||
                        op.cancel_height > op.release_height);
    return valid ? ResultCode::ok : ResultCode::op_invalid_escrow;
  }
  ResultCode operator()(const FinishEscrowOp&) const { return ResultCode::ok; }
  ResultCode operator()(const CancelEscrowOp&) const { return ResultCode::ok; }
  // FX: everything about prices, amounts and path shapes that needs no state.
  static ResultCode offer_terms(Amount amount, Price price) {
    if (amount <= 0) return ResultCode::op_invalid_amount;
    switch (check_offer_terms(amount, price)) {
      case PriceError::ok:
        return ResultCode::ok;
      case PriceError::overflow:
        return ResultCode::op_price_overflow;
      default:
        return ResultCode::op_invalid_price;
    }
  }
  static ResultCode path_shape(const AssetId& source, const AssetId& dest,
                               const std::vector<AssetId>& path) {
    if (path.size() > path_intermediate_assets_max) return ResultCode::op_path_too_long;
    std::vector<AssetId> all{source, dest};
    all.insert(all.end(), path.begin(), path.end());
    std::sort(all.begin(), all.end());
    if (std::adjacent_find(all.begin(), all.end()) != all.end()) return ResultCode::op_path_loop;
    return ResultCode::ok;
  }
  ResultCode operator()(const PlaceOfferOp& op) const {
    if (op.selling == op.buying) return ResultCode::op_offer_same_asset;
    return offer_terms(op.amount, op.price);
  }
  ResultCode operator()(const CancelOfferOp&) const { return ResultCode::ok; }
  ResultCode operator()(const ReplaceOfferOp& op) const { return offer_terms(op.amount, op.price); }
  ResultCode operator()(const PathPaymentSendOp& op) const {
    if (op.send_amount <= 0 || op.dest_min <= 0) return ResultCode::op_invalid_amount;
    return path_shape(op.send_asset, op.dest_asset, op.path);
  }
  ResultCode operator()(const PathPaymentReceiveOp& op) const {
    if (op.send_max <= 0 || op.dest_amount <= 0) return ResultCode::op_invalid_amount;
    return path_shape(op.send_asset, op.dest_asset, op.path);
  }
  template <typename T>
  static bool has_duplicate(const std::vector<T>& items) {
    // Sorting copies of the keys keeps the check O(n log n) for the 256 validators allowed.
    std::vector<PublicKey> keys;
    keys.reserve(items.size());
    for (const auto& item : items) {
      if constexpr (std::is_same_v<T, PublicKey>)
        keys.push_back(item);
      else
        keys.push_back(item.key);
    }
    std::sort(keys.begin(), keys.end());
    return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
  }
  static ResultCode positive(Amount a) {
    return a > 0 ? ResultCode::ok : ResultCode::op_invalid_amount;
  }
};

}  // namespace

StatelessCheck check_stateless(const Transaction& tx, const Hash256& network_id,
                               bool verify_signatures) {
  StatelessCheck out;
  if (tx.network_id != network_id) {
    out.code = ResultCode::tx_wrong_network;
    return out;
  }
  if (tx.ops.empty()) {
    out.code = ResultCode::tx_no_operations;
    return out;
  }
  if (tx.ops.size() > tx_ops_max) {
    out.code = ResultCode::tx_too_many_operations;
    return out;
  }
  if (tx.signatures.empty() || tx.signatures.size() > tx_signatures_max) {
    out.code = ResultCode::tx_malformed;
    return out;
  }
  OpCheck check;
  for (uint32_t i = 0; i < tx.ops.size(); ++i) {
    ResultCode c = std::visit(check, tx.ops[i]);
    if (c != ResultCode::ok) {
      out.code = ResultCode::tx_malformed;
      out.op_index = i;
      out.op_code = c;
      return out;
    }
    // A new account's transaction can carry nothing but its creation, because its signer
    // list does not exist until create_account has been applied.
    if (i > 0 && std::holds_alternative<CreateAccountOp>(tx.ops[i])) {
      out.code = ResultCode::tx_malformed;
      out.op_index = i;
      out.op_code = ResultCode::op_create_account_not_first;
      return out;
    }
  }
  if (std::holds_alternative<CreateAccountOp>(tx.ops[0]) && tx.ops.size() > 1) {
    out.code = ResultCode::tx_malformed;
    out.op_index = 0;
    out.op_code = ResultCode::op_create_account_not_first;
    return out;
  }
  // Governance stands alone, so that the validator-set change and the block that ends the
  // epoch are unambiguous to every reader of the chain.
  if (tx.ops.size() > 1)
    for (uint32_t i = 0; i < tx.ops.size(); ++i)
      if (std::holds_alternative<SetValidatorsOp>(tx.ops[i])) {
        out.code = ResultCode::tx_malformed;
        out.op_index = i;
        out.op_code = ResultCode::op_governance_not_alone;
        return out;
      }
  for (size_t i = 0; i < tx.signatures.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (tx.signatures[i].key == tx.signatures[j].key) {
        out.code = ResultCode::tx_malformed;
        return out;
      }
  if (verify_signatures) return check_signatures(tx, network_id);
  return out;
}

StatelessCheck check_signatures(const Transaction& tx, const Hash256& network_id) {
  StatelessCheck out;
  Bytes msg = tx_signing_message(tx.id);
  for (const auto& s : tx.signatures)
    if (!verify_signature(s.key, msg, s.signature)) {
      out.code = ResultCode::tx_bad_signature;
      return out;
    }
  if (tx.ops.empty()) return out;
  if (const auto* set = std::get_if<SetValidatorsOp>(&tx.ops.front())) {
    Bytes approval = validator_set_approval_message(network_id, set->epoch, set->validators);
    for (const auto& a : set->approvals)
      if (!verify_signature(a.key, approval, a.signature)) {
        out.code = ResultCode::tx_malformed;
        out.op_index = 0;
        out.op_code = ResultCode::op_invalid_approval;
        return out;
      }
  }
  return out;
}

}  // namespace corridor::ledger
