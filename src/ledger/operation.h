// The operations of the ledger. A transaction carries one or more of them, applied in order,
// all or nothing. The wire encoding of each is specified in docs/protocol.md.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "base/amount.h"
#include "base/asset_code.h"
#include "base/keys.h"

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
  PublicKey public_key;
  friend bool operator==(const CreateAccountOp&, const CreateAccountOp&) = default;
};
// Replaces the source account's signer list (multi-signature, maker-checker).
struct SetSignersOp {
  std::vector<SignerEntry> signers;
  uint16_t threshold = 0;
  friend bool operator==(const SetSignersOp&, const SetSignersOp&) = default;
};
// Creates an asset issued by the source account.
struct CreateAssetOp {
  AssetCode code;
  uint8_t scale = 0;
  uint8_t flags = 0;
  friend bool operator==(const CreateAssetOp&, const CreateAssetOp&) = default;
};
// Opens a holding of an asset for the source account, or changes its limit.
struct OpenHoldingOp {
  AssetId asset;
  Amount limit = 0;
  friend bool operator==(const OpenHoldingOp&, const OpenHoldingOp&) = default;
};
// Issuer-only: authorizes or deauthorizes a holder of one of its assets.
struct AuthorizeHoldingOp {
  AccountId holder;
  AssetCode code;
  bool authorized = false;
  friend bool operator==(const AuthorizeHoldingOp&, const AuthorizeHoldingOp&) = default;
};
// Issuer-only: freezes or unfreezes a holding of one of its assets.
struct FreezeHoldingOp {
  AccountId holder;
  AssetCode code;
  bool frozen = false;
  friend bool operator==(const FreezeHoldingOp&, const FreezeHoldingOp&) = default;
};
// Issuer-only: creates new units into a holder's holding; supply grows.
struct IssueOp {
  AccountId to;
  AssetCode code;
  Amount amount = 0;
  friend bool operator==(const IssueOp&, const IssueOp&) = default;
};
// Holder returns units to the issuer (against off-ledger reserves); supply shrinks.
struct RedeemOp {
  AssetId asset;
  Amount amount = 0;
  friend bool operator==(const RedeemOp&, const RedeemOp&) = default;
};
// Moves units of one asset from the source account to another holder.
struct TransferOp {
  AccountId to;
  AssetId asset;
  Amount amount = 0;
  friend bool operator==(const TransferOp&, const TransferOp&) = default;
};
// Issuer-only, when the asset allows it: takes units back from a holder; supply shrinks.
struct ClawbackOp {
  AccountId from;
  AssetCode code;
  Amount amount = 0;
  friend bool operator==(const ClawbackOp&, const ClawbackOp&) = default;
};

// The variant's index + 1 is the OpType value; keep the order.
using Operation =
    std::variant<CreateAccountOp, SetSignersOp, CreateAssetOp, OpenHoldingOp, AuthorizeHoldingOp,
                 FreezeHoldingOp, IssueOp, RedeemOp, TransferOp, ClawbackOp>;

inline OpType op_type(const Operation& op) {
  return static_cast<OpType>(op.index() + 1);
}
std::string_view op_type_name(OpType type);

}  // namespace corridor::ledger
