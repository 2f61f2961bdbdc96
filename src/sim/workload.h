// The simulator's clients and their model. A set of funded accounts pays each other random
// signed transfers; the model recomputes, from nothing but the transfers it created and the
// order consensus committed them in, what every transaction's outcome and every balance must
// be, and checks each honest node's ledger against it.
#pragma once

#include <cstdint>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/amount.h"
#include "base/asset_code.h"
#include "base/hash.h"
#include "base/keys.h"
#include "base/status.h"
#include "ledger/block.h"
#include "ledger/ledger.h"
#include "ledger/transaction.h"
#include "sim/rng.h"

namespace corridor::sim {

struct WorkloadConfig {
  uint32_t accounts = 16;
  // Each account starts with `funding` minor units and sends 1 to amount_max at a time, so that
  // some transfers fail for lack of balance and the model has both outcomes to predict.
  Amount funding = 2'000;
  Amount amount_max = 100;
};

class Workload {
 public:
  // `validators` is the first validator set, installed by the genesis block.
  Workload(const Hash256& network_id, uint64_t seed, const WorkloadConfig& config,
           const std::vector<PublicKey>& validators);

  // Ledger block 0: installs the validator set (epoch 0), creates the issuer, the asset, every
  // account and holding, and funds them.
  // Every node applies it before consensus starts, so all begin from one state.
  const ledger::Block& genesis_block() const { return genesis_; }

  // A transfer between two random distinct accounts, signed by its source.
  ledger::Transaction make_transfer(Rng& rng, uint64_t valid_until_height);

  // A governance transaction moving to `epoch` with the validator set `next`, approved by
  // `approvers` (current validators' keys) and submitted by the issuer's account.
  ledger::Transaction make_validator_change(uint64_t epoch, const std::vector<PublicKey>& next,
                                            const std::vector<KeyPair>& approvers,
                                            uint64_t valid_until_height);
  // The epoch the committed transactions modeled so far have reached.
  uint64_t modeled_epoch() const { return epoch_; }
  const std::vector<PublicKey>& modeled_validators() const { return validators_; }

  // Extends the model by the block committed at `height` (called once per height, in order).
  // Fails when the block holds a transaction the workload never created (validity).
  Status model_block(uint64_t height, const std::vector<ledger::Transaction>& txs);
  // Checks one node's outcomes for block `height` and its ledger after it against the model.
  Status check_node(uint64_t height, const std::vector<ledger::TxOutcome>& outcomes,
                    const ledger::Ledger& ledger) const;
  uint64_t modeled_height() const { return modeled_height_; }

  uint64_t created() const { return created_.size(); }
  uint64_t applied_ok() const { return applied_ok_; }

 private:
  struct Created {
    uint32_t from;
    uint32_t to;
    Amount amount;
    std::vector<ledger::TxSignature> signatures;
    // Governance: the epoch the change moves to, and the keys of the new set.
    bool governance = false;
    uint64_t epoch = 0;
    std::vector<PublicKey> validators;
  };
  struct Modeled {
    std::vector<ledger::ResultCode> codes;
    std::vector<Amount> balances;
    uint64_t epoch = 0;
    std::vector<PublicKey> validators;
  };

  Hash256 network_id_;
  WorkloadConfig config_;
  std::vector<KeyPair> keys_;  // [0] the issuer, then the accounts.
  std::vector<AccountId> ids_;
  AssetId asset_;
  ledger::Block genesis_;
  uint64_t next_nonce_ = 1;

  std::unordered_map<Hash256, Created, FixedBytesHasher> created_;
  std::unordered_set<Hash256, FixedBytesHasher> consumed_;
  std::vector<Amount> balances_;
  std::map<uint64_t, Modeled> heights_;
  uint64_t modeled_height_ = 0;
  uint64_t applied_ok_ = 0;
  uint64_t epoch_ = 0;
  std::vector<PublicKey> validators_;
};

}  // namespace corridor::sim
