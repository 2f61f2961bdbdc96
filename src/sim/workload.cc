#include "sim/workload.h"

#include <limits>
#include <string>
#include <utility>

#include "base/encoding.h"
#include "ledger/limits.h"

namespace corridor::sim {
namespace {

constexpr std::string_view key_domain = "corridor.sim.account";
constexpr std::string_view asset_code_text = "USD";
constexpr uint8_t asset_scale = 2;

KeyPair account_key(uint64_t seed, uint64_t index) {
  Bytes material(key_domain.begin(), key_domain.end());
  Writer w(material);
  w.u64(seed);
  w.u64(index);
  return KeyPair::from_seed(Seed::from_view(sha256(material).view()));
}

ledger::Transaction signed_tx(const Hash256& network_id, const KeyPair& key, uint64_t nonce,
                              std::vector<ledger::Operation> ops) {
  ledger::Transaction tx;
  tx.network_id = network_id;
  tx.source = key.account_id();
  tx.nonce = nonce;
  tx.valid_until_height = 0;  // Applied at ledger height 0.
  tx.ops = std::move(ops);
  tx.sign(key);
  return tx;
}

}  // namespace

Workload::Workload(const Hash256& network_id, uint64_t seed, const WorkloadConfig& config,
                   const std::vector<PublicKey>& validators)
    : network_id_(network_id), config_(config), validators_(validators) {
  CORRIDOR_ASSERT(config.accounts >= 2);
  for (uint64_t i = 0; i <= config.accounts; ++i) {
    keys_.push_back(account_key(seed, i));
    ids_.push_back(keys_.back().account_id());
  }
  auto code = AssetCode::parse(asset_code_text);
  CORRIDOR_ASSERT(code.ok());
  asset_ = AssetId{*code, ids_[0]};

  // One block applies the transactions in order, so later ones see what earlier ones created.
  auto& txs = genesis_.txs;
  for (const KeyPair& key : keys_)
    txs.push_back(signed_tx(network_id, key, 0, {ledger::CreateAccountOp{key.public_key()}}));
  txs.push_back(signed_tx(network_id, keys_[0], 1, {ledger::CreateAssetOp{*code, asset_scale, 0}}));
  for (uint32_t a = 1; a <= config.accounts; ++a)
    txs.push_back(signed_tx(network_id, keys_[a], 1,
                            {ledger::OpenHoldingOp{asset_, std::numeric_limits<Amount>::max()}}));
  std::vector<ledger::Operation> issue;
  for (uint32_t a = 1; a <= config.accounts; ++a)
    issue.emplace_back(ledger::IssueOp{ids_[a], *code, config.funding});
  txs.push_back(signed_tx(network_id, keys_[0], 2, std::move(issue)));
  txs.push_back(signed_tx(network_id, keys_[0], 3, {ledger::SetValidatorsOp{0, validators, {}}}));
  genesis_.header.height = 0;
  genesis_.header.tx_count = static_cast<uint32_t>(txs.size());
  genesis_.header.tx_root = ledger::compute_tx_root(txs);

  balances_.assign(config.accounts, config.funding);
  heights_[0] = Modeled{{}, balances_, 0, validators_};
}

ledger::Transaction Workload::make_validator_change(uint64_t epoch,
                                                    const std::vector<PublicKey>& next,
                                                    const std::vector<KeyPair>& approvers,
                                                    uint64_t valid_until_height) {
  ledger::SetValidatorsOp op{epoch, next, {}};
  Bytes msg = ledger::validator_set_approval_message(network_id_, epoch, next);
  for (const KeyPair& k : approvers) op.approvals.push_back({k.public_key(), k.sign(msg)});
  ledger::Transaction tx;
  tx.network_id = network_id_;
  tx.source = ids_[0];
  tx.nonce = next_nonce_++;
  tx.valid_until_height = valid_until_height;
  tx.ops.emplace_back(std::move(op));
  tx.sign(keys_[0]);
  Created c{0, 0, 0, tx.signatures, true, epoch, next};
  created_.emplace(tx.id, std::move(c));
  return tx;
}

ledger::Transaction Workload::make_transfer(Rng& rng, uint64_t valid_until_height) {
  const auto accounts = config_.accounts;
  const auto from = static_cast<uint32_t>(rng.below(accounts));
  const auto to = static_cast<uint32_t>((from + 1 + rng.below(accounts - 1)) % accounts);
  const auto amount = static_cast<Amount>(rng.range(1, static_cast<uint64_t>(config_.amount_max)));
  ledger::Transaction tx;
  tx.network_id = network_id_;
  tx.source = ids_[from + 1];
  tx.nonce = next_nonce_++;
  tx.valid_until_height = valid_until_height;
  tx.ops.emplace_back(ledger::TransferOp{ids_[to + 1], asset_, amount});
  tx.sign(keys_[from + 1]);
  created_.emplace(tx.id, Created{from, to, amount, tx.signatures, false, 0, {}});
  return tx;
}

Status Workload::model_block(uint64_t height, const std::vector<ledger::Transaction>& txs) {
  CORRIDOR_ASSERT(height == modeled_height_ + 1);
  Modeled m;
  m.codes.reserve(txs.size());
  for (size_t i = 0; i < txs.size(); ++i) {
    const ledger::Transaction& tx = txs[i];
    auto it = created_.find(tx.id);
    if (it == created_.end())
      return failed_precondition("validity: block " + std::to_string(height) + " transaction " +
                                 std::to_string(i) + " (" + tx.id.hex().substr(0, 12) +
                                 ") was not created by the workload");
    const Created& c = it->second;
    // The id covers the body only; whoever relayed it may have changed the signatures, and then
    // the stateless check must refuse it without consuming the id.
    if (tx.signatures != c.signatures) {
      m.codes.push_back(ledger::ResultCode::tx_bad_signature);
      continue;
    }
    ledger::ResultCode code = ledger::ResultCode::ok;
    if (tx.valid_until_height < height) {
      code = ledger::ResultCode::tx_expired;
    } else if (tx.valid_until_height - height > ledger::tx_validity_blocks_max) {
      code = ledger::ResultCode::tx_validity_too_long;
    } else if (consumed_.contains(tx.id)) {
      code = ledger::ResultCode::tx_duplicate;
    } else if (c.governance) {
      consumed_.insert(tx.id);
      // The simulator only proposes a change for the epoch after the committed one, with a
      // quorum of its validators; a second change for the same epoch fails.
      if (c.epoch == epoch_ + 1) {
        epoch_ = c.epoch;
        validators_ = c.validators;
      } else {
        code = ledger::ResultCode::tx_failed;
      }
    } else {
      consumed_.insert(tx.id);
      if (balances_[c.from] < c.amount) {
        code = ledger::ResultCode::tx_failed;
      } else {
        balances_[c.from] -= c.amount;
        balances_[c.to] += c.amount;
        ++applied_ok_;
      }
    }
    m.codes.push_back(code);
  }
  m.balances = balances_;
  m.epoch = epoch_;
  m.validators = validators_;
  heights_[height] = std::move(m);
  modeled_height_ = height;
  return Status();
}

Status Workload::check_node(uint64_t height, const std::vector<ledger::TxOutcome>& outcomes,
                            const ledger::Ledger& ledger) const {
  auto it = heights_.find(height);
  CORRIDOR_ASSERT(it != heights_.end());
  const Modeled& m = it->second;
  const std::string at = "model: height " + std::to_string(height) + ": ";
  if (outcomes.size() != m.codes.size())
    return failed_precondition(at + std::to_string(outcomes.size()) + " outcomes, model has " +
                               std::to_string(m.codes.size()));
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const ledger::ResultCode want = m.codes[i];
    const ledger::ResultCode got = outcomes[i].code;
    // A changed signature is refused by whichever stateless check notices first.
    const bool match = want == ledger::ResultCode::tx_bad_signature
                           ? got != ledger::ResultCode::ok && got != ledger::ResultCode::tx_failed
                           : got == want;
    if (!match)
      return failed_precondition(at + "transaction " + std::to_string(i) + " got " +
                                 std::string(ledger::result_code_name(got)) + ", model expects " +
                                 std::string(ledger::result_code_name(want)));
  }
  const auto& set = ledger.validator_set();
  if (!set || set->epoch != m.epoch || set->validators != m.validators)
    return failed_precondition(at + "validator set " +
                               (set ? "of epoch " + std::to_string(set->epoch) : "missing") +
                               ", model expects epoch " + std::to_string(m.epoch));
  for (uint32_t a = 0; a < config_.accounts; ++a) {
    const ledger::HoldingEntry* h = ledger.holding(ids_[a + 1], asset_);
    const Amount got = h ? h->balance : -1;
    if (got != m.balances[a])
      return failed_precondition(at + "account " + std::to_string(a) + " balance " +
                                 std::to_string(got) + ", model expects " +
                                 std::to_string(m.balances[a]));
  }
  return Status();
}

}  // namespace corridor::sim
