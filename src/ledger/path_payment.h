// Path payments: a payment that converts its source asset into its destination asset through
// up to path_intermediate_assets_max intermediate assets, crossing the best offers of one book
// per hop, atomically. Like crossing, it is a read-only plan and a separate apply: the ledger
// plans, checks the payer's funds and every owner's holding, and applies everything or nothing.
//
// Hop i converts asset a[i] into a[i+1], where a = (source, path..., destination): the payer
// gives a[i] to the book (selling a[i+1], buying a[i]) and receives a[i+1] from it.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ledger/limits.h"
#include "ledger/order_book.h"

namespace corridor::ledger {

enum class PathMode : uint8_t {
  // Spend exactly send_amount of the source asset; receive at least receive_amount.
  exact_send,
  // Deliver exactly receive_amount of the destination asset; spend at most send_amount.
  exact_receive,
};

enum class PathError : uint8_t {
  ok = 0,
  invalid_amount = 1,           // send_amount or receive_amount not positive.
  too_many_hops = 2,            // More than path_intermediate_assets_max intermediate assets.
  path_loop = 3,                // An asset appears twice (source == destination included).
  insufficient_liquidity = 4,   // A hop's book (or what is left of it) cannot fill the amount.
  too_many_offers_crossed = 5,  // The hops together would cross more than offers_crossed_max.
  send_max_exceeded = 6,        // exact_receive: the cost is above send_amount.
  receive_min_not_met = 7,      // exact_send: the proceeds are below receive_amount.
  self_cross = 8,               // A hop reaches an offer of the payer's own.
  overflow = 9,                 // An amount along the way does not fit an int64.
};
std::string_view path_error_name(PathError e);

struct PathRequest {
  PathMode mode = PathMode::exact_send;
  uint32_t source_asset = 0;
  uint32_t destination_asset = 0;
  std::span<const uint32_t> path;  // Intermediate assets, in order from source to destination.
  Amount send_amount = 0;
  Amount receive_amount = 0;
  uint32_t payer = no_account;
  uint32_t offers_crossed_max = ledger::offers_crossed_max;
};

struct HopPlan {
  uint32_t selling = 0;  // The asset the payer receives at this hop.
  uint32_t buying = 0;   // The asset the payer gives at this hop.
  CrossPlan cross;
  friend bool operator==(const HopPlan&, const HopPlan&) = default;
};

struct PathPlan {
  PathError error = PathError::ok;
  uint32_t failed_hop = 0;  // For the errors of one hop: which one, counted from the source.
  Amount sent = 0;          // Source asset the payer gives.
  Amount received = 0;      // Destination asset the payer's destination receives.
  uint32_t offers_crossed = 0;
  std::vector<HopPlan> hops;  // In order from source to destination.
  friend bool operator==(const PathPlan&, const PathPlan&) = default;
};

// The stateless part of a path's validation: hop count and loops. The ledger can run it when
// it checks a transaction, before it has any state.
PathError check_path_shape(uint32_t source_asset, uint32_t destination_asset,
                           std::span<const uint32_t> path);

// Plans a path payment without changing any book. exact_send goes forward hop by hop, each
// hop spending exactly what the previous one received. exact_receive goes backward from the
// destination: each hop must receive exactly what the next one needs, and its cost (rounded
// up, in the owners' favour) is what the previous hop must deliver. `out` is reset first and
// its storage reused.
void plan_path(const OrderBooks& books, const PathRequest& request, PathPlan& out);
PathPlan plan_path(const OrderBooks& books, const PathRequest& request);

// Applies a successful plan to the books it was planned against, unchanged since, and drops
// books left empty. The ledger moves the balances: the payer gives `sent` of the source asset,
// the destination receives `received`, and each fill moves owner_gave out of the owner's locked
// selling amount and owner_received into its buying holding.
void apply_path(OrderBooks& books, const PathPlan& plan);

}  // namespace corridor::ledger
