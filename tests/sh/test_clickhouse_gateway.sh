#!/bin/bash
# The gateway metering into a ClickHouse ledger (--db clickhouse://...), on a
# real clickhouse-server (scripts/clickhouse-test.sh; skipped when it is not
# installed):
#   - non-stream and stream requests through the gateway: after a clean stop
#     the ClickHouse ledger's total equals the sum of the x-aicost-cost
#     headers exactly, one Requests unit per request;
#   - kill -9 after more requests were answered: the restart replays the spool
#     into ClickHouse, and the totals are still exact (each record once);
#   - a further restart changes nothing (the spool's segments are not
#     ingested twice), and the gateway restores its budget spend from the
#     ClickHouse ledger: a key whose budget is spent stays refused.
NAME="clickhouse gateway test"
source "$(dirname "$0")/gateway_lib.sh"
source "$root/tests/sh/clickhouse_lib.sh"
chdir=$(mktemp -d /tmp/aicost-chgw.XXXXXX)
ch_start "$NAME" "$chdir"
trap 'cleanup; cd /; ch_stop "$chdir"; rm -rf "$chdir"' EXIT
GW_DB=clickhouse://127.0.0.1:$port/gwledger

start_stub
KEY=sk-aicost-ch-1
cat >aicost.yaml <<EOF
gateway:
  spool: { dir: spool, segment_seconds: 0.2, fsync_interval: 0.05 }
  upstreams:
    - name: oai
      provider: openai
      base_url: $stub_url/v1
      api_key_env: UPSTREAM_KEY
      models: [gpt-4o-mini]
  keys:
    - name: ch-app
      hash: "$(hash_key $KEY)"
      team: fraud-detection
    - name: capped
      hash: "$(hash_key sk-aicost-capped)"
      budgets: [{ limit: 0.00001, period: month }]
EOF
start_gw
hdr() { tr -d '\r' <"$1" | grep -i "^$2:" | head -n 1 | sed 's/^[^:]*: *//'; }
: >costs
n=0
send() { # KEY BODY: appends the cost of a 200 to costs
	curl -s -D h -o b -H "Authorization: Bearer $1" -d "$2" "$gw_url/v1/chat/completions"
	st=$(head -n 1 h | cut -d' ' -f2)
}
MSG='"messages":[{"role":"user","content":"hello there friend"}]'
for i in $(seq 1 20); do
	send $KEY "{\"model\":\"gpt-4o-mini\",$MSG,\"max_tokens\":$i}"
	[ "$st" = 200 ] || fail "request $i: status $st: $(cat b)"
	hdr h x-aicost-cost >>costs
	n=$((n + 1))
done
# Streams: the cost comes in the trailer (gw_client records it).
for i in 1 2 3; do
	$client --url "$gw_url/v1/chat/completions" --key $KEY --out s$i.jsonl \
		--body "{\"model\":\"gpt-4o-mini\",$MSG,\"max_tokens\":$((i + 2)),\"stream\":true}"
	python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); assert r["status"]==200 and r["complete"], r; print(r["trailers"]["x-aicost-cost"])' s$i.jsonl >>costs ||
		fail "stream $i: $(cat s$i.jsonl)"
	n=$((n + 1))
done
# Spend the capped key's budget: 1e-5 covers two of these (5 x 1.5e-7 + 5 x 6e-7 = 3.75e-6 each; the third
# reservation would pass the limit).
for i in 1 2 3 4; do
	send sk-aicost-capped "{\"model\":\"gpt-4o-mini\",$MSG,\"max_tokens\":5}"
	if [ "$st" = 200 ]; then hdr h x-aicost-cost >>costs; n=$((n + 1)); fi
done
[ "$st" = 429 ] || fail "the capped key was not refused after its budget: status $st"
stop_gw
want=$(dsum <costs)
got=$(ledger_total)
[ "$got" = "$want" ] || fail "ClickHouse ledger total $got, want $want (sum of $n x-aicost-cost values)"
got_n=$(ledger_requests)
[ "$got_n" = "$n" ] || fail "ClickHouse ledger holds $got_n requests, want $n"

# kill -9 with answered requests still in the open spool segment: replayed at the next start, once.
start_gw
for i in $(seq 1 10); do
	send $KEY "{\"model\":\"gpt-4o-mini\",$MSG,\"max_tokens\":7}"
	[ "$st" = 200 ] || fail "request after restart: status $st"
	hdr h x-aicost-cost >>costs
	n=$((n + 1))
done
stop_gw KILL
start_gw
stop_gw
want=$(dsum <costs)
[ "$(ledger_total)" = "$want" ] || fail "after kill -9 and replay: ledger total $(ledger_total), want $want"
[ "$(ledger_requests)" = "$n" ] || fail "after kill -9 and replay: $(ledger_requests) requests, want $n"

# Another restart ingests nothing twice, and the capped key's spend is read back from ClickHouse.
start_gw
send sk-aicost-capped "{\"model\":\"gpt-4o-mini\",$MSG,\"max_tokens\":5}"
[ "$st" = 429 ] || fail "after a restart the capped key's spend was not restored from ClickHouse: status $st"
stop_gw
[ "$(ledger_total)" = "$want" ] || fail "a clean restart changed the ledger total: $(ledger_total), want $want"
[ "$(ledger_requests)" = "$n" ] || fail "a clean restart changed the request count: $(ledger_requests), want $n"
echo "$NAME: ok ($n requests metered into ClickHouse, total $want exact, kill -9 replayed once, budget spend restored)"
