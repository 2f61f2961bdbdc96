// Stable, numbered result codes for every outcome of a transaction and of each operation.
// These numbers are part of the protocol (they are stored in blocks and returned by the API):
// never renumber or reuse one; add new codes at the end of their range. docs/protocol.md
// lists them with their meaning.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace corridor::ledger {

enum class ResultCode : uint16_t {
  ok = 0,
  // The operation was valid but not applied because another operation of its transaction failed.
  not_applied = 1,

  // Transaction-level rejections (100-199): the transaction had no effect and its id is not
  // consumed, except tx_duplicate, which refers to the earlier transaction with this id.
  tx_malformed = 100,
  tx_wrong_network = 101,
  tx_bad_signature = 102,
  tx_expired = 103,
  tx_validity_too_long = 104,
  tx_duplicate = 105,
  tx_source_not_found = 106,
  tx_insufficient_signatures = 107,
  tx_unknown_signer = 108,
  tx_no_operations = 109,
  tx_too_many_operations = 110,
  // An operation failed; the transaction was rolled back, its id is consumed, and the
  // failing operation's own code says why.
  tx_failed = 111,

  // Operation-level rejections (200-299).
  op_invalid_amount = 200,
  op_account_exists = 201,
  op_account_not_found = 202,
  op_key_mismatch = 203,
  op_asset_exists = 204,
  op_asset_not_found = 205,
  op_invalid_scale = 206,
  op_invalid_flags = 207,
  op_holding_not_found = 208,
  op_not_authorized = 209,
  op_frozen = 210,
  op_insufficient_balance = 211,
  op_limit_exceeded = 212,
  op_not_issuer = 213,
  op_supply_overflow = 214,
  op_clawback_disabled = 215,
  op_freeze_disabled = 216,
  op_self_transfer = 217,
  op_invalid_signers = 218,
  op_issuer_cannot_hold = 219,
  op_invalid_limit = 220,
  op_limit_below_balance = 221,
  op_too_many_holdings = 222,
  op_create_account_not_first = 223,
  op_authorization_not_required = 224,
  op_invalid_validators = 225,
  op_invalid_approval = 226,
  op_wrong_epoch = 227,
  op_unknown_approver = 228,
  op_insufficient_approvals = 229,
  op_governance_not_alone = 230,

  // FX: offers and path payments (240-259, docs/fx.md).
  op_invalid_price = 240,
  op_price_overflow = 241,
  op_offer_same_asset = 242,
  op_offer_not_found = 243,
  op_offer_not_owner = 244,
  op_offer_cross_self = 245,
  op_book_full = 246,
  op_too_many_offers = 247,
  op_too_many_offers_crossed = 248,
  op_path_too_long = 249,
  op_path_loop = 250,
  op_insufficient_liquidity = 251,
  op_send_max_exceeded = 252,
  op_receive_min_not_met = 253,
  op_amount_overflow = 254,
  // 260-279: the liquidity queue and escrows.
  op_invalid_band = 260,
  op_invalid_expiry = 261,
  op_queue_full = 262,
  op_queued_payment_not_found = 263,
  op_not_payer = 264,
  op_invalid_escrow = 265,
  op_escrow_not_found = 266,
  op_wrong_preimage = 267,
  op_not_approver = 268,
  op_escrow_too_early = 269,
  op_escrow_not_cancellable = 270,
  op_escrow_expired = 271,
  op_too_many_escrows = 272,
};

std::string_view result_code_name(ResultCode code);
std::optional<ResultCode> result_code_from_name(std::string_view name);
// A sentence describing the code, for API responses and the CLI.
std::string_view result_code_description(ResultCode code);

inline bool is_tx_rejection(ResultCode c) {
  auto v = static_cast<uint16_t>(c);
  return v >= 100 && v < 200 && c != ResultCode::tx_failed;
}

}  // namespace corridor::ledger
