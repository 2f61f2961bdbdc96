// JSON forms of transactions, operations, outcomes and ledger entries, shared by the HTTP API
// and the CLI so both build exactly the same canonical transaction from the same JSON.
// Amounts are decimal strings in the asset's scale ("250.00"); converting them needs the
// scale, which the caller supplies through a lookup.
#pragma once

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>

#include "base/asset_code.h"
#include "ledger/entries.h"
#include "ledger/ledger.h"
#include "ledger/transaction.h"

namespace corridor::api {

// The scale of an asset, or nullopt if the asset does not exist.
using ScaleLookup = std::function<std::optional<uint8_t>(const AssetId&)>;

// Builds an unsigned transaction from its JSON form. Throws ApiError (400) naming the field
// for malformed input: unknown or missing fields, wrong types, bad ids, over-precise or
// out-of-range amounts, unknown assets.
ledger::Transaction transaction_from_json(const nlohmann::json& j, const Hash256& network_id,
                                          const ScaleLookup& scales);
std::vector<ledger::TxSignature> signatures_from_json(const nlohmann::json& j);

nlohmann::json transaction_to_json(const ledger::Transaction& tx, const ScaleLookup& scales);
nlohmann::json outcome_to_json(const ledger::TxOutcome& outcome, size_t op_count);
nlohmann::json asset_to_json(const ledger::AssetEntry& a);
nlohmann::json holding_to_json(const AssetId& asset, const ledger::HoldingEntry& h, uint8_t scale);
nlohmann::json account_to_json(const ledger::AccountEntry& a);
// The liquidity queue and escrows, amounts in the asset's scale.
nlohmann::json queued_payment_to_json(const ledger::QueuedPaymentEntry& q, uint8_t scale);
nlohmann::json escrow_to_json(const ledger::EscrowEntry& e, uint8_t scale);
nlohmann::json queue_events_to_json(const std::vector<ledger::QueueEvent>& events);
// FX: an offer, its amount in the selling asset's scale and its price exact as {n, d}.
nlohmann::json offer_to_json(const ledger::OfferEntry& o, uint8_t selling_scale);

// Field readers that throw ApiError with the field's name.
AccountId account_id_field(const nlohmann::json& j, const char* name);
AssetId asset_id_field(const nlohmann::json& j, const char* name);

}  // namespace corridor::api
