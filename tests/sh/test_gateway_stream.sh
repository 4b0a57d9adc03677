#!/bin/bash
# Streams through the gateway, against llm_stub:
#   - a client that drops an OpenAI stream is billed for what was delivered:
#     the prompt estimate plus one output token per content chunk relayed;
#     the upstream transfer is cancelled;
#   - a dropped Anthropic stream: input exact from message_start, output
#     as relayed;
#   - an upstream reset mid-stream: the client sees a truncated response
#     (no clean end), the record bills exactly the chunks it got;
#   - 200 concurrent streams each end with [DONE] and the right cost trailer;
#   - all of it reaches the ledger.
NAME="gateway stream test"
source "$(dirname "$0")/gateway_lib.sh"

start_stub --chunk-delay-ms 25
cat >aicost.yaml <<EOF
gateway:
  spool: { dir: spool, segment_seconds: 0.2 }
  request_log: requests
  upstreams:
    - name: oai
      provider: openai
      base_url: $stub_url
      api_key_env: UPSTREAM_KEY
      models: [gpt-4o-mini]
    - name: ant
      provider: anthropic
      base_url: $stub_url
      api_key_env: UPSTREAM_KEY
      models: [claude-3-5-haiku-20241022]
  keys:
    - name: streamer
      hash: "$(hash_key sk-stream)"
EOF
start_gw
MSG='"messages":[{"role":"user","content":"hello there friend"}]'

# OpenAI: drop after 6 events (the role chunk, then 5 words) of 40.
$client --url "$gw_url/v1/chat/completions" --key sk-stream --drop-after 6 --out drop.jsonl \
	--body "{\"model\":\"gpt-4o-mini\",$MSG,\"max_tokens\":40,\"stream\":true}"
drop_id=$(python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); assert r["error"]=="dropped", r; print(r["headers"]["x-aicost-request-id"])' drop.jsonl) ||
	fail "the drop did not happen: $(cat drop.jsonl)"
# Anthropic: drop after 6 events (message_start, content_block_start, ping, 3 deltas) of 40.
ANT='-H anthropic-version:2023-06-01'
$client --url "$gw_url/v1/messages" --key sk-stream --drop-after 6 --header 'anthropic-version: 2023-06-01' --out adrop.jsonl \
	--body "{\"model\":\"claude-3-5-haiku-20241022\",$MSG,\"max_tokens\":40,\"stream\":true}"
adrop_id=$(python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); assert r["error"]=="dropped", r; print(r["headers"]["x-aicost-request-id"])' adrop.jsonl) ||
	fail "the anthropic drop did not happen: $(cat adrop.jsonl)"
# Upstream reset after 4 chunks.
$client --url "$gw_url/v1/chat/completions" --key sk-stream --header 'x-stub-reset-after: 4' --out reset.jsonl \
	--body "{\"model\":\"gpt-4o-mini\",$MSG,\"max_tokens\":40,\"stream\":true}"
python3 - reset.jsonl <<'EOF' >reset.info || fail "upstream reset: $(cat reset.jsonl)"
import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["status"] == 200 and not r["complete"], "a reset stream ended cleanly for the client"
words = sum(1 for e in r["events"] if e != "[DONE]" and json.loads(e)["choices"] and json.loads(e)["choices"][0]["delta"].get("content"))
print(r["headers"]["x-aicost-request-id"], words)
EOF
read reset_id reset_words <reset.info
sleep 0.3
stats=$(curl -s "$stub_url/stub/stats")
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["client_disconnects"]>=2, d' "$stats" ||
	fail "the upstream streams of dropped clients were not cancelled: $stats"

# 200 concurrent streams.
$client --url "$gw_url/v1/chat/completions" --key sk-stream --n 200 --concurrency 200 --out many.jsonl \
	--body "{\"model\":\"gpt-4o-mini\",$MSG,\"max_tokens\":6,\"stream\":true}"
python3 - many.jsonl <<'EOF' || fail "concurrent streams"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert len(rs) == 200
for r in rs:
    assert r["status"] == 200 and r["complete"] and r["events"][-1] == "[DONE]", r
    assert r["trailers"]["x-aicost-cost"] == "0.00000435", r["trailers"]   # 5 x 1.5e-7 + 6 x 6e-7
    assert len(r["events"]) == 9, len(r["events"])                         # role, 6 words, finish, [DONE]
EOF
grep -q '^aicost_gateway_client_closed_total 2$' <(curl -s "$gw_url/metrics") || fail "metrics: client_closed"

stop_gw TERM
cat requests/seg-*.jsonl >log.jsonl
python3 - log.jsonl "$drop_id" "$adrop_id" "$reset_id" "$reset_words" <<'EOF' || fail "records of cut streams"
import json, sys, decimal
D = decimal.Decimal
recs = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    recs[r["id"]] = r
d = recs[sys.argv[2]]
assert d["outcome"] == "client_closed" and d["status"] == 200, d
u = d["usage"]
# The prompt estimate: (22 bytes + 3) / 4 + 3 per message object + 3 = 12 tokens.
assert u["prompt_tokens"] == 12, u
assert 5 <= u["completion_tokens"] <= 7, u
assert D(str(d["cost"])) == 12 * D("1.5e-7") + u["completion_tokens"] * D("6e-7"), d
a = recs[sys.argv[3]]
assert a["outcome"] == "client_closed" and a["usage"]["input_tokens"] == 5, a
assert 3 <= a["usage"]["output_tokens"] <= 5, a
x = recs[sys.argv[4]]
assert x["outcome"] == "upstream_reset", x
assert x["usage"]["completion_tokens"] == int(sys.argv[5]), (x["usage"], sys.argv[5])
EOF
got=$(ledger_total)
want=$(python3 -c '
import json, sys, decimal
print(sum((decimal.Decimal(str(json.loads(l)["cost"])) for l in open(sys.argv[1]) if json.loads(l)["usage"]), decimal.Decimal(0)).normalize())' log.jsonl)
[ "$got" = "$want" ] || fail "ledger $got, request log $want"
echo "gateway stream test: ok"
