#!/bin/bash
# The golden CLI cases of every command that reads or writes the ledger,
# run again with the ledger on a real clickhouse-server
# (scripts/clickhouse-test.sh starts a throwaway one on loopback and stops
# it afterwards), each case in a fresh database. The expected output is the
# same file the SQLite run compares with: outputs must be identical byte for
# byte. Skipped (exit 0, with a message) when clickhouse-server is not
# installed. CASES="a b" runs only those cases; CH_CLUSTER=NAME and
# CH_PORT=PORT run them against a server already started (with that cluster
# in its remote_servers) in the Distributed layout (test_clickhouse_cluster.sh).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${AICOST_BIN:-$root/aicost}
# Every case that opens a ledger (the others - validate, help, usage and config errors - never do).
cases=${CASES:-"ingest-sample ingest-rejects ingest-spec-examples ingest-compressed report-alloc report-sample-json
	report-where-csv chargeback realloc-config anomalies-ledger anomalies-sample-json anomalies-team-driver
	anomalies-errors forecast-ledger forecast-scenario forecast-errors budgets-none budgets-sample budgets-forecast
	check-pass check-sample check-bad-policy carbon-sample carbon-gpu-measured llm-anthropic llm-bad-files
	llm-focus-report llm-jsonl-unpriced llm-openai llm-prices-config llm-reconcile metrics-csv unit-cost
	gpu-ingest-formats gpu-join-cost gpu-errors side-by-side recommend-commitment-math recommend-errors
	recommend-estate-json recommend-table-actions"}
source "$root/tests/sh/clickhouse_lib.sh"
srv=$(mktemp -d /tmp/aicost-ch.XXXXXX)
ch_start "clickhouse golden" "$srv"
trap 'ch_stop "$srv"; rm -rf "$srv"' EXIT
param=
[ -n "${CH_CLUSTER:-}" ] && param="?cluster=$CH_CLUSTER"
label=clickhouse${CH_CLUSTER:+ ($CH_CLUSTER)}
mkdir -p "$srv/bin"
ln -s "$bin" "$srv/bin/aicost"
pass=0 fail=0
for name in $cases; do
	c="$root/tests/cli/cases/$name"
	[ -f "$c/cmd" ] || { echo "FAIL $label/$name: no such golden case"; fail=$((fail + 1)); continue; }
	work=$(mktemp -d "$srv/w.XXXXXX")
	db="clickhouse://127.0.0.1:$port/g_${name//-/_}$param"
	(cd "$work" && env -u AICOST_CONFIG AICOST_DB="$db" PATH="$srv/bin:$PATH" DATA="$root/tests/data" CASE="$c" \
		TZ=UTC LC_ALL=C bash -e "$c/cmd" >"$work/.stdout" 2>"$work/.stderr" </dev/null)
	got=$?
	want=0
	[ -f "$c/status" ] && want=$(cat "$c/status")
	if [ "$got" = "$want" ] && cmp -s "$work/.stdout" "$c/stdout"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $label/$name: exit $got (want $want)"
		diff -u "$c/stdout" "$work/.stdout" | head -30
		echo "--- stderr:"; head -10 "$work/.stderr"
	fi
done
echo "$label golden: $pass passed, $fail failed"
[ "$fail" = 0 ]
