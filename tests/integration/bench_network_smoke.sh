#!/usr/bin/env bash
# `corridor bench network` end to end on a small temporary localnet: batch-signed transfers in
# a closed loop and at half its peak, individually signed ones in an open loop. This checks
# that the benchmark works and that every transfer it offered became final with result ok; it
# asserts no speed (figures come from benchmark runs recorded in docs/benchmarks.md, never from
# tests).
# Usage: bench_network_smoke.sh CORRIDOR_BINARY
set -euo pipefail
corridor_bin=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check() {  # check FILE: the JSON result has final transfers, latencies and no failures.
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["transfers"] > 0, r
assert r["failures"] == {}, r["failures"]
lat = r["latency_ms"]
assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"], lat
assert r["chain"]["ops_committed"] > 0, r
# Where finality went, from the nodes' own stage figures: every stage has figures, in order.
stages = r["stages_ms"]
for stage in ("admission_to_proposal", "proposal_to_commit", "commit_to_durable",
              "admission_to_durable"):
    assert stages[stage]["p50"] <= stages[stage]["p99"], stages
assert stages["commit_to_durable"]["p50"] > 0, stages
# The synced safety write each vote waits for, from the validators' status.
parts = r["round_parts_ms"]
assert 0 < parts["safety_write"]["p50"] <= parts["safety_write"]["p99"], parts
# Each committed transaction's signatures must be checked by at least f + 1 = 2 of the four
# validators (docs/consensus.md, "Signatures checked by f + 1 validators"), so the checks per
# committed transaction over all of them are at least 2.
sigs = r["consensus"]["signatures_per_committed_tx"]
assert sigs["at_admission"] + sigs["at_execution"] >= 2, sigs
print(f'{r["signing"]}/{r["mode"]}/{r["wire"]}: {r["transfers"]} transfers final, '
      f'p50 {lat["p50"]:.1f} ms')
PY
}

"$corridor_bin" bench network --duration-s 2 --warmup-s 1 --accounts 50 --batch-ops 200 \
  --clients 4 --json --samples-csv "$work/samples.csv" > "$work/batch.json" 2> "$work/batch.err" ||
  { cat "$work/batch.err"; exit 1; }
check "$work/batch.json"
# One CSV line per measured transaction, inside the window, with the transfers it carried.
python3 - "$work/batch.json" "$work/samples.csv" <<'PY'
import csv, json, sys
r = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == r["txs"], (len(rows), r["txs"])
assert sum(int(x["transfers"]) for x in rows) == r["transfers"]
assert all(0 <= float(x["done_ms"]) <= r["duration_s"] * 1000 + 1 for x in rows)
assert abs(max(float(x["latency_ms"]) for x in rows) - r["latency_ms"]["max"]) < 0.01
PY

"$corridor_bin" bench network --duration-s 2 --warmup-s 1 --accounts 50 --signing individual \
  --mode open --rate 200 --json > "$work/individual.json" 2> "$work/individual.err" ||
  { cat "$work/individual.err"; exit 1; }
check "$work/individual.json"
grep -q '"ed25519_verify_per_s"' "$work/individual.json"

# The same through JSON bodies (hex envelopes) instead of the default binary ones.
"$corridor_bin" bench network --duration-s 2 --warmup-s 1 --accounts 50 --signing individual \
  --mode open --rate 200 --wire json --json > "$work/json.json" 2> "$work/json.err" ||
  { cat "$work/json.err"; exit 1; }
check "$work/json.json"

# Half the peak: a closed loop finds the peak, then an open loop offers half of it on the same
# network, and the result is the open loop's with the peak beside it.
"$corridor_bin" bench network --mode half-peak --duration-s 2 --warmup-s 1 --accounts 50 \
  --batch-ops 200 --clients 4 --json > "$work/half.json" 2> "$work/half.err" ||
  { cat "$work/half.err"; exit 1; }
check "$work/half.json"
python3 - "$work/half.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["mode"] == "half-peak", r["mode"]
peak = r["peak"]
assert peak["clients"] == 4 and peak["failures"] == {}, peak
assert peak["transfers_per_s"] > 0 and peak["latency_ms"]["p50"] > 0, peak
assert abs(r["offered_transfers_per_s"] - peak["transfers_per_s"] / 2) < 1e-6, r
# The open loop's own window, not the closed loop's: its transfers are counted afresh.
assert r["transfers"] <= r["offered_transfers_per_s"] * (r["duration_s"] + 1), r
PY

# Bad options are refused before anything starts.
if "$corridor_bin" bench network --mode open 2> "$work/bad.err"; then
  echo "an open loop without --rate was accepted"; exit 1
fi
grep -q -- '--rate' "$work/bad.err"
if "$corridor_bin" bench network --mode half-peak --rate 1000 2> "$work/bad.err"; then
  echo "a half-peak run with a --rate was accepted"; exit 1
fi
grep -q -- '--rate applies to --mode open' "$work/bad.err"
if "$corridor_bin" bench network --samples-csv /nonexistent/dir/s.csv 2> "$work/bad.err"; then
  echo "an unwritable --samples-csv was accepted"; exit 1
fi
grep -q 'cannot write' "$work/bad.err"
