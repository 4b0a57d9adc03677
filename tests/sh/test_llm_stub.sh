#!/bin/bash
# The stand-in upstream (tests/upstream/llm_stub) pinned with curl:
#   - every endpoint's bytes (status line, headers but Date, body), stream and
#     non-stream, against tests/upstream/golden/NAME (UPDATE=1 rewrites them;
#     read the diff before committing);
#   - the deterministic token counts, auth and provider error shapes;
#   - control headers: latency, mid-stream RST, mid-stream error event;
#   - each stream chunk is its own HTTP chunk (one SSE event per chunk);
#   - keep-alive, client disconnects, /stub/stats, /stub/last, /stub/reset.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build/rel}
stub=$root/$BUILD/tests/llm_stub
gold=$root/tests/upstream/golden
tmp=$(mktemp -d)
spid=
cleanup() { [ -n "$spid" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "llm_stub test: FAIL: $*"; exit 1; }
[ -x "$stub" ] || fail "$stub not built (make stub)"

"$stub" --listen 127.0.0.1:0 --quiet --created 1700000000 --key sk-stub-key --chunks 4 >"$tmp/listen" 2>"$tmp/err" &
spid=$!
for _ in $(seq 100); do grep -q '^listening ' "$tmp/listen" 2>/dev/null && break; sleep 0.05; done
grep -q '^listening 127.0.0.1:[0-9]*$' "$tmp/listen" || fail "no 'listening' line: $(cat "$tmp/listen" "$tmp/err")"
url=http://$(sed 's/^listening //' "$tmp/listen")

OA=(-H 'Authorization: Bearer sk-stub-key' -H 'Content-Type: application/json')
AN=(-H 'x-api-key: sk-stub-key' -H 'anthropic-version: 2023-06-01' -H 'Content-Type: application/json')
AZ=(-H 'api-key: sk-stub-key' -H 'Content-Type: application/json')
CHAT='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hello there, how are you?"}]}]'
MSG='{"model":"claude-sonnet-4-5","system":"Be brief.","messages":[{"role":"user","content":"Hello there, how are you?"}]'

checked=0
# check NAME CURL-ARGS...: the response (headers but Date, CR stripped) equals the golden file
check() {
	local name=$1
	shift
	curl -s -i "$@" | tr -d '\r' | sed '/^Date: /d' >"$tmp/$name"
	if [ "${UPDATE:-}" = 1 ]; then
		mkdir -p "$gold"
		cp "$tmp/$name" "$gold/$name"
	elif ! diff -u "$gold/$name" "$tmp/$name" >"$tmp/diff"; then
		head -n 40 "$tmp/diff"
		fail "$name differs from tests/upstream/golden/$name"
	fi
	checked=$((checked + 1))
}

# OpenAI. Prompt: "Be brief." (9) + "Hello there, how are you?" (25) = 34 bytes -> 9 tokens.
check openai_chat "${OA[@]}" -d "$CHAT,\"max_tokens\":5}" "$url/v1/chat/completions"
check openai_chat_stream "${OA[@]}" -d "$CHAT,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_completion_tokens\":3}" "$url/v1/chat/completions"
check openai_chat_stream_nousage "${OA[@]}" -H 'x-stub-tokens: 2' -d "$CHAT,\"stream\":true}" "$url/v1/chat/completions"
check openai_completions "${OA[@]}" -d '{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test"}' "$url/v1/completions"
check openai_completions_stream "${OA[@]}" -d '{"model":"gpt-3.5-turbo-instruct","prompt":["Say this","is a test"],"max_tokens":2,"stream":true,"stream_options":{"include_usage":true}}' "$url/v1/completions"
check openai_embeddings "${OA[@]}" -d '{"model":"text-embedding-3-small","input":["The food was delicious","the FOOD was delicious!"],"dimensions":8}' "$url/v1/embeddings"
check openai_embeddings_b64 "${OA[@]}" -d '{"model":"text-embedding-3-small","input":"The food was delicious","dimensions":4,"encoding_format":"base64"}' "$url/v1/embeddings"
check openai_models "${OA[@]}" "$url/v1/models"
# errors
check openai_401_missing -H 'Content-Type: application/json' -d "$CHAT}" "$url/v1/chat/completions"
check openai_401_wrong -H 'Authorization: Bearer sk-wrong-key-1234' -d "$CHAT}" "$url/v1/chat/completions"
check openai_400_json "${OA[@]}" -d '{"model":' "$url/v1/chat/completions"
check openai_400_messages "${OA[@]}" -d '{"model":"gpt-4o"}' "$url/v1/chat/completions"
check openai_404_url "${OA[@]}" "$url/v1/nothing"
check openai_429 "${OA[@]}" -H 'x-stub-status: 429' -H 'x-stub-retry-after: 7' -d "$CHAT,\"stream\":true}" "$url/v1/chat/completions"
check openai_500 "${OA[@]}" -H 'x-stub-status: 500' -d "$CHAT}" "$url/v1/chat/completions"
check openai_502 "${OA[@]}" -H 'x-stub-status: 502' -d "$CHAT}" "$url/v1/chat/completions"
check openai_503 "${OA[@]}" -H 'x-stub-status: 503' -d "$CHAT}" "$url/v1/chat/completions"
check openai_stream_error "${OA[@]}" -H 'x-stub-error-after: 2' -d "$CHAT,\"stream\":true}" "$url/v1/chat/completions"

# Azure OpenAI
AZP=/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21
check azure_chat "${AZ[@]}" -d '{"messages":[{"role":"user","content":"Hello there, how are you?"}],"max_tokens":2}' "$url$AZP"
check azure_chat_stream "${AZ[@]}" -d '{"messages":[{"role":"user","content":"Hello there, how are you?"}],"max_tokens":2,"stream":true,"stream_options":{"include_usage":true}}' "$url$AZP"
check azure_404_noversion "${AZ[@]}" -d '{"messages":[]}' "$url/openai/deployments/prod-gpt4o/chat/completions"
check azure_401 -H 'api-key: nope' -d '{"messages":[]}' "$url$AZP"
check azure_429 "${AZ[@]}" -H 'x-stub-status: 429' -d '{"messages":[]}' "$url$AZP"

# Anthropic. Prompt: 9 + 25 = 34 bytes -> 9 tokens.
check anthropic "${AN[@]}" -d "$MSG,\"max_tokens\":5}" "$url/v1/messages"
check anthropic_stream "${AN[@]}" -d "$MSG,\"max_tokens\":1024,\"stream\":true}" -H 'x-stub-tokens: 3' "$url/v1/messages"
check anthropic_401 -H 'anthropic-version: 2023-06-01' -d "$MSG,\"max_tokens\":5}" "$url/v1/messages"
check anthropic_400_version -H 'x-api-key: sk-stub-key' -d "$MSG,\"max_tokens\":5}" "$url/v1/messages"
check anthropic_400_max_tokens "${AN[@]}" -d "$MSG}" "$url/v1/messages"
check anthropic_429 "${AN[@]}" -H 'x-stub-status: 429' -d "$MSG,\"max_tokens\":5}" "$url/v1/messages"
check anthropic_529 "${AN[@]}" -H 'x-stub-status: 529' -d "$MSG,\"max_tokens\":5}" "$url/v1/messages"
check anthropic_stream_error "${AN[@]}" -H 'x-stub-error-after: 3' -d "$MSG,\"max_tokens\":5,\"stream\":true}" "$url/v1/messages"

# Cache and reasoning splits of the usage.
check openai_chat_cached "${OA[@]}" -H 'x-stub-cached-tokens: 4' -H 'x-stub-reasoning-tokens: 2' -d "$CHAT,\"max_tokens\":3}" "$url/v1/chat/completions"
check anthropic_cached_stream "${AN[@]}" -H 'x-stub-cached-tokens: 3' -H 'x-stub-cache-write-tokens: 2' -d "$MSG,\"max_tokens\":2,\"stream\":true}" "$url/v1/messages"

# The golden files hold what a reader expects; spot-check the contract in them
# so a careless UPDATE=1 cannot pin a wrong count.
grep -q '"prompt_tokens": 9,' "$gold/openai_chat" || fail "chat prompt_tokens is not ceil(34/4)=9"
grep -q '"content": "alpha bravo charlie delta echo",' "$gold/openai_chat" || fail "chat reply is not 5 words"
grep -q '"finish_reason": "length"' "$gold/openai_chat" || fail "max_tokens reply should end with length"
[ "$(grep -c '^data: ' "$gold/openai_chat_stream")" = 7 ] || fail "stream: role + 3 tokens + finish + usage + DONE"
grep -q '"choices":\[\],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12' "$gold/openai_chat_stream" || fail "usage chunk"
grep -q '"usage"' "$gold/openai_chat_stream_nousage" && fail "no usage without include_usage"
[ "$(grep -c '"delta":{"content"' "$gold/openai_chat_stream_nousage")" = 2 ] || fail "x-stub-tokens: 2"
tail -n 2 "$gold/openai_chat_stream" | head -n 1 | grep -qx 'data: \[DONE\]' || fail "stream ends with [DONE]"
grep -q '^retry-after: 7$' "$gold/openai_429" || fail "429 retry-after"
grep -q '"output_tokens":3}' "$gold/anthropic_stream" || fail "anthropic message_delta cumulative output_tokens"
grep -q '^event: error$' "$gold/anthropic_stream_error" || fail "anthropic error event"
[ "$(grep -c '^event: ' "$gold/anthropic_stream")" = 9 ] || fail "anthropic stream: 6 framing events + 3 deltas"
grep -q '"cached_tokens": 4,' "$gold/openai_chat_cached" && grep -q '"reasoning_tokens": 2,' "$gold/openai_chat_cached" ||
	fail "x-stub-cached-tokens / x-stub-reasoning-tokens"
[ "$(grep -c '"input_tokens":4,"cache_creation_input_tokens":2,"cache_read_input_tokens":3' "$gold/anthropic_cached_stream")" = 2 ] ||
	fail "anthropic cache split: input_tokens leave out cache reads and writes (9 = 4 + 2 + 3)"

# Each chunk is its own HTTP chunk: with --raw, curl shows the chunk framing;
# every chunk must carry exactly one SSE event.
curl -s --raw "${OA[@]}" -d "$CHAT,\"stream\":true,\"max_tokens\":6}" "$url/v1/chat/completions" | tr -d '\r' >"$tmp/raw"
python3 - "$tmp/raw" <<'EOF' || fail "stream chunk framing"
import sys
raw = open(sys.argv[1], "rb").read()
i, chunks = 0, []
while True:
    j = raw.index(b"\n", i)
    n = int(raw[i:j], 16)
    if n == 0:
        break
    chunks.append(raw[j + 1:j + 1 + n])
    i = j + 1 + n + 1
assert len(chunks) == 6 + 3, len(chunks)  # role, 6 tokens, finish, [DONE]
for c in chunks:
    assert c.startswith(b"data: ") and c.endswith(b"\n\n") and c.count(b"\n\n") == 1, c
EOF

# Latency: x-stub-latency-ms delays the response headers.
t0=$(date +%s%N)
curl -s -o /dev/null "${OA[@]}" -H 'x-stub-latency-ms: 300' -d "$CHAT}" "$url/v1/chat/completions"
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -ge 300 ] || fail "x-stub-latency-ms: 300 answered in $(((t1 - t0) / 1000000)) ms"

# Mid-stream reset: two chunks, then a RST (curl: 56, connection reset).
curl -sN "${OA[@]}" -H 'x-stub-reset-after: 2' -d "$CHAT,\"stream\":true}" "$url/v1/chat/completions" >"$tmp/reset" 2>/dev/null
rc=$?
[ $rc = 56 ] || fail "x-stub-reset-after: curl exit $rc, want 56 (reset)"
[ "$(grep -c '^data: ' "$tmp/reset")" = 2 ] || fail "x-stub-reset-after: 2 chunks before the reset"

# A non-stream request with x-stub-reset-after gets a RST and no answer.
curl -s "${OA[@]}" -H 'x-stub-reset-after: 0' -d "$CHAT}" "$url/v1/chat/completions" >"$tmp/reset2" 2>/dev/null
rc=$?
[ $rc = 56 ] && [ ! -s "$tmp/reset2" ] || fail "non-stream x-stub-reset-after: curl exit $rc, want 56 and no bytes"

# The client drops a slow stream: the stub notices and counts it.
curl -sN -m 0.5 "${OA[@]}" -H 'x-stub-chunk-delay-ms: 200' -d "$CHAT,\"stream\":true,\"max_tokens\":50}" "$url/v1/chat/completions" >/dev/null 2>&1
sleep 0.5

# Keep-alive: two requests on one connection.
curl -sv -o /dev/null -o /dev/null "${OA[@]}" -d "$CHAT}" "$url/v1/chat/completions" "$url/v1/chat/completions" 2>"$tmp/ka"
grep -qi 're-using existing connection' "$tmp/ka" || fail "keep-alive: the second request did not reuse the connection"

# /stub/last: the last API request, headers lower-cased, body parsed.
curl -s "${OA[@]}" -H 'x-stub-custom: passthrough' -d '{"model":"m1","messages":[{"role":"user","content":"abcd"}],"max_tokens":1}' "$url/v1/chat/completions" >/dev/null
curl -s "$url/stub/last" >"$tmp/last"
python3 - "$tmp/last" <<'EOF' || fail "/stub/last: $(cat "$tmp/last")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["method"] == "POST" and j["uri"] == "/v1/chat/completions", j
assert j["headers"]["x-stub-custom"] == "passthrough", j
assert j["json"]["model"] == "m1", j
EOF

# /stub/stats: exact counts of everything above.
curl -s "$url/stub/stats" >"$tmp/stats"
python3 - "$tmp/stats" <<'EOF' || fail "/stub/stats: $(cat "$tmp/stats")"
import json, sys
s = json.load(open(sys.argv[1]))
want = {
    "requests": 41, "ok": 23, "errors": 7, "unauthorized": 4, "bad_requests": 4,
    "streams": 11, "streams_completed": 9, "resets": 2, "stream_errors": 2, "client_disconnects": 1,
}
for k, v in want.items():
    assert s[k] == v, (k, s[k], v)
assert s["by_path"]["/v1/messages"] == 9, s["by_path"]
assert s["by_path"]["/openai/deployments/{deployment}/chat/completions"] == 5, s["by_path"]
assert s["by_path"]["other"] == 1, s["by_path"]
assert s["by_model"]["m1"] == 1, s["by_model"]
EOF
# Odd bodies get the provider's 400 or a normal answer, never a crash.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
deep=$(python3 -c 'print("[" * 5000 + "]" * 5000)')
for b in '{"model":"m","messages":"x"}' '{"model":7,"messages":[]}' "{\"model\":\"m\",\"messages\":$deep}" '[]' '' \
	'{"model":"m","messages":[],"max_tokens":0}' '{"model":"m","messages":[],"max_tokens":1e99}'; do
	[ "$(code "${OA[@]}" -d "$b" "$url/v1/chat/completions")" = 400 ] || fail "chat body ${b:0:40}: want 400"
done
for b in '{"model":"m","messages":[{"role":"user","content":[1,{"text":5},{"type":"image_url"},null]}],"max_tokens":1}' \
	'{"model":"m","messages":[{}],"max_tokens":1,"stream_options":7}'; do
	[ "$(code "${OA[@]}" -d "$b" "$url/v1/chat/completions")" = 200 ] || fail "chat body ${b:0:40}: want 200"
done
for b in '{"model":"e","input":[]}' '{"model":"e","input":"x","dimensions":0}' '{"model":"e","input":{"a":1}}'; do
	[ "$(code "${OA[@]}" -d "$b" "$url/v1/embeddings")" = 400 ] || fail "embeddings body $b: want 400"
done
[ "$(code "${OA[@]}" -d '{"model":"e","input":[[1,2,3]]}' "$url/v1/embeddings")" = 200 ] || fail "token-array embeddings"
[ "$(code "${OA[@]}" -d '{"model":"e","input":[1,2,3]}' "$url/v1/embeddings")" = 200 ] || fail "token-id embeddings"

curl -s -X POST "$url/stub/reset" | grep -q '"ok":true' || fail "/stub/reset"
[ "$(curl -s "$url/stub/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')" = 0 ] || fail "stats not reset"

kill "$spid"
wait "$spid"
rc=$?
spid=
[ $rc = 0 ] || fail "llm_stub exited $rc on SIGTERM"
echo "llm_stub test: ok ($checked golden responses)"
