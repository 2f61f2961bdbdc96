// The FX routes of NodeApi (offers, books, path quotes) and the FX operations' JSON forms, end
// to end on a real Node, HTTP server and client (the harness is node_api_fixture.h).
#include <string>

#include "unit/api/node_api_fixture.h"

namespace corridor::api {
namespace {

using namespace api_test;
using ledger::ResultCode;
using nlohmann::json;
using test::test_id;
using test::test_key;
namespace op = test::op;

// USD (issuer, scale 2) and EUR (issuer2, scale 2) held by alice and bob, 500.00 of each issued
// to both; alice offers 100.00 EUR for USD at 1.10 USD per EUR.
class NodeApiFxTest : public NodeApiTest {
 protected:
  void SetUp() override {
    NodeApiTest::SetUp();
    usd = set_up_bank();
    eur = test::asset("EUR", "issuer2");
    submit_ok(make("issuer2", {op::create_account("issuer2")}));
    submit_ok(make("issuer2", {op::create_asset("EUR", 2)}));
    for (const char* n : {"alice", "bob"}) submit_ok(make(n, {op::open_holding(eur, kLimit)}));
    submit_ok(
        make("issuer2", {op::issue("alice", "EUR", 500'00), op::issue("bob", "EUR", 500'00)}));
    submit_ok(make("issuer", {op::issue("bob", "USD", 500'00)}));
  }
  // Signs and submits a JSON transaction; returns the reply.
  Reply submit_json(std::string_view source, json ops) {
    json tx = tx_json(source, nonce_++, node_->status().height + 100, std::move(ops));
    auto [sigs, id] = sign_json(tx, source);
    return post("/v1/transactions", {{"transaction", tx}, {"signatures", sigs}, {"wait", "final"}});
  }
  AssetId usd, eur;
};

TEST_F(NodeApiFxTest, PlaceOfferInJsonThenReadOfferBookAndAccountOffers) {
  Reply r = submit_json("alice", json::array({{{"type", "place_offer"},
                                               {"selling", eur.to_string()},
                                               {"buying", usd.to_string()},
                                               {"amount", "100.00"},
                                               {"price", "1.10"}}}));
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(r.body["result"]["code"], "ok") << r.raw;

  Reply o = get("/v1/offers/1");
  ASSERT_EQ(o.status, 200) << o.raw;
  EXPECT_EQ(o.body["owner"], test_id("alice").hex());
  EXPECT_EQ(o.body["selling"], eur.to_string());
  EXPECT_EQ(o.body["buying"], usd.to_string());
  EXPECT_EQ(o.body["amount"], "100.00");
  EXPECT_EQ(o.body["price"], json({{"n", 11}, {"d", 10}}));

  Reply b = get("/v1/books/" + eur.to_string() + "/" + usd.to_string() + "?limit=5");
  ASSERT_EQ(b.status, 200) << b.raw;
  EXPECT_EQ(b.body["total"], 1);
  ASSERT_EQ(b.body["offers"].size(), 1u);
  EXPECT_EQ(b.body["offers"][0]["id"], 1);
  Reply empty = get("/v1/books/" + usd.to_string() + "/" + eur.to_string());
  ASSERT_EQ(empty.status, 200) << empty.raw;
  EXPECT_EQ(empty.body["total"], 0);

  Reply a = get("/v1/accounts/" + test_id("alice").hex() + "/offers");
  ASSERT_EQ(a.status, 200) << a.raw;
  ASSERT_EQ(a.body["offers"].size(), 1u);
  Reply alice = get("/v1/accounts/" + test_id("alice").hex());
  EXPECT_EQ(alice.body["holdings"][1]["balance"].get<std::string>() == "400.00" ||
                alice.body["holdings"][0]["balance"].get<std::string>() == "400.00",
            true)
      << alice.raw;
}

TEST_F(NodeApiFxTest, QuoteThenPathPaymentDeliversWhatWasQuoted) {
  submit_ok(make("alice", {op::place_offer(eur, usd, 100'00, 11, 10)}));
  Reply q = get("/v1/paths?source_asset=" + usd.to_string() +
                "&destination_asset=" + eur.to_string() + "&amount=22.00&mode=send");
  ASSERT_EQ(q.status, 200) << q.raw;
  ASSERT_EQ(q.body["paths"].size(), 1u) << q.raw;
  EXPECT_EQ(q.body["paths"][0]["path"], json::array());
  EXPECT_EQ(q.body["paths"][0]["receive_amount"], "20.00");
  EXPECT_EQ(q.body["truncated"], false);
  Reply qr = get("/v1/paths?source_asset=" + usd.to_string() +
                 "&destination_asset=" + eur.to_string() + "&amount=20.00&mode=receive");
  ASSERT_EQ(qr.status, 200) << qr.raw;
  EXPECT_EQ(qr.body["paths"][0]["send_amount"], "22.00");

  Reply r = submit_json("bob", json::array({{{"type", "path_payment_send"},
                                             {"destination", test_id("bob").hex()},
                                             {"send_asset", usd.to_string()},
                                             {"send_amount", "22.00"},
                                             {"dest_asset", eur.to_string()},
                                             {"dest_min", "20.00"},
                                             {"path", json::array()}}}));
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(r.body["result"]["code"], "ok") << r.raw;
  Reply exact = submit_json("bob", json::array({{{"type", "path_payment_receive"},
                                                 {"destination", test_id("bob").hex()},
                                                 {"send_asset", usd.to_string()},
                                                 {"send_max", "10.00"},
                                                 {"dest_asset", eur.to_string()},
                                                 {"dest_amount", "20.00"}}}));
  ASSERT_EQ(exact.status, 200) << exact.raw;
  EXPECT_EQ(exact.body["result"]["failed_operation"]["code"], "op_send_max_exceeded");
  EXPECT_EQ(exact.body["result"]["failed_operation"]["code_number"], 252);
  Reply o = get("/v1/offers/1");
  EXPECT_EQ(o.body["amount"], "80.00") << o.raw;
  // The transaction's JSON form shows the operation back.
  Reply t = get("/v1/transactions/" + r.body["id"].get<std::string>());
  ASSERT_EQ(t.status, 200) << t.raw;
  EXPECT_EQ(t.body["transaction"]["operations"][0]["type"], "path_payment_send");
  EXPECT_EQ(t.body["transaction"]["operations"][0]["dest_min"], "20.00");
}

TEST_F(NodeApiFxTest, CancelAndReplaceInJson) {
  submit_ok(make("alice", {op::place_offer(eur, usd, 100'00, 11, 10)}));
  Reply r = submit_json("alice", json::array({{{"type", "replace_offer"},
                                               {"offer_id", 1},
                                               {"selling", eur.to_string()},
                                               {"buying", usd.to_string()},
                                               {"amount", "50.00"},
                                               {"price", {{"n", 11}, {"d", 10}}}}}));
  ASSERT_EQ(r.status, 200) << r.raw;
  ASSERT_EQ(r.body["result"]["code"], "ok") << r.raw;
  EXPECT_EQ(get("/v1/offers/1").body["amount"], "50.00");
  // The assets must be the offer's: they give the scales of the amount and the price.
  json wrong = {{"type", "replace_offer"},   {"offer_id", 1},     {"selling", usd.to_string()},
                {"buying", eur.to_string()}, {"amount", "50.00"}, {"price", "1.10"}};
  expect_error(post("/v1/transactions/encode",
                    {{"transaction", tx_json("alice", 9, 100, json::array({wrong}))}}),
               400, "offer_assets_mismatch");
  Reply c = submit_json("alice", json::array({{{"type", "cancel_offer"}, {"offer_id", 1}}}));
  ASSERT_EQ(c.body["result"]["code"], "ok") << c.raw;
  expect_error(get("/v1/offers/1"), 404, "offer_not_found");
  Reply again = submit_json("alice", json::array({{{"type", "cancel_offer"}, {"offer_id", 1}}}));
  EXPECT_EQ(again.body["result"]["failed_operation"]["code"], "op_offer_not_found") << again.raw;
}

TEST_F(NodeApiFxTest, MalformedFxRequests) {
  const std::string u = usd.to_string(), e = eur.to_string();
  expect_error(get("/v1/offers/abc"), 400, "invalid_offer_id");
  expect_error(get("/v1/offers/-1"), 400, "invalid_offer_id");
  expect_error(get("/v1/offers/99"), 404, "offer_not_found");
  expect_error(get("/v1/books/USD/" + e), 400, "invalid_asset");
  expect_error(get("/v1/books/" + u + "/" + u), 400, "same_asset");
  expect_error(get("/v1/books/" + u + "/" + e + "?limit=0"), 400, "invalid_limit");
  expect_error(get("/v1/books/" + u + "/" + e + "?limit=1001"), 400, "invalid_limit");
  expect_error(get("/v1/books/" + u + "/" + e + "?limit=x"), 400, "invalid_limit");
  expect_error(get("/v1/books/" + u + "/" + e + "?depth=3"), 400, "unknown_parameter");
  expect_error(get("/v1/books/" + u + "/" + test::asset("GBP", "issuer").to_string()), 404,
               "asset_not_found");
  expect_error(post("/v1/books/" + u + "/" + e, json::object()), 405, "method_not_allowed");
  expect_error(get("/v1/accounts/zz/offers"), 400, "invalid_account_id");
  expect_error(get("/v1/accounts/" + test_id("nobody").hex() + "/offers"), 404,
               "account_not_found");
  const std::string q = "/v1/paths?source_asset=" + u + "&destination_asset=" + e;
  expect_error(get(q + "&amount=1.00"), 400, "missing_parameter");
  expect_error(get(q + "&mode=send"), 400, "missing_parameter");
  expect_error(get(q + "&amount=1.00&mode=sideways"), 400, "invalid_mode");
  expect_error(get(q + "&amount=1.001&mode=send"), 400, "invalid_amount");
  expect_error(get(q + "&amount=0&mode=send"), 400, "invalid_amount");
  expect_error(get(q + "&amount=-1&mode=send"), 400, "invalid_amount");
  expect_error(get(q + "&amount=99999999999999999999&mode=send"), 400, "invalid_amount");
  expect_error(get(q + "&amount=1&mode=send&extra=1"), 400, "unknown_parameter");
  expect_error(
      get("/v1/paths?source_asset=" + u + "&destination_asset=" + u + "&amount=1&mode=send"), 400,
      "same_asset");
  expect_error(get("/v1/paths?source_asset=X&destination_asset=" + e + "&amount=1&mode=send"), 400,
               "invalid_asset");
  expect_error(get("/v1/paths?source_asset=" + test::asset("GBP", "issuer").to_string() +
                   "&destination_asset=" + e + "&amount=1&mode=send"),
               404, "asset_not_found");
  expect_error(get(q + "&amount=1&mode=send&payer=zz"), 400, "invalid_account_id");

  // Operations in JSON: prices and paths are checked field by field, and nothing applies.
  auto place = [&](json price, std::string amount = "1.00") {
    return json::array({{{"type", "place_offer"},
                         {"selling", e},
                         {"buying", u},
                         {"amount", amount},
                         {"price", price}}});
  };
  auto encode = [&](json ops) {
    return post("/v1/transactions/encode", {{"transaction", tx_json("alice", 1, 100, ops)}});
  };
  expect_error(encode(place("0")), 400, "invalid_price");
  expect_error(encode(place("-1.5")), 400, "invalid_price");
  expect_error(encode(place("abc")), 400, "invalid_price");
  expect_error(encode(place("1.1234567890123456789")), 400, "price_over_precise");
  expect_error(encode(place("99999999999999999999")), 400, "price_overflow");
  expect_error(encode(place(1.5)), 400, "wrong_type");
  expect_error(encode(place({{"n", 1}})), 400, "missing_field");
  expect_error(encode(place({{"n", 1}, {"d", 1}, {"x", 1}})), 400, "unknown_field");
  expect_error(encode(place("1.10", "0")), 400, "invalid_amount");
  expect_error(encode(place("1.10", "1.001")), 400, "invalid_amount");
  json path6 = json::array();
  for (int i = 0; i < 6; ++i)
    path6.push_back(test::asset("X" + std::to_string(i), "issuer").to_string());
  expect_error(encode(json::array({{{"type", "path_payment_send"},
                                    {"destination", test_id("bob").hex()},
                                    {"send_asset", u},
                                    {"send_amount", "1.00"},
                                    {"dest_asset", e},
                                    {"dest_min", "1.00"},
                                    {"path", path6}}})),
               400, "path_too_long");
  // A zero price as {n, d} reaches the stateless check: refused, and the id not consumed.
  json tx = tx_json("alice", 5, node_->status().height + 100, place({{"n", 0}, {"d", 1}}));
  auto [sigs, id] = sign_json(tx, "alice");
  Reply r = post("/v1/transactions", {{"transaction", tx}, {"signatures", sigs}});
  expect_rejection(r, 400, "tx_malformed", *Hash256::from_hex_text(id),
                   std::make_pair(0u, std::string("op_invalid_price")));
  // A loop is refused the same way.
  json loop = tx_json("alice", 6, node_->status().height + 100,
                      json::array({{{"type", "path_payment_send"},
                                    {"destination", test_id("bob").hex()},
                                    {"send_asset", u},
                                    {"send_amount", "1.00"},
                                    {"dest_asset", e},
                                    {"dest_min", "1.00"},
                                    {"path", json::array({u})}}}));
  auto [sigs2, id2] = sign_json(loop, "alice");
  expect_rejection(post("/v1/transactions", {{"transaction", loop}, {"signatures", sigs2}}), 400,
                   "tx_malformed", *Hash256::from_hex_text(id2),
                   std::make_pair(0u, std::string("op_path_loop")));
  EXPECT_EQ(get("/v1/books/" + e + "/" + u).body["total"], 0);
}

}  // namespace
}  // namespace corridor::api
