#include "ledger/result_code.h"

namespace corridor::ledger {

namespace {
struct CodeInfo {
  ResultCode code;
  std::string_view name;
  std::string_view description;
};

constexpr CodeInfo code_table[] = {
    {ResultCode::ok, "ok", "the operation or transaction was applied"},
    {ResultCode::not_applied, "not_applied",
     "valid, but not applied because another operation of the transaction failed"},
    {ResultCode::tx_malformed, "tx_malformed", "the transaction is not well formed"},
    {ResultCode::tx_wrong_network, "tx_wrong_network",
     "the transaction was signed for another network"},
    {ResultCode::tx_bad_signature, "tx_bad_signature",
     "a signature does not verify against the transaction id"},
    {ResultCode::tx_expired, "tx_expired",
     "the transaction's valid_until_height is below the block height"},
    {ResultCode::tx_validity_too_long, "tx_validity_too_long",
     "valid_until_height is further ahead than the validity window allows"},
    {ResultCode::tx_duplicate, "tx_duplicate", "a transaction with this id was already applied"},
    {ResultCode::tx_source_not_found, "tx_source_not_found", "the source account does not exist"},
    {ResultCode::tx_insufficient_signatures, "tx_insufficient_signatures",
     "the signers' weights do not reach the account's threshold"},
    {ResultCode::tx_unknown_signer, "tx_unknown_signer",
     "a signature is by a key that is not a signer of the source account"},
    {ResultCode::tx_no_operations, "tx_no_operations", "the transaction has no operations"},
    {ResultCode::tx_too_many_operations, "tx_too_many_operations",
     "the transaction has more operations than allowed"},
    {ResultCode::tx_failed, "tx_failed",
     "an operation failed; nothing of the transaction was applied"},
    {ResultCode::op_invalid_amount, "op_invalid_amount", "the amount must be positive"},
    {ResultCode::op_account_exists, "op_account_exists", "the account already exists"},
    {ResultCode::op_account_not_found, "op_account_not_found", "the account does not exist"},
    {ResultCode::op_key_mismatch, "op_key_mismatch",
     "the public key does not derive the source account id"},
    {ResultCode::op_asset_exists, "op_asset_exists",
     "the issuer already has an asset with this code"},
    {ResultCode::op_asset_not_found, "op_asset_not_found", "no such asset"},
    {ResultCode::op_invalid_scale, "op_invalid_scale", "the scale must be between 0 and 18"},
    {ResultCode::op_invalid_flags, "op_invalid_flags", "unknown flag bits are set"},
    {ResultCode::op_holding_not_found, "op_holding_not_found",
     "the account has not opened a holding of this asset"},
    {ResultCode::op_not_authorized, "op_not_authorized",
     "the holding is not authorized by the issuer"},
    {ResultCode::op_frozen, "op_frozen", "the holding is frozen by the issuer"},
    {ResultCode::op_insufficient_balance, "op_insufficient_balance",
     "the balance does not cover the amount"},
    {ResultCode::op_limit_exceeded, "op_limit_exceeded",
     "the receiving holding would exceed its limit"},
    {ResultCode::op_not_issuer, "op_not_issuer", "only the asset's issuer may do this"},
    {ResultCode::op_supply_overflow, "op_supply_overflow", "the asset's supply would overflow"},
    {ResultCode::op_clawback_disabled, "op_clawback_disabled", "the asset does not allow clawback"},
    {ResultCode::op_freeze_disabled, "op_freeze_disabled", "the asset does not allow freezing"},
    {ResultCode::op_self_transfer, "op_self_transfer",
     "source and destination are the same account"},
    {ResultCode::op_invalid_signers, "op_invalid_signers",
     "the signer list is empty, too long, has duplicates, zero weights or an unreachable "
     "threshold"},
    {ResultCode::op_issuer_cannot_hold, "op_issuer_cannot_hold",
     "an issuer does not hold its own asset"},
    {ResultCode::op_invalid_limit, "op_invalid_limit", "the limit must be positive"},
    {ResultCode::op_limit_below_balance, "op_limit_below_balance",
     "the new limit is below the current balance"},
    {ResultCode::op_too_many_holdings, "op_too_many_holdings",
     "the account holds the maximum number of assets"},
    {ResultCode::op_create_account_not_first, "op_create_account_not_first",
     "create_account must be the only operation of a transaction from a new account"},
    {ResultCode::op_authorization_not_required, "op_authorization_not_required",
     "the asset does not require authorization"},
    {ResultCode::op_invalid_validators, "op_invalid_validators",
     "the validator list is empty, too long or has duplicate keys, or an approver is listed "
     "twice"},
    {ResultCode::op_invalid_approval, "op_invalid_approval",
     "an approval's signature does not verify over the validator-set change"},
    {ResultCode::op_wrong_epoch, "op_wrong_epoch",
     "the epoch is not the current epoch plus one (or the genesis set is installed after "
     "genesis, or the network has no validator set)"},
    {ResultCode::op_unknown_approver, "op_unknown_approver",
     "an approval is signed by a key that is not a current validator"},
    {ResultCode::op_insufficient_approvals, "op_insufficient_approvals",
     "fewer than a quorum (n - f) of the current validators approve the change"},
    {ResultCode::op_governance_not_alone, "op_governance_not_alone",
     "set_validators must be the only operation of its transaction"},
    // FX: offers and path payments.
    {ResultCode::op_invalid_price, "op_invalid_price", "a price component is zero or negative"},
    {ResultCode::op_price_overflow, "op_price_overflow",
     "the offer's amount at its price is worth more than an int64 of the buying asset"},
    {ResultCode::op_offer_same_asset, "op_offer_same_asset",
     "an offer's selling and buying assets are the same"},
    {ResultCode::op_offer_not_found, "op_offer_not_found", "no resting offer has this id"},
    {ResultCode::op_offer_not_owner, "op_offer_not_owner", "the offer belongs to another account"},
    {ResultCode::op_offer_cross_self, "op_offer_cross_self",
     "the crossing would reach an offer of the source account's own"},
    {ResultCode::op_book_full, "op_book_full", "the order book holds the maximum number of offers"},
    {ResultCode::op_too_many_offers, "op_too_many_offers",
     "the account has the maximum number of resting offers"},
    {ResultCode::op_too_many_offers_crossed, "op_too_many_offers_crossed",
     "the operation would cross more offers than offers_crossed_max"},
    {ResultCode::op_path_too_long, "op_path_too_long",
     "the path names more intermediate assets than path_intermediate_assets_max"},
    {ResultCode::op_path_loop, "op_path_loop",
     "an asset appears twice among the source, path and destination assets"},
    {ResultCode::op_insufficient_liquidity, "op_insufficient_liquidity",
     "the order books along the path cannot fill the amount"},
    {ResultCode::op_send_max_exceeded, "op_send_max_exceeded",
     "delivering the amount would cost more than send_max"},
    {ResultCode::op_receive_min_not_met, "op_receive_min_not_met",
     "the amount sent would deliver less than dest_min"},
    {ResultCode::op_amount_overflow, "op_amount_overflow",
     "an amount along the crossing does not fit an int64"},
    {ResultCode::op_invalid_band, "op_invalid_band",
     "the priority band must be 0 (urgent) or 1 (normal)"},
    {ResultCode::op_invalid_expiry, "op_invalid_expiry",
     "the last height is already past or further ahead than the queue allows"},
    {ResultCode::op_queue_full, "op_queue_full", "the liquidity queue holds its maximum"},
    {ResultCode::op_queued_payment_not_found, "op_queued_payment_not_found",
     "no queued payment has this sequence number"},
    {ResultCode::op_not_payer, "op_not_payer", "only the payer may cancel it"},
    {ResultCode::op_invalid_escrow, "op_invalid_escrow",
     "the escrow sets no release condition, unknown bits, non-zero fields of unset conditions, "
     "or a cancel height not after its release height"},
    {ResultCode::op_escrow_not_found, "op_escrow_not_found", "no escrow has this id"},
    {ResultCode::op_wrong_preimage, "op_wrong_preimage",
     "the preimage does not hash to the escrow's SHA-256 condition"},
    {ResultCode::op_not_approver, "op_not_approver",
     "the escrow names an approver and the source is not it (or the source is not a party)"},
    {ResultCode::op_escrow_too_early, "op_escrow_too_early",
     "the escrow's release height has not been reached"},
    {ResultCode::op_escrow_not_cancellable, "op_escrow_not_cancellable",
     "the escrow has no cancel height or it has not been reached"},
    {ResultCode::op_escrow_expired, "op_escrow_expired",
     "the escrow's cancel height has passed: it can only be cancelled"},
    {ResultCode::op_too_many_escrows, "op_too_many_escrows",
     "the ledger holds the maximum number of escrows"},
};
}  // namespace

std::string_view result_code_name(ResultCode code) {
  for (const auto& c : code_table)
    if (c.code == code) return c.name;
  return "unknown";
}

std::optional<ResultCode> result_code_from_name(std::string_view name) {
  for (const auto& c : code_table)
    if (c.name == name) return c.code;
  return std::nullopt;
}

std::string_view result_code_description(ResultCode code) {
  for (const auto& c : code_table)
    if (c.code == code) return c.description;
  return "unknown result code";
}

}  // namespace corridor::ledger
