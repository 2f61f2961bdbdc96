#!/usr/bin/env bash
# Runs the README's walkthrough exactly as written against a real node, so the README cannot
# drift from what the code does. Usage: readme_walkthrough.sh CORRIDOR_BINARY README_PATH
# With TARGET=localnet it runs against a node of `corridor localnet` (target_node.sh).
set -euo pipefail
corridor_bin=$(realpath "$1")
readme=$(realpath "$2")

work=$(mktemp -d)
source "$(dirname "$0")/target_node.sh"
cleanup() {
  stop_target
  rm -rf "$work"
}
trap cleanup EXIT

# The walkthrough is the bash block between the two markers.
awk '/<!-- walkthrough:begin -->/{on=1; next} /<!-- walkthrough:end -->/{on=0} on' "$readme" \
  | sed '/^```/d' > "$work/walkthrough.sh"
[ -s "$work/walkthrough.sh" ] || { echo "no walkthrough found in $readme"; exit 1; }

start_target

mkdir -p "$work/bin"
ln -s "$corridor_bin" "$work/bin/corridor"
cd "$work"
if ! PATH="$work/bin:$PATH" bash -euo pipefail walkthrough.sh > walkthrough.out 2>&1; then
  echo "the walkthrough failed:"; cat walkthrough.out; echo "node log:"; tail -40 "$target_log"; exit 1
fi
cat walkthrough.out

# The outcome the README promises.
fail() { echo "walkthrough check failed: $*"; exit 1; }
# Bank B: 1,250.50 paid, then 1,000.00 more, and its queued 2,000.00 to bank A settled.
grep -q "balance 250.50" walkthrough.out || fail "bank B's balance is not 250.50"
grep -q "until " walkthrough.out || fail "the queue did not list bank B's waiting payment"
grep -q "the queue is empty" walkthrough.out || fail "the queued payment did not settle"
grep -q "supply  5000000.00" walkthrough.out || fail "USD supply is not 5000000.00"
grep -q "VERIFIED" walkthrough.out || fail "the holding proof did not verify"
[ "$(grep -c 'result: ok' walkthrough.out)" -eq 10 ] || fail "expected 10 transactions with result ok"
echo "readme walkthrough: 1 passed, 0 failed"
