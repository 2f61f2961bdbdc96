// Path finding: the quotes behind the API's path search and the CLI's `quote`, as XRPL's
// path_find and Horizon's /paths. Given a source asset, a destination asset, an amount and a
// mode, it searches the graph of non-empty books for paths of up to path_hops_max hops and
// prices each one exactly with the same planner a path payment uses, so a quote is what
// plan_path would compute on the same books. It is not part of consensus, but it is as
// deterministic as the ledger: same books, same answer, in the same order.
#pragma once

#include <cstdint>
#include <vector>

#include "ledger/limits.h"
#include "ledger/order_book.h"
#include "ledger/path_payment.h"

namespace corridor::ledger {

struct PathQuery {
  PathMode mode = PathMode::exact_send;
  uint32_t source_asset = 0;
  uint32_t destination_asset = 0;
  // exact_send: the source amount to spend; exact_receive: the destination amount to deliver.
  Amount amount = 0;
  // Quotes for an account skip paths through its own offers, which its payment could not use.
  uint32_t payer = no_account;
  uint32_t results_max = path_find_results_max;
  uint32_t hops_max = path_hops_max;
};

struct PathQuote {
  std::vector<uint32_t> path;  // Intermediate assets, as PathRequest::path takes them.
  Amount send_amount = 0;      // What the source gives.
  Amount receive_amount = 0;   // What the destination gets.
  uint32_t offers_crossed = 0;
  friend bool operator==(const PathQuote&, const PathQuote&) = default;
};

struct PathFindResult {
  // Best first: exact_send by the most received, exact_receive by the least sent; ties go to
  // fewer hops, then to the lexicographically smaller asset sequence.
  std::vector<PathQuote> paths;
  // The search met path_find_steps_max and stopped: better paths may exist.
  bool truncated = false;
  friend bool operator==(const PathFindResult&, const PathFindResult&) = default;
};

// Bounded, iteratively deepened depth-first search over the assets: every path of one hop,
// then of two, up to hops_max, so a search cut short by path_find_steps_max has priced all the
// shorter paths. exact_send walks forward from the source, planning each hop for what the
// previous one yields, so a prefix that runs out of liquidity prunes every path through it;
// exact_receive walks backward from the destination the same way. Each hop planned is one step
// of path_find_steps_max. An amount that is not positive, or a source equal to the
// destination, finds nothing.
PathFindResult find_paths(const OrderBooks& books, const PathQuery& query);

}  // namespace corridor::ledger
