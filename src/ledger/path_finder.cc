#include "ledger/path_finder.h"

#include <algorithm>
#include <map>

#include "base/assert.h"

namespace corridor::ledger {
namespace {

class Search {
 public:
  Search(const OrderBooks& books, const PathQuery& q) : books_(books), q_(q) {
    forward_ = q.mode == PathMode::exact_send;
    start_ = forward_ ? q.source_asset : q.destination_asset;
    target_ = forward_ ? q.destination_asset : q.source_asset;
    hops_max_ = std::min(q.hops_max, path_hops_max);
    // Edges in the direction of the search. Books iterate in (selling, buying) order, so every
    // list comes out sorted and the search visits assets in a fixed order.
    for (const auto& [key, book] : books.all()) {
      if (book.empty()) continue;
      const auto [selling, buying] = key;
      if (forward_)
        next_[buying].push_back(selling);
      else
        next_[selling].push_back(buying);
    }
    plans_.resize(hops_max_);
  }

  PathFindResult run() {
    PathFindResult result;
    // Iterative deepening: all paths of one hop, then of two, and so on, so that when the step
    // budget runs out the shorter paths have all been priced. Each round records only paths
    // of exactly its length, so none is found twice.
    if (q_.amount > 0 && start_ != target_)
      for (length_ = 1; length_ <= hops_max_ && !truncated_; ++length_) visit(start_, q_.amount, 0);
    std::vector<PathQuote>& found = found_;
    const bool forward = forward_;
    std::sort(found.begin(), found.end(), [forward](const PathQuote& a, const PathQuote& b) {
      if (forward && a.receive_amount != b.receive_amount)
        return a.receive_amount > b.receive_amount;
      if (!forward && a.send_amount != b.send_amount) return a.send_amount < b.send_amount;
      if (a.path.size() != b.path.size()) return a.path.size() < b.path.size();
      return a.path < b.path;
    });
    if (found.size() > q_.results_max) found.resize(q_.results_max);
    result.paths = std::move(found);
    result.truncated = truncated_;
    return result;
  }

 private:
  bool on_path(uint32_t asset) const {
    return asset == start_ || std::find(stack_.begin(), stack_.end(), asset) != stack_.end();
  }

  // `at` is the asset in hand (forward) or the asset still owed (backward); `amount` is how much
  // of it; `crossed` the offers the hops so far cross.
  void visit(uint32_t at, Amount amount, uint32_t crossed) {
    const size_t depth = stack_.size();
    auto edges = next_.find(at);
    if (edges == next_.end()) return;
    for (uint32_t next : edges->second) {
      if (truncated_) return;
      if (on_path(next)) continue;
      // A path of this round's length must reach the target with its last hop, and only then.
      if ((next == target_) != (depth + 1 == length_)) continue;
      if (steps_ >= path_find_steps_max) {
        truncated_ = true;
        return;
      }
      ++steps_;
      const OrderBook* book = forward_ ? books_.find(next, at) : books_.find(at, next);
      CORRIDOR_ASSERT(book);
      CrossRequest cr;
      cr.mode = forward_ ? CrossMode::exact_send : CrossMode::exact_receive;
      cr.amount = amount;
      cr.taker = q_.payer;
      cr.offers_crossed_max = offers_crossed_max - crossed;
      CrossPlan& plan = plans_[depth];
      plan_cross(*book, cr, plan);
      if (plan.error != CrossError::ok) continue;
      const Amount next_amount = forward_ ? plan.taker_received : plan.taker_gave;
      const uint32_t next_crossed = crossed + static_cast<uint32_t>(plan.fills.size());
      // Rounding left nothing to carry on with: no path through here delivers anything.
      if (next_amount == 0) continue;
      if (next == target_) {
        record(next_amount, next_crossed);
        continue;
      }
      stack_.push_back(next);
      visit(next, next_amount, next_crossed);
      stack_.pop_back();
    }
  }

  void record(Amount end_amount, uint32_t crossed) {
    PathQuote quote;
    quote.path = stack_;
    if (forward_) {
      quote.send_amount = q_.amount;
      quote.receive_amount = end_amount;
    } else {
      // The backward search pushed assets from the destination towards the source.
      std::reverse(quote.path.begin(), quote.path.end());
      quote.send_amount = end_amount;
      quote.receive_amount = q_.amount;
    }
    quote.offers_crossed = crossed;
    found_.push_back(std::move(quote));
  }

  const OrderBooks& books_;
  const PathQuery& q_;
  bool forward_ = true;
  uint32_t start_ = 0;
  uint32_t target_ = 0;
  uint32_t hops_max_ = 0;
  uint32_t length_ = 0;  // The number of hops of the paths this round of the search records.
  std::map<uint32_t, std::vector<uint32_t>> next_;
  std::vector<uint32_t> stack_;
  std::vector<CrossPlan> plans_;  // One per depth, reused across siblings.
  std::vector<PathQuote> found_;
  uint32_t steps_ = 0;
  bool truncated_ = false;
};

}  // namespace

PathFindResult find_paths(const OrderBooks& books, const PathQuery& query) {
  return Search(books, query).run();
}

}  // namespace corridor::ledger
