// Transactions: a body (network, source account, nonce, validity, operations) and the
// signatures over its id. The id is SHA-256 of the canonical body encoding; signers sign
// "corridor.tx.v1" || id, so one Ed25519 signature covers any number of operations.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/hash.h"
#include "base/keys.h"
#include "base/status.h"
#include "ledger/operation.h"
#include "ledger/result_code.h"

namespace corridor::ledger {

inline constexpr uint8_t tx_version = 1;

struct TxSignature {
  PublicKey key;
  Signature signature;
  friend bool operator==(const TxSignature&, const TxSignature&) = default;
};

struct Transaction {
  Hash256 network_id;
  AccountId source;
  // Chosen by the client to make otherwise identical transactions distinct; resubmitting the
  // same body yields the same id, which the ledger applies at most once.
  uint64_t nonce = 0;
  // The last block height at which the transaction may be applied.
  uint64_t valid_until_height = 0;
  std::vector<Operation> ops;
  std::vector<TxSignature> signatures;

  // SHA-256 of encode_tx_body(*this). Set by decode_transaction and by sign(); callers that
  // build a transaction by hand call compute_id() after the last change to the body.
  Hash256 id;

  void compute_id();
  // Computes the id and appends a signature by key.
  void sign(const KeyPair& key);
};

// The message an Ed25519 signer signs for a transaction id.
Bytes tx_signing_message(const Hash256& tx_id);

// The message a current validator signs to approve a validator-set change: the domain
// "corridor.validators.v1", the network id, the new epoch (u64) and the new validator keys
// (u16 count, then each key), so an approval cannot be replayed on another network, for
// another epoch or for another set.
Bytes validator_set_approval_message(const Hash256& network_id, uint64_t epoch,
                                     const std::vector<PublicKey>& validators);

void encode_tx_body(const Transaction& tx, Bytes& out);
Bytes encode_transaction(const Transaction& tx);
// Decodes an envelope (body then signatures), enforcing every structural limit, and computes the
// id. Rejects trailing bytes, unknown operation types, non-canonical booleans and invalid
// asset codes. Never reads out of bounds, whatever the input.
Result<Transaction> decode_transaction(ByteView envelope);

// Stateless checks: everything decidable without ledger state. Structural limits, positive
// amounts and limits, the network id, and every signature's validity over the id (and every
// validator-set approval's over its change). Returns
// the code for the first problem (ok if none). An invalid operation makes the transaction
// tx_malformed, with op_index and op_code naming the operation and its problem. A transaction
// failing these checks never consumes its id.
struct StatelessCheck {
  ResultCode code = ResultCode::ok;
  uint32_t op_index = 0;
  ResultCode op_code = ResultCode::ok;
};
StatelessCheck check_stateless(const Transaction& tx, const Hash256& network_id,
                               bool verify_signatures = true);
// The signature part of check_stateless alone (every signature over the id, and a validator-set
// change's approvals), for a caller that ran check_stateless without it first and wants the
// expensive part last.
StatelessCheck check_signatures(const Transaction& tx, const Hash256& network_id);

}  // namespace corridor::ledger
