#!/bin/bash
# Exactly-once metering across a crash: clients keep the gateway busy with
# streamed and non-streamed requests while it seals spool segments into the
# ledger; the gateway is killed with SIGKILL mid-load, then restarted (it
# recovers the spool and replays it) and stopped, twice. Then:
#   - every request whose response arrived whole has exactly one record,
#     with the cost its client was told (x-aicost-cost header or trailer);
#   - the ledger holds exactly the records of the request log: as many
#     requests, the same total cost to the last decimal (nothing lost,
#     nothing counted twice), and a second restart changes nothing.
NAME="gateway crash test"
source "$(dirname "$0")/gateway_lib.sh"

start_stub --latency-ms 5 --chunk-delay-ms 2
cat >aicost.yaml <<EOF
gateway:
  spool: { dir: spool, segment_seconds: 0.25, fsync_interval: 0.05 }
  request_log: requests
  upstreams:
    - name: oai
      provider: openai
      base_url: $stub_url
      api_key_env: UPSTREAM_KEY
      models: [gpt-4o-mini]
  keys:
    - name: crash-app
      hash: "$(hash_key sk-crash)"
      team: crash-team
EOF
start_gw
PLAIN='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there friend"}],"max_tokens":8}'
STREAM='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"stream to me"}],"max_tokens":6,"stream":true}'
$client --url "$gw_url/v1/chat/completions" --key sk-crash --concurrency 24 --until-refused --body "$PLAIN" --out plain.jsonl &
c1=$!
$client --url "$gw_url/v1/chat/completions" --key sk-crash --concurrency 24 --until-refused --body "$STREAM" --out stream.jsonl &
c2=$!
sleep 1.5
kill -9 "$gpid"
{ wait "$gpid"; } 2>/dev/null
gpid=
wait $c1 $c2
ls spool | grep -q '\.open$' || fail "no open spool segment at the kill: the test did not crash mid-segment ($(ls spool))"

# Restart: the leftovers are sealed and replayed before serving; then a clean stop.
start_gw
stop_gw TERM
total1=$(ledger_total)
req1=$(ledger_requests)
start_gw
stop_gw TERM
[ "$(ledger_total)" = "$total1" ] && [ "$(ledger_requests)" = "$req1" ] || fail "a second restart changed the ledger"

cat requests/seg-*.jsonl >log.jsonl
python3 - plain.jsonl stream.jsonl log.jsonl "$total1" "$req1" <<'EOF' >summary || fail "$(cat summary)"
import json, sys, decimal
D = decimal.Decimal
answered = {}
sent = 0
for f in sys.argv[1:3]:
    for l in open(f):
        r = json.loads(l)
        sent += 1
        if r["complete"] and r["status"] == 200:
            h = r["headers"]
            cost = h.get("x-aicost-cost") or r["trailers"].get("x-aicost-cost")
            answered[h["x-aicost-request-id"]] = D(cost)
recs = [json.loads(l) for l in open(sys.argv[3])]
ids = [r["id"] for r in recs]
assert len(ids) == len(set(ids)), "a record twice in the request log"
byid = {r["id"]: r for r in recs}
missing = [i for i in answered if i not in byid]
assert not missing, f"{len(missing)} answered requests have no record, e.g. {missing[:3]}"
for i, c in answered.items():
    assert D(str(byid[i]["cost"])) == c, (i, byid[i]["cost"], c)
ok = [r for r in recs if r["status"] == 200 and r["usage"]]
total = sum((D(str(r["cost"])) for r in ok), D(0))
assert D(sys.argv[4]) == total.normalize() or D(sys.argv[4]) == total, ("ledger total", sys.argv[4], "log", total)
assert int(sys.argv[5]) == len(ok), ("ledger requests", sys.argv[5], "log records", len(ok))
assert len(answered) <= len(ok) <= sent, (len(answered), len(ok), sent)
assert len(answered) > 50, f"only {len(answered)} requests answered before the kill"
print(f"{len(answered)} answered, {len(ok)} metered, {sent} sent")
EOF
echo "gateway crash test: ok ($(cat summary); ledger total $total1)"
