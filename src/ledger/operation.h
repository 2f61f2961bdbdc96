// The operations of the ledger. A transaction carries one or more of them, applied in order,
// all or nothing. The wire encoding of each is specified in docs/protocol.md.
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "base/amount.h"
#include "base/asset_code.h"
#include "base/bytes.h"
#include "base/hash.h"
#include "base/keys.h"
#include "ledger/price.h"

namespace corridor::ledger {

enum class OpType : uint8_t {
  create_account = 1,
  set_signers = 2,
  create_asset = 3,
  open_holding = 4,
  authorize_holding = 5,
  freeze_holding = 6,
  issue = 7,
  redeem = 8,
  transfer = 9,
  clawback = 10,
  set_validators = 11,
  // FX (docs/fx.md): offers and path payments.
  place_offer = 12,
  cancel_offer = 13,
  replace_offer = 14,
  path_payment_send = 15,
  path_payment_receive = 16,
  queue_transfer = 17,
  cancel_queued = 18,
  create_escrow = 19,
  finish_escrow = 20,
  cancel_escrow = 21,
};

// Asset flags, set when the asset is created.
inline constexpr uint8_t asset_flag_authorization_required = 1 << 0;
inline constexpr uint8_t asset_flag_freezable = 1 << 1;
inline constexpr uint8_t asset_flag_clawback_enabled = 1 << 2;
inline constexpr uint8_t asset_flags_all = 0x07;

struct SignerEntry {
  PublicKey key;
  uint16_t weight = 0;
  friend bool operator==(const SignerEntry&, const SignerEntry&) = default;
};

// Registers the transaction's source account; public_key must derive the source id. The new
// account's signer list is this key with weight 1 and threshold 1.
struct CreateAccountOp {
  static constexpr OpType type = OpType::create_account;
  PublicKey public_key;
  friend bool operator==(const CreateAccountOp&, const CreateAccountOp&) = default;
};
// Replaces the source account's signer list (multi-signature, maker-checker).
struct SetSignersOp {
  static constexpr OpType type = OpType::set_signers;
  std::vector<SignerEntry> signers;
  uint16_t threshold = 0;
  friend bool operator==(const SetSignersOp&, const SetSignersOp&) = default;
};
// Creates an asset issued by the source account.
struct CreateAssetOp {
  static constexpr OpType type = OpType::create_asset;
  AssetCode code;
  uint8_t scale = 0;
  uint8_t flags = 0;
  friend bool operator==(const CreateAssetOp&, const CreateAssetOp&) = default;
};
// Opens a holding of an asset for the source account, or changes its limit.
struct OpenHoldingOp {
  static constexpr OpType type = OpType::open_holding;
  AssetId asset;
  Amount limit = 0;
  friend bool operator==(const OpenHoldingOp&, const OpenHoldingOp&) = default;
};
// Issuer-only: authorizes or deauthorizes a holder of one of its assets.
struct AuthorizeHoldingOp {
  static constexpr OpType type = OpType::authorize_holding;
  AccountId holder;
  AssetCode code;
  bool authorized = false;
  friend bool operator==(const AuthorizeHoldingOp&, const AuthorizeHoldingOp&) = default;
};
// Issuer-only: freezes or unfreezes a holding of one of its assets.
struct FreezeHoldingOp {
  static constexpr OpType type = OpType::freeze_holding;
  AccountId holder;
  AssetCode code;
  bool frozen = false;
  friend bool operator==(const FreezeHoldingOp&, const FreezeHoldingOp&) = default;
};
// Issuer-only: creates new units into a holder's holding; supply grows.
struct IssueOp {
  static constexpr OpType type = OpType::issue;
  AccountId to;
  AssetCode code;
  Amount amount = 0;
  friend bool operator==(const IssueOp&, const IssueOp&) = default;
};
// Holder returns units to the issuer (against off-ledger reserves); supply shrinks.
struct RedeemOp {
  static constexpr OpType type = OpType::redeem;
  AssetId asset;
  Amount amount = 0;
  friend bool operator==(const RedeemOp&, const RedeemOp&) = default;
};
// Moves units of one asset from the source account to another holder.
struct TransferOp {
  static constexpr OpType type = OpType::transfer;
  AccountId to;
  AssetId asset;
  Amount amount = 0;
  friend bool operator==(const TransferOp&, const TransferOp&) = default;
};
// Issuer-only, when the asset allows it: takes units back from a holder; supply shrinks.
struct ClawbackOp {
  static constexpr OpType type = OpType::clawback;
  AccountId from;
  AssetCode code;
  Amount amount = 0;
  friend bool operator==(const ClawbackOp&, const ClawbackOp&) = default;
};

// One current validator's approval of a validator-set change: its Ed25519 signature over
// validator_set_approval_message (transaction.h), which binds the network and the new epoch.
struct ValidatorApproval {
  PublicKey key;
  Signature signature;
  friend bool operator==(const ValidatorApproval&, const ValidatorApproval&) = default;
};
// Governance: replaces the consensus validator set, starting a new epoch. Valid when `epoch`
// is the current epoch plus one and at least a quorum (n - f) of the current validators
// approve; the genesis block installs the first set (epoch 0) without approvals. Consensus
// switches to the new set after the block that applies this operation (docs/consensus.md,
// "Epochs"). It must be the only operation of its transaction.
struct SetValidatorsOp {
  static constexpr OpType type = OpType::set_validators;
  uint64_t epoch = 0;
  std::vector<PublicKey> validators;
  std::vector<ValidatorApproval> approvals;
  friend bool operator==(const SetValidatorsOp&, const SetValidatorsOp&) = default;
};

// The liquidity queue's priority bands: a payer's urgent payments go before its normal ones.
inline constexpr uint8_t queue_band_urgent = 0;
inline constexpr uint8_t queue_band_normal = 1;

// A transfer that waits in the liquidity queue instead of failing when the payer is short. It
// joins the queue (and the block's queue events name its sequence number); at the end of every
// block the gridlock resolver settles the largest set of queued payments whose net positions
// every payer can cover, in FIFO order per payer, asset and band (docs/liquidity_queue.md).
// Payments still queued after last_height expire.
struct QueueTransferOp {
  static constexpr OpType type = OpType::queue_transfer;
  AccountId to;
  AssetId asset;
  Amount amount = 0;
  uint8_t band = queue_band_normal;
  uint64_t last_height = 0;
  friend bool operator==(const QueueTransferOp&, const QueueTransferOp&) = default;
};
// The payer withdraws one of its queued payments.
struct CancelQueuedOp {
  static constexpr OpType type = OpType::cancel_queued;
  uint64_t seq = 0;
  friend bool operator==(const CancelQueuedOp&, const CancelQueuedOp&) = default;
};

// Escrow conditions (bits of CreateEscrowOp::conditions). Every condition set must hold for
// the escrow to be released; at least one of the first three must be set.
inline constexpr uint8_t escrow_on_preimage = 1 << 0;   // SHA-256(preimage) == hash.
inline constexpr uint8_t escrow_on_approver = 1 << 1;   // Finished by the approver account.
inline constexpr uint8_t escrow_after_height = 1 << 2;  // At or after release_height.
inline constexpr uint8_t escrow_cancel_after = 1 << 3;  // Payer may cancel from cancel_height.
inline constexpr uint8_t escrow_conditions_all = 0x0f;

// Conditional payment: locks `amount` of the payer's holding for `beneficiary`. Fields of
// conditions not set must be zero, so that every escrow has one encoding.
struct CreateEscrowOp {
  static constexpr OpType type = OpType::create_escrow;
  AccountId beneficiary;
  AssetId asset;
  Amount amount = 0;
  uint8_t conditions = 0;
  Hash256 hash;
  AccountId approver;
  uint64_t release_height = 0;
  uint64_t cancel_height = 0;
  friend bool operator==(const CreateEscrowOp&, const CreateEscrowOp&) = default;
};
// Releases an escrow to its beneficiary when its conditions hold.
struct FinishEscrowOp {
  static constexpr OpType type = OpType::finish_escrow;
  uint64_t id = 0;
  Bytes preimage;
  friend bool operator==(const FinishEscrowOp&, const FinishEscrowOp&) = default;
};
// Returns an escrow to its payer, from its cancel height on.
struct CancelEscrowOp {
  static constexpr OpType type = OpType::cancel_escrow;
  uint64_t id = 0;
  friend bool operator==(const CancelEscrowOp&, const CancelEscrowOp&) = default;
};

// --- FX: offers and path payments (docs/fx.md, docs/protocol.md) ---------------------------
// Prices are ledger::Price {n, d} (price.h): the offer's owner wants n minor units of the
// buying asset for every d minor units of the selling asset; the ledger stores them reduced.
// Sells `amount` of `selling` for `buying` at `price`. The offer first crosses the opposite
// book; what remains rests, funded: its amount leaves the owner's selling holding.
struct PlaceOfferOp {
  static constexpr OpType type = OpType::place_offer;
  AssetId selling;
  AssetId buying;
  Amount amount = 0;
  Price price;
  friend bool operator==(const PlaceOfferOp&, const PlaceOfferOp&) = default;
};
// Removes one of the source's resting offers; its remaining amount returns to the holding.
struct CancelOfferOp {
  static constexpr OpType type = OpType::cancel_offer;
  uint64_t offer_id = 0;
  friend bool operator==(const CancelOfferOp&, const CancelOfferOp&) = default;
};
// Sets a resting offer's remaining amount and price. Shrinking at the same price keeps the
// offer's id and time priority; anything else is a cancel and a place (a new id, crossing).
struct ReplaceOfferOp {
  static constexpr OpType type = OpType::replace_offer;
  uint64_t offer_id = 0;
  Amount amount = 0;
  Price price;
  friend bool operator==(const ReplaceOfferOp&, const ReplaceOfferOp&) = default;
};
// Exact-send path payment: spends exactly send_amount of send_asset and delivers at least
// dest_min of dest_asset to destination, through the intermediate assets of `path`.
struct PathPaymentSendOp {
  static constexpr OpType type = OpType::path_payment_send;
  AccountId destination;
  AssetId send_asset;
  Amount send_amount = 0;
  AssetId dest_asset;
  Amount dest_min = 0;
  std::vector<AssetId> path;
  friend bool operator==(const PathPaymentSendOp&, const PathPaymentSendOp&) = default;
};
// Exact-receive path payment: delivers exactly dest_amount of dest_asset to destination and
// spends at most send_max of send_asset.
struct PathPaymentReceiveOp {
  static constexpr OpType type = OpType::path_payment_receive;
  AccountId destination;
  AssetId send_asset;
  Amount send_max = 0;
  AssetId dest_asset;
  Amount dest_amount = 0;
  std::vector<AssetId> path;
  friend bool operator==(const PathPaymentReceiveOp&, const PathPaymentReceiveOp&) = default;
};

// Each alternative names its OpType (its wire tag), so the order of the variant is free.
using Operation =
    std::variant<CreateAccountOp, SetSignersOp, CreateAssetOp, OpenHoldingOp, AuthorizeHoldingOp,
                 FreezeHoldingOp, IssueOp, RedeemOp, TransferOp, ClawbackOp, SetValidatorsOp,
                 PlaceOfferOp, CancelOfferOp, ReplaceOfferOp, PathPaymentSendOp,
                 PathPaymentReceiveOp, QueueTransferOp, CancelQueuedOp, CreateEscrowOp,
                 FinishEscrowOp, CancelEscrowOp>;

inline OpType op_type(const Operation& op) {
  return std::visit([](const auto& o) { return std::decay_t<decltype(o)>::type; }, op);
}
std::string_view op_type_name(OpType type);

}  // namespace corridor::ledger
