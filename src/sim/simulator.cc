#include "sim/simulator.h"

#include "base/quorum.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "base/encoding.h"
#include "base/keys.h"
#include "base/quorum.h"
#include "consensus/core.h"
#include "consensus/types.h"
#include "ledger/block.h"
#include "ledger/ledger.h"
#include "sim/rng.h"
#include "sim/sim_node.h"
#include "sim/trace.h"
#include "sim/workload.h"

namespace corridor::sim {
namespace {

using consensus::Action;
using consensus::Message;
using consensus::ValidatorIndex;

constexpr uint64_t us_per_ms = 1'000;
constexpr uint64_t ms_per_s = 1'000;
// Mean time between two client submissions: about 100 transfers/s on LAN, 20/s on WAN, enough
// to fill blocks without making signature checks the whole cost of a run.
constexpr uint64_t lan_submit_interval_mean_us = 10'000;
constexpr uint64_t wan_submit_interval_mean_us = 50'000;
// Share of transfers a client also submits to a second validator, as after a timeout.
constexpr uint32_t resubmit_permille = 100;
// How many blocks past the current height a transfer stays valid.
constexpr uint64_t tx_validity_blocks = 200;
// A mid-batch crash strikes at the node's next batch; if none comes within this window, it
// strikes between batches.
constexpr uint64_t crash_arm_window_ms = 100;
// Garbage that an invalid-proposal node sends instead of a message, at most this long.
constexpr uint64_t garbage_bytes_max = 200;
// A node in the wrong epoch asks (or answers) a given peer about it at most this often.
constexpr uint64_t epoch_bridge_interval_ms = 500;
// A validator-set change not yet committed is submitted again this often.
constexpr uint64_t epoch_retry_ms = 2'000;
constexpr uint64_t measure_lan_duration_ms = 5'000;
constexpr uint64_t measure_wan_duration_ms = 60'000;
constexpr std::string_view validator_key_domain = "corridor.sim.validator";
constexpr std::string_view network_domain = "corridor.sim.network";
constexpr size_t short_id_bytes = 4;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string short_id(const Hash256& id) {
  return to_hex(id.view().subspan(0, short_id_bytes));
}

std::string describe(const Message& m) {
  char buf[160];
  std::visit(
      Overloaded{
          [&](const consensus::Proposal& p) {
            std::snprintf(
                buf, sizeof buf, "Proposal r=%" PRIu64 " h=%" PRIu64 " id=%s qc=%" PRIu64 "%s",
                p.block.round, p.block.height, short_id(p.block_id).c_str(), p.block.qc.round,
                p.tc ? (" tc=" + std::to_string(p.tc->round)).c_str() : "");
          },
          [&](const consensus::Vote& v) {
            std::snprintf(buf, sizeof buf, "Vote r=%" PRIu64 " h=%" PRIu64 " id=%s by=%u", v.round,
                          v.height, short_id(v.block_id).c_str(), v.voter);
          },
          [&](const consensus::Timeout& t) {
            std::snprintf(buf, sizeof buf, "Timeout r=%" PRIu64 " hqc=%" PRIu64 " by=%u", t.round,
                          t.high_qc.round, t.author);
          },
          [&](const consensus::BlockRequest& r) {
            std::snprintf(buf, sizeof buf, "BlockRequest id=%s count=%u",
                          short_id(r.block_id).c_str(), r.count);
          },
          [&](const consensus::EpochRequest& r) {
            std::snprintf(buf, sizeof buf, "EpochRequest epoch=%" PRIu64, r.epoch);
          },
          [&](const consensus::EpochProof& p) {
            std::snprintf(buf, sizeof buf, "EpochProof epoch=%" PRIu64 " blocks=%zu h=%" PRIu64,
                          p.qc.epoch, p.blocks.size(), p.blocks.back().height);
          },
          [&](const consensus::BlockResponse& r) {
            if (r.blocks.empty()) {
              std::snprintf(buf, sizeof buf, "BlockResponse blocks=0");
            } else {
              std::snprintf(buf, sizeof buf, "BlockResponse blocks=%zu h=%" PRIu64 "..%" PRIu64,
                            r.blocks.size(), r.blocks.back().height, r.blocks.front().height);
            }
          }},
      m);
  return buf;
}

KeyPair validator_key(uint64_t seed, uint64_t index) {
  Bytes material(validator_key_domain.begin(), validator_key_domain.end());
  Writer w(material);
  w.u64(seed);
  w.u64(index);
  return KeyPair::from_seed(Seed::from_view(sha256(material).view()));
}

double percentile_ms(std::vector<uint64_t> values_us, uint32_t permille) {
  if (values_us.empty()) return 0;
  std::sort(values_us.begin(), values_us.end());
  size_t rank = (values_us.size() * permille + 999) / 1000;
  rank = std::clamp<size_t>(rank, 1, values_us.size());
  return static_cast<double>(values_us[rank - 1]) / static_cast<double>(us_per_ms);
}

class Simulation {
 public:
  Simulation(uint64_t seed, Scenario scenario, const SimOptions& options, bool measure);

  void run();
  SimResult result() const;

  // Measurement mode.
  void schedule_leader_crash(uint64_t at_ms);
  MeasureResult measure_result() const;

 private:
  struct Held {
    size_t from_slot;
    std::shared_ptr<const Bytes> bytes;
  };
  struct Slot {
    std::unique_ptr<SimNode> node;
    std::string name;
    ValidatorIndex index = 0;
    ByzantineMode mode = ByzantineMode::none;
    bool honest = true;
    bool wiped = false;  // Lost its safety data, so its votes are no longer held to the rules.
    bool up = false;
    bool paused = false;
    std::vector<Held> held;
    bool timer_due = false;
    uint64_t timer_seq = 0;
    uint64_t incarnation = 0;
    std::optional<uint32_t> crash_after_actions;
    uint64_t restart_after_ms = 0;  // 0: stays down.
    bool restart_wiped = false;
    std::optional<consensus::SafetyData> last_safety;
    std::vector<uint64_t> commit_times_us;
    // Bumped whenever the node's Core is replaced (restart, new epoch), so that the rest of
    // the old Core's action batch is dropped.
    uint64_t core_generation = 0;
    // Epoch catch-up: when this node last asked for a proof, and last sent one to each peer.
    uint64_t epoch_request_ms = 0;
    std::map<size_t, uint64_t> proof_sent_ms;
  };
  struct Event {
    uint64_t time_us;
    uint64_t seq;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time_us != b.time_us ? a.time_us > b.time_us : a.seq > b.seq;
    }
  };
  struct HeightRecord {
    Hash256 id;
    Hash256 state_root;
    std::string first;
  };

  uint64_t now_ms() const { return now_us_ / us_per_ms; }
  void at(uint64_t time_us, std::function<void()> fn) {
    queue_.push(Event{std::max(time_us, now_us_), seq_++, std::move(fn)});
  }
  void trace(std::string_view text) { trace_.add(now_us_, text); }
  void fail(std::string what) {
    if (failure_.empty()) {
      failure_ = std::move(what);
      trace("FAILED: " + failure_);
    }
  }

  void schedule_scenario();
  void execute(size_t s, std::vector<Action> actions);
  void send(size_t s, ValidatorIndex to, const Message& m);
  void broadcast(size_t s, const Message& m);
  void transmit(size_t s, ValidatorIndex to, std::shared_ptr<const Bytes> bytes);
  void deliver(size_t t, size_t from_slot, const std::shared_ptr<const Bytes>& bytes);
  void set_timer(size_t s, uint64_t deadline_ms);
  void fire_timer(size_t s, uint64_t incarnation, uint64_t timer_seq);
  void commit(size_t s, const consensus::CommitAction& c);
  void check_commit(size_t s, const ExecutedCommit& c);
  void check_vote(size_t s, const consensus::Vote& v);
  void crash_now(size_t s);
  void restart(size_t s);
  void resume(size_t s);
  void submit_tx();
  void change_validators(size_t k);
  void submit_everywhere(const ledger::Transaction& tx);
  // Epoch catch-up between nodes in different epochs (the host's part, outside the Core).
  void bridge_epochs(size_t t, size_t from_slot, const Message& m);
  // The index of the sender in the receiver's current validator set, if it is a member.
  std::optional<ValidatorIndex> index_in(size_t receiver, size_t sender) const;
  void transmit_to_slot(size_t s, size_t t, std::shared_ptr<const Bytes> bytes);
  void heal();
  void check_liveness();
  bool blocked(ValidatorIndex from, ValidatorIndex to) const;
  uint64_t max_committed_height() const { return heights_.empty() ? 0 : heights_.rbegin()->first; }

  consensus::Proposal resign(size_t s, consensus::Proposal p) const;
  std::shared_ptr<const Bytes> corrupt(size_t s, const consensus::Proposal& p);
  void vote_for_anything(size_t s, const Message& m);

  uint64_t seed_;
  Scenario scenario_;
  bool measure_;
  Trace trace_;
  Rng net_rng_;
  Rng workload_rng_;
  Rng byzantine_rng_;
  Rng disk_rng_;
  NodeContext context_;
  std::unique_ptr<Workload> workload_;
  std::vector<Slot> slots_;

  std::priority_queue<Event, std::vector<Event>, Later> queue_;
  uint64_t seq_ = 0;
  uint64_t now_us_ = 0;
  uint64_t events_ = 0;

  struct ActivePartition {
    uint64_t id;
    PartitionFault fault;
  };
  std::vector<ActivePartition> partitions_;
  // The scenario's loss and duplication until the network heals, then none.
  uint32_t loss_permille_ = 0;
  uint32_t duplicate_permille_ = 0;

  std::map<uint64_t, HeightRecord> heights_;
  // Keyed by (epoch, node, round): rounds start again at 1 in every epoch.
  std::map<std::tuple<consensus::Epoch, ValidatorIndex, consensus::Round>, Hash256> honest_votes_;
  std::map<std::tuple<consensus::Epoch, ValidatorIndex, consensus::Round>, Hash256>
      honest_proposals_;
  // Every validator key ever used, for signing approvals of validator-set changes.
  std::map<PublicKey, KeyPair> keys_by_public_;
  uint64_t keys_made_ = 0;
  uint32_t spares_joined_ = 0;
  // The epoch the latest submitted change moves to, and the change's transaction.
  uint64_t planned_epoch_ = 0;
  std::optional<ledger::Transaction> pending_change_;
  std::map<Hash256, uint64_t> proposed_at_us_;
  std::vector<uint64_t> latencies_us_;

  std::string failure_;
  bool healed_ = false;
  bool done_ = false;
  uint64_t heal_height_ = 0;
  uint64_t crash_at_us_ = 0;
  bool leader_crashed_ = false;

  uint64_t sent_ = 0;
  uint64_t delivered_ = 0;
  uint64_t dropped_ = 0;
  uint64_t undecodable_ = 0;
};

Simulation::Simulation(uint64_t seed, Scenario scenario, const SimOptions& options, bool measure)
    : seed_(seed),
      scenario_(std::move(scenario)),
      measure_(measure),
      trace_(options.trace_tail_lines, options.trace_sink),
      net_rng_(seed),
      workload_rng_(net_rng_.fork()),
      byzantine_rng_(net_rng_.fork()),
      disk_rng_(net_rng_.fork()) {
  crypto_init();
  loss_permille_ = scenario_.loss_permille;
  duplicate_permille_ = scenario_.duplicate_permille;
  const uint32_t n = scenario_.validators;
  std::vector<KeyPair> keys;
  std::vector<PublicKey> public_keys;
  for (uint32_t i = 0; i < n; ++i) {
    keys.push_back(validator_key(seed, i));
    public_keys.push_back(keys.back().public_key());
  }
  context_.validators = consensus::ValidatorSet(0, public_keys);
  context_.network_id = sha256(as_bytes(network_domain));
  context_.genesis = consensus::genesis_block(context_.validators, context_.network_id);
  context_.genesis_id = context_.genesis.compute_id();

  workload_ = std::make_unique<Workload>(context_.network_id, seed, WorkloadConfig{}, public_keys);
  ledger::Ledger genesis_ledger;
  ledger::ExecutedBlock g =
      ledger::execute_block(genesis_ledger, workload_->genesis_block(), context_.network_id);
  for (const ledger::TxOutcome& o : g.result.outcomes)
    CORRIDOR_ASSERT_MSG(o.code == ledger::ResultCode::ok, "the workload's setup block must apply");
  context_.genesis_delta = std::move(g.delta);
  context_.genesis_state_root = g.result.state_root;

  for (uint32_t i = 0; i < n; ++i) {
    Slot slot;
    slot.node = std::make_unique<SimNode>(context_, i, keys[i]);
    slot.name = "n" + std::to_string(i);
    slot.index = i;
    slot.mode = scenario_.byzantine[i];
    slot.honest = slot.mode == ByzantineMode::none;
    slots_.push_back(std::move(slot));
  }
  for (uint32_t k = 0; k < scenario_.spares; ++k) {
    Slot spare;
    const uint32_t index = n + k;
    spare.node = std::make_unique<SimNode>(context_, index, validator_key(seed, index));
    spare.name = "n" + std::to_string(index);
    spare.index = index;
    slots_.push_back(std::move(spare));
  }
  keys_made_ = n + scenario_.spares;
  for (const Slot& slot : slots_)
    keys_by_public_.emplace(slot.node->key().public_key(), slot.node->key());
  for (uint32_t i = 0; i < n; ++i) {
    if (scenario_.byzantine[i] != ByzantineMode::twins) continue;
    Slot twin;
    twin.node = std::make_unique<SimNode>(context_, i, keys[i]);
    twin.name = "n" + std::to_string(i) + "'";
    twin.index = i;
    twin.mode = ByzantineMode::twins;
    twin.honest = false;
    slots_.push_back(std::move(twin));
  }
}

void Simulation::schedule_scenario() {
  for (size_t s = 0; s < slots_.size(); ++s) at(0, [this, s] { restart(s); });
  for (size_t k = 0; k < scenario_.epoch_changes.size(); ++k)
    at(scenario_.epoch_changes[k].at_ms * us_per_ms, [this, k] { change_validators(k); });
  for (const NodeFault& nf : scenario_.node_faults) {
    const size_t s = nf.node;
    const uint64_t start_us = nf.start_ms * us_per_ms;
    if (nf.kind == NodeFault::Kind::pause) {
      at(start_us, [this, s] {
        slots_[s].paused = true;
        trace("pause " + slots_[s].name);
      });
      at(start_us + nf.duration_ms * us_per_ms, [this, s] { resume(s); });
      continue;
    }
    at(start_us, [this, s, nf] {
      Slot& slot = slots_[s];
      slot.restart_after_ms = nf.duration_ms;
      slot.restart_wiped = nf.kind == NodeFault::Kind::wipe;
      if (!nf.after_actions) {
        crash_now(s);
        return;
      }
      slot.crash_after_actions = nf.after_actions;
      const uint64_t incarnation = slot.incarnation;
      at(now_us_ + crash_arm_window_ms * us_per_ms, [this, s, incarnation] {
        if (slots_[s].incarnation == incarnation && slots_[s].crash_after_actions) crash_now(s);
      });
    });
  }
  for (size_t p = 0; p < scenario_.partitions.size(); ++p) {
    const PartitionFault& pf = scenario_.partitions[p];
    at(pf.start_ms * us_per_ms, [this, p] {
      partitions_.push_back({p, scenario_.partitions[p]});
      trace("partition " + std::to_string(p) + " begins");
    });
    at((pf.start_ms + pf.duration_ms) * us_per_ms, [this, p] {
      std::erase_if(partitions_, [p](const ActivePartition& a) { return a.id == p; });
      trace("partition " + std::to_string(p) + " heals");
    });
  }
  at(0, [this] { submit_tx(); });
  at(scenario_.duration_ms * us_per_ms, [this] { heal(); });
}

void Simulation::run() {
  for (const std::string& line : scenario_.describe()) trace("scenario: " + line);
  schedule_scenario();
  while (!queue_.empty() && failure_.empty() && !done_) {
    // The event is moved out before it runs, since running it pushes new ones.
    Event e = std::move(const_cast<Event&>(queue_.top()));
    queue_.pop();
    now_us_ = e.time_us;
    ++events_;
    e.fn();
  }
  if (failure_.empty() && !done_) fail("liveness: the simulation ran out of events");
}

void Simulation::execute(size_t s, std::vector<Action> actions) {
  const uint64_t generation = slots_[s].core_generation;
  for (size_t i = 0; i < actions.size(); ++i) {
    Slot& slot = slots_[s];
    if (!failure_.empty() || !slot.up || slot.core_generation != generation) return;
    if (slot.crash_after_actions && *slot.crash_after_actions <= i) {
      crash_now(s);
      return;
    }
    std::visit(Overloaded{[&](const consensus::SendAction& a) { send(s, a.to, a.message); },
                          [&](const consensus::BroadcastAction& a) { broadcast(s, a.message); },
                          [&](const consensus::PersistSafetyAction& a) {
                            if (slot.honest && !slot.wiped && slot.last_safety &&
                                a.data.epoch == slot.last_safety->epoch &&
                                a.data.last_voted_round < slot.last_safety->last_voted_round) {
                              fail("safety data: " + slot.name + " persisted last_voted_round " +
                                   std::to_string(a.data.last_voted_round) + " after " +
                                   std::to_string(slot.last_safety->last_voted_round));
                              return;
                            }
                            Status st = slot.node->persist_safety(a.data);
                            if (!st.ok())
                              fail(slot.name + " could not persist safety data: " + st.to_string());
                            slot.last_safety = a.data;
                          },
                          [&](const consensus::CommitAction& a) { commit(s, a); },
                          [&](const consensus::SetTimerAction& a) { set_timer(s, a.deadline_ms); }},
               actions[i]);
  }
  if (slots_[s].up && slots_[s].honest && slots_[s].node->core().stats().conflicting_commits > 0)
    fail("safety: honest " + slots_[s].name +
         " saw a certified chain that conflicts with its committed block");
  if (slots_[s].up && slots_[s].crash_after_actions) crash_now(s);
}

void Simulation::check_vote(size_t s, const consensus::Vote& v) {
  const Slot& slot = slots_[s];
  if (!slot.honest || slot.wiped) return;
  auto [it, inserted] =
      honest_votes_.emplace(std::make_tuple(v.epoch, slot.index, v.round), v.block_id);
  if (!inserted && it->second != v.block_id)
    fail("safety: honest " + slot.name + " voted for two blocks in round " +
         std::to_string(v.round) + ": " + short_id(it->second) + " and " + short_id(v.block_id));
}

void Simulation::send(size_t s, ValidatorIndex to, const Message& m) {
  const Slot& slot = slots_[s];
  if (slot.mode == ByzantineMode::withhold) return;
  if (const auto* v = std::get_if<consensus::Vote>(&m)) check_vote(s, *v);
  // `to` indexes the sender's current validator set; whichever nodes hold that key get it.
  const consensus::ValidatorSet& set = slot.node->core().validators();
  if (to >= set.size()) return;
  const PublicKey& key = set.key(to);
  std::shared_ptr<const Bytes> bytes;
  if (const auto* p = std::get_if<consensus::Proposal>(&m);
      p && slot.mode == ByzantineMode::invalid_proposal) {
    bytes = corrupt(s, *p);
  } else {
    bytes = std::make_shared<const Bytes>(consensus::encode_message(m));
  }
  std::set<ValidatorIndex> targets;
  for (const Slot& t : slots_)
    if (t.node->holds(key)) targets.insert(t.index);
  for (ValidatorIndex t : targets) transmit(s, t, bytes);
}

void Simulation::broadcast(size_t s, const Message& m) {
  const Slot& slot = slots_[s];
  if (slot.mode == ByzantineMode::withhold) return;
  // Every node hears broadcasts, observers (spares, removed validators) too: they follow the
  // chain from proposals and their certificates.
  const auto n = static_cast<uint32_t>(scenario_.validators + scenario_.spares);
  const auto* p = std::get_if<consensus::Proposal>(&m);
  if (p) proposed_at_us_.emplace(p->block_id, now_us_);
  if (p && slot.honest && !slot.wiped) {
    // An honest leader proposes one block per round, across restarts too.
    auto [it, inserted] = honest_proposals_.emplace(
        std::make_tuple(p->block.epoch, slot.index, p->block.round), p->block_id);
    if (!inserted && it->second != p->block_id) {
      fail("safety: honest " + slot.name + " proposed two blocks in round " +
           std::to_string(p->block.round) + ": " + short_id(it->second) + " and " +
           short_id(p->block_id));
      return;
    }
  }
  if (p && slot.mode == ByzantineMode::equivocate) {
    // Half the validators see one block, half another, both properly signed.
    consensus::Proposal other = *p;
    other.block.payload = encode_payload({});
    other.block.time_ms += 1;
    other = resign(s, std::move(other));
    trace(slot.name + " equivocates r=" + std::to_string(p->block.round) + ": " +
          short_id(p->block_id) + " / " + short_id(other.block_id));
    auto first = std::make_shared<const Bytes>(consensus::encode_message(m));
    auto second = std::make_shared<const Bytes>(consensus::encode_message(Message(other)));
    for (ValidatorIndex i = 0; i < n; ++i)
      if (i != slot.index) transmit(s, i, i < scenario_.validators / 2 ? first : second);
    return;
  }
  if (p && slot.mode == ByzantineMode::invalid_proposal) {
    for (ValidatorIndex i = 0; i < n; ++i)
      if (i != slot.index) transmit(s, i, corrupt(s, *p));
    return;
  }
  if (const auto* v = std::get_if<consensus::Vote>(&m)) check_vote(s, *v);
  auto bytes = std::make_shared<const Bytes>(consensus::encode_message(m));
  for (ValidatorIndex i = 0; i < n; ++i)
    if (i != slot.index) transmit(s, i, bytes);
}

consensus::Proposal Simulation::resign(size_t s, consensus::Proposal p) const {
  p.block_id = p.block.compute_id();
  p.signature =
      slots_[s].node->key().sign(consensus::proposal_signing_message(p.block.epoch, p.block_id));
  return p;
}

std::shared_ptr<const Bytes> Simulation::corrupt(size_t s, const consensus::Proposal& p) {
  constexpr uint64_t variants = 5;
  consensus::Proposal q = p;
  switch (byzantine_rng_.below(variants)) {
    case 0:  // A signature that does not verify.
      q.signature.bytes[0] ^= 1;
      break;
    case 1:  // Signed by this validator but claiming another as author.
      q.block.author = (q.block.author + 1) %
                       static_cast<ValidatorIndex>(slots_[s].node->core().validators().size());
      q = resign(s, std::move(q));
      break;
    case 2:  // A QC whose signature (or, on genesis, whose round) is forged.
      if (!q.block.qc.votes.empty()) {
        q.block.qc.votes.front().second.bytes[0] ^= 1;
      } else {
        q.block.qc.round += 1;
      }
      q = resign(s, std::move(q));
      break;
    case 3: {  // Not a message at all.
      Bytes garbage(byzantine_rng_.range(1, garbage_bytes_max));
      for (uint8_t& b : garbage) b = static_cast<uint8_t>(byzantine_rng_.next());
      return std::make_shared<const Bytes>(std::move(garbage));
    }
    default:  // Now and then the real thing, so the chain it leads still moves.
      break;
  }
  return std::make_shared<const Bytes>(consensus::encode_message(Message(q)));
}

void Simulation::vote_for_anything(size_t s, const Message& m) {
  const auto* p = std::get_if<consensus::Proposal>(&m);
  if (!p) return;
  const Slot& slot = slots_[s];
  consensus::Vote v;
  v.epoch = p->block.epoch;
  v.round = p->block.round;
  v.height = p->block.height;
  v.block_id = p->block_id;
  v.voter = slot.index;
  v.signature = slot.node->key().sign(
      consensus::vote_signing_message(v.epoch, v.round, v.height, v.block_id));
  const consensus::ValidatorSet& set = slot.node->core().validators();
  if (auto me = set.index_of(slot.node->key().public_key())) v.voter = *me;
  // To everyone, as honest votes go, so every node that forms QCs sees the conflicting ones.
  broadcast(s, Message(v));
}

bool Simulation::blocked(ValidatorIndex from, ValidatorIndex to) const {
  for (const ActivePartition& a : partitions_) {
    const bool from_a = (a.fault.side_a >> from) & 1;
    const bool to_a = (a.fault.side_a >> to) & 1;
    if (from_a && !to_a) return true;
    if (a.fault.symmetric && !from_a && to_a) return true;
  }
  return false;
}

void Simulation::transmit(size_t s, ValidatorIndex to, std::shared_ptr<const Bytes> bytes) {
  const Slot& from = slots_[s];
  if (to == from.index) {
    // To itself: no network in between.
    at(now_us_, [this, s, bytes] { deliver(s, s, bytes); });
    return;
  }
  for (size_t t = 0; t < slots_.size(); ++t) {
    if (slots_[t].index != to) continue;
    ++sent_;
    if (blocked(from.index, to)) {
      ++dropped_;
      trace(from.name + " -> " + slots_[t].name + " dropped (partition)");
      continue;
    }
    if (net_rng_.chance_permille(loss_permille_)) {
      ++dropped_;
      trace(from.name + " -> " + slots_[t].name + " lost");
      continue;
    }
    const int copies = net_rng_.chance_permille(duplicate_permille_) ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      const uint64_t delay = net_rng_.range(scenario_.delay.min_us, scenario_.delay.max_us);
      at(now_us_ + delay, [this, t, s, bytes] { deliver(t, s, bytes); });
    }
  }
}

void Simulation::deliver(size_t t, size_t from_slot, const std::shared_ptr<const Bytes>& bytes) {
  Slot& to = slots_[t];
  if (!to.up) {
    ++dropped_;
    return;
  }
  if (to.paused) {
    to.held.push_back({from_slot, bytes});
    return;
  }
  const std::string& sender = slots_[from_slot].name;
  auto m = consensus::decode_message(*bytes);
  if (!m.ok()) {
    ++undecodable_;
    trace(sender + " -> " + to.name + " undecodable (" + m.status().message() + ")");
    return;
  }
  ++delivered_;
  trace(sender + " -> " + to.name + " " + describe(*m));
  if (to.mode == ByzantineMode::conflicting_vote) vote_for_anything(t, *m);
  if (!to.up) return;
  bridge_epochs(t, from_slot, *m);
  if (!to.up || !failure_.empty()) return;
  if (const auto* request = std::get_if<consensus::BlockRequest>(&*m)) {
    // Served by whoever holds the blocks, to whoever asks, member or not.
    consensus::BlockResponse response = to.node->core().serve(*request);
    if (!response.blocks.empty())
      transmit_to_slot(t, from_slot,
                       std::make_shared<const Bytes>(consensus::encode_message(response)));
    return;
  }
  std::optional<ValidatorIndex> from = index_in(t, from_slot);
  if (!from) {
    // Sync answers from a node outside our set are checked on their own certificates; any
    // member can be asked for what they lead to.
    if (!std::holds_alternative<consensus::BlockResponse>(*m) &&
        !std::holds_alternative<consensus::EpochProof>(*m))
      return;
    const auto& set = to.node->core().validators();
    from = set.leader(to.node->core().current_round());
  }
  execute(t, to.node->core().on_message(*from, *m, now_ms()));
}

std::optional<ValidatorIndex> Simulation::index_in(size_t receiver, size_t sender) const {
  const consensus::ValidatorSet& set = slots_[receiver].node->core().validators();
  for (size_t i = 0; i < set.size(); ++i)
    if (slots_[sender].node->holds(set.key(static_cast<ValidatorIndex>(i))))
      return static_cast<ValidatorIndex>(i);
  return std::nullopt;
}

void Simulation::bridge_epochs(size_t t, size_t from_slot, const Message& m) {
  Slot& to = slots_[t];
  const consensus::Epoch mine = to.node->core().validators().epoch();
  if (const auto* request = std::get_if<consensus::EpochRequest>(&m)) {
    if (auto proof = to.node->load_epoch_proof(request->epoch))
      transmit_to_slot(t, from_slot,
                       std::make_shared<const Bytes>(consensus::encode_message(*proof)));
    return;
  }
  const auto theirs = consensus::message_epoch(m);
  if (!theirs || *theirs == mine) return;
  const uint64_t now = now_ms();
  if (*theirs > mine) {
    // We missed the end of our epoch: ask the sender how it ended.
    if (now < to.epoch_request_ms + epoch_bridge_interval_ms && to.epoch_request_ms != 0) return;
    to.epoch_request_ms = now;
    trace(to.name + " is behind in epoch " + std::to_string(mine) + ", asks " +
          slots_[from_slot].name);
    transmit_to_slot(
        t, from_slot,
        std::make_shared<const Bytes>(consensus::encode_message(consensus::EpochRequest{mine})));
  } else {
    // The sender is behind: give it the proof of how its epoch ended.
    uint64_t& last = to.proof_sent_ms[from_slot];
    if (last != 0 && now < last + epoch_bridge_interval_ms) return;
    last = now;
    if (auto proof = to.node->load_epoch_proof(*theirs))
      transmit_to_slot(t, from_slot,
                       std::make_shared<const Bytes>(consensus::encode_message(*proof)));
  }
}

void Simulation::transmit_to_slot(size_t s, size_t t, std::shared_ptr<const Bytes> bytes) {
  const Slot& from = slots_[s];
  ++sent_;
  if (blocked(from.index, slots_[t].index) || net_rng_.chance_permille(loss_permille_)) {
    ++dropped_;
    return;
  }
  const uint64_t delay = net_rng_.range(scenario_.delay.min_us, scenario_.delay.max_us);
  at(now_us_ + delay, [this, t, s, bytes] { deliver(t, s, bytes); });
}

void Simulation::set_timer(size_t s, uint64_t deadline_ms) {
  Slot& slot = slots_[s];
  const uint64_t timer_seq = ++slot.timer_seq;
  const uint64_t incarnation = slot.incarnation;
  at(deadline_ms * us_per_ms,
     [this, s, incarnation, timer_seq] { fire_timer(s, incarnation, timer_seq); });
}

void Simulation::fire_timer(size_t s, uint64_t incarnation, uint64_t timer_seq) {
  Slot& slot = slots_[s];
  if (!slot.up || slot.incarnation != incarnation || slot.timer_seq != timer_seq) return;
  if (slot.paused) {
    slot.timer_due = true;
    return;
  }
  trace(slot.name + " timer (round " + std::to_string(slot.node->core().current_round()) + ")");
  execute(s, slot.node->core().on_timer(now_ms()));
}

void Simulation::commit(size_t s, const consensus::CommitAction& a) {
  Slot& slot = slots_[s];
  if (a.blocks.size() != a.ids.size()) {
    fail(slot.name + ": CommitAction with " + std::to_string(a.blocks.size()) + " blocks and " +
         std::to_string(a.ids.size()) + " ids");
    return;
  }
  for (size_t i = 0; i < a.blocks.size(); ++i) {
    auto r = slot.node->commit(a, i);
    if (!r.ok()) {
      if (slot.honest) {
        fail("commit: " + slot.name + ": " + r.status().message());
      } else {
        trace(slot.name + " (byzantine) commit refused: " + r.status().message());
      }
      return;
    }
    trace(slot.name + " commit h=" + std::to_string(r->height) + " id=" + short_id(r->id) +
          " txs=" + std::to_string(r->txs.size()) + " root=" + short_id(r->state_root));
    if (slot.honest) {
      check_commit(s, *r);
      if (!failure_.empty()) return;
    }
    slot.node->core().on_executed(r->height, r->state_root);
    if (r->epoch_ended) {
      // The rest of this commit belongs to the old epoch and is void; so are the old Core's
      // remaining actions.
      ++slot.core_generation;
      const consensus::Epoch ended = slot.node->core().validators().epoch();
      auto start = slot.node->switch_epoch(now_ms());
      // Peers still in the old epoch would otherwise learn of its end only when a round times
      // out there, so the proof goes to everyone at once.
      if (auto proof = slot.node->load_epoch_proof(ended)) {
        auto bytes = std::make_shared<const Bytes>(consensus::encode_message(*proof));
        for (size_t t = 0; t < slots_.size(); ++t)
          if (slots_[t].index != slot.index) transmit_to_slot(s, t, bytes);
      }
      trace(slot.name + " enters epoch " + std::to_string(slot.node->core().validators().epoch()) +
            " at h=" + std::to_string(r->height) +
            (slot.node->core().is_observer() ? " as observer" : ""));
      if (healed_) check_liveness();
      execute(s, std::move(start));
      return;
    }
  }
  if (healed_) check_liveness();
}

void Simulation::check_commit(size_t s, const ExecutedCommit& c) {
  Slot& slot = slots_[s];
  auto it = heights_.find(c.height);
  if (it == heights_.end()) {
    if (workload_->modeled_height() + 1 != c.height) {
      fail("commit: " + slot.name + " is the first to commit height " + std::to_string(c.height) +
           " but the model is at " + std::to_string(workload_->modeled_height()));
      return;
    }
    Status v = workload_->model_block(c.height, c.txs);
    if (!v.ok()) {
      fail(v.message());
      return;
    }
    heights_.emplace(c.height, HeightRecord{c.id, c.state_root, slot.name});
  } else {
    if (it->second.id != c.id) {
      fail("agreement: at height " + std::to_string(c.height) + " " + it->second.first +
           " committed " + short_id(it->second.id) + ", " + slot.name + " committed " +
           short_id(c.id));
      return;
    }
    if (it->second.state_root != c.state_root) {
      fail("state roots: at height " + std::to_string(c.height) + " " + it->second.first + " has " +
           short_id(it->second.state_root) + ", " + slot.name + " has " + short_id(c.state_root));
      return;
    }
  }
  Status inv = slot.node->ledger().check_invariants();
  if (!inv.ok()) {
    fail("conservation: " + slot.name + " at height " + std::to_string(c.height) + ": " +
         inv.message());
    return;
  }
  Status model = workload_->check_node(c.height, c.outcomes, slot.node->ledger());
  if (!model.ok()) {
    fail(slot.name + " " + model.message());
    return;
  }
  if (auto p = proposed_at_us_.find(c.id); p != proposed_at_us_.end())
    latencies_us_.push_back(now_us_ - p->second);
  slot.commit_times_us.push_back(now_us_);
}

void Simulation::crash_now(size_t s) {
  Slot& slot = slots_[s];
  slot.crash_after_actions.reset();
  if (!slot.up) return;
  slot.up = false;
  slot.paused = false;
  slot.held.clear();
  slot.timer_due = false;
  ++slot.incarnation;
  slot.node->crash(disk_rng_.next());
  if (slot.restart_wiped) {
    slot.node->wipe();
    slot.wiped = true;
    slot.last_safety.reset();
  }
  trace(std::string(slot.restart_wiped ? "crash+wipe " : "crash ") + slot.name);
  if (slot.restart_after_ms != 0)
    at(now_us_ + slot.restart_after_ms * us_per_ms, [this, s] { restart(s); });
}

void Simulation::restart(size_t s) {
  Slot& slot = slots_[s];
  if (slot.up) return;
  auto actions = slot.node->boot(now_ms());
  if (!actions.ok()) {
    fail("recovery: " + slot.name + " cannot restart: " + actions.status().to_string());
    return;
  }
  slot.up = true;
  ++slot.core_generation;
  trace("start " + slot.name + " at h=" + std::to_string(slot.node->committed_height()));
  execute(s, std::move(actions).value());
}

void Simulation::resume(size_t s) {
  Slot& slot = slots_[s];
  if (!slot.paused) return;
  slot.paused = false;
  std::vector<Held> held = std::move(slot.held);
  slot.held.clear();
  trace("resume " + slot.name + " with " + std::to_string(held.size()) + " held messages");
  for (const Held& h : held) {
    if (!failure_.empty() || !slot.up || slot.paused) return;
    deliver(s, h.from_slot, h.bytes);
  }
  if (slot.timer_due && slot.up) {
    slot.timer_due = false;
    execute(s, slot.node->core().on_timer(now_ms()));
  }
}

void Simulation::submit_tx() {
  ledger::Transaction tx =
      workload_->make_transfer(workload_rng_, max_committed_height() + tx_validity_blocks);
  Bytes envelope = ledger::encode_transaction(tx);
  std::vector<size_t> ready;
  for (size_t s = 0; s < slots_.size(); ++s)
    if (slots_[s].honest && slots_[s].up && !slots_[s].paused) ready.push_back(s);
  if (!ready.empty()) {
    const size_t first = ready[workload_rng_.below(ready.size())];
    slots_[first].node->submit(tx, envelope);
    std::string line = "submit " + short_id(tx.id) + " to " + slots_[first].name;
    if (ready.size() > 1 && workload_rng_.chance_permille(resubmit_permille)) {
      const size_t second = ready[workload_rng_.below(ready.size())];
      slots_[second].node->submit(tx, envelope);
      line += " and " + slots_[second].name;
    }
    trace(line);
  }
  const uint64_t mean = scenario_.profile == NetworkProfile::lan ? lan_submit_interval_mean_us
                                                                 : wan_submit_interval_mean_us;
  at(now_us_ + workload_rng_.range(1, 2 * mean), [this] { submit_tx(); });
}

void Simulation::submit_everywhere(const ledger::Transaction& tx) {
  Bytes envelope = ledger::encode_transaction(tx);
  for (Slot& slot : slots_)
    if (slot.honest && slot.up && !slot.paused) slot.node->submit(tx, envelope);
}

void Simulation::change_validators(size_t k) {
  if (done_ || !failure_.empty()) return;
  const uint64_t committed = workload_->modeled_epoch();
  if (planned_epoch_ > committed) {
    // The previous change is not committed yet: offer it again, and come back to this one.
    const uint64_t next_height = max_committed_height() + 1;
    if (pending_change_ && pending_change_->valid_until_height < next_height) {
      const auto& op = std::get<ledger::SetValidatorsOp>(pending_change_->ops.front());
      std::vector<KeyPair> approvers;
      for (const auto& a : op.approvals) approvers.push_back(keys_by_public_.at(a.key));
      pending_change_ = workload_->make_validator_change(
          op.epoch, op.validators, approvers, max_committed_height() + tx_validity_blocks);
    }
    if (pending_change_) submit_everywhere(*pending_change_);
    at(now_us_ + epoch_retry_ms * us_per_ms, [this, k] { change_validators(k); });
    return;
  }
  if (k >= scenario_.epoch_changes.size()) return;  // Only the retries of the last change.
  const EpochChange& e = scenario_.epoch_changes[k];
  const std::vector<PublicKey>& current = workload_->modeled_validators();
  std::vector<PublicKey> next = current;
  Slot& slot = slots_[e.node];
  auto it = std::find_if(next.begin(), next.end(),
                         [&](const PublicKey& key) { return slot.node->holds(key); });
  CORRIDOR_ASSERT_MSG(it != next.end(), "changes touch distinct validators still in the set");
  std::string what;
  EpochChange::Kind kind = e.kind;
  // Removing must leave 3f + 1 validators for the scenario's f, or the faults it injects could
  // exceed what the smaller set tolerates; such a removal rotates the key instead.
  if (kind == EpochChange::Kind::remove && next.size() <= 3 * scenario_.f() + 1)
    kind = EpochChange::Kind::rotate;
  if (kind == EpochChange::Kind::add) {
    Slot& spare = slots_[scenario_.validators + spares_joined_++];
    next.push_back(spare.node->key().public_key());
    what = "adds " + spare.name;
  } else if (kind == EpochChange::Kind::remove) {
    next.erase(it);
    what = "removes " + slot.name;
  } else if (kind == EpochChange::Kind::rotate) {
    KeyPair fresh = validator_key(seed_, keys_made_++);
    keys_by_public_.emplace(fresh.public_key(), fresh);
    slot.node->add_key(fresh);
    *it = fresh.public_key();
    what = "rotates the key of " + slot.name;
  } else {
    Slot& spare = slots_[scenario_.validators + spares_joined_++];
    *it = spare.node->key().public_key();
    what = "replaces " + slot.name + " with " + spare.name;
  }
  // Any quorum of the current validators approves; the simulator holds every key.
  std::vector<KeyPair> approvers;
  for (size_t i = 0; i < bft_quorum(current.size()); ++i)
    approvers.push_back(keys_by_public_.at(current[i]));
  planned_epoch_ = committed + 1;
  pending_change_ = workload_->make_validator_change(planned_epoch_, next, approvers,
                                                     max_committed_height() + tx_validity_blocks);
  trace("governance: epoch " + std::to_string(planned_epoch_) + " " + what + " (tx " +
        short_id(pending_change_->id) + ")");
  submit_everywhere(*pending_change_);
  // Keep offering it until it commits (a node holding it may crash and lose its mempool).
  at(now_us_ + epoch_retry_ms * us_per_ms,
     [this] { change_validators(scenario_.epoch_changes.size()); });
}

void Simulation::heal() {
  if (measure_) {
    done_ = true;
    return;
  }
  trace("heal: every fault ends");
  partitions_.clear();
  // Loss and duplication are network faults too: the healed network delivers every message
  // once (as the reliable channels of src/net do), with the profile's delays.
  loss_permille_ = 0;
  duplicate_permille_ = 0;
  for (size_t s = 0; s < slots_.size(); ++s) {
    if (slots_[s].paused) resume(s);
    if (!slots_[s].up) restart(s);
  }
  healed_ = true;
  heal_height_ = max_committed_height();
  at(now_us_ + liveness_window_ms * us_per_ms, [this] {
    if (done_) return;
    std::string heights;
    for (const Slot& slot : slots_)
      if (slot.honest)
        heights += " " + slot.name + "=" + std::to_string(slot.node->committed_height());
    fail("liveness: " + std::to_string(liveness_window_ms) + " ms after healing at height " +
         std::to_string(heal_height_) + ", not every honest validator reached height " +
         std::to_string(heal_height_ + liveness_blocks) + ":" + heights);
  });
  check_liveness();
}

void Simulation::check_liveness() {
  for (const Slot& slot : slots_)
    if (slot.honest && (!slot.up || slot.node->committed_height() < heal_height_ + liveness_blocks))
      return;
  trace("liveness: every honest validator committed " + std::to_string(liveness_blocks) +
        " blocks past " + std::to_string(heal_height_));
  done_ = true;
}

SimResult Simulation::result() const {
  SimResult r;
  r.ok = failure_.empty();
  r.failure = failure_;
  r.seed = seed_;
  r.scenario = scenario_;
  r.committed_height = max_committed_height();
  r.epoch = workload_->modeled_epoch();
  r.txs_created = workload_->created();
  r.txs_applied = workload_->applied_ok();
  r.messages_sent = sent_;
  r.messages_delivered = delivered_;
  r.messages_dropped = dropped_;
  r.messages_undecodable = undecodable_;
  for (const Slot& slot : slots_)
    if (slot.honest && slot.up) r.invalid_messages += slot.node->core().stats().invalid_messages;
  r.virtual_ms = now_ms();
  r.events = events_;
  r.trace_hash = trace_.hash();
  for (const auto& [height, rec] : heights_) r.committed_ids.push_back(rec.id);
  r.trace_tail = trace_.tail();
  return r;
}

void Simulation::schedule_leader_crash(uint64_t at_ms) {
  at(at_ms * us_per_ms, [this] {
    const Slot& observer = slots_[0];
    const ValidatorIndex leader =
        observer.node->core().validators().leader(observer.node->core().current_round());
    slots_[leader].restart_after_ms = 0;
    crash_at_us_ = now_us_;
    leader_crashed_ = true;
    crash_now(leader);
  });
}

MeasureResult Simulation::measure_result() const {
  MeasureResult m;
  m.ok = failure_.empty();
  m.failure = failure_;
  m.virtual_ms = now_ms();
  // The measured validator: the first one that was never crashed.
  size_t ref = 0;
  while (ref + 1 < slots_.size() && (!slots_[ref].up || slots_[ref].incarnation != 0)) ++ref;
  const Slot& slot = slots_[ref];
  m.blocks = slot.node->committed_height();
  m.txs = workload_->applied_ok();
  const double seconds = static_cast<double>(m.virtual_ms) / static_cast<double>(ms_per_s);
  if (seconds > 0) {
    m.blocks_per_s = static_cast<double>(m.blocks) / seconds;
    m.txs_per_s = static_cast<double>(m.txs) / seconds;
  }
  m.latency_p50_ms = percentile_ms(latencies_us_, 500);
  m.latency_p99_ms = percentile_ms(latencies_us_, 990);
  if (leader_crashed_) {
    uint64_t last = crash_at_us_;
    uint64_t gap = 0;
    for (uint64_t t : slot.commit_times_us) {
      if (t < crash_at_us_) continue;
      gap = std::max(gap, t - last);
      last = t;
    }
    gap = std::max(gap, now_us_ - last);
    m.crash_gap_ms = gap / us_per_ms;
  }
  m.messages = sent_;
  return m;
}

}  // namespace

SimResult run_simulation(uint64_t seed, const SimOptions& options) {
  Simulation sim(seed, make_scenario(seed, options.scenario), options, false);
  sim.run();
  return sim.result();
}

std::string format_failure(const SimResult& r) {
  std::string out = "seed " + std::to_string(r.seed) + " FAILED: " + r.failure + "\n";
  out += "  validators " + std::to_string(r.scenario.validators) + ", " +
         profile_name(r.scenario.profile) + ", loss " + std::to_string(r.scenario.loss_permille) +
         "/1000, duplication " + std::to_string(r.scenario.duplicate_permille) + "/1000\n";
  for (const std::string& line : r.scenario.describe()) out += "  " + line + "\n";
  out += "  last " + std::to_string(r.trace_tail.size()) + " trace lines:\n";
  for (const std::string& line : r.trace_tail) out += "    " + line + "\n";
  out += "  replay: corridor sim --seed " + std::to_string(r.seed) + " --trace\n";
  return out;
}

MeasureResult run_measurement(const MeasureOptions& options) {
  Scenario s;
  s.validators = options.validators;
  s.profile = options.profile;
  s.delay = profile_delay(options.profile);
  s.duration_ms = options.duration_ms != 0                 ? options.duration_ms
                  : options.profile == NetworkProfile::lan ? measure_lan_duration_ms
                                                           : measure_wan_duration_ms;
  s.byzantine.assign(s.validators, ByzantineMode::none);
  SimOptions sim_options;
  Simulation sim(options.seed, s, sim_options, true);
  if (options.crash_leader) sim.schedule_leader_crash(s.duration_ms / 3);
  sim.run();
  return sim.measure_result();
}

}  // namespace corridor::sim
