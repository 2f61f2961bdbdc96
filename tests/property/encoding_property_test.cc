// Properties of the transaction encoding: every transaction survives a round trip, and no input,
// however corrupted, crashes the decoder or decodes to something that encodes differently.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "ledger/limits.h"
#include "ledger/transaction.h"
#include "property/generators.h"

namespace corridor::test::prop {
namespace {

using namespace corridor::ledger;

template <typename Fixed>
rc::Gen<Fixed> gen_fixed() {
  return rc::gen::exec([] {
    Fixed f;
    for (auto& b : f.bytes) b = *rc::gen::arbitrary<uint8_t>();
    return f;
  });
}

rc::Gen<AssetCode> gen_any_code() {
  return rc::gen::exec([] {
    auto text = *rc::gen::container<std::string>(
        *rc::gen::inRange<size_t>(1, asset_code_len_max + 1),
        rc::gen::elementOf(std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")));
    return code(text);
  });
}

rc::Gen<AssetId> gen_any_asset() {
  return rc::gen::exec([] { return AssetId{*gen_any_code(), *gen_fixed<AccountId>()}; });
}

// Any operation the decoder accepts, valid or not: the encoding does not judge the values.
rc::Gen<Operation> gen_any_operation() {
  return rc::gen::exec([]() -> Operation {
    auto amount = [] { return *rc::gen::arbitrary<Amount>(); };
    switch (*rc::gen::inRange(0, 10)) {
      case 0:
        return CreateAccountOp{*gen_fixed<PublicKey>()};
      case 1: {
        SetSignersOp o;
        size_t n = *rc::gen::inRange<size_t>(0, signers_max + 1);
        for (size_t i = 0; i < n; ++i)
          o.signers.push_back({*gen_fixed<PublicKey>(), *rc::gen::arbitrary<uint16_t>()});
        o.threshold = *rc::gen::arbitrary<uint16_t>();
        return o;
      }
      case 2:
        return CreateAssetOp{*gen_any_code(), *rc::gen::arbitrary<uint8_t>(),
                             *rc::gen::arbitrary<uint8_t>()};
      case 3:
        return OpenHoldingOp{*gen_any_asset(), amount()};
      case 4:
        return AuthorizeHoldingOp{*gen_fixed<AccountId>(), *gen_any_code(),
                                  *rc::gen::arbitrary<bool>()};
      case 5:
        return FreezeHoldingOp{*gen_fixed<AccountId>(), *gen_any_code(),
                               *rc::gen::arbitrary<bool>()};
      case 6:
        return IssueOp{*gen_fixed<AccountId>(), *gen_any_code(), amount()};
      case 7:
        return RedeemOp{*gen_any_asset(), amount()};
      case 8:
        return TransferOp{*gen_fixed<AccountId>(), *gen_any_asset(), amount()};
      default:
        return ClawbackOp{*gen_fixed<AccountId>(), *gen_any_code(), amount()};
    }
  });
}

rc::Gen<Transaction> gen_any_transaction() {
  return rc::gen::exec([] {
    Transaction tx;
    tx.network_id = *gen_fixed<Hash256>();
    tx.source = *gen_fixed<AccountId>();
    tx.nonce = *rc::gen::arbitrary<uint64_t>();
    tx.valid_until_height = *rc::gen::arbitrary<uint64_t>();
    tx.ops = *rc::gen::container<std::vector<Operation>>(*rc::gen::inRange<size_t>(0, 40),
                                                         gen_any_operation());
    size_t sigs = *rc::gen::inRange<size_t>(0, tx_signatures_max + 1);
    for (size_t i = 0; i < sigs; ++i)
      tx.signatures.push_back({*gen_fixed<PublicKey>(), *gen_fixed<Signature>()});
    tx.compute_id();
    return tx;
  });
}

RC_GTEST_PROP(EncodingProperties, DecodeInvertsEncode, ()) {
  const Transaction tx = *gen_any_transaction();
  Bytes envelope = encode_transaction(tx);
  auto decoded = decode_transaction(envelope);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded->network_id == tx.network_id);
  RC_ASSERT(decoded->source == tx.source);
  RC_ASSERT(decoded->nonce == tx.nonce);
  RC_ASSERT(decoded->valid_until_height == tx.valid_until_height);
  RC_ASSERT(decoded->ops == tx.ops);
  RC_ASSERT(decoded->signatures == tx.signatures);
  RC_ASSERT(decoded->id == tx.id);
}

// Whatever decodes is canonical: encoding it again gives back the very same bytes, so no two
// envelopes decode to the same transaction.
void expect_canonical_or_rejected(const Bytes& input) {
  auto decoded = decode_transaction(input);
  if (!decoded.ok()) {
    RC_ASSERT(decoded.status().code() == StatusCode::invalid_argument);
    return;
  }
  RC_ASSERT(encode_transaction(*decoded) == input);
  Bytes body;
  encode_tx_body(*decoded, body);
  RC_ASSERT(decoded->id == sha256(body));
}

RC_GTEST_PROP(EncodingProperties, RandomBytesNeverCrashTheDecoder, ()) {
  const auto input = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
  expect_canonical_or_rejected(input);
}

// Random bytes rarely get past the header, so corrupt valid envelopes instead: flip, insert and
// delete bytes, and cut the end off.
RC_GTEST_PROP(EncodingProperties, CorruptedEnvelopesAreRejectedOrCanonical, ()) {
  Bytes envelope = encode_transaction(*gen_any_transaction());
  const int edits = *rc::gen::inRange(1, 5);
  for (int i = 0; i < edits; ++i) {
    size_t at = *rc::gen::inRange<size_t>(0, envelope.size() + 1);
    switch (*rc::gen::inRange(0, 4)) {
      case 0:
        if (at < envelope.size()) envelope[at] ^= *rc::gen::inRange<uint8_t>(1, 255);
        break;
      case 1:
        envelope.insert(envelope.begin() + static_cast<std::ptrdiff_t>(at),
                        *rc::gen::arbitrary<uint8_t>());
        break;
      case 2:
        if (at < envelope.size())
          envelope.erase(envelope.begin() + static_cast<std::ptrdiff_t>(at));
        break;
      default:
        envelope.resize(at);
        break;
    }
  }
  expect_canonical_or_rejected(envelope);
}

}  // namespace
}  // namespace corridor::test::prop
