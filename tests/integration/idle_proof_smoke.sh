#!/usr/bin/env bash
# bench/idle-proof end to end on a real localnet: every proof it times verifies and is at a
# root height covering the payment; bad options are refused before anything starts. It asserts
# no speed (figures come from benchmark runs recorded in docs/benchmarks.md, never from tests).
# Usage: idle_proof_smoke.sh IDLE_PROOF_SCRIPT CORRIDOR_BINARY
set -euo pipefail
script=$(realpath "$1")
corridor_bin=$(realpath "$2")
# A private TMPDIR, so that a temporary directory left behind is this run's.
export TMPDIR
TMPDIR=$(mktemp -d)
trap 'rm -rf "$TMPDIR"' EXIT
out="$TMPDIR/report.json"

# Run from the binary's directory with a relative --corridor path, as a user would type one.
(cd "$(dirname "$corridor_bin")" && "$script" --corridor "./$(basename "$corridor_bin")" --rounds 2 --idle-s 0.3 --state-root-interval 16 --json) \
  > "$out"
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["benchmark"] == "idle-proof", r
assert len(r["rounds"]) == 2, r
for x in r["rounds"]:
    # The proof is at a root height, the first at or above the payment's block, which is at
    # or below the height read once the payment was final.
    assert x["proof_height"] % 16 == 0, x
    assert x["paid_at_height"] - 16 < x["proof_height"], x
    assert x["wait_ms"] > 0, x
assert r["wait_ms"]["p50"] <= r["wait_ms"]["max"], r
print("idle-proof:", r["wait_ms"])
PY

# Bad options: a usage error (exit 2) and nothing started.
for bad in "--rounds 0" "--idle-s -1" "--state-root-interval 65" "--corridor /nonexistent"; do
  rc=0
  # shellcheck disable=SC2086
  "$script" $bad > /dev/null 2>&1 || rc=$?
  [ "$rc" = 2 ] || { echo "bench/idle-proof $bad: exit $rc, not 2"; exit 1; }
done
ls -d "$TMPDIR"/corridor-idle-proof-* 2>/dev/null && { echo "a temporary directory was left"; exit 1; }
echo "idle-proof smoke: passed"
