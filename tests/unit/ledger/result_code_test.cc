#include <gtest/gtest.h>

#include <string>

#include "ledger/result_code.h"

namespace corridor::ledger {
namespace {

// The numbers are stored in blocks and returned by the API; they must never change.
TEST(ResultCodes, NumbersArePinned) {
  const std::pair<ResultCode, int> pinned[] = {
      {ResultCode::ok, 0},
      {ResultCode::not_applied, 1},
      {ResultCode::tx_malformed, 100},
      {ResultCode::tx_wrong_network, 101},
      {ResultCode::tx_bad_signature, 102},
      {ResultCode::tx_expired, 103},
      {ResultCode::tx_validity_too_long, 104},
      {ResultCode::tx_duplicate, 105},
      {ResultCode::tx_source_not_found, 106},
      {ResultCode::tx_insufficient_signatures, 107},
      {ResultCode::tx_unknown_signer, 108},
      {ResultCode::tx_no_operations, 109},
      {ResultCode::tx_too_many_operations, 110},
      {ResultCode::tx_failed, 111},
      {ResultCode::op_invalid_amount, 200},
      {ResultCode::op_account_exists, 201},
      {ResultCode::op_account_not_found, 202},
      {ResultCode::op_key_mismatch, 203},
      {ResultCode::op_asset_exists, 204},
      {ResultCode::op_asset_not_found, 205},
      {ResultCode::op_invalid_scale, 206},
      {ResultCode::op_invalid_flags, 207},
      {ResultCode::op_holding_not_found, 208},
      {ResultCode::op_not_authorized, 209},
      {ResultCode::op_frozen, 210},
      {ResultCode::op_insufficient_balance, 211},
      {ResultCode::op_limit_exceeded, 212},
      {ResultCode::op_not_issuer, 213},
      {ResultCode::op_supply_overflow, 214},
      {ResultCode::op_clawback_disabled, 215},
      {ResultCode::op_freeze_disabled, 216},
      {ResultCode::op_self_transfer, 217},
      {ResultCode::op_invalid_signers, 218},
      {ResultCode::op_issuer_cannot_hold, 219},
      {ResultCode::op_invalid_limit, 220},
      {ResultCode::op_limit_below_balance, 221},
      {ResultCode::op_too_many_holdings, 222},
      {ResultCode::op_create_account_not_first, 223},
      {ResultCode::op_authorization_not_required, 224},
      {ResultCode::op_invalid_validators, 225},
      {ResultCode::op_invalid_approval, 226},
      {ResultCode::op_wrong_epoch, 227},
      {ResultCode::op_unknown_approver, 228},
      {ResultCode::op_insufficient_approvals, 229},
      {ResultCode::op_governance_not_alone, 230},
      // FX.
      {ResultCode::op_invalid_price, 240},
      {ResultCode::op_price_overflow, 241},
      {ResultCode::op_offer_same_asset, 242},
      {ResultCode::op_offer_not_found, 243},
      {ResultCode::op_offer_not_owner, 244},
      {ResultCode::op_offer_cross_self, 245},
      {ResultCode::op_book_full, 246},
      {ResultCode::op_too_many_offers, 247},
      {ResultCode::op_too_many_offers_crossed, 248},
      {ResultCode::op_path_too_long, 249},
      {ResultCode::op_path_loop, 250},
      {ResultCode::op_insufficient_liquidity, 251},
      {ResultCode::op_send_max_exceeded, 252},
      {ResultCode::op_receive_min_not_met, 253},
      {ResultCode::op_amount_overflow, 254},
      {ResultCode::op_invalid_band, 260},
      {ResultCode::op_invalid_expiry, 261},
      {ResultCode::op_queue_full, 262},
      {ResultCode::op_queued_payment_not_found, 263},
      {ResultCode::op_not_payer, 264},
      {ResultCode::op_invalid_escrow, 265},
      {ResultCode::op_escrow_not_found, 266},
      {ResultCode::op_wrong_preimage, 267},
      {ResultCode::op_not_approver, 268},
      {ResultCode::op_escrow_too_early, 269},
      {ResultCode::op_escrow_not_cancellable, 270},
      {ResultCode::op_escrow_expired, 271},
      {ResultCode::op_too_many_escrows, 272},
  };
  for (const auto& [code, number] : pinned) {
    EXPECT_EQ(static_cast<int>(code), number) << result_code_name(code);
    EXPECT_NE(result_code_name(code), "unknown") << number;
    EXPECT_NE(result_code_description(code), "unknown result code") << number;
  }
}

TEST(ResultCodes, NamesRoundTripForEveryKnownCode) {
  int known = 0;
  for (int v = 0; v < 1000; ++v) {
    auto code = static_cast<ResultCode>(v);
    std::string_view name = result_code_name(code);
    if (name == "unknown") {
      EXPECT_EQ(result_code_description(code), "unknown result code");
      continue;
    }
    ++known;
    auto back = result_code_from_name(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, code);
  }
  // Every code in result_code.h has a name, and nothing else does.
  // ok, not_applied, 100-111, 200-230, 240-254 and 260-272.
  EXPECT_EQ(known, 2 + 12 + 31 + 15 + 13);
  EXPECT_FALSE(result_code_from_name("op_nonsense").has_value());
  EXPECT_FALSE(result_code_from_name("").has_value());
  EXPECT_EQ(result_code_name(ResultCode::op_frozen), "op_frozen");
}

TEST(ResultCodes, TransactionRejectionsExcludeFailedOperations) {
  EXPECT_TRUE(is_tx_rejection(ResultCode::tx_malformed));
  EXPECT_TRUE(is_tx_rejection(ResultCode::tx_duplicate));
  EXPECT_TRUE(is_tx_rejection(ResultCode::tx_too_many_operations));
  EXPECT_FALSE(is_tx_rejection(ResultCode::tx_failed));
  EXPECT_FALSE(is_tx_rejection(ResultCode::ok));
  EXPECT_FALSE(is_tx_rejection(ResultCode::not_applied));
  EXPECT_FALSE(is_tx_rejection(ResultCode::op_frozen));
}

}  // namespace
}  // namespace corridor::ledger
