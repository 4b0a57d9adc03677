#!/bin/bash
# Shared gateway state in Redis (docs/gateway-redis.md): three gateway
# instances against one throwaway redis-server (scripts/redis-test.sh) and the
# stand-in upstream. Skipped when redis-server is not installed.
#   (a) the budget race across instances: 1,000 concurrent requests spread over
#       the three against a key whose budget covers 100: overspend 0 with
#       max_tokens (headers, Redis and the three ledgers agree exactly); without
#       max_tokens (reserve_tokens 50) the documented bound, as for one instance;
#   (d) the soft limit's webhook goes out once across the three;
#   (b) rpm 60 shared: 90 requests at once over the three, 60 pass, the rest get
#       429 with Retry-After;
#   (c) parallel 2 shared: of 6 at once over the three, 2 pass;
#   (f) a crashed (kill -9) instance's reservations and parallel slots are
#       released when their lease runs out;
#   (e) Redis hung (SIGSTOP): the budgeted key fails closed after timeout_ms, the
#       timeout is counted, the gateway reconnects once it answers again;
#       Redis killed: a budgeted key gets 503 budget_unavailable (fails closed),
#       a rate-limited-only key is served (fails open), /metrics says so;
#       Redis restarted on the same port: the gateways recover by themselves and
#       seed the period's spend back (Redis had no persistence); after SCRIPT
#       FLUSH the scripts are sent again (NOSCRIPT -> EVAL);
#   AUTH with password_env: a wrong password fails closed and is reported, the
#       right one works, and the password never appears in the logs.
NAME="gateway redis test"
source "$(dirname "$0")/gateway_lib.sh"

rdir=$tmp/redis
ipid=("" "" "" "" "")
my_cleanup() {
	for i in 1 2 3 4; do [ -n "${ipid[$i]}" ] && { kill -9 "${ipid[$i]}"; wait "${ipid[$i]}"; } 2>/dev/null; done
	"$root/scripts/redis-test.sh" stop "$rdir" >/dev/null 2>&1
	cleanup
}
trap my_cleanup EXIT

rport=$("$root/scripts/redis-test.sh" start "$rdir")
st=$?
if [ $st = 77 ]; then
	echo "$NAME: skipped (redis-server is not installed; scripts/install-deps.sh installs it)"
	exit 0
fi
[ $st = 0 ] || fail "redis-server did not start"
# redis-cli comes with redis-server (redis-tools); the gateways use database 3.
rcli() { redis-cli -h 127.0.0.1 -p "$rport" -n 3 "$@"; }

start_stub --latency-ms 300
python3 "$root/tests/tools/webhook_receiver.py" --port-file hook.port --log hook.jsonl &
rpid=$!
for _ in $(seq 100); do [ -s hook.port ] && break; sleep 0.05; done
[ -s hook.port ] || fail "webhook receiver did not start"
hook=http://127.0.0.1:$(cat hook.port)/hook/SECRET-TOKEN

# One request: 5 prompt tokens x 1.5e-7 + 100 x 6e-7 = 0.00006075; race-app's budget covers exactly 100.
# reserve_tokens 50 only matters without max_tokens (capped-app).
cat >aicost.yaml <<EOF
gateway:
  reserve_tokens: 50
  spool: { dir: spool, segment_seconds: 0.2 }
  shared_state:
    redis: redis://127.0.0.1:$rport/3
    prefix: t-$$
    timeout_ms: 500
    lease: 2
  upstreams:
    - name: oai
      provider: openai
      base_url: $stub_url
      api_key_env: UPSTREAM_KEY
      models: [gpt-4o-mini]
  teams:
    race-team: {}
  keys:
    - name: race-app
      hash: "$(hash_key sk-race)"
      team: race-team
      budgets:
        - { limit: 0.006075, period: month, soft: 0.5, notify: [ "webhook:$hook" ] }
    - name: capped-app
      hash: "$(hash_key sk-capped)"
      budget: 0.006075
    - name: rpm-app
      hash: "$(hash_key sk-rpm)"
      rpm: 60
    - name: par-app
      hash: "$(hash_key sk-par)"
      parallel: 2
    - name: orphan-app
      hash: "$(hash_key sk-orphan)"
      parallel: 2
      budget: 0.0001293
    - name: big-app
      hash: "$(hash_key sk-big)"
      budget: 100
    - name: rl-app
      hash: "$(hash_key sk-rl)"
      rpm: 100000
EOF

# Instance i runs in g$i (its own spool and ledger), all on one config and one Redis.
start_inst() {
	local i=$1 conf=${2:-aicost.yaml}
	mkdir -p "g$i"
	rm -f "g$i/ready"
	(cd "g$i" && UPSTREAM_KEY=sk-upstream-secret exec "$bin" --db t.db --config "../$conf" gateway \
		--listen 127.0.0.1:0 --ready-file ready >gw.out 2>>gw.err) &
	ipid[$i]=$!
	for _ in $(seq 200); do [ -s "g$i/ready" ] && break; sleep 0.05; done
	[ -s "g$i/ready" ] || fail "instance $i did not start: $(tail -n 5 g$i/gw.err)"
	url[$i]=http://$(cat "g$i/ready")
}
stop_inst() {
	local i=$1
	kill -TERM "${ipid[$i]}" 2>/dev/null
	wait "${ipid[$i]}" 2>/dev/null
	local rc=$?
	ipid[$i]=
	if grep -q 'Sanitizer\|runtime error' "g$i/gw.err" 2>/dev/null; then
		fail "instance $i: sanitizer report: $(grep -m 3 'Sanitizer\|runtime error\|#[0-9] ' g$i/gw.err)"
	fi
	[ "$rc" = 0 ] || fail "instance $i exited $rc after SIGTERM: $(tail -n 5 g$i/gw.err)"
}
metric() { curl -s "${url[$1]}/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
# Wait until no instance holds a reservation (every settlement reached Redis).
settled() {
	for _ in $(seq 100); do
		local n=0
		for i in "$@"; do n=$((n + $(metric "$i" aicost_gateway_shared_state_reservations))); done
		[ "$n" = 0 ] && return 0
		sleep 0.05
	done
	fail "reservations still held after 5 s"
}
# N requests at once over the three instances, interleaved (request i to instance i mod 3).
spread() {
	local key=$1 n=$2 body=$3 out=$4
	shift 4
	python3 "$root/tests/tools/gw_spread.py" --url "${url[1]}/v1/chat/completions" --url "${url[2]}/v1/chat/completions" \
		--url "${url[3]}/v1/chat/completions" --key "$key" --n "$n" --body "$body" "$@" --out "$out"
}

for i in 1 2 3; do start_inst $i; done
for _ in $(seq 100); do [ "$(metric 1 aicost_gateway_shared_state_up)" = 1 ] && break; sleep 0.05; done
for i in 1 2 3; do [ "$(metric $i aicost_gateway_shared_state_up)" = 1 ] || fail "instance $i: Redis not up"; done
BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there friend"}],"max_tokens":100}'
NOMAX='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there friend"}]}'

# ---- (a) the race across three instances ----
spread sk-race 1000 "$BODY" race.jsonl
# The checks of the one-instance test (tests/tools/gw_checks.py): the same reservation, so 93 fit.
python3 "$root/tests/tools/gw_checks.py" race race.jsonl >race.sum || fail "budget race: $(tail -n 3 race.sum)"
read n_ok spent <race.sum
race_spent=$spent
# Every instance answered its third (200 or 429); which one admitted how many depends on scheduling. Without
# sharing each instance would admit up to 93 (279 in all): the total above shows the budget is one.
python3 - race.jsonl <<'EOF' >race.dist || fail "the race did not reach every instance: $(cat race.dist)"
import json, sys, collections
rs = [json.loads(l) for l in open(sys.argv[1])]
per = collections.Counter(r["instance"] for r in rs if r["status"] in (200, 429))
assert sorted(per.values()) == [333, 333, 334], per
ok = collections.Counter(r["instance"] for r in rs if r["status"] == 200)
print("/".join(str(ok[i]) for i in range(3)))
EOF
settled 1 2 3
# Redis holds the spend exactly, in nano-USD (0.00006075 = 60750 units): the headers' total, nothing reserved.
bkey=$(rcli --scan --pattern "{t-$$:t:9:race-team}:b:key:8:race-app:month:*")
[ -n "$bkey" ] || fail "no budget hash for race-app in Redis"
rs=$(rcli HGET "$bkey" s) rr=$(rcli HGET "$bkey" r)
python3 -c 'import sys,decimal; D=decimal.Decimal; assert D(sys.argv[1]) == D(sys.argv[2]) * 10**9 and sys.argv[3] == "0", sys.argv[1:]' \
	"$rs" "$spent" "$rr" || fail "Redis spend $rs (reserved $rr), headers $spent"

# Without max_tokens: reserve_tokens 50 reserves 31 x 1.5e-7 + 50 x 6e-7 = 0.00003465, each costs 0.00006075.
spread sk-capped 1000 "$NOMAX" capped.jsonl --header 'x-stub-tokens: 100'
python3 "$root/tests/tools/gw_checks.py" capped capped.jsonl >capped.sum || fail "reserve_tokens bound: $(cat capped.sum)"
read c_ok c_spent c_over c_bound <capped.sum

# ---- (d) one soft-limit webhook across the three ----
for _ in $(seq 100); do [ -s hook.jsonl ] && break; sleep 0.05; done
sleep 0.5
[ "$(wc -l <hook.jsonl)" = 1 ] || fail "soft limit webhooks: $(wc -l <hook.jsonl), want 1 across three instances"
python3 "$root/tests/tools/gw_checks.py" soft-hook hook.jsonl || fail "soft limit payload: $(cat hook.jsonl)"
grep -q SECRET-TOKEN g*/gw.err && fail "the webhook URL's secret leaked into stderr"

# ---- (b) rpm 60 shared: the bucket holds 60, whichever instance takes them ----
spread sk-rpm 90 "$BODY" rpm.jsonl --header 'x-stub-latency-ms: 0'
python3 - rpm.jsonl <<'EOF' || fail "shared rpm: $(head -c 400 rpm.jsonl)"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
ok = sum(r["status"] == 200 for r in rs)
# 60 in the bucket, plus at most one refilled (1 per second) while the burst runs.
assert 60 <= ok <= 61, ok
for r in rs:
    if r["status"] != 200:
        assert r["status"] == 429 and json.loads(r["body"])["error"]["type"] == "rate_limit_exceeded", r
        assert r["headers"]["retry-after"] == "1", r["headers"]
EOF

# ---- (c) parallel 2 shared: 2 of 6 at once pass ----
spread sk-par 6 "$BODY" par.jsonl
python3 "$root/tests/tools/gw_checks.py" parallel par.jsonl 6 || fail "shared parallel: $(head -c 600 par.jsonl)"

# ---- (f) a crashed instance's reservations expire with their lease (2 s) ----
# orphan-app: parallel 2 and a budget of exactly two reservations. Two slow requests on instance 3, then kill -9.
for k in 1 2; do
	curl -s -o /dev/null -H 'Authorization: Bearer sk-orphan' -H 'x-stub-latency-ms: 20000' -d "$BODY" \
		"${url[3]}/v1/chat/completions" &
done
for _ in $(seq 100); do [ "$(metric 3 aicost_gateway_shared_state_reservations)" = 2 ] && break; sleep 0.05; done
[ "$(metric 3 aicost_gateway_shared_state_reservations)" = 2 ] || fail "orphan: the two requests were not admitted"
{ kill -9 "${ipid[3]}"; wait "${ipid[3]}"; } 2>/dev/null
ipid[3]=
t0=$(date +%s.%N)
code=$(curl -s -o orphan1.b -w '%{http_code}' -H 'Authorization: Bearer sk-orphan' -d "$BODY" "${url[1]}/v1/chat/completions")
[ "$code" = 429 ] && grep -q 'in flight' orphan1.b || fail "orphan: before the lease ran out: $code $(cat orphan1.b)"
code=
for _ in $(seq 80); do
	code=$(curl -s -o orphan2.b -w '%{http_code}' -H 'Authorization: Bearer sk-orphan' -H 'x-stub-latency-ms: 0' \
		-d "$BODY" "${url[1]}/v1/chat/completions")
	[ "$code" = 200 ] && break
	sleep 0.1
done
t1=$(date +%s.%N)
[ "$code" = 200 ] || fail "orphan: the crashed instance's reservations never expired: $(cat orphan2.b)"
python3 -c 'import sys; d=float(sys.argv[2])-float(sys.argv[1]); assert d <= 4.5, d' "$t0" "$t1" ||
	fail "orphan: released after more than the lease (2 s) + margin"

# ---- (e) Redis killed: budgets fail closed, rate limits fail open; restarted: recovery ----
# Instances 1 and 2 each settle one more race-app request (6 more fit), so each has been told the month's
# total: after a restart of a Redis without persistence they seed the highest total they were told.
for i in 1 2; do
	code=$(curl -s -o more$i.b -w '%{http_code}' -H 'Authorization: Bearer sk-race' -H 'x-stub-latency-ms: 0' -d "$BODY" \
		"${url[$i]}/v1/chat/completions")
	[ "$code" = 200 ] || fail "race-app after the race, instance $i: $code $(cat more$i.b)"
done
settled 1 2
rs=$(rcli HGET "$bkey" s)
spent=$(python3 -c 'import sys,decimal; print(decimal.Decimal(sys.argv[1]) + 2 * decimal.Decimal("0.00006075"))' "$spent")
[ "$rs" = "$(python3 -c 'import sys,decimal; print(int(decimal.Decimal(sys.argv[1]) * 10**9))' "$spent")" ] ||
	fail "Redis spend $rs after two more requests, headers $spent"
# A hung Redis (SIGSTOP): no answer within timeout_ms (500) fails the budget closed, and the timeout is counted.
kill -STOP "$(cat "$rdir/pid")"
code=$(curl -s -o hung.b -w '%{http_code}' -m 5 -H 'Authorization: Bearer sk-big' -d "$BODY" "${url[1]}/v1/chat/completions")
kill -CONT "$(cat "$rdir/pid")"
[ "$code" = 503 ] && grep -q '"type":"budget_unavailable"' hung.b || fail "hung Redis: $code $(cat hung.b)"
curl -s "${url[1]}/metrics" | grep -q '^aicost_gateway_shared_state_errors_total{kind="timeout"} [1-9]' ||
	fail "hung Redis: the timeout was not counted"
for _ in $(seq 100); do [ "$(metric 1 aicost_gateway_shared_state_up)" = 1 ] && break; sleep 0.05; done
[ "$(metric 1 aicost_gateway_shared_state_up)" = 1 ] || fail "instance 1 did not reconnect after the hang"
rs=$(rcli HGET "$bkey" s)

"$root/scripts/redis-test.sh" kill "$rdir"
for _ in $(seq 100); do [ "$(metric 1 aicost_gateway_shared_state_up)" = 0 ] && break; sleep 0.05; done
code=$(curl -s -D down1.h -o down1.b -w '%{http_code}' -H 'Authorization: Bearer sk-big' -d "$BODY" "${url[1]}/v1/chat/completions")
[ "$code" = 503 ] && grep -q '"type":"budget_unavailable"' down1.b || fail "Redis down: budget key got $code $(cat down1.b)"
tr -d '\r' <down1.h | grep -q '^Retry-After: 1$' || fail "Redis down: no Retry-After on the 503"
code=$(curl -s -o down2.b -w '%{http_code}' -H 'Authorization: Bearer sk-rl' -H 'x-stub-latency-ms: 0' -d "$BODY" \
	"${url[2]}/v1/chat/completions")
[ "$code" = 200 ] || fail "Redis down: rate-limited key got $code $(cat down2.b) (rate limits fail open)"
curl -s "${url[1]}/metrics" >m1.txt
curl -s "${url[2]}/metrics" >m2.txt
grep -q '^aicost_gateway_shared_state_up 0$' m1.txt || fail "metrics: shared_state_up is not 0 with Redis down"
grep -q '^aicost_gateway_shared_state_fail_closed_total{limit="budget"} [1-9]' m1.txt || fail "metrics: fail_closed not counted"
grep -q '^aicost_gateway_shared_state_fail_open_total{limit="rate"} [1-9]' m2.txt || fail "metrics: fail_open not counted"
grep -q '^aicost_gateway_shared_state_errors_total{kind="disconnect"} [1-9]' m1.txt || fail "metrics: disconnect not counted"
python3 "$root/tests/tools/prom_strict.py" <m1.txt >/dev/null 2>&1 || fail "metrics: not valid exposition: $(python3 "$root/tests/tools/prom_strict.py" <m1.txt 2>&1 | tail -n 2)"

"$root/scripts/redis-test.sh" start "$rdir" "$rport" >/dev/null || fail "redis-server did not restart"
for i in 1 2; do
	for _ in $(seq 100); do [ "$(metric $i aicost_gateway_shared_state_up)" = 1 ] && break; sleep 0.05; done
	[ "$(metric $i aicost_gateway_shared_state_up)" = 1 ] || fail "instance $i did not reconnect to Redis"
done
code=$(curl -s -o up1.b -w '%{http_code}' -H 'Authorization: Bearer sk-big' -H 'x-stub-latency-ms: 0' -d "$BODY" \
	"${url[1]}/v1/chat/completions")
[ "$code" = 200 ] || fail "after the Redis restart: $code $(cat up1.b)"
# SCRIPT FLUSH (or a failover to a server without the scripts): EVALSHA gets NOSCRIPT, the gateway sends EVAL.
[ "$(rcli SCRIPT FLUSH)" = OK ] || fail "SCRIPT FLUSH failed"
code=$(curl -s -o flush.b -w '%{http_code}' -H 'Authorization: Bearer sk-big' -H 'x-stub-latency-ms: 0' -d "$BODY" \
	"${url[2]}/v1/chat/completions")
[ "$code" = 200 ] || fail "after SCRIPT FLUSH: $code $(cat flush.b)"
rcli INFO commandstats | grep -q '^cmdstat_eval:calls=[1-9]' || fail "after SCRIPT FLUSH: no EVAL reached Redis"
# The restarted Redis was empty: the instances seeded the month's spend back from what Redis had told them.
rs2=$(rcli HGET "$bkey" s)
[ "$rs2" = "$rs" ] || fail "race-app's spend after the Redis restart: $rs2, before: $rs"

# ---- the ledgers: every admitted request once, the same exact spend ----
stop_inst 1
stop_inst 2
start_inst 3          # replays the spool the kill -9 left behind
stop_inst 3
got=$(for i in 1 2 3; do
	"$bin" --db "g$i/t.db" report --by tag:virtual_key --format json | python3 -c '
import sys, json
for r in json.load(sys.stdin)["rows"]:
    if r["tag:virtual_key"] == "race-app": print(r["cost"])'
done | dsum)
python3 -c 'import decimal,sys; a,b=map(decimal.Decimal,sys.argv[1:]); assert a==b, (a,b)' "$got" "$spent" ||
	fail "ledgers: race-app spend $got, headers $spent"
# ---- AUTH: the password comes from password_env and never reaches the logs ----
rcli CONFIG SET requirepass 'pw-S3CRET-redis' >/dev/null || fail "CONFIG SET requirepass"
sed 's/^    lease: 2$/    lease: 2\n    password_env: TEST_REDIS_PW/' aicost.yaml >aicost-pw.yaml
grep -q password_env aicost-pw.yaml || fail "could not write the password config"
TEST_REDIS_PW=wrong-password start_inst 4 aicost-pw.yaml
[ "$(metric 4 aicost_gateway_shared_state_up)" = 0 ] || fail "AUTH: connected with a wrong password"
code=$(curl -s -o pw1.b -w '%{http_code}' -H 'Authorization: Bearer sk-big' -d "$BODY" "${url[4]}/v1/chat/completions")
[ "$code" = 503 ] || fail "AUTH: wrong password, budget key got $code"
stop_inst 4
TEST_REDIS_PW=pw-S3CRET-redis start_inst 4 aicost-pw.yaml
[ "$(metric 4 aicost_gateway_shared_state_up)" = 1 ] || fail "AUTH: not connected with the right password: $(tail -n 3 g4/gw.err)"
code=$(curl -s -o pw2.b -w '%{http_code}' -H 'Authorization: Bearer sk-big' -H 'x-stub-latency-ms: 0' -d "$BODY" \
	"${url[4]}/v1/chat/completions")
[ "$code" = 200 ] || fail "AUTH: right password, budget key got $code $(cat pw2.b)"
stop_inst 4
grep -q 'WRONGPASS\|invalid password\|invalid username-password' g4/gw.err || fail "AUTH: the refusal was not reported"
grep -q 'wrong-password\|S3CRET' g4/gw.err && fail "AUTH: the password leaked into stderr"

echo "$NAME: ok (3 instances: race $n_ok of 1000 admitted ($(cat race.dist) per instance), spent $race_spent of 0.006075, Redis and ledgers agree;" \
	"reserve_tokens: overspend $c_over <= bound $c_bound; rpm, parallel, soft alert, lease expiry, fail closed/open, recovery)"
