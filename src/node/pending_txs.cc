#include "node/pending_txs.h"

#include <cstring>
#include <string_view>

#include "ledger/payload.h"

namespace corridor::node {
namespace {

// An envelope ends with its signatures (a 32-byte key and a 64-byte signature each).
constexpr size_t envelope_tail_hashed_bytes = 64;

}  // namespace

size_t PendingTxs::EnvelopeHasher::operator()(ByteView v) const {
  const size_t n = std::min(v.size(), envelope_tail_hashed_bytes);
  const std::string_view tail(reinterpret_cast<const char*>(v.data() + v.size() - n), n);
  return std::hash<std::string_view>{}(tail) ^ (v.size() * 0x9e3779b97f4a7c15ULL);
}

bool PendingTxs::EnvelopeEqual::operator()(ByteView a, ByteView b) const {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

bool PendingTxs::add(ledger::Transaction tx, Bytes envelope) {
  if (by_id_.contains(tx.id)) return false;
  Entry e{tx.id, tx.valid_until_height, std::move(envelope), 0, std::nullopt};
  if (decoded_ops_ + tx.ops.size() <= decoded_ops_limit_) {
    decoded_ops_ += tx.ops.size();
    e.tx = std::move(tx);
  }
  auto it = entries_.insert(entries_.end(), std::move(e));
  by_id_.emplace(it->id, it);
  // Two entries never hold the same bytes: equal bytes have equal ids.
  by_envelope_.emplace(ByteView(it->envelope), it);
  return true;
}

PendingTxs::Entry* PendingTxs::find_envelope(ByteView envelope) {
  auto it = by_envelope_.find(envelope);
  return it == by_envelope_.end() ? nullptr : &*it->second;
}

PendingTxs::Entry* PendingTxs::find_id(const Hash256& id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &*it->second;
}

PendingTxs::List::iterator PendingTxs::remove(List::iterator it) {
  by_envelope_.erase(ByteView(it->envelope));
  by_id_.erase(it->id);
  if (it->tx) decoded_ops_ -= it->tx->ops.size();
  return entries_.erase(it);
}

void PendingTxs::erase(const Hash256& id) {
  if (auto it = by_id_.find(id); it != by_id_.end()) remove(it->second);
}

std::optional<PendingTx> PendingTxs::take_envelope(ByteView envelope) {
  auto found = by_envelope_.find(envelope);
  if (found == by_envelope_.end()) return std::nullopt;
  const auto it = found->second;
  // The index's key views the entry's envelope: it goes before the envelope moves.
  by_envelope_.erase(found);
  by_id_.erase(it->id);
  std::optional<ledger::Transaction> tx = std::move(it->tx);
  Bytes bytes = std::move(it->envelope);
  entries_.erase(it);
  if (tx) {
    decoded_ops_ -= tx->ops.size();
  } else {
    // Held past decoded_ops_max: decoded from its (identical) bytes now.
    auto decoded = ledger::decode_transaction(bytes);
    if (!decoded.ok()) return std::nullopt;
    tx = std::move(decoded).value();
  }
  return PendingTx{std::move(*tx), std::move(bytes)};
}

std::optional<std::vector<Hash256>> PendingTxs::payload_ids(ByteView payload) {
  auto envelopes = ledger::split_payload(payload);
  if (!envelopes) return std::nullopt;
  std::vector<Hash256> ids;
  ids.reserve(envelopes->size());
  for (ByteView envelope : *envelopes) {
    if (const Entry* e = find_envelope(envelope)) {
      ++counters_.envelopes_matched;
      ids.push_back(e->id);
      continue;
    }
    ++counters_.envelopes_decoded;
    if (auto tx = ledger::decode_transaction(envelope); tx.ok()) ids.push_back(tx->id);
  }
  return ids;
}

std::optional<std::vector<PendingTx>> PendingTxs::take_payload(ByteView payload) {
  auto envelopes = ledger::split_payload(payload);
  if (!envelopes) return std::nullopt;
  std::vector<PendingTx> txs;
  txs.reserve(envelopes->size());
  for (ByteView envelope : *envelopes) {
    const auto held = by_envelope_.find(envelope);
    if (held != by_envelope_.end() && held->second->tx) {
      ++counters_.envelopes_matched;
      // take_envelope with a decoded form never fails.
      txs.push_back(std::move(take_envelope(envelope)).value());
      continue;
    }
    ++counters_.envelopes_decoded;
    auto tx = ledger::decode_transaction(envelope);
    if (!tx.ok()) {
      // Held without its decoded form, yet undecodable: impossible for an admitted
      // transaction, but the block's rule (skip it) holds either way.
      if (held != by_envelope_.end()) remove(held->second);
      continue;
    }
    // The block applies (or refuses) this id: an entry holding it under other bytes is void.
    erase(tx->id);
    txs.push_back(PendingTx{std::move(tx).value(), Bytes(envelope.begin(), envelope.end())});
  }
  return txs;
}

}  // namespace corridor::node
