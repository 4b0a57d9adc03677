#!/bin/bash
# The gateway's caches against llm_stub:
#   - exact: the same request again is a hit (x-aicost-cache: hit, cost 0, the
#     upstream not called), also when it streams (replayed as SSE); another
#     team's identical request is a miss (tenants never mix);
#   - a streamed miss is assembled and stored, so the non-stream twin hits;
#   - semantic (a route with the default threshold): a paraphrase hits
#     (semantic-hit), a request that differs in a salient word does not;
#   - hits are metered at zero cost and counted in /metrics;
#   - with cache.embeddings the semantic cache uses an upstream's /v1/embeddings
#     vectors: the embedding call is booked against the same key, a paraphrase
#     hits, a different question does not.
NAME="gateway cache test"
source "$(dirname "$0")/gateway_lib.sh"

start_stub
cat >aicost.yaml <<EOF
gateway:
  spool: { dir: spool, segment_seconds: 0.2 }
  request_log: requests
  cache: { exact: true, ttl: 600 }
  upstreams:
    - name: oai
      provider: openai
      base_url: $stub_url
      api_key_env: UPSTREAM_KEY
      models: [gpt-4o-mini, gpt-4o]
  keys:
    - { name: a1, hash: "$(hash_key sk-a1)", team: alpha }
    - { name: a2, hash: "$(hash_key sk-a2)", team: alpha }
    - { name: b1, hash: "$(hash_key sk-b1)", team: beta }
  routes:
    - name: faq
      match: { model: gpt-4o }
      cache: { exact: true, semantic: true }
EOF
start_gw
calls() { curl -s "$stub_url/stub/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }
ask() { # NAME KEY BODY
	curl -s -D "$1.h" -o "$1.b" -H "Authorization: Bearer $2" -d "$3" "$gw_url/v1/chat/completions"
	cache=$(tr -d '\r' <"$1.h" | sed -n 's/^x-aicost-cache: //p')
	cost=$(tr -d '\r' <"$1.h" | sed -n 's/^x-aicost-cost: //p')
}
Q='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"List three colors"}],"max_tokens":5,"temperature":0}'

ask q1 sk-a1 "$Q"
[ "$cache" = miss ] && [ "$cost" != 0 ] || fail "first request: cache $cache cost $cost"
[ "$(calls)" = 1 ] || fail "upstream calls $(calls)"
# The same question from another key of the same team: a hit, at no cost, without the upstream.
ask q2 sk-a2 "$Q"
[ "$cache" = hit ] && [ "$cost" = 0 ] || fail "repeat: cache $cache cost $cost"
[ "$(calls)" = 1 ] || fail "a hit went upstream"
cmp -s q1.b q2.b || fail "the cached body differs from the original"
# Another team: a miss.
ask q3 sk-b1 "$Q"
[ "$cache" = miss ] || fail "another team's request hit the cache"
[ "$(calls)" = 2 ] || fail "upstream calls $(calls)"
# Streamed twin: replayed as SSE from the cache.
$client --url "$gw_url/v1/chat/completions" --key sk-a1 --out s.jsonl \
	--body '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"List three colors"}],"max_tokens":5,"temperature":0,"stream":true}'
python3 - s.jsonl q1.b <<'EOF' || fail "stream from the cache: $(cat s.jsonl)"
import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["status"] == 200 and r["headers"]["x-aicost-cache"] == "hit", r["headers"]
assert r["events"][-1] == "[DONE]"
text = "".join((json.loads(e)["choices"][0]["delta"].get("content") or "") for e in r["events"][:-1] if json.loads(e)["choices"])
orig = json.load(open(sys.argv[2]))["choices"][0]["message"]["content"]
assert text == orig, (text, orig)
EOF
[ "$(calls)" = 2 ] || fail "the cached stream went upstream"

# A streamed miss is assembled and stored: its non-stream twin hits.
S2='"messages":[{"role":"user","content":"Name two planets"}],"max_tokens":3,"temperature":0'
$client --url "$gw_url/v1/chat/completions" --key sk-a1 --out s2.jsonl --body "{\"model\":\"gpt-4o-mini\",$S2,\"stream\":true}"
python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); assert r["headers"]["x-aicost-cache"]=="miss" and r["complete"]' s2.jsonl ||
	fail "streamed miss: $(cat s2.jsonl)"
ask s3 sk-a1 "{\"model\":\"gpt-4o-mini\",$S2}"
[ "$cache" = hit ] || fail "the assembled stream was not cached: $cache"
grep -q '"content": *"alpha bravo charlie"' s3.b || fail "assembled body: $(cat s3.b)"

# Semantic cache on the faq route.
ask p1 sk-a1 '{"model":"gpt-4o","messages":[{"role":"user","content":"What is the capital city of France?"}],"max_tokens":4}'
[ "$cache" = miss ] || fail "semantic: first $cache"
n=$(calls)
ask p2 sk-a1 '{"model":"gpt-4o","messages":[{"role":"user","content":"what is the capital city of France"}],"max_tokens":4}'
[ "$cache" = semantic-hit ] || fail "semantic: a paraphrase was a $cache"
[ "$(calls)" = "$n" ] || fail "a semantic hit went upstream"
ask p3 sk-a1 '{"model":"gpt-4o","messages":[{"role":"user","content":"What is the capital city of Spain?"}],"max_tokens":4}'
[ "$cache" = miss ] || fail "semantic: a different question was a $cache"
ask p4 sk-b1 '{"model":"gpt-4o","messages":[{"role":"user","content":"What is the capital city of France?"}],"max_tokens":4}'
[ "$cache" = miss ] || fail "semantic: another team got a $cache"

curl -s "$gw_url/metrics" >m.txt
grep -q '^aicost_gateway_cache_total{result="hit"} 3$' m.txt || fail "metrics hits: $(grep cache_total m.txt)"
grep -q '^aicost_gateway_cache_total{result="semantic-hit"} 1$' m.txt || fail "metrics semantic hits"
stop_gw TERM
cat requests/seg-*.jsonl >log.jsonl
python3 - log.jsonl <<'EOF' || fail "records of hits"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
hits = [r for r in recs if r.get("cache") in ("hit", "semantic-hit")]
assert len(hits) == 4, len(hits)
assert all(r["cost"] == 0 and r["usage"]["prompt_tokens"] == 0 for r in hits), hits
EOF
[ "$(ledger_requests)" = 10 ] || fail "ledger requests $(ledger_requests), want 10"

# Upstream embeddings for the semantic cache.
sed -i 's/^  cache: { exact: true, ttl: 600 }$/  cache: { exact: true, ttl: 600, embeddings: text-embedding-3-small }/;
        s/^      models: \[gpt-4o-mini, gpt-4o\]$/      models: [gpt-4o-mini, gpt-4o, text-embedding-3-small]/' aicost.yaml
start_gw
emb() { curl -s "$stub_url/stub/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["by_path"].get("/v1/embeddings",0))'; }
e0=$(emb)
ask u1 sk-a1 '{"model":"gpt-4o","messages":[{"role":"user","content":"How many moons does Mars have?"}],"max_tokens":4}'
[ "$cache" = miss ] || fail "upstream embeddings: first $cache"
[ "$(emb)" = $((e0 + 1)) ] || fail "no embeddings call upstream"
n=$(calls)
ask u2 sk-a1 '{"model":"gpt-4o","messages":[{"role":"user","content":"how many moons does Mars have"}],"max_tokens":4}'
[ "$cache" = semantic-hit ] || fail "upstream embeddings: a paraphrase was a $cache"
[ "$(calls)" = $((n + 1)) ] || fail "a semantic hit went upstream for the answer"
ask u3 sk-a1 '{"model":"gpt-4o","messages":[{"role":"user","content":"How many moons does Jupiter have?"}],"max_tokens":4}'
[ "$cache" = miss ] || fail "upstream embeddings: a different question was a $cache"
stop_gw TERM
cat requests/seg-*.jsonl >log2.jsonl
python3 - log2.jsonl <<'EOF' || fail "embedding records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
e = [r for r in recs if r.get("outcome") == "cache_embedding"]
assert len(e) == 3, len(e)
for r in e:
    assert r["endpoint"] == "/v1/embeddings" and r["cost"] > 0 and r["metadata"]["virtual_key"] == "a1", r
    assert r["id"].endswith("-emb")
EOF
echo "gateway cache test: ok"
