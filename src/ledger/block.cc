#include "ledger/block.h"

#include <algorithm>
#include <string_view>
#include <thread>

#include "base/assert.h"
#include "base/encoding.h"
#include "base/thread_name.h"
#include "ledger/limits.h"

namespace corridor::ledger {

namespace {
constexpr std::string_view tx_root_domain = "corridor.txs.v1";
// Below this many signatures to verify in a block (about 50 us each), starting threads costs
// more than it saves. Only signatures count: the other stateless checks cost well under a
// microsecond per operation, and a block whose signatures were all verified at admission has
// nothing worth a thread, however many operations it carries.
constexpr size_t parallel_verify_signatures_min = 8;
}  // namespace

void encode_block_header(const BlockHeader& h, Bytes& out) {
  Writer w(out);
  w.u8(block_version);
  w.u64(h.height);
  w.fixed(h.parent_hash);
  w.u64(h.time_ms);
  w.fixed(h.tx_root);
  w.u32(h.tx_count);
  w.fixed(h.parent_state_root);
}

Hash256 BlockHeader::hash() const {
  Bytes b;
  encode_block_header(*this, b);
  return sha256(b);
}

Hash256 compute_tx_root(const std::vector<Transaction>& txs) {
  Sha256 h;
  h.update(tx_root_domain);
  Bytes count;
  Writer(count).u32(static_cast<uint32_t>(txs.size()));
  h.update(count);
  for (const auto& tx : txs) h.update(tx.id.view());
  return h.finish();
}

Bytes encode_block(const Block& block) {
  Bytes out;
  encode_block_header(block.header, out);
  Writer w(out);
  for (const auto& tx : block.txs) w.var_bytes(encode_transaction(tx));
  return out;
}

Result<Bytes> block_payload(ByteView block_bytes) {
  if (block_bytes.size() > block_bytes_max) return invalid_argument("block exceeds the size limit");
  Reader r(block_bytes);
  BlockHeader h;
  uint8_t version;
  if (r.u8(version) && version != block_version)
    r.fail("unsupported block version " + std::to_string(version));
  r.u64(h.height) && r.fixed(h.parent_hash) && r.u64(h.time_ms) && r.fixed(h.tx_root) &&
      r.u32(h.tx_count) && r.fixed(h.parent_state_root);
  if (!r.ok()) return r.status("block");
  const size_t list_offset = block_bytes.size() - r.remaining();
  // Sized, then filled (GCC bug 107852, see base::prefixed).
  Bytes payload(sizeof(uint32_t) + r.remaining());
  for (size_t i = 0; i < sizeof(uint32_t); ++i)
    payload[i] = static_cast<uint8_t>(h.tx_count >> (8 * i));
  std::copy(block_bytes.begin() + static_cast<std::ptrdiff_t>(list_offset), block_bytes.end(),
            payload.begin() + sizeof(uint32_t));
  return payload;
}

Result<Block> decode_block(ByteView bytes) {
  if (bytes.size() > block_bytes_max) return invalid_argument("block exceeds the size limit");
  Reader r(bytes);
  Block b;
  BlockHeader& h = b.header;
  uint8_t version;
  if (r.u8(version) && version != block_version)
    r.fail("unsupported block version " + std::to_string(version));
  r.u64(h.height) && r.fixed(h.parent_hash) && r.u64(h.time_ms) && r.fixed(h.tx_root) &&
      r.u32(h.tx_count) && r.fixed(h.parent_state_root);
  if (r.ok() && h.tx_count > block_txs_max) r.fail("too many transactions");
  if (!r.ok()) return r.status("block");
  b.txs.reserve(std::min<size_t>(h.tx_count, r.remaining() / 4));
  for (uint32_t i = 0; i < h.tx_count; ++i) {
    ByteView env;
    if (!r.var_bytes(env, tx_bytes_max)) return r.status("block");
    auto tx = decode_transaction(env);
    if (!tx.ok())
      return invalid_argument("block: transaction " + std::to_string(i) + ": " +
                              tx.status().message());
    b.txs.push_back(std::move(tx).value());
  }
  CORRIDOR_RETURN_IF_ERROR(r.finish("block"));
  if (compute_tx_root(b.txs) != h.tx_root) return invalid_argument("block: tx_root mismatch");
  return b;
}

Bytes encode_block_result(const BlockResult& res) {
  Bytes out;
  Writer w(out);
  w.fixed(res.state_root);
  w.u32(static_cast<uint32_t>(res.outcomes.size()));
  for (const auto& o : res.outcomes) {
    w.u16(static_cast<uint16_t>(o.code));
    w.u32(o.op_index);
    w.u16(static_cast<uint16_t>(o.op_code));
  }
  w.u32(static_cast<uint32_t>(res.queue_events.size()));
  for (const auto& e : res.queue_events) {
    w.u8(static_cast<uint8_t>(e.kind));
    w.u64(e.seq);
    w.fixed(e.tx_id);
    w.u32(e.op_index);
  }
  return out;
}

Result<BlockResult> decode_block_result(ByteView bytes) {
  Reader r(bytes);
  BlockResult res;
  uint32_t count = 0;
  r.fixed(res.state_root) && r.u32(count);
  if (r.ok() && count > r.remaining() / 8) r.fail("outcome count exceeds the bytes");
  if (!r.ok()) return r.status("block result");
  res.outcomes.resize(count);
  for (auto& o : res.outcomes) {
    uint16_t code = 0, op_code = 0;
    r.u16(code) && r.u32(o.op_index) && r.u16(op_code);
    o.code = static_cast<ResultCode>(code);
    o.op_code = static_cast<ResultCode>(op_code);
  }
  uint32_t events = 0;
  // Each event is 45 bytes; a count the bytes cannot hold is refused before allocating.
  if (r.u32(events) && events > r.remaining() / 45) r.fail("queue event count exceeds the bytes");
  if (!r.ok()) return r.status("block result");
  res.queue_events.resize(events);
  for (auto& e : res.queue_events) {
    uint8_t kind = 0;
    if (r.u8(kind) && kind > static_cast<uint8_t>(QueueEventKind::cancelled))
      r.fail("unknown queue event kind " + std::to_string(kind));
    e.kind = static_cast<QueueEventKind>(kind);
    r.u64(e.seq) && r.fixed(e.tx_id) && r.u32(e.op_index);
  }
  CORRIDOR_RETURN_IF_ERROR(r.finish("block result"));
  return res;
}

ExecutedBlock execute_block(Ledger& ledger, const Block& block, const Hash256& network_id,
                            unsigned threads, bool verify_signatures,
                            const std::vector<uint8_t>* preverified) {
  const auto& txs = block.txs;
  CORRIDOR_ASSERT(!preverified || preverified->size() == txs.size());
  std::vector<StatelessCheck> checks(txs.size());
  auto verify = [&](size_t i) { return verify_signatures && !(preverified && (*preverified)[i]); };
  size_t signatures_to_verify = 0;
  for (size_t i = 0; i < txs.size(); ++i)
    if (verify(i)) signatures_to_verify += txs[i].signatures.size();
  // Signature verification is independent per transaction, so it is the part worth spreading
  // over cores; application itself is sequential by nature. A thread started for nothing still
  // costs its start, and the executor then waits in join until the scheduler has run it, which
  // on busy cores is behind every thread already waiting.
  unsigned workers =
      signatures_to_verify >= parallel_verify_signatures_min
          ? std::max(1u, std::min<unsigned>(threads, static_cast<unsigned>(txs.size())))
          : 1u;
  if (workers <= 1) {
    for (size_t i = 0; i < txs.size(); ++i)
      checks[i] = check_stateless(txs[i], network_id, verify(i));
  } else {
    std::vector<std::thread> pool;
    pool.reserve(workers - 1);
    auto run = [&](unsigned w) {
      if (w != 0) set_current_thread_name("verify-" + std::to_string(w));
      for (size_t i = w; i < txs.size(); i += workers)
        checks[i] = check_stateless(txs[i], network_id, verify(i));
    };
    for (unsigned w = 1; w < workers; ++w) pool.emplace_back(run, w);
    run(0);
    for (auto& t : pool) t.join();
  }

  ExecutedBlock out;
  out.verify_workers = workers;
  out.result.outcomes.reserve(txs.size());
  ledger.begin_block(block.header.height);
  for (size_t i = 0; i < txs.size(); ++i) {
    const StatelessCheck& c = checks[i];
    if (c.code != ResultCode::ok) {
      out.result.outcomes.push_back({c.code, c.op_index, c.op_code});
      continue;
    }
    out.result.outcomes.push_back(ledger.apply(txs[i]));
  }
  out.delta = ledger.end_block();
  out.result.state_root = ledger.state_root();
  out.result.queue_events = out.delta.queue_events;
  return out;
}

}  // namespace corridor::ledger
