#!/bin/bash
# Budget alerts against a real HTTP receiver on loopback
# (tests/tools/webhook_receiver.py):
#   - each threshold crossing (on forecast, then on actual) reaches the
#     receiver exactly once, however often `aicost budgets` runs;
#   - while the receiver is down the run warns (URL secret redacted), exits 0
#     and keeps the alert queued; a later run delivers it exactly once, also
#     when the receiver first answers 500 (retries with backoff in one run).
# The ledger: 10.00 a day, every day of October 2026, for team chatbot.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${AICOST_BIN:-$root/aicost}
tmp=$(mktemp -d)
rpid=
cleanup() { [ -n "$rpid" ] && kill "$rpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "budget alerts test: FAIL: $*"; [ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err"; exit 1; }
cd "$tmp"

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
"$bin" --db t.db --quiet ingest focus ledger.csv >/dev/null || fail "ingest"

start_receiver() { # [PORT] [FAIL]
	rm -f port
	python3 "$root/tests/tools/webhook_receiver.py" --port "${1:-0}" --port-file port --log got.jsonl --fail "${2:-0}" &
	rpid=$!
	for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
	[ -s port ] || fail "the receiver did not start"
	port=$(cat port)
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
    notify: [ "webhook:http://127.0.0.1:$port/hook/T000SECRET/B000SECRET" ]
EOF
run() { # AS_OF [extra args]: runs budgets, leaves stdout in out, stderr in err, exit code in rc
	local d=$1; shift
	"$bin" --db t.db --config aicost.yaml budgets --as-of "$d" --notify-timeout 3 "$@" >out 2>err
	rc=$?
}
count() { [ -f got.jsonl ] && wc -l <got.jsonl || echo 0; }

# Oct 5: actual 50 (20%), forecast 310: the forecast crosses 50% and 100%.
run 2026-10-05
[ "$rc" = 0 ] || fail "run 1 exited $rc"
grep -q forecast_breach out || fail "Oct 5 is not a forecast breach: $(cat out)"
[ "$(count)" = 2 ] || fail "after run 1: $(count) alerts, want 2"
run 2026-10-05
run 2026-10-07
[ "$(count)" = 2 ] || fail "repeated runs re-sent alerts: $(count), want 2"
# Oct 13: actual 130 >= 125: the actual 50% alert.
run 2026-10-13
[ "$(count)" = 3 ] || fail "after Oct 13: $(count) alerts, want 3"

# The receiver goes down; Oct 26: actual 260 >= 250, a breach.
stop_receiver
run 2026-10-26
[ "$rc" = 0 ] || fail "a failed delivery must not fail the run (exit $rc)"
grep -q "not delivered" err || fail "no delivery warning on stderr"
grep -q SECRET err out && fail "the webhook secret leaked into the output"
grep -q "127.0.0.1:$port" err || fail "the warning does not name the (redacted) receiver"
grep -q "1 still queued" out || fail "the table does not report the queued alert: $(cat out)"
run 2026-10-26 --format json
grep -q '"undelivered":1' out || fail "JSON does not report the queued alert: $(cat out)"
# --fail-on breach: exit 3 (compute only).
run 2026-10-26 --no-notify --fail-on breach
[ "$rc" = 3 ] || fail "--fail-on breach exited $rc, want 3"
run 2026-10-13 --no-notify --fail-on breach
[ "$rc" = 0 ] || fail "--fail-on breach without a breach exited $rc, want 0"

# Back up, but the first two requests get a 500: retried in the same run.
start_receiver "$port" 2
run 2026-10-27
[ "$rc" = 0 ] || fail "redelivery run exited $rc"
[ "$(count)" = 4 ] || fail "after the receiver came back: $(count) alerts, want 4"
[ "$(wc -l <got.jsonl.failed)" = 2 ] || fail "the receiver's 500s were not retried"
run 2026-10-28
run 2026-10-31
[ "$(count)" = 4 ] || fail "the queued alert was delivered more than once: $(count)"

# Two runs at the same time on a new budget (two crossings): still one delivery each.
cat >>aicost.yaml <<EOF2
  - name: gpu-tight
    scope: { ServiceName: GPU Compute }
    limit: 100
    notify: [ "webhook:http://127.0.0.1:$port/hook/T000SECRET/B000SECRET" ]
EOF2
pids=
for i in 1 2 3; do
	"$bin" --db t.db --config aicost.yaml budgets --as-of 2026-10-31 --name gpu-tight >/dev/null 2>"err$i" &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a concurrent run failed"; done
for i in 1 2 3; do [ -s "err$i" ] && { cat "err$i"; fail "concurrent run $i complained"; }; done
[ "$(count)" = 6 ] || fail "concurrent runs: $(count) alerts, want 6"
stop_receiver

python3 - got.jsonl <<'EOF' || fail "payload check"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
keys = sorted((r["body"]["aicost"]["budget"], r["body"]["aicost"]["basis"], r["body"]["aicost"]["threshold"]) for r in recs)
assert keys == [("chatbot-monthly", "actual", 0.5), ("chatbot-monthly", "actual", 1), ("chatbot-monthly", "forecast", 0.5),
                ("chatbot-monthly", "forecast", 1), ("gpu-tight", "actual", 0.8), ("gpu-tight", "actual", 1)], keys
ids = {r["body"]["aicost"]["id"] for r in recs}
assert len(ids) == 6, ids
recs = [r for r in recs if r["body"]["aicost"]["budget"] == "chatbot-monthly"]
for r in recs:
    b = r["body"]
    assert r["path"] == "/hook/T000SECRET/B000SECRET"
    assert r["content_type"] == "application/json"
    assert r["idempotency_key"] == b["aicost"]["id"]
    assert isinstance(b["text"], str) and "chatbot-monthly" in b["text"]
    assert b["blocks"][0]["type"] == "section" and b["blocks"][0]["text"]["type"] == "mrkdwn"
    a = b["aicost"]
    assert a["budget"] == "chatbot-monthly" and a["scope"] == {"team": "chatbot"} and a["limit"] == 250
    assert a["period_start"] == "2026-10-01" and a["period_end"] == "2026-10-31"
last = [r["body"]["aicost"] for r in recs if r["body"]["aicost"]["basis"] == "actual" and r["body"]["aicost"]["threshold"] == 1][0]
assert last["amount"] == 260 and last["status"] == "breach" and last["breach_date"] == "2026-10-25", last
EOF
n=$(sqlite3 t.db "SELECT count(*) FROM budget_alert; SELECT count(*) FROM alert_outbox WHERE delivered_at IS NULL")
[ "$n" = "$(printf '6\n0')" ] || fail "ledger alert state: $n"
sqlite3 t.db .dump | grep -q SECRET && fail "the ledger holds the webhook secret"
echo "budget alerts test: ok (6 crossings, 6 deliveries, 1 across a receiver outage, 3 concurrent runs)"
