#!/usr/bin/env bash
# The FX and escrow commands of the CLI against a real node (in memory): offer
# place/replace/cancel/show, book, quote (both modes), path-pay (both modes, with a quoted
# two-hop path), escrow create/show/finish, and refusals.
# Usage: fx_cli_test.sh CORRIDOR_BINARY. With TARGET=localnet it runs against a node of
# `corridor localnet` (target_node.sh).
set -euo pipefail
c=$(realpath "$1")
corridor_bin=$c
work=$(mktemp -d)
source "$(dirname "$0")/target_node.sh"
cleanup() {
  stop_target
  rm -rf "$work"
}
trap cleanup EXIT
start_target
cd "$work"
fail() { echo "fx cli check failed: $*"; echo "node log:"; tail -20 "$target_log"; exit 1; }
ok() { "$@" > out.txt 2>&1 || { cat out.txt; fail "$*"; }; grep -q "result: ok" out.txt || { cat out.txt; fail "not ok: $*"; }; }

for k in cbu cbe cbg lp1 lp2 payer; do "$c" keys generate --out $k.key > /dev/null; ok "$c" create-account --key $k.key; done
id() { "$c" keys show --key "$1.key" --field account_id; }
USD="USD:$(id cbu)"; EUR="EUR:$(id cbe)"; GBP="GBP:$(id cbg)"
ok "$c" create-asset --key cbu.key --code USD --scale 2
ok "$c" create-asset --key cbe.key --code EUR --scale 2
ok "$c" create-asset --key cbg.key --code GBP --scale 2
for k in lp1 lp2 payer; do
  for a in "$USD" "$EUR" "$GBP"; do ok "$c" open-holding --key $k.key --asset "$a" --limit 1000000.00; done
  ok "$c" issue --key cbu.key --to $k.key --code USD --amount 10000.00
  ok "$c" issue --key cbe.key --to $k.key --code EUR --amount 10000.00
  ok "$c" issue --key cbg.key --to $k.key --code GBP --amount 10000.00
done
# Liquidity: lp1 sells EUR for USD at 1.10, lp2 sells GBP for EUR at 1.20.
ok "$c" offer place --key lp1.key --selling "$EUR" --buying "$USD" --amount 1000.00 --price 1.10
ok "$c" offer place --key lp2.key --selling "$GBP" --buying "$EUR" --amount 1000.00 --price 6/5
"$c" offer show 1 | grep -q "sells 1000.00" || fail "offer 1 not shown"
"$c" book "$EUR" "$USD" | grep -q "1 offers" || fail "book EUR->USD"
"$c" --version > /dev/null
# Quotes: 132.00 USD buys 100.00 GBP through EUR; 100.00 GBP cost 132.00 USD.
"$c" quote --from "$USD" --to "$GBP" --amount 132.00 --mode send | tee quote.txt | grep -q "receive 100.00" || { cat quote.txt; fail "send quote"; }
"$c" quote --from "$USD" --to "$GBP" --amount 100.00 --mode receive --json | grep -q '"send_amount": "132.00"' || fail "receive quote"
ok "$c" path-pay --key payer.key --to payer.key --send-asset "$USD" --dest-asset "$GBP" --mode send --amount 132.00 --limit 100.00
ok "$c" path-pay --key payer.key --to lp1.key --send-asset "$USD" --dest-asset "$EUR" --mode receive --amount 10.00 --limit 11.00 --direct
"$c" account payer.key | grep -q "GBP.*balance 10100.00" || fail "payer did not receive 100.00 GBP"
"$c" account payer.key | grep -q "USD.*balance 9857.00" || fail "payer did not spend 143.00 USD"
# Replace (shrink) and cancel.
ok "$c" offer replace --key lp1.key --id 1 --amount 500.00 --price 1.10
"$c" offer show 1 --json | grep -q '"amount": "500.00"' || fail "replace"
ok "$c" offer cancel --key lp1.key --id 1
"$c" offer show 1 > /dev/null 2>&1 && fail "cancelled offer still shown"
# Refusals: a failing payment and a malformed price.
if "$c" path-pay --key payer.key --to payer.key --send-asset "$USD" --dest-asset "$EUR" --mode send --amount 1.00 --limit 1.00 --direct > out.txt 2>&1; then fail "payment without liquidity succeeded"; fi
grep -q "op_insufficient_liquidity" out.txt || { cat out.txt; fail "no op_insufficient_liquidity"; }
if "$c" offer place --key lp1.key --selling "$EUR" --buying "$USD" --amount 1.00 --price 0 > out.txt 2>&1; then fail "zero price accepted"; fi
grep -q "invalid_price" out.txt || { cat out.txt; fail "no invalid_price"; }
# Conditional payments (escrow): locked against a document hash and released by its preimage;
# a wrong preimage is refused and changes nothing. The ledger's first escrow has id 1.
preimage='bill-of-lading-4711'  # The CLI takes the preimage as text.
hash=$(printf 'bill-of-lading-4711' | sha256sum | cut -d' ' -f1)
ok "$c" escrow create --key payer.key --to lp2.key --asset "$USD" --amount 25.00 --hash "$hash"
"$c" escrow show 1 | grep -q "25.00" || { "$c" escrow show 1; fail "escrow 1 not shown"; }
if "$c" escrow finish --key lp2.key 1 --preimage 00ff > out.txt 2>&1; then fail "a wrong preimage released the escrow"; fi
grep -q "op_wrong_preimage" out.txt || { cat out.txt; fail "no op_wrong_preimage"; }
ok "$c" escrow finish --key lp2.key 1 --preimage "$preimage"
"$c" escrow show 1 > /dev/null 2>&1 && fail "a released escrow is still shown"
"$c" account lp2.key | grep -q "USD.*balance 10025.00" || { "$c" account lp2.key; fail "lp2 did not receive the escrowed 25.00 USD"; }
echo "fx cli: 1 passed, 0 failed"
