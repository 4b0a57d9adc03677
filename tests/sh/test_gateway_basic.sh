#!/bin/bash
# The gateway against the stand-in upstream (llm_stub), one request of each kind:
#   - OpenAI chat (non-stream, stream with and without include_usage), completions,
#     embeddings, Anthropic messages (stream and not), Azure OpenAI deployments;
#   - exact x-aicost-cost from the catalog and the stub's deterministic usage,
#     x-aicost-cache / x-aicost-route / x-aicost-request-id headers, the cost
#     trailer on streams, the injected usage chunk hidden from a client that did
#     not ask for it, the upstream key (not the virtual key) sent upstream,
#     x-stub-* headers passed through;
#   - refusals in the OpenAI error shape: 401, 400 (bad JSON, too deep), 413,
#     403 (model not allowed), 404 (model, path), 405, upstream 400 passed on;
#   - GET /v1/models, /metrics;
#   - after a clean stop: the ledger total equals the sum of the x-aicost-cost
#     values exactly, with one record per metered request in the request log.
NAME="gateway basic test"
source "$(dirname "$0")/gateway_lib.sh"

start_stub
KEY=sk-aicost-basic-1
cat >aicost.yaml <<EOF
allocation:
  dimensions:
    team: { tags: [team] }
gateway:
  max_request_bytes: 20000
  max_json_depth: 32
  spool: { dir: spool, segment_seconds: 0.2 }
  request_log: requests
  upstreams:
    - name: oai
      provider: openai
      base_url: $stub_url/v1
      api_key_env: UPSTREAM_KEY
      models: [gpt-4o-mini, gpt-3.5-turbo-instruct, text-embedding-3-small]
    - name: ant
      provider: anthropic
      base_url: $stub_url
      api_key_env: UPSTREAM_KEY
      models: [claude-3-5-haiku-20241022]
    - name: az
      provider: azure-openai
      base_url: $stub_url
      api_key_env: UPSTREAM_KEY
      models: { gpt-4o: prod-gpt4o }
  keys:
    - name: basic-app
      hash: "$(hash_key $KEY)"
      team: fraud-detection
      project: scoring
      models: [gpt-4o-mini, gpt-3.5-turbo-instruct, text-embedding-3-small, claude-*, gpt-4o]
    - name: narrow
      hash: "$(hash_key sk-aicost-narrow)"
      models: [gpt-4o-mini]
EOF
start_gw

AUTH=(-H "Authorization: Bearer $KEY")
MSG='"messages":[{"role":"user","content":"hello there friend"}]'    # 18 bytes: 5 prompt tokens at the stub
hdr() { tr -d '\r' <"$1" | grep -i "^$2:" | head -n 1 | sed 's/^[^:]*: *//'; }
costs=$tmp/costs
: >"$costs"
req() { # NAME PATH BODY [curl args]: response in NAME.h / NAME.b
	local n=$1 p=$2 b=$3
	shift 3
	curl -s -D "$n.h" -o "$n.b" "$@" -d "$b" "$gw_url$p"
	st=$(head -n 1 "$n.h" | cut -d' ' -f2)
}

# Non-stream chat: 5 x 1.5e-7 + 5 x 6e-7 (gpt-4o-mini in the catalog).
req chat /v1/chat/completions "{\"model\":\"gpt-4o-mini\",$MSG,\"max_tokens\":5}" "${AUTH[@]}"
[ "$st" = 200 ] || fail "chat: status $st: $(cat chat.b)"
[ "$(hdr chat.h x-aicost-cost)" = 0.00000375 ] || fail "chat cost $(hdr chat.h x-aicost-cost), want 0.00000375"
[ "$(hdr chat.h x-aicost-cache)" = miss ] || fail "chat: x-aicost-cache $(hdr chat.h x-aicost-cache)"
[ "$(hdr chat.h x-aicost-route)" = oai/gpt-4o-mini ] || fail "chat: x-aicost-route $(hdr chat.h x-aicost-route)"
[ -n "$(hdr chat.h x-aicost-request-id)" ] || fail "chat: no x-aicost-request-id"
grep -q '"completion_tokens": *5' chat.b || fail "chat: the upstream body was not relayed: $(cat chat.b)"
hdr chat.h x-aicost-cost >>"$costs"
# The upstream saw the gateway's upstream key, not the client's virtual key.
curl -s "$stub_url/stub/last" >last.json
python3 - last.json "$KEY" <<'EOF' || fail "the upstream request carried the wrong credentials"
import json, sys
d = json.load(open(sys.argv[1]))
h = d["headers"]
assert h.get("authorization") == "Bearer sk-upstream-secret", h
assert sys.argv[2] not in json.dumps(d), "virtual key leaked upstream"
EOF

# Stream without include_usage: usage injected upstream, hidden from the client, cost in the trailer.
$client --url "$gw_url/v1/chat/completions" --key $KEY --out s1.jsonl \
	--body "{\"model\":\"gpt-4o-mini\",$MSG,\"max_tokens\":3,\"stream\":true}"
python3 - s1.jsonl <<'EOF' || fail "stream without include_usage: $(cat s1.jsonl)"
import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["status"] == 200 and r["complete"], r
ev = r["events"]
assert ev[-1] == "[DONE]", ev[-1]
chunks = [json.loads(e) for e in ev[:-1]]
assert all(c["choices"] for c in chunks), "the injected usage chunk reached the client"
assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == "alpha bravo charlie"
assert r["trailers"]["x-aicost-cost"] == "0.00000255", r["trailers"]   # 5 x 1.5e-7 + 3 x 6e-7
assert r["headers"]["content-type"].startswith("text/event-stream")
EOF
curl -s "$stub_url/stub/last" | grep -q '"include_usage": *true' || fail "include_usage was not added upstream"
python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["trailers"]["x-aicost-cost"])' s1.jsonl >>"$costs"

# Stream with include_usage: the client asked, so it gets the usage chunk.
$client --url "$gw_url/v1/chat/completions" --key $KEY --out s2.jsonl \
	--body "{\"model\":\"gpt-4o-mini\",$MSG,\"max_tokens\":2,\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
python3 - s2.jsonl <<'EOF' || fail "stream with include_usage: $(cat s2.jsonl)"
import json, sys
r = json.loads(open(sys.argv[1]).readline())
chunks = [json.loads(e) for e in r["events"][:-1]]
assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 2, chunks[-1]
assert r["trailers"]["x-aicost-cost"] == "0.00000195", r["trailers"]   # 5 x 1.5e-7 + 2 x 6e-7
EOF
python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["trailers"]["x-aicost-cost"])' s2.jsonl >>"$costs"

# x-stub-tokens passes through: 7 completion tokens without max_tokens (reserved from the catalog's max output).
req tok /v1/chat/completions "{\"model\":\"gpt-4o-mini\",$MSG}" "${AUTH[@]}" -H 'x-stub-tokens: 7'
[ "$st" = 200 ] || fail "x-stub-tokens: status $st"
[ "$(hdr tok.h x-aicost-cost)" = 0.00000495 ] || fail "x-stub-tokens cost $(hdr tok.h x-aicost-cost), want 0.00000495"
hdr tok.h x-aicost-cost >>"$costs"

# Completions and embeddings.
req cmp /v1/completions '{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test","max_tokens":4}' "${AUTH[@]}"
[ "$st" = 200 ] || fail "completions: status $st: $(cat cmp.b)"
# 18 bytes -> 5 prompt tokens x 1.5e-6 + 4 x 2e-6
[ "$(hdr cmp.h x-aicost-cost)" = 0.0000155 ] || fail "completions cost $(hdr cmp.h x-aicost-cost)"
hdr cmp.h x-aicost-cost >>"$costs"
req emb /v1/embeddings '{"model":"text-embedding-3-small","input":["The food was delicious","and the waiter"]}' "${AUTH[@]}"
[ "$st" = 200 ] || fail "embeddings: status $st: $(cat emb.b)"
# 21 + 14 = 35 bytes -> 9 tokens x 2e-8
[ "$(hdr emb.h x-aicost-cost)" = 0.00000018 ] || fail "embeddings cost $(hdr emb.h x-aicost-cost)"
hdr emb.h x-aicost-cost >>"$costs"

# Anthropic, non-stream and stream (x-api-key auth as the Anthropic SDK sends it).
ANT=(-H "x-api-key: $KEY" -H 'anthropic-version: 2023-06-01')
req ant /v1/messages "{\"model\":\"claude-3-5-haiku-20241022\",\"max_tokens\":4,$MSG}" "${ANT[@]}"
[ "$st" = 200 ] || fail "messages: status $st: $(cat ant.b)"
# 5 x 8e-7 + 4 x 4e-6
[ "$(hdr ant.h x-aicost-cost)" = 0.00002 ] || fail "messages cost $(hdr ant.h x-aicost-cost)"
[ "$(hdr ant.h x-aicost-route)" = ant/claude-3-5-haiku-20241022 ] || fail "messages route"
hdr ant.h x-aicost-cost >>"$costs"
curl -s -N -D ants.h -o ants.b "${ANT[@]}" -d "{\"model\":\"claude-3-5-haiku-20241022\",\"max_tokens\":3,\"stream\":true,$MSG}" \
	"$gw_url/v1/messages"
grep -q '^event: message_stop' ants.b || fail "anthropic stream did not end with message_stop: $(cat ants.b)"
[ "$(grep -c '^event: content_block_delta' ants.b)" = 3 ] || fail "anthropic stream deltas"
echo 0.000016 >>"$costs"   # 5 x 8e-7 + 3 x 4e-6 (curl drops the trailer; the ledger check below covers it)

# Azure OpenAI: alias gpt-4o -> deployment prod-gpt4o, api-key header, api-version query.
req az /v1/chat/completions "{\"model\":\"gpt-4o\",$MSG,\"max_tokens\":2}" "${AUTH[@]}"
[ "$st" = 200 ] || fail "azure: status $st: $(cat az.b)"
curl -s "$stub_url/stub/last" >azlast.json
python3 - azlast.json <<'EOF' || fail "azure upstream request: $(cat azlast.json)"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["uri"].startswith("/openai/deployments/prod-gpt4o/chat/completions?api-version="), d["uri"]
assert d["headers"].get("api-key") == "sk-upstream-secret"
EOF
# azure/gpt-4o: 5 x 2.5e-6 + 2 x 1e-5
[ "$(hdr az.h x-aicost-cost)" = 0.0000325 ] || fail "azure cost $(hdr az.h x-aicost-cost)"
hdr az.h x-aicost-cost >>"$costs"

# Refusals.
err() { # NAME WANT-STATUS WANT-CODE-OR-TYPE
	[ "$st" = "$2" ] || fail "$1: status $st, want $2: $(cat "$1.b")"
	python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["error"]; assert set(e)=={"message","type","param","code"}, e; assert sys.argv[2] in (e["code"], e["type"]), e' \
		"$1.b" "$3" || fail "$1: not the OpenAI error shape with $3: $(cat "$1.b")"
}
req e1 /v1/chat/completions "{\"model\":\"gpt-4o-mini\",$MSG}"
err e1 401 invalid_api_key
req e2 /v1/chat/completions "{\"model\":\"gpt-4o-mini\",$MSG}" -H 'Authorization: Bearer sk-wrong'
err e2 401 invalid_api_key
req e3 /v1/chat/completions "{\"model\":\"gpt-4o-mini\",$MSG" "${AUTH[@]}"
err e3 400 invalid_body
deep=$(python3 -c 'print("[" * 40 + "]" * 40)')
req e4 /v1/chat/completions "{\"model\":\"gpt-4o-mini\",\"messages\":$deep}" "${AUTH[@]}"
err e4 400 invalid_body
grep -q 'nested too deep' e4.b || fail "depth limit message: $(cat e4.b)"
big=$(head -c 30000 /dev/zero | tr '\0' a)
req e5 /v1/chat/completions "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"$big\"}]}" "${AUTH[@]}"
err e5 413 invalid_request_error
req e6 /v1/chat/completions "{\"model\":\"gpt-4o\",$MSG}" -H 'Authorization: Bearer sk-aicost-narrow'
err e6 403 model_not_allowed
req e7 /v1/chat/completions "{\"model\":\"gpt-9\",$MSG}" "${AUTH[@]}"
err e7 404 model_not_found
req e8 /v1/nothing '{}' "${AUTH[@]}"
err e8 404 unknown_url
curl -s -D e9.h -o e9.b "${AUTH[@]}" "$gw_url/v1/chat/completions"
st=$(head -n 1 e9.h | cut -d' ' -f2)
err e9 405 invalid_request_error
req e10 /v1/chat/completions "{\"model\":\"gpt-4o-mini\",$MSG,\"max_tokens\":2}" "${AUTH[@]}" -H 'x-stub-status: 400'
[ "$st" = 400 ] || fail "an upstream 400 was not passed on: $st"
req e11 /v1/messages "{\"model\":\"gpt-4o-mini\",$MSG,\"max_tokens\":2}" "${ANT[@]}"
err e11 404 model_not_found

# HTTP framing on one keep-alive connection: three pipelined requests in one write, a chunked body
# split across writes, Expect: 100-continue, a request dribbled byte by byte.
python3 - "${gw_url#http://}" "$KEY" <<'EOF' >wire.out || fail "HTTP framing: $(cat wire.out)"
import socket, sys, time, json
host, port = sys.argv[1].rsplit(":", 1)
key = sys.argv[2]
body = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there friend"}],"max_tokens":1}'
def req(extra=b"", b=body, chunked=False):
    h = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.encode() + b"\r\n" + extra
    if chunked:
        return h + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % 10 + b[:10] + b"\r\n" + b"%x;ext=1\r\n" % (len(b) - 10) + b[10:] + b"\r\n0\r\n\r\n"
    return h + b"Content-Length: %d\r\n\r\n" % len(b) + b
s = socket.create_connection((host, int(port)))
f = s.makefile("rb")
def response():
    status = f.readline()
    n = 0
    while True:
        l = f.readline()
        if l in (b"\r\n", b""):
            break
        if l.lower().startswith(b"content-length:"):
            n = int(l.split(b":")[1])
    return status, f.read(n)
s.sendall(req() * 3)
for _ in range(3):
    st, b = response()
    assert st.startswith(b"HTTP/1.1 200"), st
    assert json.loads(b)["usage"]["completion_tokens"] == 1
c = req(chunked=True)
s.sendall(c[:70]); time.sleep(0.05); s.sendall(c[70:150]); time.sleep(0.05); s.sendall(c[150:])
st, b = response()
assert st.startswith(b"HTTP/1.1 200"), (st, b)
h = req(b"Expect: 100-continue\r\n")
head, payload = h.split(b"\r\n\r\n", 1)
s.sendall(head + b"\r\n\r\n")
assert f.readline().startswith(b"HTTP/1.1 100"), "no 100 Continue"
assert f.readline() == b"\r\n"
s.sendall(payload)
st, b = response()
assert st.startswith(b"HTTP/1.1 200"), st
for byte in req():
    s.send(bytes([byte]))
st, b = response()
assert st.startswith(b"HTTP/1.1 200"), st
print("ok")
EOF
for i in 1 2 3 4 5 6; do echo 0.00000135 >>"$costs"; done   # 5 x 1.5e-7 + 1 x 6e-7 each

# /v1/models for the narrow key lists only what it may use.
curl -s -H 'Authorization: Bearer sk-aicost-narrow' "$gw_url/v1/models" >models.json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [m["id"] for m in d["data"]]==["gpt-4o-mini"], d' models.json ||
	fail "/v1/models: $(cat models.json)"

# /metrics.
curl -s "$gw_url/metrics" >metrics.txt
grep -q '^aicost_gateway_requests_total{endpoint="/v1/chat/completions",status="2xx"} 11$' metrics.txt ||
	fail "metrics: chat 2xx count: $(grep requests_total metrics.txt)"
grep -q '^aicost_gateway_auth_failures_total 2$' metrics.txt || fail "metrics: auth failures"
grep -q '^aicost_gateway_tokens_total{direction="output"} ' metrics.txt || fail "metrics: tokens"
grep -q '^aicost_gateway_request_duration_seconds_bucket{le="+Inf"} ' metrics.txt || fail "metrics: histogram"
mcost=$(sed -n 's/^aicost_gateway_cost_usd_total //p' metrics.txt)
want=$(dsum <"$costs")
[ "$mcost" = "$want" ] || fail "metrics cost $mcost, want $want"

# A clean stop seals and ingests the spool: the ledger has every cost, exactly.
stop_gw TERM
got=$(ledger_total)
[ "$got" = "$want" ] || fail "ledger total $got, want the sum of x-aicost-cost $want"
[ "$(ledger_requests)" = 15 ] || fail "ledger requests $(ledger_requests), want 15"
ls spool | grep -q 'seg-' && fail "spool segments left after a clean stop: $(ls spool)"
cat requests/seg-*.jsonl >log.jsonl
python3 - log.jsonl <<'EOF' || fail "request log"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ids = [r["id"] for r in recs]
assert len(ids) == len(set(ids)), "duplicate request ids"
ok = [r for r in recs if r["status"] == 200]
assert len(ok) == 15, len(ok)
for r in ok:
    assert r["metadata"]["team"] == "fraud-detection" and r["metadata"]["virtual_key"] == "basic-app", r
    assert r["usage"] and r["prompt_sha256"] and r["ts"].endswith("Z"), r
assert not any("sk-aicost" in l for l in open(sys.argv[1])), "a key in the request log"
EOF
grep -q 'sk-upstream-secret\|sk-aicost' gw.err && fail "a key appeared in the gateway's stderr"
echo "gateway basic test: ok"
