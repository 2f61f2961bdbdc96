#include "consensus/core.h"

#include <algorithm>
#include <utility>

namespace corridor::consensus {

// The actions of one input, accumulated in order.
struct Core::Out {
  std::vector<Action> actions;
  // Whether the proposal this input carried passed check_proposal.
  bool proposal_valid = false;
};

namespace {
// Votes are accepted for rounds at most this far ahead of the collector's round: a leader
// that lagged further catches up through certificates rather than collecting.
constexpr Round vote_round_ahead_max = 16;
// Executed roots remembered to check proposals' claims against.
constexpr size_t executed_roots_max = 1'024;
// Verified QCs remembered; older entries are dropped below this many rounds behind.
constexpr Round verified_qc_rounds_kept = 256;
// Outstanding block requests remembered; the oldest is forgotten beyond this.
constexpr size_t requests_outstanding_max = 64;
}  // namespace

Core::Core(ValidatorSet validators, std::optional<ValidatorIndex> me, KeyPair key,
           const RecoveryState& recovery, CoreConfig config, Adaptor& adaptor)
    : validators_(std::move(validators)),
      me_(me.value_or(static_cast<ValidatorIndex>(validators_max))),
      member_(me.has_value()),
      key_(std::move(key)),
      config_(config),
      adaptor_(adaptor),
      genesis_id_(recovery.genesis_id),
      genesis_height_(recovery.genesis_height),
      safety_(recovery.safety),
      high_qc_(recovery.last_committed_qc),
      committed_height_(recovery.last_committed.height),
      committed_round_(recovery.last_committed.round),
      committed_id_(recovery.last_committed_id) {
  if (member_) {
    CORRIDOR_ASSERT(me_ < validators_.size());
    CORRIDOR_ASSERT(validators_.key(me_) == key_.public_key());
  }
  CORRIDOR_ASSERT_MSG(safety_.epoch <= validators_.epoch(), "safety data from a later epoch");
  if (safety_.epoch < validators_.epoch()) safety_ = SafetyData{validators_.epoch(), 0, 0, 0};
  CORRIDOR_ASSERT(recovery.last_committed.height >= genesis_height_);
  tree_.emplace(committed_id_, recovery.last_committed);
  round_ = std::max(high_qc_.round + 1, safety_.last_voted_round);
  proposed_round_ = safety_.last_proposed_round;
}

const Block* Core::find_block(const Hash256& id) const {
  if (auto it = tree_.find(id); it != tree_.end()) return &it->second;
  for (const auto& [cid, b] : recent_committed_)
    if (cid == id) return &b;
  return nullptr;
}

uint64_t Core::timeout_ms() const {
  Round failed = round_ > high_qc_.round + 1 ? round_ - high_qc_.round - 1 : 0;
  uint32_t exp =
      static_cast<uint32_t>(std::min<Round>(failed, config_.round_timeout_backoff_exp_max));
  return config_.round_timeout_ms_base << exp;
}

bool Core::qc_valid(const QuorumCert& qc) {
  if (qc.is_genesis())
    return qc.block_id == genesis_id_ && qc.votes.empty() && qc.height == genesis_height_;
  auto key = std::make_pair(qc.round, qc.block_id);
  if (verified_qcs_.contains(key)) return true;
  if (!verify_qc(qc, validators_).ok()) return false;
  verified_qcs_.insert(key);
  return true;
}

std::vector<Action> Core::start(uint64_t now_ms) {
  Out out;
  timer_deadline_ms_ = now_ms + timeout_ms();
  out.actions.push_back(SetTimerAction{timer_deadline_ms_});
  if (validators_.leader(round_) == me_ && round_ == high_qc_.round + 1) propose(out, now_ms);
  return std::move(out.actions);
}

std::vector<Action> Core::propose_held(uint64_t now_ms) {
  Out out;
  if (proposal_held()) propose(out, now_ms, /*allow_hold=*/false);
  held_round_ = 0;
  return std::move(out.actions);
}

std::vector<Action> Core::on_message(ValidatorIndex from, const Message& message, uint64_t now_ms) {
  Out out;
  if (from >= validators_.size()) {
    ++stats_.invalid_messages;
    return {};
  }
  std::visit([&](const auto& m) { handle(out, from, m, now_ms); }, message);
  if (missing_ancestor_)
    request_sync(out, from, *missing_ancestor_, missing_ancestor_height_, now_ms);
  return std::move(out.actions);
}

Core::ProposalOutcome Core::on_proposal(ValidatorIndex from, const Proposal& proposal,
                                        uint64_t now_ms) {
  Out out;
  if (from >= validators_.size()) {
    ++stats_.invalid_messages;
    return {};
  }
  handle(out, from, proposal, now_ms);
  if (missing_ancestor_)
    request_sync(out, from, *missing_ancestor_, missing_ancestor_height_, now_ms);
  return {out.proposal_valid, std::move(out.actions)};
}

std::vector<Action> Core::on_timer(uint64_t now_ms) {
  Out out;
  if (now_ms < timer_deadline_ms_) return {};
  send_timeout(out, now_ms);
  if (missing_ancestor_) {
    // Ask someone other than the peer that last failed to answer: the round's leader, or
    // the next validator if that is us.
    ValidatorIndex peer = validators_.leader(round_);
    if (peer == me_) peer = static_cast<ValidatorIndex>((peer + 1) % validators_.size());
    request_sync(out, peer, *missing_ancestor_, missing_ancestor_height_, now_ms);
  }
  // While the round is stuck, the timeout is sent again at every expiry, so that lost
  // messages cannot stall the network for good.
  timer_deadline_ms_ = now_ms + timeout_ms();
  out.actions.push_back(SetTimerAction{timer_deadline_ms_});
  return std::move(out.actions);
}

void Core::on_executed(uint64_t height, const Hash256& state_root) {
  executed_roots_[height] = state_root;
  while (executed_roots_.size() > executed_roots_max)
    executed_roots_.erase(executed_roots_.begin());
  // The root after `height` is the root at its last root height (CoreConfig).
  const uint64_t claim_height = height - height % config_.exec_claim_interval_blocks;
  if (claim_height >= executed_height_) {
    executed_height_ = claim_height;
    executed_root_ = state_root;
  }
}

// --- Proposals ------------------------------------------------------------------------

bool Core::check_proposal(const Proposal& p, uint64_t now) {
  const Block& b = p.block;
  if (b.epoch != validators_.epoch() || (b.qc.epoch != validators_.epoch() && !b.qc.is_genesis()))
    return false;
  if (b.round == 0 || b.round > round_ + round_jump_max) return false;
  if (b.author != validators_.leader(b.round)) return false;
  if (b.height != b.qc.height + 1 || b.parent_id != b.qc.block_id || b.round <= b.qc.round)
    return false;
  if (b.time_ms > now + config_.block_time_skew_ms_max) return false;
  if (b.payload.size() > block_payload_bytes_max) return false;
  if (b.compute_id() != p.block_id) return false;
  if (!verify_signature(validators_.key(b.author), proposal_signing_message(b.epoch, p.block_id),
                        p.signature))
    return false;
  if (!qc_valid(b.qc)) return false;
  if (b.round != b.qc.round + 1) {
    // A round entered through a timeout must carry the TC, and extend a QC at least as high
    // as any its signers held.
    if (!p.tc || p.tc->round + 1 != b.round || !verify_tc(*p.tc, validators_).ok() ||
        b.qc.round < p.tc->max_high_qc_round())
      return false;
  } else if (p.tc && !verify_tc(*p.tc, validators_).ok()) {
    return false;
  }
  return true;
}

void Core::handle(Out& out, ValidatorIndex from, const Proposal& p, uint64_t now) {
  if (!check_proposal(p, now)) {
    ++stats_.invalid_messages;
    return;
  }
  out.proposal_valid = true;
  accept_proposal(out, from, p, now);
}

void Core::accept_proposal(Out& out, ValidatorIndex from, const Proposal& p, uint64_t now) {
  const Block& b = p.block;
  auto [seen, first] = proposal_ids_.emplace(b.round, p.block_id);
  process_qc(out, b.qc, now);
  if (p.tc) process_tc(out, *p.tc, now);
  if (!first && seen->second != p.block_id) {
    // A second, different proposal for the round: the leader equivocates. Its certificates
    // were still worth learning; the block itself is neither stored nor voted for (if it
    // is certified anyway, block sync fetches it), so equivocation cannot grow memory.
    ++stats_.equivocations_seen;
    return;
  }
  if (b.height <= committed_height_) return;

  const Block* parent = find_block(b.parent_id);
  if (!parent) {
    if (pending_.size() < config_.pending_proposals_max)
      pending_.emplace(b.parent_id, std::make_pair(from, p));
    request_sync(out, from, b.parent_id, b.height - 1, now);
    return;
  }
  if (b.time_ms < parent->time_ms) {
    ++stats_.invalid_messages;
    return;
  }
  if (b.exec_height > 0) {
    auto it = executed_roots_.find(b.exec_height);
    if (it != executed_roots_.end() && it->second != b.exec_state_root) {
      // The proposer executed the same committed blocks to a different state: its executor
      // diverged (or it lies). Do not extend its block.
      ++stats_.exec_root_mismatches;
      return;
    }
  }
  bool fresh = !tree_.contains(p.block_id);
  if (fresh) insert_block(p.block_id, b);
  maybe_vote(out, p, now);
  if (fresh) {
    // The votes for this block may have come before it (they are small, it may be large):
    // the QC they formed could not commit its parent without it, and now can.
    if (high_qc_.block_id == p.block_id) try_commit(out, high_qc_);
    retry_pending(out, now);
  }
}

void Core::insert_block(const Hash256& id, Block block) {
  tree_.emplace(id, std::move(block));
  if (missing_ancestor_ == id) missing_ancestor_.reset();
}

void Core::maybe_vote(Out& out, const Proposal& p, uint64_t now) {
  const Block& b = p.block;
  if (!member_ || b.round != round_) return;
  if (!safe_to_vote(safety_, b.round, b.qc.round, p.tc)) return;
  safety_ = after_vote(safety_, b.round, b.qc.round);
  if (validators_.leader(b.round + 1) == me_) safety_ = reserve_proposal(safety_, b.round + 1);
  out.actions.push_back(PersistSafetyAction{safety_});
  Vote v{validators_.epoch(), b.round, b.height, p.block_id, me_, {}};
  v.signature = key_.sign(vote_signing_message(v.epoch, v.round, v.height, v.block_id));
  ++stats_.votes_sent;
  // To every peer, not only the next leader: each one forms the QC itself and commits the
  // block's parent when the next leader does, instead of a message delay later, when the next
  // proposal brings the QC (and after the leader has built and sent that proposal). With n
  // validators that is n - 1 small messages per vote instead of one.
  out.actions.push_back(BroadcastAction{v});
  handle(out, me_, v, now);
}

void Core::propose(Out& out, uint64_t now, bool allow_hold) {
  if (!member_ || proposed_round_ >= round_) return;
  std::optional<TimeoutCert> tc;
  if (round_ != high_qc_.round + 1) {
    if (!high_tc_ || high_tc_->round + 1 != round_) return;
    tc = high_tc_;
  }
  // The payload comes first: the adaptor may hold the proposal back (an idle leader waiting
  // for transactions), and then nothing of it may have been persisted or sent.
  Bytes payload = adaptor_.make_payload(round_, high_qc_.height + 1);
  if (allow_hold && adaptor_.hold_proposal(round_, high_qc_.height + 1, payload)) {
    held_round_ = round_;
    return;
  }
  held_round_ = 0;
  proposed_round_ = round_;
  // Persisted before the proposal leaves, like a vote: a restarted leader must not propose a
  // different block for the same round. Usually the write that carried this validator's vote
  // or timeout in the round before has reserved this round already (reserve_proposal), and the
  // proposal leaves without waiting for a write of its own; that write came earlier in these
  // actions or in a batch before them, so it is done before the proposal is sent.
  if (safety_.last_proposed_round < round_) {
    safety_ = reserve_proposal(safety_, round_);
    out.actions.push_back(PersistSafetyAction{safety_});
  }
  Proposal p;
  Block& b = p.block;
  b.epoch = validators_.epoch();
  b.round = round_;
  b.height = high_qc_.height + 1;
  b.parent_id = high_qc_.block_id;
  b.qc = high_qc_;
  b.author = me_;
  const Block* parent = find_block(b.parent_id);
  b.time_ms = std::max(now, parent ? parent->time_ms : 0);
  b.exec_height = executed_height_;
  b.exec_state_root = executed_root_;
  b.payload = std::move(payload);
  p.block_id = b.compute_id();
  p.signature = key_.sign(proposal_signing_message(b.epoch, p.block_id));
  p.tc = std::move(tc);
  ++stats_.proposals_sent;
  out.actions.push_back(BroadcastAction{p});
  // Built here from certificates already verified, and its id just computed: checking it like
  // a peer's would hash the payload and verify the signatures a second time.
  accept_proposal(out, me_, p, now);
}

// --- Votes and certificates ------------------------------------------------------------

void Core::handle(Out& out, ValidatorIndex from, const Vote& v, uint64_t now) {
  if (v.epoch != validators_.epoch() || v.voter >= validators_.size() || v.round == 0) {
    ++stats_.invalid_messages;
    return;
  }
  if (v.round + 1 < round_ || v.round > round_ + vote_round_ahead_max) return;  // Stale or too far.
  // A block whose QC this node holds already (formed here, or verified in a proposal) gains
  // nothing from more votes, so they are not verified: with votes to every peer, each node
  // would otherwise check n signatures a round where n - f make the QC.
  if (verified_qcs_.contains({v.round, v.block_id})) return;
  // One vote per voter and round: an honest validator never signs two, and keeping only the
  // first bounds what a Byzantine one can make this validator hold.
  auto [first_vote, fresh] = vote_of_.emplace(std::make_pair(v.round, v.voter), v.block_id);
  if (!fresh) {
    if (first_vote->second != v.block_id) ++stats_.equivocations_seen;
    return;
  }
  // Our own vote, just signed, needs no check (a peer's message claiming to be it does).
  const bool own = from == me_ && v.voter == me_;
  if (!own && !verify_signature(validators_.key(v.voter),
                                vote_signing_message(v.epoch, v.round, v.height, v.block_id),
                                v.signature)) {
    vote_of_.erase(first_vote);  // Not the voter's: its real vote may still come.
    ++stats_.invalid_messages;
    return;
  }
  auto& voters = votes_[{v.round, v.block_id}];
  voters.emplace(v.voter, v.signature);
  if (voters.size() != validators_.quorum()) return;
  QuorumCert qc{v.epoch, v.round, v.height, v.block_id, {}};
  qc.votes.assign(voters.begin(), voters.end());  // std::map keeps them ordered by index.
  verified_qcs_.insert({qc.round, qc.block_id});
  ++stats_.qcs_formed;
  process_qc(out, qc, now);
}

void Core::process_qc(Out& out, const QuorumCert& qc, uint64_t now) {
  if (qc.round > high_qc_.round) high_qc_ = qc;
  try_commit(out, qc);
  if (qc.round >= round_) advance_round(out, qc.round + 1, now);
}

void Core::try_commit(Out& out, const QuorumCert& qc) {
  // 2-chain rule: a certified block B whose parent P is of the round just before it commits P.
  const Block* b = find_block(qc.block_id);
  if (!b || b->height <= genesis_height_) return;
  const Block* p = find_block(b->parent_id);
  if (!p || b->round != p->round + 1 || p->height <= committed_height_) return;
  std::vector<std::pair<Hash256, const Block*>> chain;
  Hash256 id = b->parent_id;
  const Block* cur = p;
  while (cur->height > committed_height_) {
    chain.emplace_back(id, cur);
    id = cur->parent_id;
    cur = find_block(id);
    if (!cur) {
      // An ancestor is missing: the commit waits for sync, which on_message and on_timer
      // keep asking for, and is tried again with this QC when blocks arrive.
      missing_ancestor_ = id;
      missing_ancestor_height_ = chain.back().second->height - 1;
      pending_commit_qc_ = qc;
      return;
    }
  }
  if (id != committed_id_) {
    ++stats_.conflicting_commits;
    return;
  }
  CommitAction commit;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    commit.ids.push_back(it->first);
    commit.blocks.push_back(*it->second);
  }
  commit.commit_qc = b->qc;
  commit.certified_child = *b;
  commit.child_qc = qc;
  missing_ancestor_.reset();
  pending_commit_qc_.reset();
  committed_height_ = p->height;
  committed_round_ = p->round;
  committed_id_ = b->parent_id;
  stats_.blocks_committed += commit.blocks.size();
  for (size_t i = 0; i < commit.ids.size(); ++i) {
    recent_committed_.emplace_back(commit.ids[i], commit.blocks[i]);
    if (recent_committed_.size() > config_.recent_committed_blocks_max)
      recent_committed_.pop_front();
  }
  out.actions.push_back(std::move(commit));
  // Blocks at or below the committed height are final or orphaned; keep the committed one
  // as the root of the tree.
  for (auto it = tree_.begin(); it != tree_.end();) {
    if (it->second.height < committed_height_ ||
        (it->second.height == committed_height_ && it->first != committed_id_))
      it = tree_.erase(it);
    else
      ++it;
  }
}

void Core::process_tc(Out& out, const TimeoutCert& tc, uint64_t now) {
  if (!high_tc_ || tc.round > high_tc_->round) high_tc_ = tc;
  if (tc.round >= round_) advance_round(out, tc.round + 1, now);
}

void Core::advance_round(Out& out, Round round, uint64_t now) {
  if (round <= round_) return;
  round_ = round;
  timer_deadline_ms_ = now + timeout_ms();
  out.actions.push_back(SetTimerAction{timer_deadline_ms_});
  // Forget what can no longer matter, bounding memory.
  votes_.erase(votes_.begin(), votes_.lower_bound({round_ > 1 ? round_ - 1 : 0, Hash256{}}));
  vote_of_.erase(vote_of_.begin(), vote_of_.lower_bound({round_ > 1 ? round_ - 1 : 0, 0}));
  proposal_ids_.erase(proposal_ids_.begin(),
                      proposal_ids_.lower_bound(round_ > 8 ? round_ - 8 : 0));
  if (round_ > verified_qc_rounds_kept)
    verified_qcs_.erase(verified_qcs_.begin(),
                        verified_qcs_.lower_bound({round_ - verified_qc_rounds_kept, Hash256{}}));
  if (validators_.leader(round_) == me_) propose(out, now);
}

// --- Timeouts ----------------------------------------------------------------------------

void Core::send_timeout(Out& out, uint64_t now) {
  if (!member_) return;
  if (!safe_to_timeout(safety_, round_, high_qc_.round, high_tc_)) return;
  safety_ = after_timeout(safety_, round_);
  if (validators_.leader(round_ + 1) == me_) safety_ = reserve_proposal(safety_, round_ + 1);
  timed_out_round_ = round_;
  out.actions.push_back(PersistSafetyAction{safety_});
  Timeout t{validators_.epoch(), round_, high_qc_, me_, {}, high_tc_};
  t.signature = key_.sign(timeout_signing_message(t.epoch, t.round, t.high_qc.round));
  ++stats_.timeouts_sent;
  out.actions.push_back(BroadcastAction{t});
  handle(out, me_, t, now);
}

void Core::handle(Out& out, ValidatorIndex, const Timeout& t, uint64_t now) {
  if (t.epoch != validators_.epoch() || t.author >= validators_.size() || t.round == 0 ||
      t.high_qc.round >= t.round || t.round > round_ + round_jump_max) {
    ++stats_.invalid_messages;
    return;
  }
  // Each validator's highest timeout is kept; an equal or older one adds nothing.
  if (t.last_tc && t.last_tc->round > (high_tc_ ? high_tc_->round : 0)) {
    if (t.last_tc->round >= t.round || !verify_tc(*t.last_tc, validators_).ok()) {
      ++stats_.invalid_messages;
      return;
    }
    process_tc(out, *t.last_tc, now);
  }
  auto prev = latest_timeouts_.find(t.author);
  if (prev != latest_timeouts_.end() && prev->second.round >= t.round) return;
  if (!verify_signature(validators_.key(t.author),
                        timeout_signing_message(t.epoch, t.round, t.high_qc.round), t.signature) ||
      !qc_valid(t.high_qc)) {
    ++stats_.invalid_messages;
    return;
  }
  process_qc(out, t.high_qc, now);
  if (t.round < round_) return;
  latest_timeouts_[t.author] = t;
  std::vector<const Timeout*> same;
  for (const auto& [who, to] : latest_timeouts_)
    if (to.round == t.round) same.push_back(&to);
  // f + 1 timeouts for our round mean at least one honest validator gave up on it: join, so
  // that a TC forms even if our own timer has not fired yet.
  if (same.size() >= validators_.f() + 1 && t.round == round_ && timed_out_round_ < round_) {
    send_timeout(out, now);
    return;  // send_timeout re-entered this handler with our own timeout, which formed any TC.
  }
  if (same.size() >= validators_.quorum() && (!high_tc_ || high_tc_->round < t.round)) {
    TimeoutCert tc{t.epoch, t.round, {}};
    for (const Timeout* x : same) tc.entries.push_back({x->author, x->high_qc.round, x->signature});
    ++stats_.tcs_formed;
    process_tc(out, tc, now);
  }
}

// --- Block sync --------------------------------------------------------------------------

void Core::request_sync(Out& out, ValidatorIndex peer, const Hash256& block_id, uint64_t height,
                        uint64_t now) {
  if (peer == me_ || find_block(block_id)) return;
  auto it = requested_.find(block_id);
  if (it != requested_.end() && now < it->second + config_.sync_retry_ms) return;
  requested_[block_id] = now;
  while (requested_.size() > requests_outstanding_max) {
    auto oldest =
        std::min_element(requested_.begin(), requested_.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    requested_.erase(oldest);
  }
  ++stats_.sync_requests;
  // Blocks at or below the committed height are here already. Asking for them too made every
  // request for a proposal's parent that was only late (still on its way behind the next
  // proposal, megabytes each under load) bring back sync_blocks_max blocks. The answer's
  // oldest block tells whether more are missing, and handle(BlockResponse) then asks again.
  const uint64_t above_committed = height > committed_height_ ? height - committed_height_ : 1;
  const auto count = static_cast<uint32_t>(std::min<uint64_t>(above_committed, sync_blocks_max));
  out.actions.push_back(SendAction{peer, BlockRequest{block_id, count}});
}

BlockResponse Core::serve(const BlockRequest& r) {
  BlockResponse resp;
  Hash256 id = r.block_id;
  uint32_t count = std::min(r.count, sync_blocks_max);
  size_t payload_bytes = 0;
  while (resp.blocks.size() < count) {
    const Block* b = find_block(id);
    std::optional<Block> loaded;
    if (!b) {
      // Committed blocks of earlier epochs too: a lagging validator needs them.
      loaded = adaptor_.load_committed_block(id);
      if (!loaded) break;
      b = &*loaded;
    }
    payload_bytes += b->payload.size();
    if (!resp.blocks.empty() && payload_bytes > config_.sync_response_payload_bytes_max) break;
    resp.blocks.push_back(*b);
    if (b->height == 0) break;
    id = b->parent_id;
  }
  return resp;
}

void Core::handle(Out& out, ValidatorIndex from, const BlockRequest& r, uint64_t) {
  if (from == me_) return;
  BlockResponse resp = serve(r);
  if (!resp.blocks.empty()) out.actions.push_back(SendAction{from, std::move(resp)});
}

bool Core::check_chain(const std::vector<Block>& blocks, std::vector<Hash256>& ids) {
  // Each block is as authentic as the certificate we hold for it: hash-linked to the one
  // before, and with a valid QC certifying its parent. Blocks below this epoch's genesis are
  // not needed and are not accepted; the genesis itself must be the one we started from.
  const size_t known = std::min(ids.size(), size_t{1});
  ids.resize(blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    const Block& b = blocks[i];
    if (i >= known) ids[i] = b.compute_id();
    bool linked = i == 0 || blocks[i - 1].parent_id == ids[i];
    bool sane = b.height <= genesis_height_
                    ? b.height == genesis_height_ && ids[i] == genesis_id_
                    : b.epoch == validators_.epoch() && b.qc.block_id == b.parent_id &&
                          b.qc.height + 1 == b.height && b.round > b.qc.round &&
                          b.payload.size() <= block_payload_bytes_max;
    if (!linked || !sane || (b.height > genesis_height_ && !qc_valid(b.qc))) {
      ++stats_.invalid_messages;
      return false;
    }
  }
  return true;
}

void Core::insert_chain(const std::vector<Block>& blocks, const std::vector<Hash256>& ids) {
  for (size_t i = blocks.size(); i-- > 0;) {
    if (blocks[i].height <= committed_height_ || tree_.contains(ids[i])) continue;
    insert_block(ids[i], blocks[i]);
  }
}

void Core::handle(Out& out, ValidatorIndex from, const BlockResponse& r, uint64_t now) {
  if (r.blocks.empty() || r.blocks.size() > sync_blocks_max) {
    ++stats_.invalid_messages;
    return;
  }
  // A response must start at a block we asked for. A peer serving from its own storage walks
  // on below our epoch's genesis; those blocks are cut off here.
  std::vector<Block> blocks = r.blocks;
  for (size_t i = 0; i < blocks.size(); ++i)
    if (blocks[i].height <= genesis_height_) {
      blocks.resize(i + 1);
      break;
    }
  // The first id is computed once, for both the question whether it was asked for and the
  // chain's check.
  std::vector<Hash256> ids{blocks[0].compute_id()};
  if (!requested_.contains(ids[0])) {
    ++stats_.invalid_messages;
    return;
  }
  if (!check_chain(blocks, ids)) return;
  requested_.erase(ids[0]);
  insert_chain(blocks, ids);
  const Block& oldest = blocks.back();
  if (oldest.height > committed_height_ + 1 && !find_block(oldest.parent_id))
    request_sync(out, from, oldest.parent_id, oldest.height - 1, now);
  // The commit that waited for these blocks is tried again after the certificates they carry
  // (which may commit part of the chain on their own).
  std::optional<QuorumCert> waiting = std::exchange(pending_commit_qc_, std::nullopt);
  for (size_t i = blocks.size(); i-- > 0;)
    if (blocks[i].height > genesis_height_) process_qc(out, blocks[i].qc, now);
  if (waiting) try_commit(out, *waiting);
  retry_pending(out, now);
}

// Epoch requests are answered by the host, which keeps the proofs of ended epochs.
void Core::handle(Out&, ValidatorIndex, const EpochRequest&, uint64_t) {}

void Core::handle(Out& out, ValidatorIndex from, const EpochProof& p, uint64_t now) {
  // The proof's first block is certified and its parent is of the round just before it: by
  // the 2-chain rule the parent and everything below it are committed in this epoch.
  if (p.blocks.size() < 2 || p.blocks.size() > sync_blocks_max ||
      p.qc.epoch != validators_.epoch() || p.qc.is_genesis() ||
      p.blocks[0].round != p.blocks[1].round + 1) {
    ++stats_.invalid_messages;
    return;
  }
  std::vector<Hash256> ids;
  if (!check_chain(p.blocks, ids)) return;
  if (ids[0] != p.qc.block_id || p.qc.height != p.blocks[0].height || !qc_valid(p.qc)) {
    ++stats_.invalid_messages;
    return;
  }
  if (p.blocks.back().height <= committed_height_) return;  // Nothing new.
  ++stats_.epoch_proofs_accepted;
  insert_chain(p.blocks, ids);
  process_qc(out, p.qc, now);
  if (missing_ancestor_) request_sync(out, from, *missing_ancestor_, missing_ancestor_height_, now);
}

void Core::retry_pending(Out& out, uint64_t now) {
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (!find_block(it->first)) continue;
      auto [from, proposal] = std::move(it->second);
      pending_.erase(it);
      // Checked on arrival; what it was checked against (its signatures, its certificates,
      // the clock when it came) has not changed since.
      accept_proposal(out, from, proposal, now);
      progress = true;
      break;
    }
  }
}

}  // namespace corridor::consensus
