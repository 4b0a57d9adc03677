#!/bin/bash
# bench/run-gw-profile.sh: the gateway's CPU cost per request, counted in
# instructions under valgrind --tool=callgrind (deterministic, unlike
# timings on a shared machine). N non-stream chat requests (default 1000)
# at a low rate through `aicost gateway` to the stand-in upstream; prints
# the instructions per request of the event loop and of its parts.
#
#   bench/run-gw-profile.sh [N]      (needs valgrind; make stub tools first)
#
# Scratch files go to bench/data/gw-profile (git-ignored).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build/rel}
n=${1:-1000}
work=$root/bench/data/gw-profile
rm -rf "$work"
mkdir -p "$work"
cd "$work"
"$root/$BUILD/tests/llm_stub" --listen 127.0.0.1:0 --quiet >stub.out &
spid=$!
trap 'kill $spid 2>/dev/null; kill $gpid 2>/dev/null; wait 2>/dev/null' EXIT
gpid=
for _ in $(seq 100); do grep -qs listening stub.out && break; sleep 0.05; done
cat >aicost.yaml <<EOF
gateway:
  spool: { dir: spool }
  upstreams:
    - { name: stub, provider: openai, base_url: "http://$(sed 's/^listening //' stub.out)", api_key_env: K, models: [gpt-4o-mini] }
  keys:
    - { name: bench, hash: "$("$root/aicost" gateway --hash-key sk-bench)" }
EOF
K=x valgrind --tool=callgrind --callgrind-out-file=callgrind.out "$root/aicost" --db t.db --config aicost.yaml \
	gateway --listen 127.0.0.1:0 --ready-file ready >/dev/null 2>cg.err &
gpid=$!
for _ in $(seq 200); do [ -s ready ] && break; sleep 0.1; done
body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello there friend"}],"max_tokens":5}'
rate=100
"$root/$BUILD/bench/gw_load" --url "http://$(cat ready)/v1/chat/completions" -H 'Authorization: Bearer sk-bench' \
	--body "$body" --rps $rate --duration $(((n + rate - 1) / rate)) --connections 8 --warmup 0 >/dev/null 2>&1
kill $gpid
wait $gpid 2>/dev/null || true
gpid=
callgrind_annotate --inclusive=yes callgrind.out 2>/dev/null | python3 -c '
import re, sys
n = int(sys.argv[1])
want = {"event_base_loop": "event loop (all of a request but the ledger thread)",
        "curl_multi_socket_action": "  libcurl (send, receive, connection reuse)",
        "proxy_dispatch": "  dispatch: key, body, route, admission, upstream body (+ curl send)",
        "on_done": "  response: usage, cost, record, reply",
        "meter_body": "    usage from the response body",
        "px_meter_finish": "    settle + record + spool write",
        "reqbody_parse": "  request body scan",
        "ingest_segment": "ledger writer thread (ingest of the records)"}
seen = {}
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*?:(\w+) \[", line)
    if m and m.group(2) in want and m.group(2) not in seen:
        seen[m.group(2)] = int(m.group(1).replace(",", ""))
for k, label in want.items():
    if k in seen:
        print(f"{label:70s} {seen[k] / n:10.0f} instructions/request")
' "$n"
