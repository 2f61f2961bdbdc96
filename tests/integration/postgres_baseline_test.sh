#!/usr/bin/env bash
# Smoke test of bench/postgres-baseline against a real PostgreSQL server (Debian's package,
# installed by scripts/bootstrap): a short run reports a positive rate with conservation
# checked and leaves nothing behind, and a run interrupted with SIGINT (Ctrl-C) stops its
# server and removes its directory. About 15 s.
#   postgres_baseline_test.sh BASELINE_SCRIPT
set -euo pipefail
baseline=$1
ready_wait_s_max=60

fail() { echo "FAIL: $*" >&2; exit 1; }

# The baseline creates its cluster under TMPDIR; a private one shows whether it cleans up.
# It must be reachable by the postgres user when this runs as root.
work=$(mktemp -d /tmp/corridor-pgtest.XXXXXX)
logs=$(mktemp -d /tmp/corridor-pgtest-logs.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work" "$logs"' EXIT
export TMPDIR=$work

echo "== a 2 s run"
"$baseline" --duration-s 2 --accounts 1000 --clients 8 --json >"$logs/run.json" \
  2>"$logs/run.err" || { cat "$logs/run.err" >&2; fail "the baseline exited non-zero"; }
python3 - "$logs/run.json" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
report = json.loads(text)  # stdout must be exactly one JSON object
assert text.strip().count("\n") == 0, "more than one line on stdout"
assert report["system"] == "postgresql", report
assert report["transfers_per_s"] > 0, report
assert report["transfers"] > 0, report
assert report["conservation"] == "ok", report
assert report["transfers_recorded"] >= report["transfers"], report
assert report["durable"] == {"fsync": "on", "synchronous_commit": "on"}, report
assert report["clients"] == 8 and report["duration_s"] == 2, report
assert report["postgres_version"], report
lat = report["latency_ms"]
assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"], lat
print(f"transfers_per_s {report['transfers_per_s']}, {report['transfers']} transfers, "
      f"conservation {report['conservation']}")
EOF
[ -z "$(ls -A "$work")" ] || fail "left behind: $(ls -A "$work")"

echo "== interrupted mid-run"
"$baseline" --duration-s 120 --accounts 1000 --clients 4 >"$logs/int.out" 2>"$logs/int.err" &
pid=$!
for _ in $(seq 1 $((ready_wait_s_max * 10))); do
  grep -q "running 4 clients" "$logs/int.err" && break
  kill -0 "$pid" 2>/dev/null || { cat "$logs/int.err" >&2; fail "the baseline ended early"; }
  sleep 0.1
done
grep -q "running 4 clients" "$logs/int.err" || { kill -TERM "$pid"; fail "pgbench never started"; }
cluster=$(sed -n 's/.*data in \(.*\)$/\1/p' "$logs/int.err")
[ -d "$cluster/data" ] || fail "no cluster directory named on stderr"
ps -eo args | grep -F -- "-D $cluster/data" | grep -qv grep || fail "no server running"
sleep 0.5
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 130 ] || { cat "$logs/int.err" >&2; fail "exit $rc after SIGINT, expected 130"; }
[ ! -e "$cluster" ] || fail "$cluster still exists"
if ps -eo args | grep -F -- "$cluster" | grep -qv grep; then
  fail "processes of $cluster still running"
fi
echo "stopped and removed after SIGINT"
