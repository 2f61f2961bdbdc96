#include "node/chain_store.h"

#include <algorithm>
#include <vector>

#include "base/encoding.h"
#include "ledger/state_store.h"

namespace corridor::node {

namespace {

constexpr uint8_t key_genesis = 'G';
constexpr uint8_t key_head = 'H';
constexpr uint8_t key_block = 'B';
constexpr uint8_t key_result = 'O';
constexpr uint8_t key_tx = 'T';
constexpr uint8_t key_checkpoint = 'K';

Bytes height_key(uint8_t prefix, uint64_t height) {
  Bytes k{prefix};
  put_be64(k, height);
  return k;
}
Bytes tx_key(const Hash256& id) {
  return prefixed(key_tx, id.view());
}

// The time in the header at the start of a block's bytes.
Result<uint64_t> header_time(ByteView block) {
  Reader r(block);
  uint8_t version;
  uint64_t height;
  Hash256 parent;
  uint64_t time_ms = 0;
  r.u8(version) && r.u64(height) && r.fixed(parent) && r.u64(time_ms);
  CORRIDOR_RETURN_IF_ERROR(r.status("block header"));
  return time_ms;
}

}  // namespace

Hash256 network_id_for_name(const std::string& network_name) {
  return network_id_for(network_name, 1);
}

Hash256 network_id_for(const std::string& network_name, uint64_t state_root_interval_blocks) {
  Sha256 h;
  h.update(std::string_view("corridor.network.v1"));
  h.update(network_name);
  // An interval of 1 adds nothing, so that the ids of networks from before it existed stay.
  if (state_root_interval_blocks != 1) {
    Bytes interval;
    put_be64(interval, state_root_interval_blocks);
    h.update(interval);
  }
  return h.finish();
}

Status ChainStore::init_genesis(const std::string& network_name) {
  Bytes key{key_genesis};
  CORRIDOR_ASSIGN_OR_RETURN(auto existing, kv_.get(key));
  Bytes value;
  Writer w(value);
  w.short_string(network_name);
  w.fixed(network_id_for_name(network_name));
  if (existing) {
    if (*existing != value) {
      Reader r(*existing);
      std::string stored;
      r.short_string(stored);
      return failed_precondition("the data directory belongs to network '" + stored + "', not '" +
                                 network_name + "'");
    }
    return Status();
  }
  storage::WriteBatch batch;
  batch.put(key, value);
  return kv_.write(batch, true);
}

Result<ChainHead> ChainStore::head() const {
  CORRIDOR_ASSIGN_OR_RETURN(auto v, kv_.get(Bytes{key_head}));
  ChainHead h;
  if (!v) return h;
  Reader r(*v);
  r.u64(h.height) && r.fixed(h.block_hash) && r.fixed(h.state_root);
  CORRIDOR_RETURN_IF_ERROR(r.finish("chain head"));
  return h;
}

namespace {

Bytes encode_head(const ChainHead& h) {
  Bytes out;
  Writer w(out);
  w.u64(h.height);
  w.fixed(h.block_hash);
  w.fixed(h.state_root);
  return out;
}

}  // namespace

Status ChainStore::commit(const ledger::Block& block, const std::vector<Bytes>& envelopes,
                          const ledger::BlockResult& result,
                          const ledger::StateDeltaAccumulator* state,
                          const std::function<void(storage::WriteBatch&)>& extra) {
  const ledger::BlockHeader& header = block.header;
  CORRIDOR_ASSERT(envelopes.size() == result.outcomes.size());
  CORRIDOR_ASSERT(envelopes.size() == block.txs.size());
  storage::WriteBatch batch;

  Bytes bytes;
  ledger::encode_block_header(header, bytes);
  std::vector<TxLocation> locations(envelopes.size());
  for (size_t i = 0; i < envelopes.size(); ++i) {
    Writer(bytes).u32(static_cast<uint32_t>(envelopes[i].size()));
    locations[i] = {header.height, static_cast<uint32_t>(i), static_cast<uint32_t>(bytes.size()),
                    static_cast<uint32_t>(envelopes[i].size())};
    bytes.insert(bytes.end(), envelopes[i].begin(), envelopes[i].end());
  }
  batch.put(height_key(key_block, header.height), bytes);
  batch.put(height_key(key_result, header.height), ledger::encode_block_result(result));

  // Only transactions that consumed their id are indexed: a rejected transaction may be
  // resubmitted and applied later under the same id. In ascending id order: the memtable
  // starts each insert from where the previous key went (storage/rocksdb_kv_store.cc), which
  // for a block's keys in id order saves about a fifth of the index's insert time.
  std::vector<size_t> indexed;
  indexed.reserve(envelopes.size());
  for (size_t i = 0; i < envelopes.size(); ++i) {
    const auto code = result.outcomes[i].code;
    if (code == ledger::ResultCode::ok || code == ledger::ResultCode::tx_failed)
      indexed.push_back(i);
  }
  std::sort(indexed.begin(), indexed.end(),
            [&](size_t a, size_t b) { return block.txs[a].id < block.txs[b].id; });
  for (const size_t i : indexed) {
    Bytes loc;
    Writer w(loc);
    w.u64(locations[i].height);
    w.u32(locations[i].index);
    w.u32(locations[i].offset);
    w.u32(locations[i].length);
    // The block's time too, so that the answer to a resubmitted final transaction needs no
    // read of the whole block (tx_finality).
    w.u64(header.time_ms);
    batch.put(tx_key(block.txs[i].id), loc);
  }
  const ChainHead head{header.height, header.hash(), result.state_root};
  if (state) {
    // In ascending key order: RocksDB's memtable inserts a key found next to the previous one
    // without a fresh skip-list search (docs/benchmarks.md, "Apply benchmark").
    state->put(batch);
    batch.put(Bytes{key_checkpoint}, encode_head(head));
  }
  batch.put(Bytes{key_head}, encode_head(head));
  if (extra) extra(batch);
  return write_block_batch(header.height, batch);
}

Status ChainStore::write_block_batch(uint64_t height, const storage::WriteBatch& batch) {
  // Lowered before the write starts, raised once it has returned (when the whole batch is
  // visible to every reader that sees the new value). The write of a lower height, if any,
  // returned before this one began.
  const uint64_t before = unreadable_from_.load(std::memory_order_relaxed);
  unreadable_from_.store(std::min(before, height), std::memory_order_release);
  Status st = kv_.write(batch, true);
  // A failed write may have left any part of the batch: its height stays unreadable (the node
  // stops on a failed block write, and the next open reads what the store kept).
  if (st.ok()) unreadable_from_.store(height + 1, std::memory_order_release);
  return st;
}

Status ChainStore::install_state(const ChainHead& head, ByteView block_bytes, ByteView result_bytes,
                                 const std::vector<std::pair<Bytes, Bytes>>& entries,
                                 const std::function<void(storage::WriteBatch&)>& extra) {
  storage::WriteBatch batch;
  // Whatever state the node held (a lagging node's) goes: the checkpoint's is complete.
  for (uint8_t prefix : {ledger::store_prefix_replay, ledger::store_prefix_state}) {
    CORRIDOR_RETURN_IF_ERROR(kv_.scan_prefix(Bytes{prefix}, [&](ByteView k, ByteView) {
      batch.erase(k);
      return true;
    }));
  }
  for (const auto& [k, v] : entries) batch.put(k, v);
  batch.put(height_key(key_block, head.height), block_bytes);
  batch.put(height_key(key_result, head.height), result_bytes);
  const Bytes h = encode_head(head);
  batch.put(Bytes{key_head}, h);
  // The installed state is the checkpoint: a restart loads it and replays what follows.
  batch.put(Bytes{key_checkpoint}, h);
  if (extra) extra(batch);
  return write_block_batch(head.height, batch);
}

std::vector<uint8_t> ChainStore::height_ordered_prefixes() {
  return {key_block, key_result};
}

Result<std::optional<Bytes>> ChainStore::block_bytes(uint64_t height) const {
  if (!readable(height)) return std::optional<Bytes>();
  return kv_.get(height_key(key_block, height));
}

Result<std::optional<ledger::BlockResult>> ChainStore::block_result(uint64_t height) const {
  if (!readable(height)) return std::optional<ledger::BlockResult>();
  CORRIDOR_ASSIGN_OR_RETURN(auto v, kv_.get(height_key(key_result, height)));
  if (!v) return std::optional<ledger::BlockResult>();
  CORRIDOR_ASSIGN_OR_RETURN(auto r, ledger::decode_block_result(*v));
  return std::optional<ledger::BlockResult>(std::move(r));
}

Result<std::optional<ChainStore::TxEntry>> ChainStore::tx_entry(const Hash256& id) const {
  CORRIDOR_ASSIGN_OR_RETURN(auto v, kv_.get(tx_key(id)));
  if (!v) return std::optional<TxEntry>();
  Reader r(*v);
  TxEntry entry;
  TxLocation& loc = entry.location;
  r.u64(loc.height) && r.u32(loc.index) && r.u32(loc.offset) && r.u32(loc.length);
  if (r.ok() && r.remaining() > 0) {
    uint64_t time_ms = 0;
    if (r.u64(time_ms)) entry.block_time_ms = time_ms;
  }
  CORRIDOR_RETURN_IF_ERROR(r.finish("tx index entry"));
  // The entry is written with its block, so it may show before the rest of that block does.
  if (!readable(loc.height)) return std::optional<TxEntry>();
  return std::optional<TxEntry>(entry);
}

Result<uint64_t> ChainStore::block_time_from_header(uint64_t height) const {
  CORRIDOR_ASSIGN_OR_RETURN(auto block, block_bytes(height));
  if (!block) return corruption("tx index names a missing block");
  return header_time(*block);
}

Result<std::optional<TxLocation>> ChainStore::tx_location(const Hash256& id) const {
  CORRIDOR_ASSIGN_OR_RETURN(auto entry, tx_entry(id));
  if (!entry) return std::optional<TxLocation>();
  return std::optional<TxLocation>(entry->location);
}

Result<std::optional<TxFinality>> ChainStore::tx_finality(const Hash256& id) const {
  CORRIDOR_ASSIGN_OR_RETURN(auto entry, tx_entry(id));
  if (!entry) return std::optional<TxFinality>();
  const TxLocation& loc = entry->location;
  CORRIDOR_ASSIGN_OR_RETURN(auto result, block_result(loc.height));
  if (!result) return corruption("tx index names a missing block");
  if (loc.index >= result->outcomes.size())
    return corruption("tx index entry out of the block's bounds");
  TxFinality f{loc, result->outcomes[loc.index], 0};
  if (entry->block_time_ms) {
    f.block_time_ms = *entry->block_time_ms;
  } else {
    CORRIDOR_ASSIGN_OR_RETURN(f.block_time_ms, block_time_from_header(loc.height));
  }
  return std::optional<TxFinality>(f);
}

Result<std::optional<TxRecord>> ChainStore::tx_record(const Hash256& id) const {
  CORRIDOR_ASSIGN_OR_RETURN(auto entry, tx_entry(id));
  if (!entry) return std::optional<TxRecord>();
  const TxLocation& loc = entry->location;
  CORRIDOR_ASSIGN_OR_RETURN(auto block, block_bytes(loc.height));
  CORRIDOR_ASSIGN_OR_RETURN(auto result, block_result(loc.height));
  if (!block || !result) return corruption("tx index names a missing block");
  if (static_cast<size_t>(loc.offset) + loc.length > block->size() ||
      loc.index >= result->outcomes.size())
    return corruption("tx index entry out of the block's bounds");
  TxRecord rec;
  rec.location = loc;
  rec.envelope.assign(block->begin() + loc.offset, block->begin() + loc.offset + loc.length);
  rec.outcome = result->outcomes[loc.index];
  CORRIDOR_ASSIGN_OR_RETURN(rec.block_time_ms, header_time(*block));
  return std::optional<TxRecord>(std::move(rec));
}

Status ChainStore::write_checkpoint(const ledger::StateDeltaAccumulator& state,
                                    const ChainHead& at) {
  storage::WriteBatch batch;
  // 'K' first: the whole batch is then in ascending key order, which the store inserts faster
  // (storage/rocksdb_kv_store.cc).
  batch.put(Bytes{key_checkpoint}, encode_head(at));
  state.put(batch);
  return kv_.write(batch, true);
}

Result<bool> ChainStore::has_checkpoint() const {
  CORRIDOR_ASSIGN_OR_RETURN(auto v, kv_.get(Bytes{key_checkpoint}));
  return v.has_value();
}

Result<ChainHead> ChainStore::checkpoint() const {
  CORRIDOR_ASSIGN_OR_RETURN(auto v, kv_.get(Bytes{key_checkpoint}));
  if (!v) return head();
  ChainHead h;
  Reader r(*v);
  r.u64(h.height) && r.fixed(h.block_hash) && r.fixed(h.state_root);
  CORRIDOR_RETURN_IF_ERROR(r.finish("checkpoint"));
  return h;
}

Result<ChainHead> ChainStore::load_ledger(ledger::Ledger& ledger) const {
  CORRIDOR_ASSIGN_OR_RETURN(ChainHead c, checkpoint());
  CORRIDOR_RETURN_IF_ERROR(ledger::load_ledger_state(kv_, ledger, c.height, c.state_root));
  return c;
}

}  // namespace corridor::node
