// State sync's wire messages and chunk serving: every message survives a round trip, damaged
// input is refused, and paging through a snapshot by key range with the protocol's limits
// returns every entry exactly once, in order, within each range.
#include "node/state_sync.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>

#include "base/encoding.h"
#include "storage/mem_kv_store.h"

namespace corridor::node {
namespace {

Bytes state_key(uint32_t i) {
  Bytes k{'S'};
  put_be64(k, i);
  return k;
}

using Entries = std::vector<std::pair<Bytes, Bytes>>;

// Store changes as a test writes them: unsorted; nullopt deletes the key.
using Changes = std::vector<std::pair<Bytes, std::optional<Bytes>>>;

// A snapshot at height 42 of a store holding `stored`, with `changes` laid over it.
StateSnapshot snapshot_of(const Entries& stored, Changes changes = {},
                          StateSnapshot::Limits limits = {}) {
  std::sort(changes.begin(), changes.end());
  ledger::StoreOverlay::Builder overlay;
  for (const auto& [key, value] : changes)
    overlay.add(key, value ? std::optional<ByteView>(*value) : std::nullopt);
  storage::MemKvStore kv;
  storage::WriteBatch batch;
  for (const auto& [k, v] : stored) batch.put(k, v);
  // Keys outside the state's prefixes, on both sides, which a snapshot never serves.
  batch.put(Bytes{'B', 1}, Bytes{1});
  batch.put(Bytes{'Q', 0xff}, Bytes{2});
  batch.put(Bytes{'T'}, Bytes{3});
  EXPECT_TRUE(kv.write(batch, /*sync=*/true).ok());
  auto store = kv.snapshot();
  EXPECT_TRUE(store.ok());
  return StateSnapshot(42, sha256(Bytes{'r'}), {}, {}, *store, std::move(overlay).finish(), limits);
}

// n entries of value_bytes each, and the snapshot serving exactly them from its store.
Entries make_entries(uint32_t n, size_t value_bytes) {
  Entries out;
  for (uint32_t i = 0; i < n; ++i)
    out.emplace_back(state_key(i), Bytes(value_bytes, static_cast<uint8_t>(i)));
  return out;
}

// Pages through [start, end) as a syncing node does; fails the test on a malformed chunk.
std::vector<std::pair<Bytes, Bytes>> page(const StateSnapshot& snap, Bytes start, Bytes end,
                                          uint32_t bytes_max, size_t& chunks) {
  std::vector<std::pair<Bytes, Bytes>> out;
  for (chunks = 0; chunks < 100'000; ++chunks) {
    ChunkRequest request{snap.height(), start, end, bytes_max};
    // Through the wire encoding, both ways.
    auto req = decode_sync_message(encode_sync_message(request));
    EXPECT_TRUE(req.ok());
    auto served = serve_chunk(snap, std::get<ChunkRequest>(*req));
    EXPECT_TRUE(served.ok()) << served.status().to_string();
    if (!served.ok()) return out;
    const ChunkResponse& r = *served;
    auto resp = decode_sync_message(encode_sync_message(r));
    EXPECT_TRUE(resp.ok());
    const auto& c = std::get<ChunkResponse>(*resp);
    EXPECT_EQ(c.start, start);
    uint64_t bytes = 0;
    for (const auto& e : c.entries) bytes += e.first.size() + e.second.size();
    if (c.entries.size() > 1) {
      EXPECT_LE(bytes, bytes_max);
    }
    out.insert(out.end(), c.entries.begin(), c.entries.end());
    if (c.last) {
      ++chunks;
      return out;
    }
    EXPECT_FALSE(c.entries.empty());
    start = c.entries.back().first;
    start.push_back(0);
  }
  ADD_FAILURE() << "paging did not end";
  return out;
}

TEST(StateSyncMessages, RoundTripAndRefuseDamage) {
  CheckpointOffer offer;
  offer.height = 77;
  offer.state_root = sha256(Bytes{'r', 'o', 'o', 't'});
  offer.entries_total = 3;
  offer.bytes_total = 99;
  offer.split_keys = {state_key(1), state_key(2)};
  offer.evidence.qc.height = 80;
  offer.evidence.blocks.resize(2);
  offer.evidence.blocks[0].height = 80;
  offer.evidence.blocks[1].height = 79;
  offer.ledger_block = {1, 2, 3};
  offer.block_result = {4, 5};
  ChunkResponse chunk{77, state_key(0), true, {{state_key(0), {9}}, {state_key(5), {}}}};
  const std::vector<SyncMessage> messages = {CheckpointRequest{12}, offer, NoCheckpoint{5},
                                             ChunkRequest{77, state_key(3), {}, 1'000}, chunk};
  for (const SyncMessage& m : messages) {
    const Bytes bytes = encode_sync_message(m);
    auto decoded = decode_sync_message(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
    EXPECT_EQ(encode_sync_message(*decoded), bytes);
    // Every truncation is refused, and so is a trailing byte.
    for (size_t n = 0; n < bytes.size(); ++n)
      EXPECT_FALSE(decode_sync_message(ByteView(bytes).subspan(0, n)).ok()) << n;
    Bytes longer = bytes;
    longer.push_back(0);
    EXPECT_FALSE(decode_sync_message(longer).ok());
  }
  auto decoded_offer = decode_sync_message(encode_sync_message(offer));
  ASSERT_TRUE(decoded_offer.ok());
  const auto& back = std::get<CheckpointOffer>(*decoded_offer);
  EXPECT_EQ(back.split_keys, offer.split_keys);
  EXPECT_EQ(back.evidence.blocks.size(), 2u);
  EXPECT_EQ(back.state_root, offer.state_root);
  EXPECT_FALSE(decode_sync_message(Bytes{0x09}).ok());
  // A last flag other than 0 or 1.
  Bytes bad = encode_sync_message(chunk);
  bad[1 + 8 + 4 + state_key(0).size()] = 2;
  EXPECT_FALSE(decode_sync_message(bad).ok());
}

TEST(StateSyncServing, PagingReturnsEveryEntryOnceWithinLimits) {
  const Entries entries = make_entries(1'000, 40);
  const StateSnapshot snap = snapshot_of(entries);
  size_t chunks = 0;
  auto all = page(snap, {}, {}, 500, chunks);
  EXPECT_EQ(all, entries);
  // 49 bytes an entry, at most 10 in 500 bytes.
  EXPECT_EQ(chunks, 100u);
  // The offer's split keys cut the same entries into contiguous ranges.
  auto made = make_offer(snap, {});
  ASSERT_TRUE(made.ok()) << made.status().to_string();
  const CheckpointOffer& offer = *made;
  EXPECT_EQ(offer.entries_total, 1'000u);
  EXPECT_EQ(offer.bytes_total, 1'000u * 49);
  ASSERT_EQ(offer.split_keys.size(), state_sync_ranges_max - 1);
  std::vector<std::pair<Bytes, Bytes>> joined;
  for (size_t r = 0; r <= offer.split_keys.size(); ++r) {
    Bytes start = r == 0 ? Bytes{} : offer.split_keys[r - 1];
    Bytes end = r < offer.split_keys.size() ? offer.split_keys[r] : Bytes{};
    auto part = page(snap, start, end, state_sync_chunk_bytes_max, chunks);
    EXPECT_EQ(chunks, 1u);
    for (const auto& e : part) {
      EXPECT_FALSE(e.first < start);
      if (!end.empty()) {
        EXPECT_TRUE(e.first < end);
      }
    }
    joined.insert(joined.end(), part.begin(), part.end());
  }
  EXPECT_EQ(joined, entries);
}

TEST(StateSyncServing, ChunkBytesAreCappedAndALargeEntryGoesAlone) {
  const StateSnapshot snap = snapshot_of(make_entries(8, 100'000));
  // The asker may not raise the cap.
  ChunkResponse r = serve_chunk(snap, ChunkRequest{snap.height(), {}, {}, UINT32_MAX}).value();
  EXPECT_EQ(r.entries.size(), 2u);  // 2 x 100,009 bytes fit 256 KiB; 3 do not.
  EXPECT_FALSE(r.last);
  r = serve_chunk(snap, ChunkRequest{snap.height(), {}, {}, 10}).value();
  EXPECT_EQ(r.entries.size(), 1u);
  // A range past the last key is empty and last.
  r = serve_chunk(snap, ChunkRequest{snap.height(), state_key(100), {}, 10}).value();
  EXPECT_TRUE(r.entries.empty());
  EXPECT_TRUE(r.last);
}

// The changes since the checkpoint laid over the store: replaced values, deleted keys and new
// keys, at the edges of chunks and ranges too, come out exactly as the merged state.
TEST(StateSyncServing, TheOverlayIsMergedOverTheStore) {
  Entries stored = make_entries(600, 20);
  for (uint32_t i = 0; i < 50; ++i) {
    Bytes replay{'R'};
    put_be64(replay, i * 3);
    stored.emplace_back(replay, Bytes{});
  }
  std::sort(stored.begin(), stored.end());
  std::map<Bytes, Bytes> expected(stored.begin(), stored.end());
  Changes overlay;
  auto change = [&](Bytes key, std::optional<Bytes> value) {
    if (value)
      expected[key] = *value;
    else
      expected.erase(key);
    overlay.emplace_back(std::move(key), std::move(value));
  };
  // Below the first stored key and above the last, where the store has nothing.
  change(Bytes{'R'}, Bytes{});
  change(state_key(1'000), Bytes(30, 0xee));
  for (uint32_t i = 0; i < 600; ++i) {
    if (i % 7 == 0)
      change(state_key(i), std::nullopt);  // Deleted.
    else if (i % 5 == 0)
      change(state_key(i), Bytes(i % 90, 0xab));  // Replaced.
    if (i % 11 == 0) {                            // New, right after.
      Bytes k = state_key(i);
      k.push_back(0);
      change(k, Bytes(3, 0x01));
    }
  }
  for (uint32_t i = 0; i < 50; i += 4) {
    Bytes replay{'R'};
    put_be64(replay, i * 3);
    change(replay, std::nullopt);  // An expired replay id.
  }
  // A deletion of a key the store never held changes nothing.
  change(state_key(2'000), std::nullopt);
  const Entries merged(expected.begin(), expected.end());
  const StateSnapshot snap = snapshot_of(stored, overlay);
  for (uint32_t bytes_max : {1u, 37u, 500u, state_sync_chunk_bytes_max}) {
    size_t chunks = 0;
    EXPECT_EQ(page(snap, {}, {}, bytes_max, chunks), merged) << bytes_max;
  }
  auto made = make_offer(snap, {});
  ASSERT_TRUE(made.ok()) << made.status().to_string();
  EXPECT_EQ(made->entries_total, merged.size());
  uint64_t bytes = 0;
  for (const auto& [k, v] : merged) bytes += k.size() + v.size();
  EXPECT_EQ(made->bytes_total, bytes);
  // The split keys are the entries at i * n / 16, so the ranges hold about equal counts (with
  // fewer entries than the summary keeps candidates, exactly those).
  ASSERT_LT(merged.size(), state_sync_summary_samples_max);
  ASSERT_EQ(made->split_keys.size(), state_sync_ranges_max - 1);
  for (size_t i = 1; i < state_sync_ranges_max; ++i)
    EXPECT_EQ(made->split_keys[i - 1], merged[i * merged.size() / state_sync_ranges_max].first);
  Entries joined;
  for (size_t r = 0; r <= made->split_keys.size(); ++r) {
    size_t chunks = 0;
    auto part = page(snap, r == 0 ? Bytes{} : made->split_keys[r - 1],
                     r < made->split_keys.size() ? made->split_keys[r] : Bytes{}, 300, chunks);
    joined.insert(joined.end(), part.begin(), part.end());
  }
  EXPECT_EQ(joined, merged);
  // A range that starts and ends between keys, inside the overlay's new keys.
  Bytes from = state_key(11);
  from.push_back(0);
  size_t chunks = 0;
  auto part = page(snap, from, state_key(23), 100, chunks);
  EXPECT_EQ(part, Entries(expected.lower_bound(from), expected.lower_bound(state_key(23))));
}

// Checks a summary of `merged` (the state's entries in key order): its totals, and split keys
// that are keys of the state, ascending, each within 1/state_sync_summary_samples_max of the
// entries of its place at equal counts, and that pass the receiving side's decoding.
void expect_summary_of(const Entries& merged, const StateSnapshot::Summary& summary) {
  const uint64_t n = merged.size();
  EXPECT_EQ(summary.entries, n);
  uint64_t bytes = 0;
  for (const auto& [k, v] : merged) bytes += k.size() + v.size();
  EXPECT_EQ(summary.bytes, bytes);
  const uint64_t ranges = std::min<uint64_t>(state_sync_ranges_max, std::max<uint64_t>(n, 1));
  ASSERT_EQ(summary.split_keys.size(), ranges - 1) << n << " entries";
  const uint64_t slack = n / state_sync_summary_samples_max + 1;
  for (size_t i = 0; i < summary.split_keys.size(); ++i) {
    auto at = std::lower_bound(merged.begin(), merged.end(), summary.split_keys[i],
                               [](const auto& e, const Bytes& k) { return e.first < k; });
    ASSERT_TRUE(at != merged.end() && at->first == summary.split_keys[i])
        << "split key " << i << " is not a key of the state";
    const uint64_t index = static_cast<uint64_t>(at - merged.begin());
    const uint64_t place = (i + 1) * n / ranges;
    EXPECT_LE(std::max(index, place) - std::min(index, place), slack)
        << "split key " << i << " of " << n << " entries at " << index << ", not near " << place;
    EXPECT_GT(index, 0u);  // No range is empty.
    if (i > 0) {
      EXPECT_LT(summary.split_keys[i - 1], summary.split_keys[i]);
    }
  }
  CheckpointOffer offer;
  offer.entries_total = summary.entries;
  offer.bytes_total = summary.bytes;
  offer.split_keys = summary.split_keys;
  offer.evidence.blocks.resize(2);  // The decoder wants blocks of evidence, any.
  auto decoded = decode_sync_message(encode_sync_message(offer));
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(std::get<CheckpointOffer>(*decoded).split_keys, summary.split_keys);
}

// The summary is one pass that keeps every stride-th key, the stride doubling as the candidates
// fill up: whatever the count, around and far above where the stride starts to grow, the
// ranges it cuts hold about equal counts.
TEST(StateSyncSummary, OnePassCountsAndCutsRangesOfAboutEqualCounts) {
  const uint32_t k = static_cast<uint32_t>(state_sync_summary_samples_max);
  for (uint32_t n :
       {0u, 1u, 2u, 15u, 16u, 17u, 100u, k - 1, k, k + 1, 2 * k, 2 * k + 1, 5 * k + 3, 40'000u}) {
    const Entries entries = make_entries(n, 3);
    const StateSnapshot snap = snapshot_of(entries);
    auto summary = snap.summary();
    ASSERT_TRUE(summary.ok()) << summary.status().to_string();
    expect_summary_of(entries, *summary);
  }
}

// The same over a store with many changes laid over it: the pass counts and cuts the merged
// state, not the store's.
TEST(StateSyncSummary, CountsAndCutsTheStateWithTheOverlayMerged) {
  const Entries stored = make_entries(30'000, 8);
  std::map<Bytes, Bytes> expected(stored.begin(), stored.end());
  Changes overlay;
  for (uint32_t i = 0; i < 30'000; i += 3) {
    if (i % 2 == 0) {
      overlay.emplace_back(state_key(i), std::nullopt);  // Deleted: a third of the first half.
      expected.erase(state_key(i));
    }
    Bytes added = state_key(i);
    added.push_back(1);
    overlay.emplace_back(added, Bytes(i % 50, 0x5a));  // New, of various sizes.
    expected[added] = Bytes(i % 50, 0x5a);
  }
  const Entries merged(expected.begin(), expected.end());
  const StateSnapshot snap = snapshot_of(stored, overlay);
  EXPECT_FALSE(snap.computed_summary().has_value());  // Nothing is computed until asked.
  auto summary = snap.summary();
  ASSERT_TRUE(summary.ok()) << summary.status().to_string();
  expect_summary_of(merged, *summary);
  // Kept: the same answer without another pass.
  auto kept = snap.computed_summary();
  ASSERT_TRUE(kept.has_value() && kept->ok());
  EXPECT_EQ((*kept)->split_keys, summary->split_keys);
  EXPECT_EQ((*kept)->bytes, summary->bytes);
  // Paged range by range, the split keys cut the merged state into contiguous ranges.
  Entries joined;
  for (size_t r = 0; r <= summary->split_keys.size(); ++r) {
    size_t chunks = 0;
    auto part = page(snap, r == 0 ? Bytes{} : summary->split_keys[r - 1],
                     r < summary->split_keys.size() ? summary->split_keys[r] : Bytes{},
                     state_sync_chunk_bytes_max, chunks);
    joined.insert(joined.end(), part.begin(), part.end());
  }
  EXPECT_EQ(joined, merged);
}

// A state over either limit is refused, and the refusal is kept with the snapshot; a state
// exactly at them is offered.
TEST(StateSyncSummary, AStateOverTheLimitsIsRefusedAndTheRefusalKept) {
  const Entries entries = make_entries(1'000, 11);  // 20 bytes an entry.
  StateSnapshot::Limits at_limits{1'000, 20'000};
  auto fits = snapshot_of(entries, {}, at_limits).summary();
  ASSERT_TRUE(fits.ok()) << fits.status().to_string();
  EXPECT_EQ(fits->entries, 1'000u);
  EXPECT_EQ(fits->bytes, 20'000u);
  for (StateSnapshot::Limits over :
       {StateSnapshot::Limits{999, 20'000}, StateSnapshot::Limits{1'000, 19'999},
        StateSnapshot::Limits{10, UINT64_MAX}}) {
    const StateSnapshot snap = snapshot_of(entries, {}, over);
    auto refused = snap.summary();
    EXPECT_EQ(refused.status().code(), StatusCode::resource_exhausted)
        << over.entries_max << " " << over.bytes_max;
    auto kept = snap.computed_summary();
    ASSERT_TRUE(kept.has_value());
    EXPECT_EQ(kept->status().code(), StatusCode::resource_exhausted);
    EXPECT_EQ(make_offer(snap, {}).status().code(), StatusCode::resource_exhausted);
  }
}

// A pass stopped by its cancel flag (the node stopping) answers unavailable and keeps nothing:
// a later call computes the summary.
TEST(StateSyncSummary, ACancelledPassKeepsNothing) {
  const Entries entries = make_entries(10'000, 4);
  const StateSnapshot snap = snapshot_of(entries);
  std::atomic<bool> cancel{true};
  EXPECT_EQ(snap.summary(&cancel).status().code(), StatusCode::unavailable);
  EXPECT_FALSE(snap.computed_summary().has_value());
  cancel = false;
  auto summary = snap.summary(&cancel);
  ASSERT_TRUE(summary.ok()) << summary.status().to_string();
  expect_summary_of(entries, *summary);
  EXPECT_TRUE(snap.computed_summary().has_value());
}

TEST(StateSyncOffers, EvidenceThatIsNotACertifiedChainIsRefused) {
  consensus::ValidatorSet set(0, {KeyPair::generate().public_key()});
  CheckpointOffer offer;
  offer.height = 10;
  // Too short.
  EXPECT_FALSE(verify_offer(offer, set, 0).ok());
  // Of another epoch: declined as not usable (failed_precondition), not as bad data.
  offer.evidence.blocks.resize(3);
  for (size_t i = 0; i < 3; ++i) {
    offer.evidence.blocks[i].epoch = 1;
    offer.evidence.blocks[i].height = 12 - i;
  }
  EXPECT_EQ(verify_offer(offer, set, 0).status().code(), StatusCode::failed_precondition);
  // Of this epoch but without signatures.
  for (auto& b : offer.evidence.blocks) b.epoch = 0;
  EXPECT_EQ(verify_offer(offer, set, 0).status().code(), StatusCode::invalid_argument);
  // At or below the epoch's first block.
  EXPECT_FALSE(verify_offer(offer, set, 10).ok());
  // Split keys out of order.
  offer.split_keys = {state_key(2), state_key(1)};
  EXPECT_EQ(verify_offer(offer, set, 0).status().code(), StatusCode::invalid_argument);
}

}  // namespace
}  // namespace corridor::node
