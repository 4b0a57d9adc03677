#!/bin/bash
# Budgets and rate limits of the gateway against the stand-in upstream:
#   - the budget race: 1,000 concurrent requests (max_tokens given) against a
#     key whose monthly budget covers 100 of them: the spend never passes the
#     limit (in the x-aicost-cost headers and in the ledger), nearly 100 pass
#     (the reservation is tight), the rest get 429 budget_exceeded;
#   - without max_tokens: with the catalog's max_output_tokens reserved the
#     overspend is 0; with gateway.reserve_tokens R it stays within the
#     documented bound, admitted x (output - R) x output price;
#   - the soft limit sends one webhook, however many requests cross it;
#   - rpm, tpm and parallel limits: 429 rate_limit_exceeded with Retry-After;
#   - a restart restores the month's spend from the ledger.
NAME="gateway budget test"
source "$(dirname "$0")/gateway_lib.sh"

start_stub --latency-ms 300
python3 "$root/tests/tools/webhook_receiver.py" --port-file hook.port --log hook.jsonl &
rpid=$!
for _ in $(seq 100); do [ -s hook.port ] && break; sleep 0.05; done
[ -s hook.port ] || fail "webhook receiver did not start"
hook=http://127.0.0.1:$(cat hook.port)/hook/SECRET-TOKEN

# One request: 5 prompt tokens (18 bytes at the stub) x 1.5e-7 + 100 x 6e-7 = 0.00006075.
# The budget of race-app covers exactly 100 of them.
cat >aicost.yaml <<EOF
gateway:
  spool: { dir: spool, segment_seconds: 0.2 }
  upstreams:
    - name: oai
      provider: openai
      base_url: $stub_url
      api_key_env: UPSTREAM_KEY
      models: [gpt-4o-mini]
  keys:
    - name: race-app
      hash: "$(hash_key sk-race)"
      team: race-team
      budgets:
        - { limit: 0.006075, period: month, soft: 0.5, notify: [ "webhook:$hook" ] }
    - name: catalog-app
      hash: "$(hash_key sk-catalog)"
      budget: 0.1
    - name: rpm-app
      hash: "$(hash_key sk-rpm)"
      rpm: 5
    - name: tpm-app
      hash: "$(hash_key sk-tpm)"
      tpm: 100
    - name: par-app
      hash: "$(hash_key sk-par)"
      parallel: 2
EOF
start_gw
BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there friend"}],"max_tokens":100}'
NOMAX='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there friend"}]}'

# ---- the race ----
$client --url "$gw_url/v1/chat/completions" --key sk-race --n 1000 --concurrency 1000 --body "$BODY" --out race.jsonl
python3 "$root/tests/tools/gw_checks.py" race race.jsonl >race.sum || fail "budget race: $(tail -n 3 race.sum)"
read n_ok spent <race.sum

# ---- no max_tokens, the catalog's max_output_tokens reserved (16384 for gpt-4o-mini): no overspend ----
# Each reservation is 31 x 1.5e-7 + 16384 x 6e-7 = 0.00983505: 10 fit in 0.1, and each costs 0.00006075.
$client --url "$gw_url/v1/chat/completions" --key sk-catalog --n 200 --concurrency 200 --body "$NOMAX" \
	--header 'x-stub-tokens: 100' --out cat.jsonl
python3 - cat.jsonl <<'EOF' || fail "catalog reservation"
import json, sys, decimal
rs = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in rs if r["status"] == 200]
assert len(ok) == 10, len(ok)
assert all(r["status"] in (200, 429) for r in rs)
assert sum(decimal.Decimal(r["headers"]["x-aicost-cost"]) for r in ok) <= decimal.Decimal("0.1")
EOF

# ---- soft limit: one alert for the race key (crossed at 50%), however many requests crossed it ----
for _ in $(seq 100); do [ -s hook.jsonl ] && break; sleep 0.05; done
sleep 0.3
[ "$(wc -l <hook.jsonl)" = 1 ] || fail "soft limit webhooks: $(wc -l <hook.jsonl), want 1"
python3 "$root/tests/tools/gw_checks.py" soft-hook hook.jsonl || fail "soft limit payload: $(cat hook.jsonl)"
grep -q SECRET-TOKEN gw.err && fail "the webhook URL's secret leaked into stderr"

# ---- rate limits ----
for i in 1 2 3 4 5 6; do
	curl -s -D rpm$i.h -o rpm$i.b -H 'Authorization: Bearer sk-rpm' -d "$BODY" "$gw_url/v1/chat/completions"
done
for i in 1 2 3 4 5; do head -n 1 rpm$i.h | grep -q ' 200 ' || fail "rpm: request $i refused: $(cat rpm$i.b)"; done
head -n 1 rpm6.h | grep -q ' 429 ' || fail "rpm: the 6th request passed"
grep -q '"type":"rate_limit_exceeded"' rpm6.b || fail "rpm: $(cat rpm6.b)"
ra=$(tr -d '\r' <rpm6.h | sed -n 's/^Retry-After: //p')
# 5 per minute refill one every 12 s; six requests took at least 1.8 s (300 ms each).
[ -n "$ra" ] && [ "$ra" -ge 9 ] && [ "$ra" -le 12 ] || fail "rpm: Retry-After '$ra', want 9..12"

# tpm 100: the estimate (12) + max_tokens (60) fits once; the second waits for the bucket.
T60='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there friend"}],"max_tokens":60}'
curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer sk-tpm' -d "$T60" "$gw_url/v1/chat/completions" >tpm1
curl -s -D tpm2.h -o tpm2.b -H 'Authorization: Bearer sk-tpm' -d "$T60" "$gw_url/v1/chat/completions"
[ "$(cat tpm1)" = 200 ] || fail "tpm: first request $(cat tpm1)"
head -n 1 tpm2.h | grep -q ' 429 ' || fail "tpm: second request passed"
grep -q 'tokens per minute' tpm2.b || fail "tpm: $(cat tpm2.b)"
ra=$(tr -d '\r' <tpm2.h | sed -n 's/^Retry-After: //p')
# After the first: 100 - 72 + (72 - 65 used) = 35 left; 37 more at 100/min take 22.2 s.
[ -n "$ra" ] && [ "$ra" -ge 20 ] && [ "$ra" -le 23 ] || fail "tpm: Retry-After '$ra', want 20..23"

# parallel 2: of 5 at once, 2 pass, 3 get 429 with Retry-After.
$client --url "$gw_url/v1/chat/completions" --key sk-par --n 5 --concurrency 5 --body "$BODY" --out par.jsonl
python3 "$root/tests/tools/gw_checks.py" parallel par.jsonl 5 || fail "parallel: $(head -c 600 par.jsonl)"

# ---- the ledger agrees, and a restart restores the month's spend ----
stop_gw TERM
got=$("$bin" --db t.db report --by tag:virtual_key --format json | python3 -c '
import sys, json, decimal
d = json.load(sys.stdin, parse_float=decimal.Decimal)
print(sum(r["cost"] for r in d["rows"] if r["tag:virtual_key"] == "race-app"))')
python3 -c 'import decimal,sys; a,b=map(decimal.Decimal,sys.argv[1:]); assert a==b and a<=decimal.Decimal("0.006075"), (a,b)' \
	"$got" "$spent" || fail "ledger spend of race-app $got, headers $spent"
start_gw
# 93 spent: 6 more fit (6 x 0.00006465 reserved <= 0.006075 - 93 x 0.00006075), the 7th does not.
$client --url "$gw_url/v1/chat/completions" --key sk-race --n 10 --concurrency 1 --body "$BODY" --out after.jsonl
python3 - after.jsonl "$n_ok" <<'EOF' || fail "after the restart: the spend was not restored"
import json, sys, decimal
D = decimal.Decimal
rs = [json.loads(l) for l in open(sys.argv[1])]
ok = sum(r["status"] == 200 for r in rs)
n = int(sys.argv[2])
room = D("0.006075") - n * D("0.00006075")
# Sequential requests: each reserves 0.00006465 and settles at 0.00006075.
k = 0
while room >= D("0.00006465") and k < 10:
    room -= D("0.00006075")
    k += 1
assert ok == k, (ok, k)
EOF
stop_gw TERM

# ---- no max_tokens with gateway.reserve_tokens 50: the documented bound ----
# Each request reserves 31 x 1.5e-7 + 50 x 6e-7 = 0.00003465 but costs 0.00006075 (100 tokens out):
# overspend <= admitted x (100 - 50) x 6e-7.
sed -i 's/^gateway:$/gateway:\n  reserve_tokens: 50/' aicost.yaml
printf '    - name: capped-app\n      hash: "%s"\n      budget: 0.006075\n' "$(hash_key sk-capped)" >>aicost.yaml
start_gw
$client --url "$gw_url/v1/chat/completions" --key sk-capped --n 1000 --concurrency 1000 --body "$NOMAX" \
	--header 'x-stub-tokens: 100' --out capped.jsonl
python3 "$root/tests/tools/gw_checks.py" capped capped.jsonl >capped.sum || fail "reserve_tokens bound: $(cat capped.sum)"
stop_gw TERM
read c_ok c_spent c_over c_bound <capped.sum
echo "gateway budget test: ok ($n_ok of 1000 admitted, spent $spent of 0.006075; reserve_tokens: overspend $c_over <= bound $c_bound)"
