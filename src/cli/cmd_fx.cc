#include "cli/cmd_fx.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/node_client.h"

namespace corridor::cli {

using nlohmann::json;

namespace {

void print_json(const json& j) {
  std::cout << j.dump(2) << "\n";
}

std::string price_text(const json& p) {
  return std::to_string(p["n"].get<int64_t>()) + "/" + std::to_string(p["d"].get<int64_t>());
}

void print_offer(const json& o) {
  std::cout << "offer " << o["id"] << "  owner " << o["owner"].get<std::string>() << "\n  sells "
            << o["amount"].get<std::string>() << " " << o["selling"].get<std::string>()
            << "\n  for " << o["buying"].get<std::string>() << " at " << price_text(o["price"])
            << " (buying per selling, minor units)\n";
}

// A price given as "n/d" in minor units is sent as {n, d}; anything else as text in major units
// ("1.0850" or "217/200") is left for the node's JSON reader to scale.
json price_json(const std::string& text, bool minor) {
  if (!minor) return text;
  size_t slash = text.find('/');
  if (slash == std::string::npos) throw CliError("--minor prices are N/D, got '" + text + "'", 2);
  try {
    size_t used_n = 0, used_d = 0;
    int64_t n = std::stoll(text.substr(0, slash), &used_n);
    int64_t d = std::stoll(text.substr(slash + 1), &used_d);
    if (used_n != slash || used_d != text.size() - slash - 1) throw std::invalid_argument("");
    return {{"n", n}, {"d", d}};
  } catch (const std::exception&) {
    throw CliError("--minor prices are N/D integers, got '" + text + "'", 2);
  }
}

json quotes(const std::string& node, const std::string& from, const std::string& to,
            const std::string& amount, const std::string& mode, const std::string& payer) {
  std::string target = "/v1/paths?source_asset=" + from + "&destination_asset=" + to +
                       "&amount=" + amount + "&mode=" + mode;
  if (!payer.empty()) target += "&payer=" + payer;
  return NodeClient(node).get_ok(target);
}

}  // namespace

void add_fx_commands(CLI::App& app, const FxCliHooks& h, int& rc) {
  // Option storage lives as long as the app; the callbacks read it after parsing.
  struct Options {
    std::string selling, buying, amount, price, to, send_asset, dest_asset, limit_amount, mode;
    std::string from, payer;
    std::vector<std::string> via;
    uint64_t offer_id = 0;
    size_t book_limit = 20;
    bool minor = false, direct = false;
  };
  static Options o;
  o = Options{};

  // offer place | cancel | replace | show
  auto* offer = app.add_subcommand("offer", "FX offers: place, cancel, replace, show");
  offer->require_subcommand(1);
  auto* place = offer->add_subcommand(
      "place", "Sell an amount of one asset for another at a price (crosses, then rests)");
  h.add_tx_flags(place);
  h.add_common(place);
  place->add_option("--selling", o.selling, "Asset sold, CODE:ISSUER")->required();
  place->add_option("--buying", o.buying, "Asset bought, CODE:ISSUER")->required();
  place->add_option("--amount", o.amount, "Amount of the selling asset, e.g. 1000.00")->required();
  place
      ->add_option("--price", o.price,
                   "Buying asset per selling asset in major units (1.0850 or 217/200)")
      ->required();
  place->add_flag("--minor", o.minor, "The price is N/D exact in minor units");
  place->callback([&] {
    rc = h.submit(json::array({{{"type", "place_offer"},
                                {"selling", o.selling},
                                {"buying", o.buying},
                                {"amount", o.amount},
                                {"price", price_json(o.price, o.minor)}}}));
  });
  auto* cancel = offer->add_subcommand("cancel", "Cancel one of your offers");
  h.add_tx_flags(cancel);
  h.add_common(cancel);
  cancel->add_option("--id", o.offer_id, "Offer id")->required();
  cancel->callback([&] {
    rc = h.submit(json::array({{{"type", "cancel_offer"}, {"offer_id", o.offer_id}}}));
  });
  auto* replace = offer->add_subcommand(
      "replace", "Set an offer's amount and price (shrinking at the same price keeps priority)");
  h.add_tx_flags(replace);
  h.add_common(replace);
  replace->add_option("--id", o.offer_id, "Offer id")->required();
  replace->add_option("--amount", o.amount, "New remaining amount of the selling asset")
      ->required();
  replace->add_option("--price", o.price, "New price (as for place)")->required();
  replace->add_flag("--minor", o.minor, "The price is N/D exact in minor units");
  replace->callback([&] {
    json current = NodeClient(*h.node_url).get_ok("/v1/offers/" + std::to_string(o.offer_id));
    rc = h.submit(json::array({{{"type", "replace_offer"},
                                {"offer_id", o.offer_id},
                                {"selling", current["selling"]},
                                {"buying", current["buying"]},
                                {"amount", o.amount},
                                {"price", price_json(o.price, o.minor)}}}));
  });
  auto* show = offer->add_subcommand("show", "Show a resting offer");
  h.add_common(show);
  show->add_option("id", o.offer_id, "Offer id")->required();
  show->callback([&] {
    json j = NodeClient(*h.node_url).get_ok("/v1/offers/" + std::to_string(o.offer_id));
    if (*h.json)
      print_json(j);
    else
      print_offer(j);
  });

  // book SELLING BUYING
  auto* book = app.add_subcommand("book", "Show an order book, best offers first");
  h.add_common(book);
  book->add_option("selling", o.selling, "Asset the offers sell, CODE:ISSUER")->required();
  book->add_option("buying", o.buying, "Asset the offers buy, CODE:ISSUER")->required();
  book->add_option("--limit", o.book_limit, "Offers shown (1-1000)")->capture_default_str();
  book->callback([&] {
    json j = NodeClient(*h.node_url)
                 .get_ok("/v1/books/" + o.selling + "/" + o.buying +
                         "?limit=" + std::to_string(o.book_limit));
    if (*h.json) return print_json(j);
    std::cout << "book " << o.selling << " -> " << o.buying << ": " << j["total"] << " offers\n";
    for (const auto& of : j["offers"])
      std::cout << "  #" << of["id"] << "  " << of["amount"].get<std::string>() << " at "
                << price_text(of["price"]) << "  owner " << of["owner"].get<std::string>() << "\n";
  });

  // quote
  auto* quote = app.add_subcommand("quote", "Best paths and their cost from the current books");
  h.add_common(quote);
  quote->add_option("--from", o.from, "Source asset, CODE:ISSUER")->required();
  quote->add_option("--to", o.to, "Destination asset, CODE:ISSUER")->required();
  quote
      ->add_option("--amount", o.amount,
                   "Source amount to spend (send) or destination amount to deliver (receive)")
      ->required();
  quote->add_option("--mode", o.mode, "send (exact-send) or receive (exact-receive)")
      ->required()
      ->check(CLI::IsMember({"send", "receive"}));
  quote->add_option("--payer", o.payer, "Leave out this account's own offers (id or key file)");
  quote->callback([&] {
    json q = quotes(*h.node_url, o.from, o.to, o.amount, o.mode,
                    o.payer.empty() ? "" : h.resolve_account_hex(o.payer));
    if (*h.json) return print_json(q);
    if (q["paths"].empty()) {
      std::cout << "no path from " << o.from << " to " << o.to << " for " << o.amount << "\n";
      rc = 1;
      return;
    }
    for (const auto& p : q["paths"]) {
      std::cout << "send " << p["send_amount"].get<std::string>() << " -> receive "
                << p["receive_amount"].get<std::string>() << "  via ";
      if (p["path"].empty()) std::cout << "(direct)";
      for (const auto& a : p["path"]) std::cout << a.get<std::string>() << " ";
      std::cout << "  (" << p["offers_crossed"] << " offers)\n";
    }
    if (q["truncated"].get<bool>()) std::cout << "(search truncated: longer paths not priced)\n";
  });

  // path-pay
  auto* pay = app.add_subcommand(
      "path-pay", "Pay in one asset and deliver another through the order books, atomically");
  h.add_tx_flags(pay);
  h.add_common(pay);
  pay->add_option("--to", o.to, "Recipient account id or key file")->required();
  pay->add_option("--send-asset", o.send_asset, "Asset you pay, CODE:ISSUER")->required();
  pay->add_option("--dest-asset", o.dest_asset, "Asset delivered, CODE:ISSUER")->required();
  pay->add_option("--mode", o.mode,
                  "send: spend exactly --amount; receive: deliver exactly --amount")
      ->required()
      ->check(CLI::IsMember({"send", "receive"}));
  pay->add_option("--amount", o.amount, "The exact amount (of the send or destination asset)")
      ->required();
  pay->add_option("--limit", o.limit_amount,
                  "send: least delivered (dest_min); receive: most spent (send_max)")
      ->required();
  pay->add_option("--via", o.via, "Intermediate asset, in order (repeatable)");
  pay->add_flag("--direct", o.direct, "No intermediate assets (default: the best quoted path)");
  pay->callback([&] {
    json path = json::array();
    for (const auto& a : o.via) path.push_back(a);
    if (o.via.empty() && !o.direct) {
      json q =
          quotes(*h.node_url, o.send_asset, o.dest_asset, o.amount, o.mode, h.key_account_hex());
      if (!q["paths"].empty()) path = q["paths"][0]["path"];
    }
    json op = {{"destination", h.resolve_account_hex(o.to)},
               {"send_asset", o.send_asset},
               {"dest_asset", o.dest_asset},
               {"path", path}};
    if (o.mode == "send") {
      op["type"] = "path_payment_send";
      op["send_amount"] = o.amount;
      op["dest_min"] = o.limit_amount;
    } else {
      op["type"] = "path_payment_receive";
      op["dest_amount"] = o.amount;
      op["send_max"] = o.limit_amount;
    }
    rc = h.submit(json::array({op}));
  });
}

}  // namespace corridor::cli
