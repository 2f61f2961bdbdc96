#include "ledger/path_payment.h"

#include <algorithm>

#include "base/assert.h"

namespace corridor::ledger {
namespace {

PathError from_cross(CrossError e) {
  switch (e) {
    case CrossError::ok:
      return PathError::ok;
    case CrossError::insufficient_liquidity:
      return PathError::insufficient_liquidity;
    case CrossError::too_many_offers_crossed:
      return PathError::too_many_offers_crossed;
    case CrossError::self_cross:
      return PathError::self_cross;
    case CrossError::overflow:
      return PathError::overflow;
    case CrossError::invalid_amount:
    case CrossError::invalid_limit:
      break;
  }
  // Hops are planned with positive amounts and no limit; anything else is a bug here.
  CORRIDOR_ASSERT_MSG(false, "unexpected crossing error in a path hop");
  return PathError::overflow;
}

}  // namespace

std::string_view path_error_name(PathError e) {
  switch (e) {
    case PathError::ok:
      return "ok";
    case PathError::invalid_amount:
      return "invalid_amount";
    case PathError::too_many_hops:
      return "too_many_hops";
    case PathError::path_loop:
      return "path_loop";
    case PathError::insufficient_liquidity:
      return "insufficient_liquidity";
    case PathError::too_many_offers_crossed:
      return "too_many_offers_crossed";
    case PathError::send_max_exceeded:
      return "send_max_exceeded";
    case PathError::receive_min_not_met:
      return "receive_min_not_met";
    case PathError::self_cross:
      return "self_cross";
    case PathError::overflow:
      return "overflow";
  }
  return "unknown";
}

PathError check_path_shape(uint32_t source_asset, uint32_t destination_asset,
                           std::span<const uint32_t> path) {
  if (path.size() > path_intermediate_assets_max) return PathError::too_many_hops;
  // At most path_intermediate_assets_max + 2 assets: the quadratic scan is cheaper than a set.
  auto seen_before = [&](size_t i, uint32_t asset) {
    if (asset == source_asset) return true;
    for (size_t j = 0; j < i; ++j)
      if (path[j] == asset) return true;
    return false;
  };
  for (size_t i = 0; i < path.size(); ++i)
    if (seen_before(i, path[i]) || path[i] == destination_asset) return PathError::path_loop;
  if (source_asset == destination_asset) return PathError::path_loop;
  return PathError::ok;
}

void plan_path(const OrderBooks& books, const PathRequest& req, PathPlan& out) {
  out.error = PathError::ok;
  out.failed_hop = 0;
  out.sent = 0;
  out.received = 0;
  out.offers_crossed = 0;
  if (req.send_amount <= 0 || req.receive_amount <= 0) {
    out.hops.clear();
    out.error = PathError::invalid_amount;
    return;
  }
  if (PathError shape = check_path_shape(req.source_asset, req.destination_asset, req.path);
      shape != PathError::ok) {
    out.hops.clear();
    out.error = shape;
    return;
  }
  const size_t hop_count = req.path.size() + 1;
  auto asset_at = [&](size_t i) -> uint32_t {
    if (i == 0) return req.source_asset;
    if (i == hop_count) return req.destination_asset;
    return req.path[i - 1];
  };
  out.hops.resize(hop_count);
  for (size_t i = 0; i < hop_count; ++i) {
    out.hops[i].buying = asset_at(i);
    out.hops[i].selling = asset_at(i + 1);
  }

  // Plans hop i for `amount`; false (with out.error set) when it fails.
  auto plan_hop = [&](size_t i, CrossMode mode, Amount amount) {
    HopPlan& hop = out.hops[i];
    hop.cross = CrossPlan{};
    const OrderBook* book = books.find(hop.selling, hop.buying);
    if (!book) {
      out.error = PathError::insufficient_liquidity;
      out.failed_hop = static_cast<uint32_t>(i);
      return false;
    }
    CrossRequest cr;
    cr.mode = mode;
    cr.amount = amount;
    cr.taker = req.payer;
    cr.offers_crossed_max = req.offers_crossed_max - out.offers_crossed;
    plan_cross(*book, cr, hop.cross);
    if (hop.cross.error != CrossError::ok) {
      out.error = from_cross(hop.cross.error);
      out.failed_hop = static_cast<uint32_t>(i);
      return false;
    }
    out.offers_crossed += static_cast<uint32_t>(hop.cross.fills.size());
    return true;
  };

  if (req.mode == PathMode::exact_send) {
    Amount in_hand = req.send_amount;
    for (size_t i = 0; i < hop_count; ++i) {
      // An earlier hop's rounding can leave nothing to convert: the destination would get
      // nothing, which no positive minimum accepts.
      if (in_hand == 0) {
        out.error = PathError::receive_min_not_met;
        out.failed_hop = static_cast<uint32_t>(i);
        return;
      }
      if (!plan_hop(i, CrossMode::exact_send, in_hand)) return;
      in_hand = out.hops[i].cross.taker_received;
    }
    out.sent = req.send_amount;
    out.received = in_hand;
    if (out.received < req.receive_amount) out.error = PathError::receive_min_not_met;
  } else {
    Amount needed = req.receive_amount;
    for (size_t k = hop_count; k-- > 0;) {
      if (!plan_hop(k, CrossMode::exact_receive, needed)) return;
      needed = out.hops[k].cross.taker_gave;
    }
    out.sent = needed;
    out.received = req.receive_amount;
    if (out.sent > req.send_amount) out.error = PathError::send_max_exceeded;
  }

  // The forward check of a plan built in either direction: each hop spends exactly what the
  // hop before it received, and the ends match the request.
  CORRIDOR_ASSERT(out.hops.front().cross.taker_gave == out.sent);
  CORRIDOR_ASSERT(out.hops.back().cross.taker_received == out.received);
  for (size_t i = 1; i < hop_count; ++i)
    CORRIDOR_ASSERT(out.hops[i].cross.taker_gave == out.hops[i - 1].cross.taker_received);
  CORRIDOR_ASSERT(out.offers_crossed <= req.offers_crossed_max);
}

PathPlan plan_path(const OrderBooks& books, const PathRequest& request) {
  PathPlan plan;
  plan_path(books, request, plan);
  return plan;
}

void apply_path(OrderBooks& books, const PathPlan& plan) {
  CORRIDOR_ASSERT_MSG(plan.error == PathError::ok, "applying a failed path plan");
  // Loops are rejected, so no book appears twice and no offer is filled twice by one plan.
  for (size_t i = 0; i < plan.hops.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      CORRIDOR_ASSERT(plan.hops[i].selling != plan.hops[j].selling ||
                      plan.hops[i].buying != plan.hops[j].buying);
  for (const HopPlan& hop : plan.hops) {
    OrderBook* book = books.find(hop.selling, hop.buying);
    CORRIDOR_ASSERT_MSG(book, "a path plan applied to books without its hop");
    apply_cross(*book, hop.cross);
    books.erase_if_empty(hop.selling, hop.buying);
  }
}

}  // namespace corridor::ledger
