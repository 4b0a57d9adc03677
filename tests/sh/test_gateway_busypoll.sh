#!/bin/bash
# gateway.busy_poll (the loop polls instead of sleeping while traffic flows)
# changes when the loop sleeps, nothing else: under load every request is
# answered and metered exactly once (ledger requests = answered), streams
# end with their trailer, the gateway stops at once on SIGTERM (it sleeps
# again once traffic stops), and the key is range-checked.
NAME="gateway busy_poll test"
source "$(dirname "$0")/gateway_lib.sh"

load=$root/$BUILD/bench/gw_load
[ -x "$load" ] || fail "$load not built (make tools)"
start_stub
cat >aicost.yaml <<EOF
gateway:
  busy_poll: 300
  spool: { dir: spool, segment_records: 500 }
  upstreams:
    - { name: stub, provider: openai, base_url: "$stub_url", api_key_env: UPSTREAM_KEY, models: [gpt-4o-mini] }
  keys:
    - { name: k, hash: "$(hash_key sk-busy)" }
EOF
start_gw
body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}],"max_tokens":5}'
"$load" --url "$gw_url/v1/chat/completions" -H 'Authorization: Bearer sk-busy' --body "$body" --rps 1000 \
	--duration 2 --warmup 0 --connections 16 >load.json 2>load.err || fail "gw_load failed: $(cat load.err)"
ok=$(python3 -c 'import json; j=json.load(open("load.json")); print(j["ok"] if not j["bad_status"] and not j["conn_errors"] else -1)')
[ "$ok" -ge 1900 ] || fail "answered $ok of 2000 (bad answers or connection errors: $(cat load.err))"
sbody='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"count"}],"max_tokens":5}'
s=$(curl -sN -m 5 -H 'Authorization: Bearer sk-busy' -H 'Content-Type: application/json' -d "$sbody" "$gw_url/v1/chat/completions")
echo "$s" | grep -q '\[DONE\]' || fail "stream without [DONE]: ${s:0:200}"
# Idle now: a stop must not wait for anything.
t0=$(date +%s%N)
stop_gw
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 3000 ] || fail "SIGTERM took $ms ms"
got=$(ledger_requests)
[ "$got" = $((ok + 1)) ] || fail "ledger has $got requests, clients were answered $((ok + 1))"

printf 'gateway:\n  busy_poll: -5\n' >bad.yaml
"$bin" --db t2.db --config bad.yaml gateway --listen 127.0.0.1:0 >/dev/null 2>bad.err && fail "busy_poll -5 accepted"
grep -q busy_poll bad.err || fail "no message naming busy_poll: $(cat bad.err)"
echo "gateway busy_poll test: ok ($ok answered at 1,000/s, all metered once)"
