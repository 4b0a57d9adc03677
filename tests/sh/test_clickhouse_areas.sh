#!/bin/bash
# The ClickHouse ledger's areas beyond the bill, on a real clickhouse-server
# (scripts/clickhouse-test.sh; skipped when it is not installed):
#   - collect gpu (a fake NVML through dlopen): rollups rewritten every
#     interval are newer versions of one row (exact GPU time), a restart
#     continues the same source;
#   - budget alerts against a real webhook receiver: each crossing reaches
#     it exactly once over repeated runs, a receiver outage keeps the alert
#     queued, a later run delivers it once after retrying 500s; three
#     concurrent runs still deliver each new crossing once; the ledger holds
#     no webhook secret;
#   - the commit point for these areas: GPU rollups, metrics and queued
#     alerts of a transaction that never committed are invisible;
#   - a ledger written before these areas existed (their tables missing)
#     reads as empty.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${AICOST_BIN:-$root/aicost}
BUILD=${BUILD:-build/rel}
[ -x "$root/$BUILD/aicost" ] && bin=$root/$BUILD/aicost
source "$root/tests/sh/clickhouse_lib.sh"
srv=$(mktemp -d /tmp/aicost-ch.XXXXXX)
ch_start "clickhouse areas" "$srv"
rpid=
cleanup() {
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null
	wait 2>/dev/null
	ch_stop "$srv"
	rm -rf "$srv"
}
trap cleanup EXIT
t=$srv
fail() { echo "clickhouse areas: FAIL: $*"; [ -f "$t/err" ] && sed 's/^/  stderr: /' "$t/err"; exit 1; }
q() { curl -fsS "http://127.0.0.1:$port/?database=$1" --data-binary "$2"; }
cd "$t"
export TZ=UTC LC_ALL=C

# ---- collect gpu --------------------------------------------------------------------
cc -shared -fPIC -o "$t/libnvidia-ml.so.1" "$root/tests/fake_nvml/fake_nvml.c" || fail "cannot build the fake NVML"
export AICOST_NVML_LIB=$t/libnvidia-ml.so.1
g="clickhouse://127.0.0.1:$port/gpu_t"
field() { python3 -c "import json,sys; d=json.load(sys.stdin); r=[x for x in d['rows'] if x['gpu']==sys.argv[1]][0]; print(r[sys.argv[2]])" "$@"; }
secs() { python3 -c "import sys; print(round(float(sys.stdin.read())*3600, 1))"; }
"$bin" --quiet --db "$g" collect gpu --host node-a --count 3 --interval 0.2 >/dev/null 2>"$t/err" || fail "collect gpu"
out=$("$bin" --db "$g" gpu --by gpu --format json) || fail "gpu"
[ "$(echo "$out" | field GPU-fake-0 gpu_hours | secs)" = 0.6 ] || fail "GPU seconds after 3 samples: $out"
[ "$(echo "$out" | field GPU-fake-0 energy_kwh)" = 5.6e-05 ] || fail "energy: $out"
"$bin" --quiet --db "$g" collect gpu --host node-a --count 2 --interval 0.2 >/dev/null 2>"$t/err" || fail "collect again"
out=$("$bin" --db "$g" gpu --by gpu --format json)
[ "$(echo "$out" | field GPU-fake-0 gpu_hours | secs)" = 1.0 ] || fail "GPU seconds after a restart: $out"
[ "$("$bin" --db "$g" sources | grep -c nvml:node-a)" = 1 ] || fail "a restart made a second source"
rows=$(q gpu_t "SELECT count() FROM gpu_daily")
final=$(q gpu_t "SELECT count() FROM gpu_daily FINAL")
[ "$rows" -gt "$final" ] && [ "$final" = 2 ] || fail "rollups are not rewritten as versions ($rows rows, $final final)"

# ---- budget alerts --------------------------------------------------------------------
a="clickhouse://127.0.0.1:$port/alerts_t"
python3 - >ledger.csv <<'EOF'
import datetime
print("BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,"
      "ChargeCategory,BilledCost,EffectiveCost,ListCost,ContractedCost,ProviderName,ServiceName,ResourceId,Tags")
d = datetime.date(2026, 10, 1)
while d.month == 10:
    e = d + datetime.timedelta(days=1)
    print(f'acct-1,USD,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,{d}T00:00:00Z,{e}T00:00:00Z,Usage,10,10,12,10,'
          f'Acme Cloud,GPU Compute,gpu-1,"{{""team"":""chatbot""}}"')
    d = e
EOF
"$bin" --db "$a" --quiet ingest focus ledger.csv >/dev/null || fail "ingest"
start_receiver() { # [PORT] [FAIL]
	rm -f rport
	python3 "$root/tests/tools/webhook_receiver.py" --port "${1:-0}" --port-file rport --log got.jsonl --fail "${2:-0}" &
	rpid=$!
	for _ in $(seq 100); do [ -s rport ] && break; sleep 0.05; done
	[ -s rport ] || fail "the receiver did not start"
	rp=$(cat rport)
}
stop_receiver() { kill "$rpid"; wait "$rpid" 2>/dev/null; rpid=; }
start_receiver
cat >aicost.yaml <<EOF
allocation:
  dimensions:
    team:
      tags: [team]
budgets:
  - name: chatbot-monthly
    scope: { team: chatbot }
    limit: 250
    alert_at: [0.5, 1.0]
    notify: [ "webhook:http://127.0.0.1:$rp/hook/T000SECRET/B000SECRET" ]
EOF
run() { # AS_OF [extra args]
	local d=$1; shift
	"$bin" --db "$a" --config aicost.yaml budgets --as-of "$d" --notify-timeout 3 "$@" >out 2>err
	rc=$?
}
count() { [ -f got.jsonl ] && wc -l <got.jsonl || echo 0; }
run 2026-10-05
[ "$rc" = 0 ] || fail "run 1 exited $rc"
[ "$(count)" = 2 ] || fail "after run 1: $(count) alerts, want 2 (forecast 50% and 100%)"
run 2026-10-05
run 2026-10-07
[ "$(count)" = 2 ] || fail "repeated runs re-sent alerts: $(count)"
run 2026-10-13
[ "$(count)" = 3 ] || fail "after Oct 13: $(count) alerts, want 3"
stop_receiver
run 2026-10-26
[ "$rc" = 0 ] || fail "a failed delivery must not fail the run (exit $rc)"
grep -q "not delivered" err || fail "no delivery warning on stderr"
grep -q SECRET err out && fail "the webhook secret leaked into the output"
grep -q "1 still queued" out || fail "the table does not report the queued alert: $(cat out)"
start_receiver "$rp" 2
run 2026-10-27
[ "$rc" = 0 ] || fail "redelivery run exited $rc"
[ "$(count)" = 4 ] || fail "after the receiver came back: $(count) alerts, want 4"
[ "$(wc -l <got.jsonl.failed)" = 2 ] || fail "the receiver's 500s were not retried"
run 2026-10-28
[ "$(count)" = 4 ] || fail "the queued alert was delivered more than once: $(count)"
cat >>aicost.yaml <<EOF2
  - name: gpu-tight
    scope: { ServiceName: GPU Compute }
    limit: 100
    notify: [ "webhook:http://127.0.0.1:$rp/hook/T000SECRET/B000SECRET" ]
EOF2
pids=
for i in 1 2 3; do
	"$bin" --db "$a" --config aicost.yaml budgets --as-of 2026-10-31 --name gpu-tight >/dev/null 2>"err$i" &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a concurrent run failed: $(cat err*)"; done
[ "$(count)" = 6 ] || fail "concurrent runs: $(count) alerts, want 6"
stop_receiver
python3 - got.jsonl <<'EOF' || fail "payload check"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
keys = sorted((r["body"]["aicost"]["budget"], r["body"]["aicost"]["basis"], r["body"]["aicost"]["threshold"]) for r in recs)
assert keys == [("chatbot-monthly", "actual", 0.5), ("chatbot-monthly", "actual", 1), ("chatbot-monthly", "forecast", 0.5),
                ("chatbot-monthly", "forecast", 1), ("gpu-tight", "actual", 0.8), ("gpu-tight", "actual", 1)], keys
assert len({r["body"]["aicost"]["id"] for r in recs}) == 6
for r in recs:
    assert r["idempotency_key"] == r["body"]["aicost"]["id"]
EOF
n=$(q alerts_t "SELECT uniqExact(budget, period_start, threshold, basis) FROM budget_alert")
[ "$n" = 6 ] || fail "recorded crossings: $n, want 6"
n=$(q alerts_t "SELECT count() FROM (SELECT outbox_id, argMax(delivered_at, ver) AS d FROM alert_delivery GROUP BY outbox_id) WHERE d > 0")
[ "$n" = 6 ] || fail "delivered outbox entries: $n, want 6"
for tb in budget_alert alert_outbox alert_delivery; do
	q alerts_t "SELECT * FROM $tb FORMAT TSV" | grep -q SECRET && fail "the ledger's $tb holds the webhook secret"
done

# ---- aicost serve on the ClickHouse ledger ------------------------------------------
spid=
"$bin" --quiet --db "$a" --config aicost.yaml serve --listen 127.0.0.1:0 --ready-file ready >/dev/null 2>"$t/serve.err" &
spid=$!
for _ in $(seq 100); do [ -s ready ] && break; sleep 0.05; done
[ -s ready ] || fail "serve did not start: $(cat "$t/serve.err")"
url=$(cat ready)
curl -fsS "${url}api/report?by=team,month" >api1.json || fail "API report"
"$bin" --db "$a" --config aicost.yaml report --by team,month --format json >cli1.json || fail "CLI report"
cmp -s api1.json cli1.json || fail "the API's report differs from the CLI's: $(head -c 300 api1.json)"
# A commit shows in the API within a second (the ledger's version, no file to watch).
python3 - >nov.csv <<'EOF'
import datetime
print("BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,"
      "ChargeCategory,BilledCost,EffectiveCost,ProviderName,ServiceName,Tags")
for i in range(3):
    d = datetime.date(2026, 11, 1 + i)
    print(f'acct-1,USD,2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,{d}T00:00:00Z,{d + datetime.timedelta(days=1)}T00:00:00Z,'
          f'Usage,7,7,Acme Cloud,GPU Compute,"{{""team"":""chatbot""}}"')
EOF
"$bin" --db "$a" --quiet ingest focus nov.csv >/dev/null || fail "ingest November"
sleep 1.2
curl -fsS "${url}api/report?by=team,month" >api2.json || fail "API report after a commit"
"$bin" --db "$a" --config aicost.yaml report --by team,month --format json >cli2.json
cmp -s api1.json api2.json && fail "the API still answers from before the commit"
cmp -s api2.json cli2.json || fail "after a commit the API's report differs from the CLI's"
curl -fsS "${url}metrics" | grep -q '^aicost_' || fail "/metrics on a ClickHouse ledger"
kill "$spid"
wait "$spid" 2>/dev/null
spid=

# ---- commit point for these areas ---------------------------------------------------
m="clickhouse://127.0.0.1:$port/metrics_t"
printf 'date,metric,value,use_case\n2024-10-01,orders,100,a\n2024-10-02,orders,200,a\n' >kpi.csv
"$bin" --db "$m" --quiet ingest llm "$root/tests/data/llm/requests.jsonl" >/dev/null || fail "ingest llm"
"$bin" --db "$m" ingest metrics kpi.csv >/dev/null 2>"$t/err" || fail "ingest metrics"
before=$("$bin" --db "$m" unit-cost --metric orders --by day --format csv) || fail "unit-cost"
gbefore=$("$bin" --db "$g" gpu --by gpu --format csv)
# A crashed ingest's rows (source 999 never committed) and a crashed alert run's outbox entry (no commit row).
q metrics_t "INSERT INTO source (id, sha256, status, ver) VALUES (999, 'pending-x', 'pending', 1)" || fail "insert"
q metrics_t "INSERT INTO metric VALUES ('orders', 19997, '{\"use_case\":\"a\"}', 999, 5000)" || fail "insert metric"
q gpu_t "INSERT INTO source (id, sha256, status, ver) VALUES (999, 'pending-x', 'pending', 1)" || fail "insert"
q gpu_t "INSERT INTO gpu_daily SELECT day, device_id, labels_id, 999, n, covered_s * 10, util_s, util_min, util_max, hist,
	mem_used_s, mem_free_s, mem_s, power_j, power_s, energy_mj, cover, ver FROM gpu_daily" || fail "insert rollups"
[ "$("$bin" --db "$m" unit-cost --metric orders --by day --format csv)" = "$before" ] || fail "uncommitted metrics are visible"
[ "$("$bin" --db "$g" gpu --by gpu --format csv)" = "$gbefore" ] || fail "uncommitted GPU rollups are visible"
q alerts_t "INSERT INTO alert_outbox VALUES (42, 'x', 'sha256:0', 'http://127.0.0.1:1/', '{}', 0, 1)" || fail "insert outbox"
"$bin" --db "$a" --config aicost.yaml budgets --as-of 2026-10-31 --notify-timeout 1 >out 2>err || fail "budgets"
grep -q "still queued" out && fail "an uncommitted outbox entry is pending: $(cat out)"

# ---- an older ledger without these tables reads as empty -----------------------------
for tb in gpu_device gpu_labels gpu_daily gpu_hourly metric llm_stat budget_alert alert_outbox alert_commit alert_delivery; do
	q metrics_t "DROP TABLE $tb" || fail "drop $tb"
done
"$bin" --db "$m" gpu --format csv >out 2>err || fail "gpu on an older ledger: $(cat err)"
"$bin" --db "$m" unit-cost --metric orders 2>err >out && fail "unit-cost found metrics in an older ledger"
grep -q "no metric 'orders'\|no metrics" err || fail "unit-cost on an older ledger: $(cat err)"
"$bin" --db "$m" report --by ServiceName >/dev/null 2>err || fail "report on an older ledger: $(cat err)"
echo "clickhouse areas: ok"
