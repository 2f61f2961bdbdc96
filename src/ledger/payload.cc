#include "ledger/payload.h"

#include "base/encoding.h"
#include "ledger/limits.h"

namespace corridor::ledger {

Bytes encode_payload(const std::vector<Bytes>& envelopes) {
  size_t size = sizeof(uint32_t);
  for (const Bytes& e : envelopes) size += sizeof(uint32_t) + e.size();
  // The count is written in place rather than appended to an empty vector: GCC 12 at -O2
  // reports a (false) overflow for the latter here.
  Bytes out(sizeof(uint32_t));
  out.reserve(size);
  const auto count = static_cast<uint32_t>(envelopes.size());
  for (size_t i = 0; i < sizeof(uint32_t); ++i) out[i] = static_cast<uint8_t>(count >> (8 * i));
  Writer w(out);
  for (const Bytes& e : envelopes) w.var_bytes(e);
  return out;
}

std::optional<std::vector<ByteView>> split_payload(ByteView payload) {
  Reader r(payload);
  uint32_t count = 0;
  if (!r.u32(count) || count > block_txs_max) return std::nullopt;
  std::vector<ByteView> envelopes;
  envelopes.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    ByteView envelope;
    if (!r.var_bytes(envelope, tx_bytes_max)) return std::nullopt;
    envelopes.push_back(envelope);
  }
  if (!r.finish("payload").ok()) return std::nullopt;
  return envelopes;
}

std::optional<std::vector<PayloadTx>> decode_payload_txs(ByteView payload) {
  auto envelopes = split_payload(payload);
  if (!envelopes) return std::nullopt;
  std::vector<PayloadTx> txs;
  txs.reserve(envelopes->size());
  for (ByteView envelope : *envelopes) {
    auto tx = decode_transaction(envelope);
    if (tx.ok())
      txs.push_back(PayloadTx{std::move(tx).value(), Bytes(envelope.begin(), envelope.end())});
  }
  return txs;
}

std::optional<std::vector<Transaction>> decode_payload(ByteView payload) {
  auto txs = decode_payload_txs(payload);
  if (!txs) return std::nullopt;
  std::vector<Transaction> out;
  out.reserve(txs->size());
  for (auto& p : *txs) out.push_back(std::move(p.tx));
  return out;
}

}  // namespace corridor::ledger
