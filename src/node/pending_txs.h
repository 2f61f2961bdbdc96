// The transactions a BFT orderer holds between the mempool and a committed block, in arrival
// order, with the decoded form its admission produced. Proposals and committed blocks carry
// transactions as envelope bytes; a reader that finds an envelope here byte for byte uses the
// id and the decoded transaction held with it instead of decoding the envelope again (a full
// parse, the asset code checks and SHA-256 of the body).
//
// Only identical bytes match. An envelope with the same id and other bytes (other signatures,
// which are outside the id) is not a match and is decoded from its own bytes, so a Byzantine
// leader cannot make a node execute a decoded transaction that differs from what the block
// holds: decoding is deterministic, and equal bytes decode to an equal transaction.
//
// Not thread-safe: the orderer's loop thread owns it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "base/hash.h"
#include "ledger/transaction.h"
#include "node/mempool.h"

namespace corridor::node {

class PendingTxs {
 public:
  // Operations of the decoded transactions held at most: two blocks of the default
  // NodeConfig::block_ops_max, about 144 MB of decoded operations (144 bytes each). Under load
  // the pending list holds a block or two; past the bound an entry keeps only its envelope and
  // its id (still found by its bytes), and the committed block decodes it.
  static constexpr size_t decoded_ops_max = 1'000'000;

  // A lower bound than decoded_ops_max only for tests.
  explicit PendingTxs(size_t decoded_ops_limit = decoded_ops_max)
      : decoded_ops_limit_(std::min(decoded_ops_limit, decoded_ops_max)) {}

  struct Entry {
    Hash256 id;
    uint64_t valid_until_height = 0;
    Bytes envelope;
    // The height of the latest proposal seen carrying it; 0: never proposed.
    uint64_t proposed_height = 0;
    // `envelope` decoded, while the held decoded operations stay within decoded_ops_max.
    std::optional<ledger::Transaction> tx;
  };
  using List = std::list<Entry>;

  // What a payload's reader learned, for counters and tests.
  struct Counters {
    uint64_t envelopes_matched = 0;  // Found here byte for byte: not decoded.
    uint64_t envelopes_decoded = 0;  // Not held here (or held without its decoded form).
  };

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  bool contains(const Hash256& id) const { return by_id_.contains(id); }
  size_t decoded_ops() const { return decoded_ops_; }
  const Counters& counters() const { return counters_; }

  // Appends an admitted transaction and its canonical envelope; false (nothing changes) when
  // its id is held already.
  bool add(ledger::Transaction tx, Bytes envelope);

  // The entry holding exactly these bytes, or null.
  Entry* find_envelope(ByteView envelope);
  Entry* find_id(const Hash256& id);

  // Removes the entry holding exactly these bytes and returns it as a PendingTx, decoding it
  // only if it was held without its decoded form; nullopt when no entry holds them.
  std::optional<PendingTx> take_envelope(ByteView envelope);
  void erase(const Hash256& id);

  // The ids of a proposal's payload: each envelope found here answers with its entry's id; the
  // others are decoded. nullopt when the list is malformed (it then executes as empty).
  std::optional<std::vector<Hash256>> payload_ids(ByteView payload);
  // The transactions of a committed payload, exactly as decode_payload_txs would produce them
  // (envelopes that do not decode are skipped; a malformed list is nullopt), taking the entries
  // that hold an envelope byte for byte instead of decoding it. An entry whose id a block carries
  // under other bytes is removed too: that id is applied (or refused) by this block.
  std::optional<std::vector<PendingTx>> take_payload(ByteView payload);

  // Arrival order, for the proposer, which may change an entry's proposed_height and nothing
  // else (the indexes key on the id and the envelope's bytes); entries leave through erase_if,
  // erase or the take_ functions.
  List& entries() { return entries_; }
  // Removes every entry for which `pred(entry)` holds.
  template <typename Pred>
  void erase_if(Pred pred) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (pred(*it))
        it = remove(it);
      else
        ++it;
    }
  }

 private:
  // Hashes the envelope's length and last bytes (its last signature), which tell apart any two
  // different transactions an honest client signs; equality compares every byte, so a
  // collision costs a comparison, never a wrong match.
  struct EnvelopeHasher {
    size_t operator()(ByteView v) const;
  };
  struct EnvelopeEqual {
    bool operator()(ByteView a, ByteView b) const;
  };

  List::iterator remove(List::iterator it);

  List entries_;
  std::unordered_map<Hash256, List::iterator, FixedBytesHasher> by_id_;
  // Keys view the entries' own envelopes, which a std::list never moves.
  std::unordered_map<ByteView, List::iterator, EnvelopeHasher, EnvelopeEqual> by_envelope_;
  const size_t decoded_ops_limit_;
  size_t decoded_ops_ = 0;
  Counters counters_;
};

}  // namespace corridor::node
