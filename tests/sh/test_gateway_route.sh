#!/bin/bash
# Routing, retries, fallback and cooldown of the gateway, against llm_stub.
# Failing upstreams are the same stub driven by per-upstream headers
# (upstreams[].headers: x-stub-status, x-stub-latency-ms, x-stub-reset-after)
# or a closed port; the stub's per-model counters tell which deployment
# served each attempt.
#   - 503: retried on the same deployment, then the fallback serves it;
#   - 429: no retry, straight to the fallback; connection refused, a
#     timeout and a reset before the headers fall back too (streams as well);
#   - allowed_fails failures put a deployment in cooldown: it is skipped;
#   - nothing left: 502 upstream_error, or 504 after a timeout;
#   - rules by team, metadata and prompt size; the cheapest of equivalent
#     deployments; a downgrade to a cheaper model near the key's budget.
NAME="gateway route test"
source "$(dirname "$0")/gateway_lib.sh"

start_stub
up() { # NAME [extra yaml lines]
	printf '    - name: %s\n      provider: openai\n      base_url: %s\n      api_key_env: UPSTREAM_KEY\n' "$1" "$stub_url"
}
cat >aicost.yaml <<EOF
gateway:
  spool: { dir: spool }
  upstreams:
$(up u503)
      headers: { x-stub-status: "503" }
      retries: 1
      allowed_fails: 2
      cooldown: 60
      models: { a: { model: a-primary, price_as: gpt-4o-mini }, g: { model: g-only, price_as: gpt-4o-mini } }
$(up u429)
      headers: { x-stub-status: "429" }
      models: { b: { model: b-primary, price_as: gpt-4o-mini } }
    - name: dead
      provider: openai
      base_url: http://127.0.0.1:1
      connect_timeout: 1
      models: { c: { model: c-primary, price_as: gpt-4o-mini } }
$(up slow)
      headers: { x-stub-latency-ms: "3000" }
      timeout: 0.3
      retries: 0
      models: { d: { model: d-primary, price_as: gpt-4o-mini }, h: { model: h-only, price_as: gpt-4o-mini } }
$(up resetter)
      headers: { x-stub-reset-after: "0" }
      retries: 0
      models: { e: { model: e-primary, price_as: gpt-4o-mini } }
$(up good)
      models:
        a: { model: a-backup, price_as: gpt-4o-mini }
        b: { model: b-backup, price_as: gpt-4o-mini }
        c: { model: c-backup, price_as: gpt-4o-mini }
        d: { model: d-backup, price_as: gpt-4o-mini }
        e: { model: e-backup, price_as: gpt-4o-mini }
        eq: { model: eq-dear, price_as: gpt-4o }
        gpt-4o: gpt-4o
        gpt-4o-mini: gpt-4o-mini
$(up good2)
      models: { eq: { model: eq-cheap, price_as: gpt-4o-mini } }
  keys:
    - name: app
      hash: "$(hash_key sk-app)"
      team: product
    - name: researcher
      hash: "$(hash_key sk-research)"
      team: research
    - name: thrifty
      hash: "$(hash_key sk-thrifty)"
      budget: 0.0005
  routes:
    - name: research-saves
      match: { team: research, model: "gpt-4o*" }
      targets: [gpt-4o-mini]
    - name: batch
      match: { metadata: { use_case: "batch-*" } }
      targets: [gpt-4o-mini]
    - name: long-prompts
      match: { model: gpt-4o-mini, prompt_tokens_min: 500 }
      targets: [gpt-4o]
    - name: thrifty-downgrade
      match: { key: thrifty }
      downgrade: { at: 0.5, to: [gpt-4o-mini] }
EOF
start_gw

ask() { # NAME MODEL [KEY] [extra JSON members] [curl args]: status in $st, route in $route
	local n=$1 m=$2 k=${3:-sk-app} x=${4:-}
	shift 4 2>/dev/null || shift $#
	curl -s -D "$n.h" -o "$n.b" -H "Authorization: Bearer $k" "$@" \
		-d "{\"model\":\"$m\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there friend\"}],\"max_tokens\":4$x}" \
		"$gw_url/v1/chat/completions"
	st=$(head -n 1 "$n.h" | cut -d' ' -f2)
	route=$(tr -d '\r' <"$n.h" | sed -n 's/^x-aicost-route: //p')
}
models() { curl -s "$stub_url/stub/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["by_model"].get(sys.argv[1],0))' "$1"; }

ask a1 a
[ "$st" = 200 ] && [ "$route" = good/a ] || fail "503 fallback: $st $route $(cat a1.b)"
[ "$(models a-primary)" = 2 ] && [ "$(models a-backup)" = 1 ] || fail "503: primary tried $(models a-primary)x (want 2: one retry), backup $(models a-backup)x"
# Two failures (allowed_fails) put u503/a in cooldown: the next request goes to the backup directly.
ask a2 a
[ "$st" = 200 ] && [ "$route" = good/a ] || fail "cooldown: $st $route"
[ "$(models a-primary)" = 2 ] || fail "cooldown: the primary was tried again ($(models a-primary))"
curl -s "$gw_url/metrics" | grep -q '^aicost_gateway_deployment_cooldown{deployment="u503/a"} 1$' || fail "cooldown gauge"

ask b1 b
[ "$st" = 200 ] && [ "$route" = good/b ] || fail "429 fallback: $st $route"
[ "$(models b-primary)" = 1 ] || fail "429 was retried on the same deployment ($(models b-primary))"

ask c1 c
[ "$st" = 200 ] && [ "$route" = good/c ] || fail "connection refused fallback: $st $route $(cat c1.b)"

t0=$(date +%s%N)
ask d1 d
t1=$(date +%s%N)
[ "$st" = 200 ] && [ "$route" = good/d ] || fail "timeout fallback: $st $route"
[ $(((t1 - t0) / 1000000)) -lt 2000 ] || fail "the timeout fallback took $(((t1 - t0) / 1000000)) ms"

ask e1 e
[ "$st" = 200 ] && [ "$route" = good/e ] || fail "reset fallback: $st $route $(cat e1.b)"

# A stream falls back too while nothing has been sent to the client.
$client --url "$gw_url/v1/chat/completions" --key sk-app --out bs.jsonl \
	--body '{"model":"b","messages":[{"role":"user","content":"hi"}],"max_tokens":2,"stream":true}'
python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); assert r["status"]==200 and r["complete"] and r["headers"]["x-aicost-route"]=="good/b" and r["events"][-1]=="[DONE]", r' bs.jsonl ||
	fail "stream fallback: $(cat bs.jsonl)"

# Nothing left: 502 after 5xx, 504 after a timeout, in the OpenAI error shape.
ask g1 g
[ "$st" = 502 ] && grep -q '"type":"upstream_error"' g1.b || fail "no fallback left: $st $(cat g1.b)"
ask h1 h
[ "$st" = 504 ] && grep -q '"code":"upstream_timeout"' h1.b || fail "timeout, no fallback left: $st $(cat h1.b)"

# The cheapest of equivalent deployments (eq: gpt-4o prices on good, gpt-4o-mini prices on good2).
ask q1 eq
[ "$st" = 200 ] && [ "$route" = good2/eq ] || fail "cheapest: $st $route"
[ "$(models eq-cheap)" = 1 ] && [ "$(models eq-dear)" = 0 ] || fail "cheapest: the dear deployment served"

# Rules: team, metadata, prompt size.
ask r1 gpt-4o sk-research
[ "$route" = good/gpt-4o-mini ] || fail "team rule: $route"
ask r2 gpt-4o sk-app
[ "$route" = good/gpt-4o ] || fail "no rule for team product: $route"
ask r3 gpt-4o sk-app ',"metadata":{"use_case":"batch-nightly"}'
[ "$route" = good/gpt-4o-mini ] || fail "metadata rule: $route"
long=$(head -c 3000 /dev/zero | tr '\0' x)
curl -s -D r4.h -o r4.b -H 'Authorization: Bearer sk-app' \
	-d "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"$long\"}],\"max_tokens\":2}" "$gw_url/v1/chat/completions"
tr -d '\r' <r4.h | grep -q '^x-aicost-route: good/gpt-4o$' || fail "prompt size rule: $(grep -i route r4.h)"

# Downgrade: gpt-4o costs 5 x 2.5e-6 + 4 x 1e-5 = 0.0000525 a request; from 50% of 0.0005 on, gpt-4o-mini.
n=0
for i in $(seq 8); do
	ask t$i gpt-4o sk-thrifty
	[ "$st" = 200 ] || fail "thrifty request $i: $st $(cat t$i.b)"
	[ "$route" = good/gpt-4o ] && n=$((n + 1))
done
# 4 x 0.0000525 = 0.00021 < 0.00025 <= 5 x 0.0000525: the 6th and later are downgraded.
[ "$n" = 5 ] || fail "downgrade: $n requests on gpt-4o before the downgrade, want 5"
[ "$route" = good/gpt-4o-mini ] || fail "downgrade: last route $route"
curl -s "$gw_url/metrics" >m.txt
grep -q '^aicost_gateway_fallbacks_total [1-9]' m.txt && grep -q '^aicost_gateway_retries_total [1-9]' m.txt ||
	fail "metrics: fallbacks/retries: $(grep -E 'fallbacks|retries' m.txt)"
grep -q '^aicost_gateway_upstream_attempts_total{deployment="u503/a",result="failed"} 2$' m.txt &&
	grep -q '^aicost_gateway_upstream_attempts_total{deployment="good/a",result="ok"} 2$' m.txt ||
	fail "metrics: attempts by deployment: $(grep 'attempts_total{deployment="[a-z0-9]*/a"' m.txt)"
stop_gw TERM
echo "gateway route test: ok"
