// NodeApi end to end: a real Node on an in-memory store, the real HTTP server on an ephemeral
// port and the real HTTP client. Every route, the envelope and JSON forms of a submission, and
// for bad input both the HTTP status and the exact error body, then proof that nothing applied.
#include <chrono>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "unit/api/node_api_fixture.h"

namespace corridor::api {
namespace {

using namespace api_test;
using namespace std::chrono_literals;
using ledger::Operation;
using ledger::ResultCode;
using ledger::Transaction;
using nlohmann::json;
using test::test_id;
using test::test_key;
namespace op = test::op;

TEST_F(NodeApiTest, Status) {
  Reply r = get("/v1/status");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body["network"]["name"], "corridor-api-test");
  EXPECT_EQ(r.body["network"]["id"], node_->network_id().hex());
  EXPECT_EQ(r.body["height"], 0);
  EXPECT_EQ(r.body["ledger"]["accounts"], 0);
  // A solo node orders blocks itself and its ledger holds no validator set.
  EXPECT_EQ(r.body["consensus"], json({{"mode", "solo"}, {"validators", 0}}));

  const AssetId usd = set_up_bank();
  (void)usd;
  r = get("/v1/status");
  ASSERT_EQ(r.status, 200) << r.raw;
  const node::NodeStatus s = node_->status();
  EXPECT_EQ(r.body["height"], s.height);
  EXPECT_EQ(r.body["block_hash"], s.block_hash.hex());
  EXPECT_EQ(r.body["state_root"], s.state_root.hex());
  EXPECT_EQ(r.body["block_time_ms"], s.block_time_ms);
  EXPECT_EQ(r.body["mempool"]["txs"], 0);
  EXPECT_EQ(r.body["mempool"]["ops"], 0);
  EXPECT_EQ(r.body["committed"]["txs"], 7);
  EXPECT_EQ(r.body["committed"]["ops"], 7);
  EXPECT_EQ(r.body["ledger"]["accounts"], 3);
  EXPECT_EQ(r.body["ledger"]["assets"], 1);
  EXPECT_EQ(r.body["ledger"]["holdings"], 2);
  // Where the time to finality went, by stage: the seven submissions went through this node's
  // API, and the sequencer orders and commits in one step.
  const json& l = r.body["latency_ms"];
  EXPECT_EQ(l["admission_to_proposal"]["samples"], 7) << l;
  EXPECT_GE(l["admission_to_proposal"]["p50"].get<double>(), 0) << l;
  EXPECT_EQ(l["proposal_to_commit"]["samples"], 7) << l;
  EXPECT_EQ(l["proposal_to_commit"]["max"], 0) << l;
  EXPECT_EQ(l["commit_to_durable"]["samples"], 7) << l;
  // Each transaction's whole way on the node, from the same admission time: never shorter than
  // its way to the proposal.
  EXPECT_EQ(l["admission_to_durable"]["samples"], 7) << l;
  EXPECT_GE(l["admission_to_durable"]["max"].get<double>(),
            l["admission_to_proposal"]["max"].get<double>())
      << l;
  for (const char* stage :
       {"admission_to_proposal", "proposal_to_commit", "commit_to_durable", "admission_to_durable"})
    EXPECT_LE(l[stage]["p50"].get<double>(), l[stage]["p99"].get<double>()) << stage;
  // The store's backlog: this node's store is in memory, with no background work to be behind.
  EXPECT_EQ(r.body["store"], json({{"memtables_unflushed", 0},
                                   {"flush_pending", false},
                                   {"compaction_pending", false},
                                   {"compaction_pending_bytes", 0},
                                   {"writes_delayed", false},
                                   {"writes_stopped", false},
                                   {"settled", true}}))
      << r.body["store"];
}

TEST_F(NodeApiTest, SubmitEnvelopeAndWaitForFinality) {
  const AssetId usd = set_up_bank();
  const Transaction pay = make("alice", {op::transfer("bob", usd, 12'34)});
  Reply r = submit(pay);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["id"], pay.id.hex());
  EXPECT_EQ(r.body["status"], "final");
  EXPECT_EQ(r.body["height"], node_->status().height);
  EXPECT_EQ(r.body["index"], 0);
  EXPECT_EQ(r.body["block_time_ms"], node_->status().block_time_ms);
  EXPECT_FALSE(r.body.contains("resubmitted"));
  const json& result = r.body["result"];
  EXPECT_EQ(result["code"], "ok");
  EXPECT_EQ(result["code_number"], 0);
  EXPECT_EQ(result["operations"], json::array({"ok"}));
  EXPECT_FALSE(result.contains("failed_operation"));
  const uint64_t height = r.body["height"];

  // A resubmission answers the original result and applies nothing.
  Reply again = submit(pay);
  ASSERT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body["resubmitted"], true);
  EXPECT_EQ(again.body["height"], height);
  EXPECT_EQ(again.body["result"]["code"], "ok");

  Reply bob = get("/v1/accounts/" + test_id("bob").hex());
  ASSERT_EQ(bob.status, 200) << bob.raw;
  EXPECT_EQ(bob.body["holdings"][0]["balance"], "12.34");
  EXPECT_EQ(bob.body["holdings"][0]["balance_minor"], 12'34);
}

// Many individually signed transactions in one request: each gets its own answer, in order.
TEST_F(NodeApiTest, BatchSubmissionAnswersEachTransactionWhenFinal) {
  const AssetId usd = set_up_bank();
  const Transaction a = make("alice", {op::transfer("bob", usd, 1'00)});
  const Transaction b = make("alice", {op::transfer("bob", usd, 2'00)});
  const Transaction unknown = make("carol", {op::transfer("bob", usd, 1'00)});
  Reply r = post("/v1/transactions/batch",
                 {{"envelopes", {envelope_hex(a), envelope_hex(unknown), envelope_hex(b)}},
                  {"wait", "final"}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["final"], 2) << r.raw;
  const json& results = r.body["results"];
  ASSERT_EQ(results.size(), 3u) << r.raw;
  EXPECT_EQ(results[0]["id"], a.id.hex());
  EXPECT_EQ(results[0]["status"], "final");
  EXPECT_EQ(results[0]["result"]["code"], "ok");
  EXPECT_EQ(results[1]["error"]["code"], "tx_source_not_found") << r.raw;
  EXPECT_EQ(results[1]["error"]["id"], unknown.id.hex());
  EXPECT_EQ(results[2]["id"], b.id.hex());
  EXPECT_EQ(results[2]["result"]["code"], "ok");
  Reply bob = get("/v1/accounts/" + test_id("bob").hex());
  EXPECT_EQ(bob.body["holdings"][0]["balance_minor"], 3'00) << bob.raw;

  // Without waiting: each queued transaction answers pending, a resubmission its result.
  const Transaction c = make("alice", {op::transfer("bob", usd, 3'00)});
  Reply quick = post("/v1/transactions/batch",
                     {{"envelopes", {envelope_hex(c), envelope_hex(a)}}, {"wait", "none"}});
  ASSERT_EQ(quick.status, 200) << quick.raw;
  EXPECT_EQ(quick.body["results"][0]["status"], "pending") << quick.raw;
  EXPECT_EQ(quick.body["results"][1]["status"], "final") << quick.raw;
  EXPECT_EQ(quick.body["results"][1]["resubmitted"], true) << quick.raw;
}

TEST_F(NodeApiTest, MalformedBatchIsRefusedWholeAndQueuesNothing) {
  const AssetId usd = set_up_bank();
  const Transaction good = make("alice", {op::transfer("bob", usd, 1'00)});
  expect_error(post("/v1/transactions/batch", {{"envelopes", {envelope_hex(good), "zz"}}}), 400,
               "invalid_hex");
  EXPECT_FALSE(node_->is_pending(good.id));
  expect_error(post("/v1/transactions/batch", {{"envelopes", {envelope_hex(good), "00"}}}), 400,
               "malformed_envelope");
  EXPECT_FALSE(node_->is_pending(good.id));
  expect_error(post("/v1/transactions/batch", {{"envelopes", json::array()}}), 400, "out_of_range");
  expect_error(post("/v1/transactions/batch", {{"envelopes", envelope_hex(good)}}), 400,
               "wrong_type");
  expect_error(post("/v1/transactions/batch", {{"envelope", envelope_hex(good)}}), 400,
               "unknown_field");
  expect_error(post("/v1/transactions/batch", json::object()), 400, "missing_field");
  json many = json::array();
  for (int i = 0; i < 5'001; ++i) many.push_back("00");
  expect_error(post("/v1/transactions/batch", {{"envelopes", many}}), 400, "out_of_range");
  expect_error(get("/v1/transactions/batch"), 405, "method_not_allowed");
  EXPECT_FALSE(node_->is_pending(good.id));
  Reply r = get("/v1/transactions/" + good.id.hex());
  EXPECT_EQ(r.status, 404) << r.raw;
}

// The binary forms: the envelope's bytes as the body, the wait options in the query. The
// answers are the JSON ones.
TEST_F(NodeApiTest, BinarySubmissionsAnswerLikeTheJsonOnes) {
  const AssetId usd = set_up_bank();
  const Transaction pay = make("alice", {op::transfer("bob", usd, 5'00)});
  Reply r = post_binary("/v1/transactions?wait=final&timeout_ms=10000", envelope_bytes(pay));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["id"], pay.id.hex());
  EXPECT_EQ(r.body["status"], "final");
  EXPECT_EQ(r.body["result"]["code"], "ok");
  // A content type with parameters is still binary.
  Reply again = call("POST", "/v1/transactions?wait=final", envelope_bytes(pay),
                     "application/octet-stream; charset=binary");
  ASSERT_EQ(again.status, 200) << again.raw;
  EXPECT_EQ(again.body["resubmitted"], true);

  const Transaction a = make("alice", {op::transfer("bob", usd, 1'00)});
  const Transaction unknown = make("carol", {op::transfer("bob", usd, 1'00)});
  const Transaction b = make("alice", {op::transfer("bob", usd, 2'00)});
  Reply batch =
      post_binary("/v1/transactions/batch?wait=final",
                  binary_batch({envelope_bytes(a), envelope_bytes(unknown), envelope_bytes(b)}));
  ASSERT_EQ(batch.status, 200) << batch.raw;
  EXPECT_EQ(batch.body["final"], 2) << batch.raw;
  ASSERT_EQ(batch.body["results"].size(), 3u) << batch.raw;
  EXPECT_EQ(batch.body["results"][0]["id"], a.id.hex());
  EXPECT_EQ(batch.body["results"][1]["error"]["code"], "tx_source_not_found");
  EXPECT_EQ(batch.body["results"][2]["result"]["code"], "ok");
  Reply bob = get("/v1/accounts/" + test_id("bob").hex());
  EXPECT_EQ(bob.body["holdings"][0]["balance_minor"], 8'00) << bob.raw;

  // Without wait, a queued transaction answers pending at once.
  const Transaction c = make("alice", {op::transfer("bob", usd, 3'00)});
  Reply quick = post_binary("/v1/transactions", envelope_bytes(c));
  ASSERT_EQ(quick.status, 202) << quick.raw;
  EXPECT_EQ(quick.body["status"], "pending");
}

TEST_F(NodeApiTest, MalformedBinarySubmissionsAreRefusedWholeAndQueueNothing) {
  const AssetId usd = set_up_bank();
  const Transaction good = make("alice", {op::transfer("bob", usd, 1'00)});
  const std::string e = envelope_bytes(good);
  expect_error(post_binary("/v1/transactions", e.substr(0, e.size() - 1)), 400,
               "malformed_envelope");
  expect_error(post_binary("/v1/transactions", ""), 400, "malformed_envelope");
  expect_error(post_binary("/v1/transactions?wait=soon", e), 400, "invalid_wait");
  expect_error(post_binary("/v1/transactions?timeout_ms=-1", e), 400, "wrong_type");
  expect_error(post_binary("/v1/transactions?timeout_ms=999999999", e), 400, "out_of_range");
  expect_error(post_binary("/v1/transactions?envelope=00", e), 400, "unknown_field");
  EXPECT_FALSE(node_->is_pending(good.id));

  // A batch: a bad envelope, a cut length prefix, a length past the end, or nothing at all
  // refuses the whole request, the good envelope before it included.
  expect_error(post_binary("/v1/transactions/batch", binary_batch({e, "\x01"})), 400,
               "malformed_envelope");
  expect_error(post_binary("/v1/transactions/batch", binary_batch({e}) + "\x05\x00"), 400,
               "malformed_batch");
  std::string past_end = binary_batch({e});
  past_end += std::string("\x10\x00\x00\x00", 4) + "abc";
  expect_error(post_binary("/v1/transactions/batch", past_end), 400, "malformed_batch");
  expect_error(post_binary("/v1/transactions/batch", std::string("\xff\xff\xff\x7f", 4)), 400,
               "too_large");
  expect_error(post_binary("/v1/transactions/batch", ""), 400, "out_of_range");
  EXPECT_FALSE(node_->is_pending(good.id));
  Reply r = get("/v1/transactions/" + good.id.hex());
  EXPECT_EQ(r.status, 404) << r.raw;
}

// Governance goes through the API like any operation. The single-node sequencer's ledger has no
// validator set (only a consensus network's genesis installs one), so a change is refused with
// its own code, and the decoded transaction shows the operation as submitted.
TEST_F(NodeApiTest, SetValidatorsRoundTripsAndIsRefusedWithoutAValidatorSet) {
  set_up_bank();
  std::vector<PublicKey> next = {test_key("v0").public_key(), test_key("v1").public_key()};
  Bytes msg = ledger::validator_set_approval_message(node_->network_id(), 1, next);
  json op = {{"type", "set_validators"},
             {"epoch", 1},
             {"validators", json::array({next[0].hex(), next[1].hex()})},
             {"approvals", json::array({{{"public_key", next[0].hex()},
                                         {"signature", test_key("v0").sign(msg).hex()}}})}};
  const json tx = tx_json("alice", 5, 500, json::array({op}));
  auto [signatures, id] = sign_json(tx, "alice");
  Reply r = post("/v1/transactions",
                 {{"transaction", tx}, {"signatures", signatures}, {"wait", "final"}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["result"]["failed_operation"]["code"], "op_wrong_epoch");
  EXPECT_EQ(r.body["result"]["failed_operation"]["code_number"], 227);
  Reply stored = get("/v1/transactions/" + id);
  ASSERT_EQ(stored.status, 200) << stored.raw;
  EXPECT_EQ(stored.body["transaction"]["operations"][0], op);

  json empty = op;
  empty["validators"] = json::array();
  expect_error(post("/v1/transactions/encode",
                    {{"transaction", tx_json("alice", 6, 500, json::array({empty}))}}),
               400, "invalid_validators");
  json bad_key = op;
  bad_key["validators"][0] = "xyz";
  expect_error(post("/v1/transactions/encode",
                    {{"transaction", tx_json("alice", 7, 500, json::array({bad_key}))}}),
               400, "invalid_hex");
}

// The liquidity queue and escrows through the API: JSON forms of the operations, the queue and
// escrow listings, and the queue's events in the block.
TEST_F(NodeApiTest, QueuedPaymentsAndEscrowsThroughTheApi) {
  const AssetId usd = set_up_bank();
  uint64_t nonce = 100;
  auto send = [&](std::string_view source, json op) {
    const json tx = tx_json(source, nonce++, 500, json::array({op}));
    auto [signatures, id] = sign_json(tx, source);
    Reply r = post("/v1/transactions",
                   {{"transaction", tx}, {"signatures", signatures}, {"wait", "final"}});
    EXPECT_EQ(r.status, 200) << r.raw;
    return r;
  };
  // bob has nothing yet: his payment waits in the queue.
  Reply r = send("bob", {{"type", "queue_transfer"},
                         {"to", test_id("alice").hex()},
                         {"asset", usd.to_string()},
                         {"amount", "20.00"},
                         {"band", "urgent"},
                         {"last_height", 400}});
  EXPECT_EQ(r.body["result"]["code"], "ok");
  Reply block = get("/v1/blocks/" + std::to_string(r.body["height"].get<uint64_t>()));
  ASSERT_EQ(block.body["queue_events"].size(), 1u) << block.raw;
  EXPECT_EQ(block.body["queue_events"][0]["event"], "queued");
  EXPECT_EQ(block.body["queue_events"][0]["seq"], 1);
  Reply queue = get("/v1/queue?account=" + test_id("bob").hex());
  ASSERT_EQ(queue.status, 200) << queue.raw;
  ASSERT_EQ(queue.body["payments"].size(), 1u);
  EXPECT_EQ(queue.body["payments"][0]["amount"], "20.00");
  EXPECT_EQ(queue.body["payments"][0]["band"], "urgent");
  EXPECT_EQ(get("/v1/queue?account=" + test_id("issuer").hex()).body["payments"].size(), 0u);

  // alice funds bob; the queue settles at the end of that block.
  r = send("alice", json({{"type", "transfer"},
                          {"to", test_id("bob").hex()},
                          {"asset", usd.to_string()},
                          {"amount", "50.00"}}));
  block = get("/v1/blocks/" + std::to_string(r.body["height"].get<uint64_t>()));
  ASSERT_EQ(block.body["queue_events"].size(), 1u) << block.raw;
  EXPECT_EQ(block.body["queue_events"][0]["event"], "settled");
  EXPECT_EQ(get("/v1/queue").body["payments"].size(), 0u);
  EXPECT_EQ(get("/v1/accounts/" + test_id("bob").hex()).body["holdings"][0]["balance"], "30.00");

  // An escrow released by the preimage of its hash.
  const std::string preimage = "62696c6c";  // "bill"
  r = send("alice", json({{"type", "create_escrow"},
                          {"beneficiary", test_id("bob").hex()},
                          {"asset", usd.to_string()},
                          {"amount", "10.00"},
                          {"hash", sha256(as_bytes("bill")).hex()},
                          {"cancel_height", 450}}));
  EXPECT_EQ(r.body["result"]["code"], "ok");
  Reply escrow = get("/v1/escrows/1");
  ASSERT_EQ(escrow.status, 200) << escrow.raw;
  EXPECT_EQ(escrow.body["amount"], "10.00");
  EXPECT_EQ(escrow.body["cancel_height"], 450);
  r = send("bob", json({{"type", "finish_escrow"}, {"id", 1}, {"preimage", "00"}}));
  EXPECT_EQ(r.body["result"]["failed_operation"]["code"], "op_wrong_preimage");
  r = send("bob", json({{"type", "finish_escrow"}, {"id", 1}, {"preimage", preimage}}));
  EXPECT_EQ(r.body["result"]["code"], "ok");
  expect_error(get("/v1/escrows/1"), 404, "escrow_not_found");
  EXPECT_EQ(get("/v1/accounts/" + test_id("bob").hex()).body["holdings"][0]["balance"], "40.00");

  // Bad input.
  expect_error(get("/v1/escrows/one"), 400, "invalid_escrow_id");
  expect_error(get("/v1/queue?limit=0"), 400, "invalid_parameter");
  expect_error(get("/v1/queue?from=x"), 400, "invalid_parameter");
  expect_error(get("/v1/queue?sort=asc"), 400, "unknown_parameter");
  expect_error(get("/v1/queue?account=zz"), 400, "invalid_account_id");
  expect_error(post("/v1/queue", json::object()), 405, "method_not_allowed");
  json bad_band = {{"type", "queue_transfer"}, {"to", test_id("alice").hex()},
                   {"asset", usd.to_string()}, {"amount", "1.00"},
                   {"band", "slow"},           {"last_height", 400}};
  expect_error(post("/v1/transactions/encode",
                    {{"transaction", tx_json("bob", 9, 500, json::array({bad_band}))}}),
               400, "invalid_band");
}

TEST_F(NodeApiTest, FailedTransactionReportsTheFailingOperation) {
  const AssetId usd = set_up_bank();
  const Transaction tx =
      make("alice", {op::transfer("bob", usd, 1'00), op::transfer("bob", usd, 600'00)});
  Reply r = submit(tx);
  ASSERT_EQ(r.status, 200) << r.raw;
  const json& result = r.body["result"];
  EXPECT_EQ(result["code"], "tx_failed");
  EXPECT_EQ(result["code_number"], 111);
  EXPECT_EQ(result["operations"], json::array({"not_applied", "op_insufficient_balance"}));
  EXPECT_EQ(result["failed_operation"]["index"], 1);
  EXPECT_EQ(result["failed_operation"]["code"], "op_insufficient_balance");
  EXPECT_EQ(result["failed_operation"]["code_number"], 211);
  EXPECT_TRUE(result["failed_operation"]["message"].is_string());

  Reply block = get("/v1/blocks/" + std::to_string(r.body["height"].get<uint64_t>()));
  ASSERT_EQ(block.status, 200) << block.raw;
  const json& t = block.body["transactions"][r.body["index"].get<size_t>()];
  EXPECT_EQ(t["id"], tx.id.hex());
  EXPECT_EQ(t["code"], "tx_failed");
  EXPECT_EQ(t["operations"], 2);
  EXPECT_EQ(t["failed_operation"]["index"], 1);
  EXPECT_EQ(t["failed_operation"]["code"], "op_insufficient_balance");

  Reply alice = get("/v1/accounts/" + test_id("alice").hex());
  EXPECT_EQ(alice.body["holdings"][0]["balance"], "500.00");
}

TEST_F(NodeApiTest, EncodeReturnsTheIdTheCliSigns) {
  const AssetId usd = set_up_bank();
  const json tx = tx_json("alice", 77, 500, json::array({transfer_json("bob", usd, "3.50")}));
  Reply r = post("/v1/transactions/encode", {{"transaction", tx}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body.size(), 3u) << r.raw;

  // The CLI builds the transaction with transaction_from_json and signs its id.
  Transaction cli = transaction_from_json(tx, node_->network_id(),
                                          [&](const AssetId& a) -> std::optional<uint8_t> {
                                            auto asset = node_->asset(a);
                                            if (!asset) return std::nullopt;
                                            return asset->scale;
                                          });
  // The same transaction built field by field.
  Transaction direct;
  direct.network_id = node_->network_id();
  direct.source = test_id("alice");
  direct.nonce = 77;
  direct.valid_until_height = 500;
  direct.ops = {op::transfer("bob", usd, 3'50)};
  direct.compute_id();
  EXPECT_EQ(cli.id, direct.id);
  EXPECT_EQ(r.body["id"], direct.id.hex());
  Bytes body;
  ledger::encode_tx_body(direct, body);
  EXPECT_EQ(r.body["body"], to_hex(body));
  EXPECT_EQ(r.body["signing_message"], to_hex(ledger::tx_signing_message(direct.id)));
  // Encoding neither submits nor queues anything.
  EXPECT_EQ(node_->status().mempool_txs, 0u);
  EXPECT_FALSE(node_->is_pending(direct.id));
}

TEST_F(NodeApiTest, SubmitJsonFormWithSignatures) {
  const AssetId usd = set_up_bank();
  const json tx = tx_json(
      "alice", 5, node_->status().height + 50,
      json::array({transfer_json("bob", usd, "100.05"), transfer_json("bob", usd, "0.95")}));
  auto [signatures, id] = sign_json(tx, "alice");
  ASSERT_EQ(id.size(), 64u);
  Reply r = post("/v1/transactions",
                 {{"transaction", tx}, {"signatures", signatures}, {"wait", "final"}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["id"], id);
  EXPECT_EQ(r.body["result"]["code"], "ok");
  EXPECT_EQ(r.body["result"]["operations"], json::array({"ok", "ok"}));

  Reply t = get("/v1/transactions/" + id);
  ASSERT_EQ(t.status, 200) << t.raw;
  EXPECT_EQ(t.body["status"], "final");
  EXPECT_EQ(t.body["transaction"]["source"], test_id("alice").hex());
  EXPECT_EQ(t.body["transaction"]["nonce"], 5);
  EXPECT_EQ(t.body["transaction"]["operations"][0]["amount"], "100.05");
  EXPECT_EQ(t.body["transaction"]["operations"][1]["amount"], "0.95");
  EXPECT_EQ(t.body["transaction"]["signatures"], signatures);
  Reply bob = get("/v1/accounts/" + test_id("bob").hex());
  EXPECT_EQ(bob.body["holdings"][0]["balance"], "101.00");
}

TEST_F(NodeApiTest, JsonFormMayUseAnAssetCreatedEarlierInTheSameTransaction) {
  submit_ok(make("issuer", {op::create_account("issuer")}));
  const json tx = tx_json("issuer", 1, 100,
                          json::array({{{"type", "create_asset"},
                                        {"code", "EUR"},
                                        {"scale", 3},
                                        {"flags", json::array({"freezable"})}}}));
  auto [signatures, id] = sign_json(tx, "issuer");
  Reply r = post("/v1/transactions",
                 {{"transaction", tx}, {"signatures", signatures}, {"wait", "final"}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["result"]["code"], "ok");
  Reply a = get("/v1/assets/" + test::asset("EUR", "issuer").to_string());
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["scale"], 3);
  EXPECT_EQ(a.body["flags"], json::array({"freezable"}));
}

TEST_F(NodeApiUnstartedTest, WaitNoneAnswersPendingThenTheTransactionBecomesFinal) {
  const Transaction tx = make("alice", {op::create_account("alice")});
  Reply r = submit(tx, "none");
  ASSERT_EQ(r.status, 202) << r.raw;
  EXPECT_EQ(r.body, json({{"id", tx.id.hex()}, {"status", "pending"}}));
  // Without "wait" the default is "none" too.
  Reply d = post("/v1/transactions", {{"envelope", envelope_hex(tx)}});
  EXPECT_EQ(d.status, 202) << d.raw;

  Reply pending = get("/v1/transactions/" + tx.id.hex());
  ASSERT_EQ(pending.status, 200) << pending.raw;
  EXPECT_EQ(pending.body, json({{"id", tx.id.hex()}, {"status", "pending"}}));

  // A wait that runs out answers 202 with a hint.
  Reply timed_out = post("/v1/transactions",
                         {{"envelope", envelope_hex(tx)}, {"wait", "final"}, {"timeout_ms", 1}});
  ASSERT_EQ(timed_out.status, 202) << timed_out.raw;
  EXPECT_EQ(timed_out.body["status"], "pending");
  EXPECT_EQ(timed_out.body["id"], tx.id.hex());
  EXPECT_TRUE(timed_out.body["message"].is_string());

  node_->start();
  // Joining the pending transaction waits for its block.
  Reply final_reply = submit(tx, "final");
  ASSERT_EQ(final_reply.status, 200) << final_reply.raw;
  EXPECT_EQ(final_reply.body["height"], 1);
  Reply done = get("/v1/transactions/" + tx.id.hex());
  ASSERT_EQ(done.status, 200) << done.raw;
  EXPECT_EQ(done.body["status"], "final");
  EXPECT_EQ(done.body["id"], tx.id.hex());
  EXPECT_EQ(done.body["height"], 1);
  EXPECT_EQ(done.body["index"], 0);
  EXPECT_EQ(done.body["result"]["code"], "ok");
  EXPECT_EQ(done.body["transaction"]["operations"][0]["type"], "create_account");
  EXPECT_EQ(done.body["transaction"]["operations"][0]["public_key"],
            test_key("alice").public_key().hex());
}

TEST_F(NodeApiUnstartedTest, StoppingTheNodeAnswersAWaitingClientWith503) {
  const Transaction tx = make("alice", {op::create_account("alice")});
  auto reply = std::async(std::launch::async, [&] { return submit(tx, "final"); });
  // The request is waiting once the node holds the transaction.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!node_->is_pending(tx.id) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  ASSERT_TRUE(node_->is_pending(tx.id));
  node_->stop();
  ASSERT_EQ(reply.wait_for(30s), std::future_status::ready);
  Reply r = reply.get();
  expect_error(r, 503, "unavailable");
}

TEST_F(NodeApiUnstartedTest, AccountOverItsRateAnswers429AndQueuesNothing) {
  TearDown();
  server_.reset();
  api_.reset();
  node_.reset();
  // Three operations at once, then one per second. The node is not started, so admitted
  // transactions stay in the mempool and the test is not racing any block.
  configure_ = [](node::NodeConfig& c) {
    c.mempool_account_ops_per_s = 1;
    c.mempool_account_burst_ops = 3;
  };
  open(/*start=*/false);
  const AssetId usd = test::asset("USD", "issuer");
  const Transaction two = make("alice", {op::open_holding(usd, 1), op::open_holding(usd, 2)});
  const Transaction one = make("alice", {op::open_holding(usd, 3)});
  const Transaction over = make("alice", {op::open_holding(usd, 4)});
  const Transaction other = make("bob", {op::create_account("bob")});
  // References are checked at admission: create the accounts and the asset first, directly.
  for (const char* name : {"issuer", "alice"}) {
    node::OrderedBatch batch;
    const Transaction t = make(name, {op::create_account(name)});
    batch.txs.push_back({t, ledger::encode_transaction(t)});
    batch.time_ms = 1;
    node_->commit_batch(std::move(batch));
  }
  {
    node::OrderedBatch batch;
    const Transaction t = make("issuer", {op::create_asset("USD", 2)});
    batch.txs.push_back({t, ledger::encode_transaction(t)});
    batch.time_ms = 2;
    node_->commit_batch(std::move(batch));
  }
  EXPECT_EQ(submit(two, "none").status, 202);
  EXPECT_EQ(submit(one, "none").status, 202);
  Reply r = submit(over, "none");
  EXPECT_EQ(r.status, 429) << r.raw;
  ASSERT_TRUE(r.body.is_object()) << r.raw;
  const json& e = r.body["error"];
  EXPECT_EQ(e.value("code", ""), "rate_limited") << r.raw;
  EXPECT_EQ(e.value("id", ""), over.id.hex()) << r.raw;
  // One operation at one per second: admitted again within about a second.
  EXPECT_GT(e.value("retry_after_ms", uint64_t{0}), 0u) << r.raw;
  EXPECT_LE(e.value("retry_after_ms", uint64_t{0}), 1'000u) << r.raw;
  EXPECT_FALSE(node_->is_pending(over.id));
  // Another account has an allowance of its own.
  EXPECT_EQ(submit(other, "none").status, 202);
}

TEST_F(NodeApiUnstartedTest, FullMempoolAnswers503) {
  TearDown();
  server_.reset();
  api_.reset();
  node_.reset();
  open(/*start=*/false, /*mempool_txs_max=*/1);
  const Transaction a = make("alice", {op::create_account("alice")});
  const Transaction b = make("bob", {op::create_account("bob")});
  EXPECT_EQ(submit(a, "none").status, 202);
  Reply r = submit(b, "none");
  expect_error(r, 503, "unavailable");
  EXPECT_FALSE(node_->is_pending(b.id));
}

TEST_F(NodeApiTest, AccountsAssetsAndBlocks) {
  const AssetId usd = set_up_bank();
  const KeyPair alice_key = test_key("alice");

  Reply a = get("/v1/accounts/" + test_id("alice").hex());
  ASSERT_EQ(a.status, 200) << a.raw;
  EXPECT_EQ(a.body["id"], test_id("alice").hex());
  EXPECT_EQ(a.body["threshold"], 1);
  EXPECT_EQ(a.body["signers"],
            json::array({{{"public_key", alice_key.public_key().hex()}, {"weight", 1}}}));
  ASSERT_EQ(a.body["holdings"].size(), 1u);
  EXPECT_EQ(a.body["holdings"][0], json({{"asset", usd.to_string()},
                                         {"balance", "500.00"},
                                         {"balance_minor", 500'00},
                                         {"limit", "1000000.00"},
                                         {"authorized", true},
                                         {"frozen", false}}));
  Reply issuer = get("/v1/accounts/" + test_id("issuer").hex());
  ASSERT_EQ(issuer.status, 200);
  EXPECT_EQ(issuer.body["holdings"], json::array());

  Reply asset = get("/v1/assets/" + usd.to_string());
  ASSERT_EQ(asset.status, 200) << asset.raw;
  EXPECT_EQ(asset.body, json({{"asset", usd.to_string()},
                              {"code", "USD"},
                              {"issuer", test_id("issuer").hex()},
                              {"scale", 2},
                              {"flags", json::array()},
                              {"supply", "500.00"},
                              {"supply_minor", 500'00}}));

  const node::NodeStatus s = node_->status();
  Reply latest = get("/v1/blocks/latest");
  ASSERT_EQ(latest.status, 200) << latest.raw;
  EXPECT_EQ(latest.body["height"], s.height);
  EXPECT_EQ(latest.body["hash"], s.block_hash.hex());
  EXPECT_EQ(latest.body["state_root"], s.state_root.hex());
  EXPECT_EQ(latest.body["time_ms"], s.block_time_ms);

  Reply first = get("/v1/blocks/1");
  ASSERT_EQ(first.status, 200) << first.raw;
  auto b1 = node_->block(1);
  ASSERT_TRUE(b1.ok() && b1->has_value());
  EXPECT_EQ(first.body["height"], 1);
  EXPECT_EQ(first.body["hash"], (*b1)->hash.hex());
  EXPECT_EQ(first.body["parent_hash"], Hash256{}.hex());
  EXPECT_EQ(first.body["tx_root"], (*b1)->block.header.tx_root.hex());
  EXPECT_EQ(first.body["tx_count"], (*b1)->block.txs.size());
  EXPECT_EQ(first.body["parent_state_root"], Hash256{}.hex());
  EXPECT_EQ(first.body["state_root"], (*b1)->result.state_root.hex());
  ASSERT_EQ(first.body["transactions"].size(), (*b1)->block.txs.size());
  EXPECT_EQ(first.body["transactions"][0], json({{"id", (*b1)->block.txs[0].id.hex()},
                                                 {"source", test_id("issuer").hex()},
                                                 {"operations", 1},
                                                 {"code", "ok"}}));
  // Each block names its parent.
  Reply second = get("/v1/blocks/2");
  ASSERT_EQ(second.status, 200) << second.raw;
  EXPECT_EQ(second.body["parent_hash"], first.body["hash"]);
  EXPECT_EQ(second.body["parent_state_root"], first.body["state_root"]);
}

TEST_F(NodeApiTest, HoldingProofVerifiesAgainstTheStateRoot) {
  const AssetId usd = set_up_bank();
  Reply r =
      get("/v1/accounts/" + test_id("alice").hex() + "/holdings/" + usd.to_string() + "/proof");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["account"], test_id("alice").hex());
  EXPECT_EQ(r.body["asset"], usd.to_string());
  EXPECT_EQ(r.body["height"], node_->status().height);
  EXPECT_EQ(r.body["state_root"], node_->status().state_root.hex());
  EXPECT_EQ(r.body["holding"]["balance"], "500.00");

  auto root = Hash256::from_hex_text(r.body["state_root"].get<std::string>());
  auto key = from_hex(r.body["entry_key"].get<std::string>());
  auto value = from_hex(r.body["entry_value"].get<std::string>());
  ASSERT_TRUE(root.ok() && key.ok() && value.ok());
  ledger::HoldingProof proof;
  proof.entry_key = *key;
  proof.entry_value = *value;
  for (const auto& s : r.body["siblings"]) {
    auto h = Hash256::from_hex_text(s.get<std::string>());
    ASSERT_TRUE(h.ok());
    proof.proof.siblings.push_back(*h);
  }
  Bytes expected_key;
  ledger::encode_holding_key(test_id("alice"), usd, expected_key);
  EXPECT_EQ(proof.entry_key, expected_key);
  auto holding = ledger::decode_holding_value(proof.entry_value);
  ASSERT_TRUE(holding.ok());
  EXPECT_EQ(holding->balance, 500'00);
  EXPECT_TRUE(ledger::verify_holding_proof(*root, proof));

  // The verification means something: a richer value, or another root, does not verify.
  ledger::HoldingProof forged = proof;
  holding->balance = 900'00;
  forged.entry_value.clear();
  ledger::encode_holding_value(*holding, forged.entry_value);
  EXPECT_FALSE(ledger::verify_holding_proof(*root, forged));
  Hash256 other_root = *root;
  other_root.bytes[0] ^= 1;
  EXPECT_FALSE(ledger::verify_holding_proof(other_root, proof));
}

// On a network that recomputes its state root every 4 blocks, a proof of a holding that changed
// since the last root height is answered at the next one: the request waits (the server goes on
// answering other requests meanwhile) and the proof is at that height, verifying against the
// root its block reports.
TEST_F(NodeApiTest, AProofOfAChangedHoldingIsAnsweredAtTheNextRootHeight) {
  TearDown();
  server_.reset();
  api_.reset();
  node_.reset();
  configure_ = [](node::NodeConfig& c) { c.state_root_interval_blocks = 4; };
  open(/*start=*/true);
  const AssetId usd = set_up_bank();  // Seven blocks, one per final submission.
  ASSERT_EQ(node_->status().height % 4, 3u);
  EXPECT_EQ(get("/v1/status").body["state_root_height"], node_->status().height - 3);
  submit_ok(make("alice", {op::transfer("bob", usd, 1'00)}));  // A root height: 8.
  submit_ok(make("alice", {op::transfer("bob", usd, 2'00)}));  // Block 9.
  const std::string target =
      "/v1/accounts/" + test_id("alice").hex() + "/holdings/" + usd.to_string() + "/proof";
  auto waiting = std::async(std::launch::async, [&] { return get(target); });
  // No block comes until this thread submits one; the server answers other requests meanwhile.
  EXPECT_EQ(waiting.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  EXPECT_EQ(get("/v1/status").status, 200);
  for (int i = 0; i < 3; ++i) submit_ok(make("bob", {op::transfer("alice", usd, 1)}));  // 10-12.
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Reply r = waiting.get();
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body["height"], 12u);
  EXPECT_EQ(r.body["holding"]["balance"], "497.03");
  auto block = node_->block(12);
  ASSERT_TRUE(block.ok() && block->has_value());
  EXPECT_EQ(r.body["state_root"], (*block)->result.state_root.hex());
  auto root = Hash256::from_hex_text(r.body["state_root"].get<std::string>());
  auto key = from_hex(r.body["entry_key"].get<std::string>());
  auto value = from_hex(r.body["entry_value"].get<std::string>());
  ASSERT_TRUE(root.ok() && key.ok() && value.ok());
  ledger::HoldingProof proof{*key, *value, {}};
  for (const auto& sibling : r.body["siblings"])
    proof.proof.siblings.push_back(*Hash256::from_hex_text(sibling.get<std::string>()));
  EXPECT_TRUE(ledger::verify_holding_proof(*root, proof));
  // bob's holding is unchanged since block 12: proven at once, at 12.
  Reply bob =
      get("/v1/accounts/" + test_id("bob").hex() + "/holdings/" + usd.to_string() + "/proof");
  ASSERT_EQ(bob.status, 200) << bob.raw;
  EXPECT_EQ(bob.body["height"], 12u);
}

TEST_F(NodeApiTest, ResultCodes) {
  Reply r = get("/v1/result-codes");
  ASSERT_EQ(r.status, 200) << r.raw;
  const json& codes = r.body["result_codes"];
  ASSERT_TRUE(codes.is_array());
  // ok, not_applied, 100..111, 200..230, 240..254 and 260..272.
  EXPECT_EQ(codes.size(), 2u + 12u + 31u + 15u + 13u);
  int last = -1;
  std::set<std::string> names;
  for (const auto& c : codes) {
    const int number = c["number"];
    EXPECT_GT(number, last);
    last = number;
    const std::string name = c["name"];
    names.insert(name);
    auto parsed = ledger::result_code_from_name(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_EQ(static_cast<int>(*parsed), number);
    EXPECT_FALSE(c["description"].get<std::string>().empty());
  }
  EXPECT_EQ(codes[0],
            json({{"number", 0},
                  {"name", "ok"},
                  {"description", std::string(ledger::result_code_description(ResultCode::ok))}}));
  EXPECT_TRUE(names.contains("tx_failed"));
  EXPECT_TRUE(names.contains("op_account_not_found"));
  EXPECT_TRUE(names.contains("op_authorization_not_required"));
}

TEST_F(NodeApiTest, ReadErrors) {
  const AssetId usd = set_up_bank();
  expect_error(get("/v1/accounts/xyz"), 400, "invalid_account_id");
  expect_error(get("/v1/accounts/" + test_id("nobody").hex()), 404, "account_not_found");
  expect_error(get("/v1/assets/USD"), 400, "invalid_asset");
  expect_error(get("/v1/assets/" + test::asset("EUR", "issuer").to_string()), 404,
               "asset_not_found");
  expect_error(get("/v1/transactions/xyz"), 400, "invalid_hex");
  expect_error(get("/v1/transactions/" + std::string(64, 'g')), 400, "invalid_hex");
  expect_error(get("/v1/transactions/" + Hash256{}.hex()), 404, "not_found");
  expect_error(get("/v1/accounts/" + test_id("bob").hex() + "/holdings/" +
                   test::asset("EUR", "issuer").to_string() + "/proof"),
               404, "holding_not_found");
  expect_error(get("/v1/accounts/" + test_id("bob").hex() + "/holdings/EUR/proof"), 400,
               "invalid_asset");
  expect_error(get("/v1/accounts/zz/holdings/" + usd.to_string() + "/proof"), 400,
               "invalid_account_id");
  expect_error(get("/v1/blocks/abc"), 400, "invalid_height");
  expect_error(get("/v1/blocks/-1"), 400, "invalid_height");
  expect_error(get("/v1/blocks/1x"), 400, "invalid_height");
  expect_error(get("/v1/blocks/18446744073709551616"), 400, "invalid_height");
  expect_error(get("/v1/blocks/0"), 404, "block_not_found");
  expect_error(get("/v1/blocks/99999"), 404, "block_not_found");
}

// The server leaves path segments percent-encoded for the routes to decode (http_server.h), so a
// client that escapes the ':' of an asset id, as encodeURIComponent does, must reach the asset.
TEST_F(NodeApiTest, PercentEncodedAssetIdsAreDecoded) {
  const AssetId usd = set_up_bank();
  const std::string escaped = "USD%3A" + test_id("issuer").hex();
  Reply r = get("/v1/assets/" + escaped);
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body.value("asset", ""), usd.to_string()) << r.raw;
  Reply p = get("/v1/accounts/" + test_id("alice").hex() + "/holdings/" + escaped + "/proof");
  EXPECT_EQ(p.status, 200) << p.raw;
}

TEST_F(NodeApiTest, UnknownRoutesAndWrongMethods) {
  expect_error(get("/v1/nothing"), 404, "not_found");
  expect_error(get("/v2/status"), 404, "not_found");
  expect_error(get("/"), 404, "not_found");
  expect_error(get("/v1"), 404, "not_found");
  expect_error(get("/v1/status/extra"), 404, "not_found");
  expect_error(get("/v1/accounts/" + test_id("alice").hex() + "/holdings"), 404, "not_found");
  expect_error(get("/v1/blocks"), 404, "not_found");

  expect_error(call("POST", "/v1/status", "{}"), 405, "method_not_allowed");
  expect_error(call("DELETE", "/v1/status"), 405, "method_not_allowed");
  expect_error(get("/v1/transactions"), 405, "method_not_allowed");
  expect_error(call("PUT", "/v1/transactions", "{}"), 405, "method_not_allowed");
  expect_error(get("/v1/transactions/encode"), 405, "method_not_allowed");
  expect_error(call("POST", "/v1/transactions/" + Hash256{}.hex(), "{}"), 405,
               "method_not_allowed");
  expect_error(call("POST", "/v1/result-codes", "{}"), 405, "method_not_allowed");
  expect_error(call("POST", "/v1/blocks/1", "{}"), 405, "method_not_allowed");
  expect_error(call("PUT", "/v1/accounts/" + test_id("alice").hex(), "{}"), 405,
               "method_not_allowed");
  expect_error(call("POST", "/v1/assets/USD:" + test_id("alice").hex(), "{}"), 405,
               "method_not_allowed");
}

struct BadSubmission {
  std::string name;
  std::string body;
  int status;
  std::string code;
};

TEST_F(NodeApiTest, BadSubmissionsAreRefusedExactlyAndChangeNothing) {
  const AssetId usd = set_up_bank();
  const uint64_t h = node_->status().height;
  const std::string alice = test_id("alice").hex();
  auto json_submission = [&](json ops, json nonce = 1) {
    return json({{"transaction", tx_json("alice", std::move(nonce), h + 50, std::move(ops))},
                 {"signatures", kDummySignatures}})
        .dump();
  };
  auto one_transfer = [&](json amount) {
    return json::array({transfer_json("bob", usd, std::move(amount))});
  };
  const std::string good_envelope = envelope_hex(make("alice", {op::transfer("bob", usd, 1'00)}));
  const std::string truncated = good_envelope.substr(0, good_envelope.size() - 10);

  json op_with_memo = transfer_json("bob", usd, "1.00");
  op_with_memo["memo"] = "invoice 7";
  json tx_with_fee = tx_json("alice", 1, h + 50, one_transfer("1.00"));
  tx_with_fee["fee"] = "0.01";
  json bad_to = transfer_json("bob", usd, "1.00");
  bad_to["to"] = "zz" + alice.substr(2);

  const std::vector<BadSubmission> cases = {
      {"malformed JSON", "{\"envelope\": ", 400, "malformed_json"},
      {"not JSON at all", "envelope=00", 400, "malformed_json"},
      {"invalid UTF-8", "{\"wait\": \"\xff\"}", 400, "malformed_json"},
      {"empty body", "", 400, "malformed_json"},
      {"JSON array", "[]", 400, "wrong_type"},
      {"JSON array of an object", "[{\"envelope\": \"00\"}]", 400, "wrong_type"},
      {"JSON string", "\"hello\"", 400, "wrong_type"},
      {"JSON null", "null", 400, "wrong_type"},
      {"unknown top-level field", json({{"envelope", good_envelope}, {"priority", 1}}).dump(), 400,
       "unknown_field"},
      {"neither envelope nor transaction", json({{"wait", "final"}}).dump(), 400, "missing_field"},
      {"both envelope and transaction",
       json({{"envelope", good_envelope},
             {"transaction", tx_json("alice", 1, h + 50, one_transfer("1.00"))}})
           .dump(),
       400, "conflicting_fields"},
      {"envelope and signatures",
       json({{"envelope", good_envelope}, {"signatures", kDummySignatures}}).dump(), 400,
       "conflicting_fields"},
      {"envelope not a string", json({{"envelope", 12}}).dump(), 400, "wrong_type"},
      {"envelope invalid hex", json({{"envelope", "zz" + good_envelope.substr(2)}}).dump(), 400,
       "invalid_hex"},
      {"envelope odd length", json({{"envelope", good_envelope.substr(1)}}).dump(), 400,
       "invalid_hex"},
      {"truncated envelope", json({{"envelope", truncated}}).dump(), 400, "malformed_envelope"},
      {"envelope with trailing bytes", json({{"envelope", good_envelope + "00"}}).dump(), 400,
       "malformed_envelope"},
      {"empty envelope", json({{"envelope", ""}}).dump(), 400, "malformed_envelope"},
      {"wait not a string", json({{"envelope", good_envelope}, {"wait", true}}).dump(), 400,
       "wrong_type"},
      {"wait unknown", json({{"envelope", good_envelope}, {"wait", "soon"}}).dump(), 400,
       "invalid_wait"},
      {"timeout too long",
       json({{"envelope", good_envelope}, {"wait", "final"}, {"timeout_ms", 120'001}}).dump(), 400,
       "out_of_range"},
      {"negative timeout",
       json({{"envelope", good_envelope}, {"wait", "final"}, {"timeout_ms", -5}}).dump(), 400,
       "wrong_type"},
      {"transaction without signatures",
       json({{"transaction", tx_json("alice", 1, h + 50, one_transfer("1.00"))}}).dump(), 400,
       "missing_field"},
      {"transaction not an object",
       json({{"transaction", json::array()}, {"signatures", kDummySignatures}}).dump(), 400,
       "wrong_type"},
      {"unknown transaction field",
       json({{"transaction", tx_with_fee}, {"signatures", kDummySignatures}}).dump(), 400,
       "unknown_field"},
      {"unknown operation field", json_submission(json::array({op_with_memo})), 400,
       "unknown_field"},
      {"unknown operation type", json_submission(json::array({{{"type", "mint"}}})), 400,
       "unknown_operation"},
      {"no operations", json_submission(json::array()), 400, "no_operations"},
      {"operations not an array", json_submission(json::object()), 400, "wrong_type"},
      {"amount as a number", json_submission(one_transfer(12.5)), 400, "wrong_type"},
      {"amount as an integer number", json_submission(one_transfer(12)), 400, "wrong_type"},
      {"nonce as a string", json_submission(one_transfer("1.00"), "5"), 400, "wrong_type"},
      {"negative nonce", json_submission(one_transfer("1.00"), -1), 400, "wrong_type"},
      {"fractional nonce", json_submission(one_transfer("1.00"), 1.5), 400, "wrong_type"},
      {"over-precise amount", json_submission(one_transfer("1.001")), 400, "invalid_amount"},
      {"negative amount", json_submission(one_transfer("-1")), 400, "invalid_amount"},
      {"plus sign", json_submission(one_transfer("+1")), 400, "invalid_amount"},
      {"exponent", json_submission(one_transfer("1e3")), 400, "invalid_amount"},
      {"amount overflowing int64", json_submission(one_transfer("92233720368547758.08")), 400,
       "invalid_amount"},
      {"amount far beyond int64", json_submission(one_transfer("99999999999999999999")), 400,
       "invalid_amount"},
      {"zero amount", json_submission(one_transfer("0")), 400, "invalid_amount"},
      {"zero amount with decimals", json_submission(one_transfer("0.00")), 400, "invalid_amount"},
      {"empty amount", json_submission(one_transfer("")), 400, "invalid_amount"},
      {"unknown asset",
       json_submission(json::array({transfer_json("bob", test::asset("EUR", "issuer"), "1.00")})),
       400, "unknown_asset"},
      {"malformed asset",
       json_submission(json::array({{{"type", "transfer"},
                                     {"to", test_id("bob").hex()},
                                     {"asset", "USD-issuer"},
                                     {"amount", "1.00"}}})),
       400, "invalid_asset"},
      {"invalid hex account", json_submission(json::array({bad_to})), 400, "invalid_hex"},
      {"signatures empty",
       json({{"transaction", tx_json("alice", 1, h + 50, one_transfer("1.00"))},
             {"signatures", json::array()}})
           .dump(),
       400, "invalid_signatures"},
      {"signature invalid hex",
       json({{"transaction", tx_json("alice", 1, h + 50, one_transfer("1.00"))},
             {"signatures", json::array({{{"public_key", "00"}, {"signature", "00"}}})}})
           .dump(),
       400, "invalid_hex"},
  };

  const node::NodeStatus before = node_->status();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    expect_error(call("POST", "/v1/transactions", c.body), c.status, c.code);
  }
  // A valid submission sent to the wrong route or with the wrong method is not applied.
  const std::string valid_body = json({{"envelope", good_envelope}, {"wait", "none"}}).dump();
  expect_error(call("PUT", "/v1/transactions", valid_body), 405, "method_not_allowed");
  expect_error(call("POST", "/v1/transactions/" + Hash256{}.hex(), valid_body), 405,
               "method_not_allowed");
  expect_error(call("POST", "/v1/transaction", valid_body), 404, "not_found");
  expect_error(call("POST", "/v1/transactions/encode", valid_body), 400, "unknown_field");
  // The encode route parses the same way.
  expect_error(call("POST", "/v1/transactions/encode", ""), 400, "malformed_json");
  expect_error(call("POST", "/v1/transactions/encode", "[]"), 400, "wrong_type");
  expect_error(post("/v1/transactions/encode", json::object()), 400, "missing_field");
  expect_error(post("/v1/transactions/encode",
                    {{"transaction", tx_json("alice", 1, 9, one_transfer("1.00"))},
                     {"signatures", kDummySignatures}}),
               400, "unknown_field");
  expect_error(post("/v1/transactions/encode",
                    {{"transaction", tx_json("alice", 1, 9, one_transfer("1.001"))}}),
               400, "invalid_amount");

  // Ledger rejections, envelope and JSON forms.
  Transaction flipped = make("alice", {op::transfer("bob", usd, 1'00)});
  flipped.signatures[0].signature.bytes[20] ^= 0x04;
  expect_rejection(submit(flipped), 400, "tx_bad_signature", flipped.id);

  const json json_tx = tx_json("alice", 4242, h + 50, one_transfer("2.00"));
  auto [signatures, json_id] = sign_json(json_tx, "alice");
  json bad_signatures = signatures;
  std::string sig_hex = bad_signatures[0]["signature"];
  sig_hex[0] = sig_hex[0] == '0' ? '1' : '0';
  bad_signatures[0]["signature"] = sig_hex;
  auto id = Hash256::from_hex_text(json_id);
  ASSERT_TRUE(id.ok());
  expect_rejection(
      post("/v1/transactions",
           {{"transaction", json_tx}, {"signatures", bad_signatures}, {"wait", "final"}}),
      400, "tx_bad_signature", *id);

  Transaction wrong_network;
  wrong_network.network_id = node::network_id_for_name("elsewhere");
  wrong_network.source = test_id("alice");
  wrong_network.nonce = 1;
  wrong_network.valid_until_height = h + 10;
  wrong_network.ops = {op::transfer("bob", usd, 1'00)};
  wrong_network.sign(test_key("alice"));
  expect_rejection(submit(wrong_network), 400, "tx_wrong_network", wrong_network.id);

  const Transaction unknown_source = make("mallory", {op::transfer("bob", usd, 1'00)});
  expect_rejection(submit(unknown_source), 422, "tx_source_not_found", unknown_source.id);

  const Transaction unknown_destination =
      make("alice", {op::transfer("bob", usd, 1'00), op::transfer("nobody", usd, 1'00)});
  expect_rejection(submit(unknown_destination), 422, "tx_failed", unknown_destination.id,
                   std::make_pair(1u, std::string("op_account_not_found")));

  const Transaction unknown_asset =
      make("alice", {op::transfer("bob", test::asset("EUR", "issuer"), 1'00)});
  expect_rejection(submit(unknown_asset), 422, "tx_failed", unknown_asset.id,
                   std::make_pair(0u, std::string("op_asset_not_found")));

  const Transaction expired = make("alice", {op::transfer("bob", usd, 1'00)}, h - 1);
  expect_rejection(submit(expired), 422, "tx_expired", expired.id);

  const Transaction too_long =
      make("alice", {op::transfer("bob", usd, 1'00)}, h + ledger::tx_validity_blocks_max + 2);
  expect_rejection(submit(too_long), 400, "tx_validity_too_long", too_long.id);

  // Nothing of any of it was applied or queued.
  const node::NodeStatus after = node_->status();
  EXPECT_EQ(after.height, before.height);
  EXPECT_EQ(after.state_root, before.state_root);
  EXPECT_EQ(after.block_hash, before.block_hash);
  EXPECT_EQ(after.txs_committed, before.txs_committed);
  EXPECT_EQ(after.mempool_txs, 0u);
  Reply status = get("/v1/status");
  EXPECT_EQ(status.body["height"], before.height);
  EXPECT_EQ(status.body["state_root"], before.state_root.hex());
  Reply alice_account = get("/v1/accounts/" + alice);
  EXPECT_EQ(alice_account.body["holdings"][0]["balance"], "500.00");
  Reply bob_account = get("/v1/accounts/" + test_id("bob").hex());
  EXPECT_EQ(bob_account.body["holdings"][0]["balance"], "0.00");
  EXPECT_TRUE(node_->check_invariants().ok());

  // The node still works: the refused unknown-destination transfer's first leg, resubmitted
  // as a transaction of its own, is applied.
  submit_ok(make("alice", {op::transfer("bob", usd, 1'00)}));
  EXPECT_EQ(node_->status().height, before.height + 1);
}

}  // namespace
}  // namespace corridor::api
