#!/bin/bash
# The Distributed layout (docs/clickhouse.md, "Growing to a cluster") on two
# real clickhouse-server processes, one shard each (127.0.0.1 and 127.0.0.2,
# same ports; scripts/clickhouse-test.sh start-cluster), with the ledger
# URL's ?cluster=aicost_test:
#   - golden cases of every command give the SQLite bytes;
#   - the ledger guarantees (restatement, re-ingest, commit point,
#     tombstones, exact decimals) hold, side by side with SQLite;
#   - the facts really are on both shards, and a reader that leaves out
#     ?cluster finds the layout by itself.
# Skipped when clickhouse-server is not installed.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${AICOST_BIN:-$root/aicost}
source "$root/tests/sh/clickhouse_lib.sh"
srv=$(mktemp -d /tmp/aicost-chc.XXXXXX)
ch_start "clickhouse cluster" "$srv" start-cluster
trap 'ch_stop "$srv"; rm -rf "$srv"' EXIT
fail() { echo "clickhouse cluster: FAIL: $*"; exit 1; }
q() { curl -fsS "http://$1:$port/?database=$2" --data-binary "$3"; }

cases="ingest-sample ingest-rejects report-alloc report-sample-json chargeback anomalies-ledger anomalies-team-driver
	forecast-ledger budgets-sample check-sample carbon-sample llm-focus-report llm-reconcile metrics-csv unit-cost
	gpu-join-cost side-by-side recommend-estate-json"
CH_PORT=$port CH_CLUSTER=aicost_test CASES=$cases bash "$root/tests/sh/test_clickhouse_golden.sh" || fail "golden cases"
CH_PORT=$port CH_CLUSTER=aicost_test bash "$root/tests/sh/test_clickhouse_ledger.sh" || fail "ledger guarantees"

# The bill's daily sums are split over both shards and add up to the total.
for db in g_ingest_sample g_report_alloc ledger_t; do
	a=$(q 127.0.0.1 "$db" "SELECT count() FROM daily_local")
	b=$(q 127.0.0.2 "$db" "SELECT count() FROM daily_local")
	all=$(q 127.0.0.1 "$db" "SELECT count() FROM daily")
	[ "$a" -gt 0 ] && [ "$b" -gt 0 ] && [ $((a + b)) = "$all" ] || fail "$db: shard rows $a + $b, Distributed $all"
	s1=$(q 127.0.0.1 "$db" "SELECT sum(billed) FROM daily_local")
	s2=$(q 127.0.0.2 "$db" "SELECT sum(billed) FROM daily_local")
	s=$(q 127.0.0.1 "$db" "SELECT sum(billed) FROM daily")
	[ "$(q 127.0.0.1 default "SELECT toDecimal128('$s1', 18) + toDecimal128('$s2', 18) = toDecimal128('$s', 18)")" = 1 ] ||
		fail "$db: shard sums $s1 + $s2 != $s"
done
# The small tables live on the node aicost talks to only.
[ "$(q 127.0.0.2 default "SELECT count() FROM system.tables WHERE database = 'ledger_t' AND name = 'source'")" = 0 ] ||
	fail "source should not be on the second shard"
# A reader without ?cluster detects the layout (GLOBAL filters): same report.
u="clickhouse://127.0.0.1:$port/g_report_alloc"
"$bin" --db "$u?cluster=aicost_test" report --by ServiceName,month --format csv >"$srv/a.csv" || fail "report"
"$bin" --db "$u" report --by ServiceName,month --format csv >"$srv/b.csv" || fail "report without ?cluster"
cmp -s "$srv/a.csv" "$srv/b.csv" && [ -s "$srv/a.csv" ] || fail "a reader without ?cluster sees another ledger"
echo "clickhouse cluster: ok (2 shards)"
