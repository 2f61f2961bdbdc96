// Protocol limits. Each is enforced where the data enters (decoders, stateless checks) and
// tested; changing one changes which transactions are valid, so they are part of the protocol.
#pragma once

#include <cstddef>
#include <cstdint>

namespace corridor::ledger {

// One envelope may carry a bank's whole batch of customer payments under one signature.
inline constexpr uint32_t tx_ops_max = 10'000;
inline constexpr uint8_t tx_signatures_max = 8;
// Large enough for tx_ops_max transfers (about 90 bytes each) with room to spare.
inline constexpr size_t tx_bytes_max = 1 << 20;
// A transaction names the last height it may be applied at; it may not reach further ahead
// than this, which bounds the set of ids kept for replay protection.
inline constexpr uint64_t tx_validity_blocks_max = 20'000;
inline constexpr uint8_t signers_max = 8;
// Holdings per account; an account's holdings are listed by the API in one response.
inline constexpr uint32_t account_holdings_max = 1'000;
// Validators of one epoch; equal to consensus::validators_max (the node checks they agree).
inline constexpr uint32_t validators_max = 256;
inline constexpr uint32_t block_txs_max = 100'000;
inline constexpr size_t block_bytes_max = 64 << 20;

}  // namespace corridor::ledger
