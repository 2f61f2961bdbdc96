// Ledger entries (accounts, assets, holdings) and their canonical key and value encodings.
// The same bytes are hashed into the state tree and written to storage, so a node that loads
// its state from disk recomputes exactly the committed state root.
#pragma once

#include <cstdint>
#include <vector>

#include "base/amount.h"
#include "base/asset_code.h"
#include "base/bytes.h"
#include "base/keys.h"
#include "base/status.h"
#include "ledger/operation.h"
#include "ledger/price.h"

namespace corridor::ledger {

enum class EntryKind : uint8_t {
  account = 1,
  asset = 2,
  holding = 3,
  validator_set = 4,
  offer = 5,
  queued_payment = 6,
  escrow = 7,
  counters = 8,
};

inline constexpr uint8_t holding_flag_authorized = 1 << 0;
inline constexpr uint8_t holding_flag_frozen = 1 << 1;

struct AccountEntry {
  AccountId id;
  std::vector<SignerEntry> signers;
  uint16_t threshold = 1;
  // Indices of the assets this account holds, in the order opened. Derived, not encoded.
  std::vector<uint32_t> holding_assets;
  bool dirty = false;
};

struct AssetEntry {
  AssetId id;
  uint8_t scale = 0;
  uint8_t flags = 0;
  Amount supply = 0;
  // Index of the issuer's account. Derived, not encoded.
  uint32_t issuer_index = 0;
  bool dirty = false;
};

struct HoldingEntry {
  Amount balance = 0;
  Amount limit = 0;
  uint8_t flags = 0;
  bool dirty = false;

  bool authorized() const { return (flags & holding_flag_authorized) != 0; }
  bool frozen() const { return (flags & holding_flag_frozen) != 0; }
};

// The consensus validator set and its epoch: one entry, present once the genesis block has
// installed it. Kept in the state tree so that a light client can prove which keys sign
// certificates in each epoch.
struct ValidatorSetEntry {
  uint64_t epoch = 0;
  std::vector<PublicKey> validators;
  friend bool operator==(const ValidatorSetEntry&, const ValidatorSetEntry&) = default;
};

// A payment waiting in the liquidity queue, keyed by its sequence number (arrival order).
struct QueuedPaymentEntry {
  uint64_t seq = 0;
  AccountId payer;
  AccountId payee;
  AssetId asset;
  Amount amount = 0;
  uint8_t band = 0;
  uint64_t last_height = 0;
  uint64_t queued_height = 0;
  // The transaction and operation that queued it, so an auditor can trace it back.
  Hash256 tx_id;
  uint32_t op_index = 0;
  friend bool operator==(const QueuedPaymentEntry&, const QueuedPaymentEntry&) = default;
};

// Funds locked by a conditional payment; counted in the asset's supply until released.
struct EscrowEntry {
  uint64_t id = 0;
  AccountId payer;
  AccountId beneficiary;
  AssetId asset;
  Amount amount = 0;
  uint8_t conditions = 0;
  Hash256 hash;
  AccountId approver;
  uint64_t release_height = 0;
  uint64_t cancel_height = 0;
  friend bool operator==(const EscrowEntry&, const EscrowEntry&) = default;
};

// The ledger's sequence counters, one entry, so that numbers are never reused.
struct CountersEntry {
  uint64_t next_queue_seq = 1;
  uint64_t next_escrow_id = 1;
  friend bool operator==(const CountersEntry&, const CountersEntry&) = default;
};
// A resting FX offer (docs/fx.md). Its remaining amount has left the owner's selling holding
// and is locked here until it is filled or cancelled. Key 0x05 || be64(id); the id 0 is never
// an offer's: its key holds the next offer id (offer_counter_id).
struct OfferEntry {
  uint64_t id = 0;
  AccountId owner;
  AssetId selling;
  AssetId buying;
  Amount amount = 0;  // Selling asset still offered, > 0.
  Price price;        // Reduced: buying minor units wanted per selling minor units.
  // Ledger indices of the owner and the two assets. Derived, not encoded.
  uint32_t owner_index = 0;
  uint32_t selling_index = 0;
  uint32_t buying_index = 0;
};
inline constexpr uint64_t offer_counter_id = 0;

// The longest entry key, a holding's: 0x03, holder, issuer, and a length-prefixed asset code of
// at most asset_code_len_max characters (docs/protocol.md). Every other kind's key is shorter.
inline constexpr size_t entry_key_size_max =
    1 + AccountId::size() + AccountId::size() + 1 + asset_code_len_max;

void encode_account_key(const AccountId& id, Bytes& out);
void encode_asset_key(const AssetId& id, Bytes& out);
void encode_holding_key(const AccountId& holder, const AssetId& asset, Bytes& out);

void encode_account_value(const AccountEntry& a, Bytes& out);
void encode_asset_value(const AssetEntry& a, Bytes& out);
void encode_holding_value(const HoldingEntry& h, Bytes& out);
void encode_validator_set_key(Bytes& out);
void encode_queued_payment_key(uint64_t seq, Bytes& out);
void encode_queued_payment_value(const QueuedPaymentEntry& q, Bytes& out);
void encode_escrow_key(uint64_t id, Bytes& out);
void encode_escrow_value(const EscrowEntry& e, Bytes& out);
void encode_counters_key(Bytes& out);
void encode_counters_value(const CountersEntry& c, Bytes& out);
void encode_validator_set_value(const ValidatorSetEntry& v, Bytes& out);
void encode_offer_key(uint64_t offer_id, Bytes& out);
void encode_offer_value(const OfferEntry& o, Bytes& out);
void encode_offer_counter_value(uint64_t next_offer_id, Bytes& out);

// A decoded entry key: which kind, and the ids it names.
struct EntryKey {
  EntryKind kind;
  AccountId account;      // The account, or the holder of a holding.
  AssetId asset;          // For assets and holdings.
  uint64_t number = 0;    // A queued payment's sequence number or an escrow's id.
  uint64_t offer_id = 0;  // For offers (offer_counter_id: the next-offer-id entry).
};
Result<EntryKey> decode_entry_key(ByteView key);
Result<AccountEntry> decode_account_value(const AccountId& id, ByteView value);
Result<AssetEntry> decode_asset_value(const AssetId& id, ByteView value);
Result<HoldingEntry> decode_holding_value(ByteView value);
Result<ValidatorSetEntry> decode_validator_set_value(ByteView value);
Result<QueuedPaymentEntry> decode_queued_payment_value(uint64_t seq, ByteView value);
Result<EscrowEntry> decode_escrow_value(uint64_t id, ByteView value);
Result<CountersEntry> decode_counters_value(ByteView value);
// The encoded fields of an offer; the caller sets the id and the derived indices.
Result<OfferEntry> decode_offer_value(uint64_t offer_id, ByteView value);
Result<uint64_t> decode_offer_counter_value(ByteView value);

}  // namespace corridor::ledger
