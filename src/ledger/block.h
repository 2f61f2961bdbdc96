// Blocks: a header committing to its parent, its transactions and the state its ancestors
// produced, followed by the transactions' envelopes. The header carries the state root of
// executing its ancestors (not itself), so that a proposer can stamp it before executing the
// block and a voter who executes differently notices at the next height.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "base/hash.h"
#include "base/status.h"
#include "ledger/ledger.h"
#include "ledger/transaction.h"

namespace corridor::ledger {

inline constexpr uint8_t block_version = 1;

struct BlockHeader {
  uint64_t height = 0;
  Hash256 parent_hash;
  // Milliseconds since the Unix epoch, stamped by the proposer. The ledger reads no clock.
  uint64_t time_ms = 0;
  Hash256 tx_root;
  uint32_t tx_count = 0;
  // The state root after executing every block below this one.
  Hash256 parent_state_root;

  Hash256 hash() const;
  friend bool operator==(const BlockHeader&, const BlockHeader&) = default;
};

void encode_block_header(const BlockHeader& h, Bytes& out);

struct Block {
  BlockHeader header;
  std::vector<Transaction> txs;
};

// The commitment to a block's transactions: SHA-256("corridor.txs.v1" || u32 count || ids).
Hash256 compute_tx_root(const std::vector<Transaction>& txs);

Bytes encode_block(const Block& block);
// Decodes a block and every transaction in it; checks tx_count and tx_root against the
// transactions, the limits on size and count, and that no bytes are left over.
Result<Block> decode_block(ByteView bytes);
// A block's transactions in the consensus payload encoding (ledger/payload.h: u32 count, then
// each envelope as var_bytes), taken from its encoding without decoding a transaction: the
// list after the header is already in that form, with the count in the header. Checks only
// the header; a caller that needs the payload to be right checks it against a hash.
Result<Bytes> block_payload(ByteView block_bytes);

// The results of executing a block: one outcome per transaction and the state root after it.
struct BlockResult {
  std::vector<TxOutcome> outcomes;
  Hash256 state_root;
  // The liquidity queue's changes in this block: payments queued, settled, expired, cancelled.
  std::vector<QueueEvent> queue_events;
};
Bytes encode_block_result(const BlockResult& r);
Result<BlockResult> decode_block_result(ByteView bytes);

// Executes a block against the ledger: stateless checks (signature verification spread over
// `threads` threads when the block is large), then each transaction in order. Transactions
// that fail stateless checks get their rejection code and change nothing. Returns the
// outcomes, the new state root and the delta for storage.
struct ExecutedBlock {
  BlockResult result;
  StateDelta delta;
  // Threads that verified signatures, the caller's own included: 1 unless the block had enough
  // signatures left to verify to be worth starting more.
  unsigned verify_workers = 1;
};
// verify_signatures may be false only for transactions whose signatures the caller verified
// itself (a node executing what its own admission checked). With verify_signatures true,
// `preverified`, when given (one flag per transaction), names transactions whose exact
// signatures the caller verified already: their other stateless checks still run.
ExecutedBlock execute_block(Ledger& ledger, const Block& block, const Hash256& network_id,
                            unsigned threads = 1, bool verify_signatures = true,
                            const std::vector<uint8_t>* preverified = nullptr);

}  // namespace corridor::ledger
