#include "ledger/entries.h"

#include <cstring>
#include <string_view>

#include "base/encoding.h"
#include "ledger/limits.h"

namespace corridor::ledger {

void encode_account_key(const AccountId& id, Bytes& out) {
  Writer w(out);
  w.u8(static_cast<uint8_t>(EntryKind::account));
  w.fixed(id);
}

void encode_asset_key(const AssetId& id, Bytes& out) {
  Writer w(out);
  w.u8(static_cast<uint8_t>(EntryKind::asset));
  w.fixed(id.issuer);
  w.short_string(id.code.str());
}

namespace {
// Appends `n` bytes to `out` in one step and returns where they start: the hottest encoders
// (a holding's key and value, for every changed holding of every block) size their output
// once and fill it, where the Writer grows it field by field (an allocation per growth).
uint8_t* append(Bytes& out, size_t n) {
  const size_t at = out.size();
  out.resize(at + n);
  return out.data() + at;
}
uint8_t* put_le64(uint8_t* p, uint64_t v) {
  for (size_t i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
  return p + 8;
}
}  // namespace

void encode_holding_key(const AccountId& holder, const AssetId& asset, Bytes& out) {
  // The same bytes as a Writer's u8(kind), fixed(holder), fixed(issuer), short_string(code).
  const std::string_view code = asset.code.str();
  static_assert(asset_code_len_max <= 255);
  uint8_t* p = append(out, 1 + AccountId::size() + AccountId::size() + 1 + code.size());
  *p++ = static_cast<uint8_t>(EntryKind::holding);
  std::memcpy(p, holder.data(), AccountId::size());
  p += AccountId::size();
  std::memcpy(p, asset.issuer.data(), AccountId::size());
  p += AccountId::size();
  *p++ = static_cast<uint8_t>(code.size());
  std::memcpy(p, code.data(), code.size());
}

void encode_account_value(const AccountEntry& a, Bytes& out) {
  Writer w(out);
  w.u8(static_cast<uint8_t>(a.signers.size()));
  for (const auto& s : a.signers) {
    w.fixed(s.key);
    w.u16(s.weight);
  }
  w.u16(a.threshold);
}

void encode_asset_value(const AssetEntry& a, Bytes& out) {
  Writer w(out);
  w.u8(a.scale);
  w.u8(a.flags);
  w.i64(a.supply);
}

void encode_holding_value(const HoldingEntry& h, Bytes& out) {
  // The same bytes as a Writer's i64(balance), i64(limit), u8(flags).
  uint8_t* p = append(out, 8 + 8 + 1);
  p = put_le64(p, static_cast<uint64_t>(h.balance));
  p = put_le64(p, static_cast<uint64_t>(h.limit));
  *p = h.flags;
}

void encode_validator_set_key(Bytes& out) {
  Writer w(out);
  w.u8(static_cast<uint8_t>(EntryKind::validator_set));
}

void encode_validator_set_value(const ValidatorSetEntry& v, Bytes& out) {
  Writer w(out);
  w.u64(v.epoch);
  CORRIDOR_ASSERT(v.validators.size() <= validators_max);
  w.u16(static_cast<uint16_t>(v.validators.size()));
  for (const auto& k : v.validators) w.fixed(k);
}

void encode_queued_payment_key(uint64_t seq, Bytes& out) {
  out.push_back(static_cast<uint8_t>(EntryKind::queued_payment));
  put_be64(out, seq);
}

void encode_queued_payment_value(const QueuedPaymentEntry& q, Bytes& out) {
  Writer w(out);
  w.fixed(q.payer);
  w.fixed(q.payee);
  w.fixed(q.asset.issuer);
  w.short_string(q.asset.code.str());
  w.i64(q.amount);
  w.u8(q.band);
  w.u64(q.last_height);
  w.u64(q.queued_height);
  w.fixed(q.tx_id);
  w.u32(q.op_index);
}

void encode_escrow_key(uint64_t id, Bytes& out) {
  out.push_back(static_cast<uint8_t>(EntryKind::escrow));
  put_be64(out, id);
}

void encode_escrow_value(const EscrowEntry& e, Bytes& out) {
  Writer w(out);
  w.fixed(e.payer);
  w.fixed(e.beneficiary);
  w.fixed(e.asset.issuer);
  w.short_string(e.asset.code.str());
  w.i64(e.amount);
  w.u8(e.conditions);
  w.fixed(e.hash);
  w.fixed(e.approver);
  w.u64(e.release_height);
  w.u64(e.cancel_height);
}

void encode_counters_key(Bytes& out) {
  out.push_back(static_cast<uint8_t>(EntryKind::counters));
}

void encode_counters_value(const CountersEntry& c, Bytes& out) {
  Writer w(out);
  w.u64(c.next_queue_seq);
  w.u64(c.next_escrow_id);
}

namespace {
bool read_code(Reader& r, AssetCode& code) {
  std::string text;
  if (!r.short_string(text)) return false;
  auto parsed = AssetCode::parse(text);
  if (!parsed.ok()) return r.fail(parsed.status().message());
  code = *parsed;
  return true;
}
}  // namespace

Result<EntryKey> decode_entry_key(ByteView key) {
  Reader r(key);
  EntryKey k{};
  uint8_t kind;
  if (!r.u8(kind)) return r.status("entry key");
  k.kind = static_cast<EntryKind>(kind);
  switch (k.kind) {
    case EntryKind::account:
      r.fixed(k.account);
      break;
    case EntryKind::asset:
      r.fixed(k.asset.issuer) && read_code(r, k.asset.code);
      break;
    case EntryKind::holding:
      r.fixed(k.account) && r.fixed(k.asset.issuer) && read_code(r, k.asset.code);
      break;
    case EntryKind::validator_set:
    case EntryKind::counters:
      break;
    case EntryKind::queued_payment:
    case EntryKind::escrow:
      if (r.remaining() != 8) {
        r.fail("sequence number must be 8 bytes");
      } else {
        k.number = get_be64(key.subspan(1));
        ByteView skip;
        r.raw(8, skip);
      }
      break;
    case EntryKind::offer: {
      ByteView id;
      if (r.raw(8, id)) k.offer_id = get_be64(id);
      break;
    }
    default:
      r.fail("unknown entry kind " + std::to_string(kind));
  }
  CORRIDOR_RETURN_IF_ERROR(r.finish("entry key"));
  return k;
}

Result<AccountEntry> decode_account_value(const AccountId& id, ByteView value) {
  Reader r(value);
  AccountEntry a;
  a.id = id;
  uint8_t count = 0;
  if (r.u8(count) && count > signers_max) r.fail("too many signers");
  if (r.ok()) {
    a.signers.resize(count);
    for (auto& s : a.signers) r.fixed(s.key) && r.u16(s.weight);
    r.u16(a.threshold);
  }
  CORRIDOR_RETURN_IF_ERROR(r.finish("account entry"));
  return a;
}

Result<AssetEntry> decode_asset_value(const AssetId& id, ByteView value) {
  Reader r(value);
  AssetEntry a;
  a.id = id;
  r.u8(a.scale) && r.u8(a.flags) && r.i64(a.supply);
  CORRIDOR_RETURN_IF_ERROR(r.finish("asset entry"));
  return a;
}

Result<HoldingEntry> decode_holding_value(ByteView value) {
  Reader r(value);
  HoldingEntry h;
  r.i64(h.balance) && r.i64(h.limit) && r.u8(h.flags);
  CORRIDOR_RETURN_IF_ERROR(r.finish("holding entry"));
  return h;
}

}  // namespace corridor::ledger

namespace corridor::ledger {

Result<ValidatorSetEntry> decode_validator_set_value(ByteView value) {
  Reader r(value);
  ValidatorSetEntry v;
  uint16_t count = 0;
  if (r.u64(v.epoch) && r.u16(count)) {
    if (count == 0 || count > validators_max) {
      r.fail("validator count " + std::to_string(count) + " out of range");
    } else {
      v.validators.resize(count);
      for (auto& k : v.validators) r.fixed(k);
    }
  }
  CORRIDOR_RETURN_IF_ERROR(r.finish("validator set entry"));
  return v;
}

}  // namespace corridor::ledger

namespace corridor::ledger {

Result<QueuedPaymentEntry> decode_queued_payment_value(uint64_t seq, ByteView value) {
  Reader r(value);
  QueuedPaymentEntry q;
  q.seq = seq;
  r.fixed(q.payer) && r.fixed(q.payee) && r.fixed(q.asset.issuer) && read_code(r, q.asset.code) &&
      r.i64(q.amount) && r.u8(q.band) && r.u64(q.last_height) && r.u64(q.queued_height) &&
      r.fixed(q.tx_id) && r.u32(q.op_index);
  CORRIDOR_RETURN_IF_ERROR(r.finish("queued payment entry"));
  return q;
}

Result<EscrowEntry> decode_escrow_value(uint64_t id, ByteView value) {
  Reader r(value);
  EscrowEntry e;
  e.id = id;
  r.fixed(e.payer) && r.fixed(e.beneficiary) && r.fixed(e.asset.issuer) &&
      read_code(r, e.asset.code) && r.i64(e.amount) && r.u8(e.conditions) && r.fixed(e.hash) &&
      r.fixed(e.approver) && r.u64(e.release_height) && r.u64(e.cancel_height);
  CORRIDOR_RETURN_IF_ERROR(r.finish("escrow entry"));
  return e;
}

Result<CountersEntry> decode_counters_value(ByteView value) {
  Reader r(value);
  CountersEntry c;
  r.u64(c.next_queue_seq) && r.u64(c.next_escrow_id);
  CORRIDOR_RETURN_IF_ERROR(r.finish("counters entry"));
  return c;
}

}  // namespace corridor::ledger

// --- Offers ----------------------------------------------------------------------------------

namespace corridor::ledger {

void encode_offer_key(uint64_t offer_id, Bytes& out) {
  out.push_back(static_cast<uint8_t>(EntryKind::offer));
  put_be64(out, offer_id);
}

void encode_offer_value(const OfferEntry& o, Bytes& out) {
  Writer w(out);
  w.fixed(o.owner);
  w.fixed(o.selling.issuer);
  w.short_string(o.selling.code.str());
  w.fixed(o.buying.issuer);
  w.short_string(o.buying.code.str());
  w.i64(o.amount);
  w.i64(o.price.n);
  w.i64(o.price.d);
}

void encode_offer_counter_value(uint64_t next_offer_id, Bytes& out) {
  Writer w(out);
  w.u64(next_offer_id);
}

Result<OfferEntry> decode_offer_value(uint64_t offer_id, ByteView value) {
  Reader r(value);
  OfferEntry o;
  o.id = offer_id;
  r.fixed(o.owner) && r.fixed(o.selling.issuer) && read_code(r, o.selling.code) &&
      r.fixed(o.buying.issuer) && read_code(r, o.buying.code) && r.i64(o.amount) &&
      r.i64(o.price.n) && r.i64(o.price.d);
  if (r.ok() && o.amount <= 0) r.fail("offer amount must be positive");
  if (r.ok() && check_offer_terms(o.amount, o.price) != PriceError::ok)
    r.fail("offer price or value is invalid");
  if (r.ok() && !(reduce(o.price) == o.price)) r.fail("offer price is not reduced");
  CORRIDOR_RETURN_IF_ERROR(r.finish("offer entry"));
  return o;
}

Result<uint64_t> decode_offer_counter_value(ByteView value) {
  Reader r(value);
  uint64_t next = 0;
  r.u64(next);
  CORRIDOR_RETURN_IF_ERROR(r.finish("offer counter entry"));
  return next;
}

}  // namespace corridor::ledger
