#!/bin/bash
# The ClickHouse ledger's guarantees, side by side with SQLite on a real
# clickhouse-server (started on loopback by scripts/clickhouse-test.sh,
# stopped afterwards; skipped when it is not installed):
#   - restatement: a later file replaces the periods it contains, older
#     sources turn 'replaced' when none of their rows remain, the parts of
#     one invocation add up; outputs equal SQLite's byte for byte;
#   - idempotence: re-ingesting a file changes nothing;
#   - commit point: rows of a source that never committed (a crashed ingest)
#     and tombstones written by it are invisible;
#   - a failed ingest (--strict) leaves nothing behind;
#   - clear errors for bad URLs, a missing server, a cluster the server does not have.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${AICOST_BIN:-$root/aicost}
gen="$root/tests/data/gen_anomaly_focus.py"
source "$root/tests/sh/clickhouse_lib.sh"
srv=$(mktemp -d /tmp/aicost-ch.XXXXXX)
# CH_PORT and CH_CLUSTER: a server already started with that cluster (test_clickhouse_cluster.sh).
ch_start "clickhouse ledger" "$srv"
trap 'ch_stop "$srv"; rm -rf "$srv"' EXIT
fail() { echo "clickhouse ledger: FAIL: $*"; exit 1; }
t=$srv
ch="clickhouse://127.0.0.1:$port/ledger_t${CH_CLUSTER:+?cluster=$CH_CLUSTER}"
sq="$t/l.db"
# (inserts into a Distributed table land on their shards before the call returns)
q() { curl -fsS "http://127.0.0.1:$port/?database=ledger_t&insert_distributed_sync=1" --data-binary "$1"; }

# Jan+Feb, then a restated January (another seed), then February in two parts of one invocation.
python3 "$gen" --seed 1 --days 59 --start 2026-01-01 >"$t/a.csv" || fail generator
python3 "$gen" --seed 2 --days 31 --start 2026-01-01 >"$t/jan.csv" || fail generator
python3 "$gen" --seed 3 --days 14 --start 2026-02-01 --offset 31 >"$t/feb1.csv" || fail generator
python3 "$gen" --seed 4 --days 14 --start 2026-02-15 --offset 45 >"$t/feb2.csv" || fail generator

both() {   # both NAME ARGS...: run on SQLite and ClickHouse, outputs must be equal
	local name=$1
	shift
	(cd "$t" && TZ=UTC LC_ALL=C "$bin" --db "$sq" "$@" >"$t/$name.sq" 2>"$t/$name.sq.err")
	local a=$?
	(cd "$t" && TZ=UTC LC_ALL=C "$bin" --db "$ch" "$@" >"$t/$name.ch" 2>"$t/$name.ch.err")
	local b=$?
	[ $a = $b ] || fail "$name: exit $a on SQLite, $b on ClickHouse: $(head -2 "$t/$name.ch.err")"
	sed -i "s#$ch#LEDGER#g" "$t/$name.ch" "$t/$name.ch.err"
	sed -i "s#$sq#LEDGER#g" "$t/$name.sq" "$t/$name.sq.err"
	# The ingest time is the one field the two runs may see differently.
	sed -i 's/"ingested_at":"[^"]*"//g' "$t/$name.sq" "$t/$name.ch"
	cmp -s "$t/$name.sq" "$t/$name.ch" || { diff -u "$t/$name.sq" "$t/$name.ch" | head -20; fail "$name: outputs differ"; }
	return $a
}
reports() {   # the views a restatement changes (whole months come from the monthly sums, edges from daily)
	both "$1-month" report --by ServiceName,month --format csv || fail "$1 report"
	both "$1-edges" report --by ServiceName,month --from 2026-01-10 --to 2026-02-20 --format csv || fail "$1 report edges"
	both "$1-all" report --by ServiceName --format csv || fail "$1 report by service"
	both "$1-day" report --by day --cost effective --format json || fail "$1 report by day"
	both "$1-src" sources --format json || fail "$1 sources"
}

both ingest1 ingest focus a.csv || fail "ingest a.csv"
reports r1
both ingest2 ingest focus jan.csv || fail "ingest jan.csv"
grep -q '"status":"active"' "$t/r1-src.ch" || fail "source 1 not active"
reports r2
cmp -s "$t/r1-month.ch" "$t/r2-month.ch" && fail "restated January did not change the report"
[ "$(grep -o '"status":"active"' "$t/r2-src.ch" | wc -l)" = 2 ] || fail "a.csv should still be active (February remains)"
both ingest3 ingest focus feb1.csv feb2.csv || fail "ingest feb parts"
reports r3
grep -q '"id":1,[^}]*"status":"replaced"' "$t/r3-src.ch" || fail "a.csv should be replaced now: $(cat "$t/r3-src.ch")"
[ "$(grep -o '"status":"active"' "$t/r3-src.ch" | wc -l)" = 3 ] || fail "jan, feb1 and feb2 should be active"

# Idempotence: the same file again is a no-op.
both again ingest focus jan.csv || fail "re-ingest"
grep -q "already" "$t/again.ch" "$t/again.ch.err" || fail "re-ingest not reported as a duplicate: $(cat "$t/again.ch")"
reports r4
cmp -s "$t/r3-month.ch" "$t/r4-month.ch" || fail "re-ingest changed the report"

# A failed ingest leaves nothing: a bad row under --strict.
{ head -1 "$t/jan.csv"; sed -n 2,50p "$t/jan.csv"; echo "garbage,row"; } >"$t/bad.csv"
both strict ingest --strict focus bad.csv && fail "--strict should fail"
reports r5
cmp -s "$t/r3-month.ch" "$t/r5-month.ch" || fail "a failed ingest changed the report"

# Telemetry and metrics sources have no bill rows: a later bill does not mark them replaced.
both gpu1 ingest gpu --host h "$root/tests/data/gpu/smi_units.csv" || fail "ingest gpu"
both met1 ingest metrics "$root/tests/data/llm/metrics.csv" || fail "ingest metrics"
python3 "$gen" --seed 5 --days 3 --start 2026-04-01 --offset 90 >"$t/apr.csv" || fail generator
both apr ingest focus apr.csv || fail "ingest apr.csv"
both srcs sources --format json || fail "sources after gpu, metrics and a bill"
[ "$(grep -o '"status":"replaced"' "$t/srcs.ch" | wc -l)" = 1 ] || fail "only a.csv is replaced: $(cat "$t/srcs.ch")"
grep -q '"kind":"gpu",[^}]*"status":"active"' "$t/srcs.ch" || fail "the GPU source is not active: $(cat "$t/srcs.ch")"
reports r5b

# Commit point: rows and tombstones of a source that never committed are invisible.
q "INSERT INTO daily (day, line_id, source_id, period_id, n, billed, effective) VALUES (20460, 1, 999, 1, 1, 1000000, 1000000)" ||
	fail "insert pending rows"
q "INSERT INTO retired VALUES (1, 2, 999), (2, 2, 999), (3, 2, 999)" || fail "insert pending tombstones"
q "INSERT INTO source (id, sha256, status, ver) VALUES (999, 'pending-x', 'pending', 1)" || fail "insert pending source"
reports r6
cmp -s "$t/r5b-month.ch" "$t/r6-month.ch" || fail "uncommitted rows are visible"
# ... and a source id after it does not collide with the claimed one.
both ingest7 ingest focus feb1.csv || fail "ingest after a crash"

# Money stays exact: Decimal(38,18) round trip of 1e-18 steps.
printf 'BilledCost,EffectiveCost,ListCost,ChargePeriodStart,ChargePeriodEnd,ServiceName,ProviderName,BillingAccountId,BillingPeriodStart\n0.000000000000000001,12345678901234567.123456789012345678,0,2026-03-01T00:00:00Z,2026-03-02T00:00:00Z,X,P,A,2026-03-01T00:00:00Z\n0.000000000000000002,0.000000000000000001,0,2026-03-01T00:00:00Z,2026-03-02T00:00:00Z,X,P,A,2026-03-01T00:00:00Z\n' >"$t/tiny.csv"
both tiny ingest focus tiny.csv || fail "ingest tiny"
both tinyr report --by ServiceName --cost effective --from 2026-03-01 --format json || fail "tiny report"
grep -q '12345678901234567.123456789012345679' "$t/tinyr.ch" || fail "exact decimal lost: $(cat "$t/tinyr.ch")"

# A ledger written before the monthly sums existed: the next writer fills them from daily (single node;
# a sharded ledger keeps its views on the shards)
if [ -z "${CH_CLUSTER:-}" ]; then
	q "DROP TABLE monthly_mv" || fail "drop the view"
	q "DROP TABLE monthly" || fail "drop monthly"
	both pre1 report --by ServiceName,month --format csv || fail "report without monthly sums"
	both again2 ingest focus jan.csv || fail "a writer after the drop"
	both pre2 report --by ServiceName,month --format csv || fail "report with refilled monthly sums"
	[ "$(q "SELECT count() FROM monthly")" -gt 0 ] || fail "the monthly sums were not refilled"
	cmp -s "$t/pre1.ch" "$t/pre2.ch" || fail "refilled monthly sums changed the report"
fi

# The config's db: selects the ledger when neither --db nor $AICOST_DB does.
printf 'db: clickhouse://127.0.0.1:%s/from_config\n' "$port" >"$t/c.yaml"
(cd "$t" && env -u AICOST_DB "$bin" --quiet --config c.yaml ingest focus tiny.csv >/dev/null) || fail "ingest via the config's db:"
n=$(curl -fsS "http://127.0.0.1:$port/?database=from_config" --data-binary "SELECT count() FROM source FINAL")
[ "$n" = 1 ] || fail "the config's db: did not select the ClickHouse ledger ($n sources)"
(cd "$t" && env -u AICOST_DB "$bin" --config c.yaml report --by ServiceName --format csv >"$t/cfg1.csv") ||
	fail "report via the config's db:"
(cd "$t" && env -u AICOST_DB "$bin" --config c.yaml --db "$ch" report --by ServiceName --format csv >"$t/cfg2.csv") ||
	fail "report with --db over the config"
[ "$(wc -l <"$t/cfg1.csv")" = 2 ] && [ "$(wc -l <"$t/cfg2.csv")" -gt 2 ] ||
	fail "--db did not win over the config's db: ($(wc -l <"$t/cfg1.csv") and $(wc -l <"$t/cfg2.csv") lines)"

# Errors: one clear line each.
"$bin" --db "clickhouse://127.0.0.1:$port/bad-name" report >/dev/null 2>"$t/e1" && fail "bad database name accepted"
grep -q "database name must be" "$t/e1" || fail "bad name message: $(cat "$t/e1")"
"$bin" --db "clickhouse://127.0.0.1:$port/nothing_here" report >/dev/null 2>"$t/e2" && fail "missing ledger accepted"
grep -q "not an aicost ledger" "$t/e2" || fail "missing ledger message: $(cat "$t/e2")"
"$bin" --db "clickhouse://127.0.0.1:1/x" report >/dev/null 2>"$t/e3" && fail "no server accepted"
[ "$(wc -l <"$t/e3")" = 1 ] && grep -q "clickhouse://127.0.0.1:1/x: " "$t/e3" || fail "no server message: $(cat "$t/e3")"
"$bin" --db "clickhouse://127.0.0.1:$port/x?user=me" report >/dev/null 2>"$t/e4" && fail "unknown URL parameter accepted"
grep -q "the only URL parameter is ?cluster=NAME" "$t/e4" || fail "URL parameter message: $(cat "$t/e4")"
"$bin" --db "clickhouse://127.0.0.1:$port/x?cluster=nosuch" ingest focus "$t/tiny.csv" >/dev/null 2>"$t/e5" &&
	fail "a missing cluster accepted"
grep -q "the server has no cluster 'nosuch'" "$t/e5" || fail "missing cluster message: $(cat "$t/e5")"
echo "clickhouse ledger: ok${CH_CLUSTER:+ (Distributed over $CH_CLUSTER)}"
