#!/bin/bash
# bench/run-gw-redis.sh: what shared state in Redis adds to a gateway request
# (docs/gateway-redis.md; bench/RESULTS.md, "gateway shared state (Redis)").
#
# On loopback, with the load generator (bench/gw_load.c), the stand-in upstream
# (tests/upstream/llm_stub, no latency) and a throwaway redis-server
# (scripts/redis-test.sh), one gateway without shared_state and one with it,
# the same config otherwise. Targets, each loaded at GWR_RPS (1000) non-stream
# requests/s, open loop, for GWR_DURATION (5) s after a 1 s warm-up, on 16
# keep-alive connections, GWR_ROUNDS (3) rounds taking turns:
#   direct         the stub itself (the floor);
#   local-limits   gateway, in-process limits, a key with a budget, rpm, tpm and parallel;
#   redis-limits   gateway with shared_state, the same key: admission and settlement
#                  are Redis scripts (one round trip before the upstream, one after);
#   redis-nolimits gateway with shared_state, a key without limits: no round trip.
# Output: bench/out/gw-redis/*.json and results.md (printed): median over
# rounds of p50/p99 per target, and the added latency of redis-limits over
# local-limits; the Redis round trip histogram from the gateway's /metrics.
#
#   make && make tools && make stub && bash bench/run-gw-redis.sh
#   GWR_RPS=5000 GWR_CONNS=64 bash bench/run-gw-redis.sh     # a harder rate
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build/rel}
RPS=${GWR_RPS:-1000}
DUR=${GWR_DURATION:-5}
ROUNDS=${GWR_ROUNDS:-3}
CONNS=${GWR_CONNS:-16}
out=$root/bench/out/gw-redis
work=$root/bench/data/gw-redis
load=$root/$BUILD/bench/gw_load
stub=$root/$BUILD/tests/llm_stub
aicost=${AICOST_BIN:-$root/aicost}
KEY=sk-bench-upstream-key

die() { echo "gw-redis bench: $*" >&2; exit 1; }
for f in "$load" "$stub" "$aicost"; do [ -x "$f" ] || die "$f not built (make && make tools && make stub)"; done
rm -rf "$out" "$work"
mkdir -p "$out" "$work"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$root/scripts/redis-test.sh" stop "$work/redis" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rport=$("$root/scripts/redis-test.sh" start "$work/redis") || die "redis-server did not start (installed?)"
"$stub" --listen 127.0.0.1:0 --quiet --key "$KEY" >"$work/stub.listen" 2>"$work/stub.err" &
stub_pid=$!
pids+=("$stub_pid")
for _ in $(seq 100); do grep -q '^listening' "$work/stub.listen" 2>/dev/null && break; sleep 0.05; done
stub_addr=$(sed -n 's/^listening //p' "$work/stub.listen")
[ -n "$stub_addr" ] || die "llm_stub did not start"

lim_hash=$("$aicost" gateway --hash-key sk-limited)
plain_hash=$("$aicost" gateway --hash-key sk-plain)
# name, shared_state block
gw() {
	local name=$1 shared=$2 port
	port=$(free_port)
	mkdir -p "$work/$name"
	cat >"$work/$name/aicost.yaml" <<EOF
gateway:
  spool: { dir: "$work/$name/spool" }
$shared
  upstreams:
    - name: stub
      provider: openai
      base_url: "http://$stub_addr"
      api_key_env: BENCH_UPSTREAM_KEY
      models: [gpt-4o-mini]
  teams:
    bench-team: { budget: 1000000, rpm: 100000000 }
  keys:
    - name: limited
      hash: "$lim_hash"
      team: bench-team
      rpm: 100000000
      tpm: 4000000000
      parallel: 100000
      budgets: [ { limit: 1000000, period: month } ]
    - name: plain
      hash: "$plain_hash"
EOF
	BENCH_UPSTREAM_KEY=$KEY "$aicost" --config "$work/$name/aicost.yaml" --db "$work/$name/ledger.db" --quiet \
		gateway --listen "127.0.0.1:$port" >"$work/$name/out" 2>"$work/$name/err" &
	pids+=("$!")
	for _ in $(seq 100); do curl -s -o /dev/null -m 1 "http://127.0.0.1:$port/metrics" && break; sleep 0.05; done
	echo "http://127.0.0.1:$port"
}
local_url=$(gw local "")
redis_url=$(gw redis "  shared_state: { redis: \"redis://127.0.0.1:$rport/0\", prefix: bench, timeout_ms: 200 }")
for _ in $(seq 100); do curl -s "$redis_url/metrics" | grep -q '^aicost_gateway_shared_state_up 1' && break; sleep 0.05; done

BODY='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Summarize the benefits of keep-alive connections in one sentence."}],"max_tokens":16}'
declare -A URL HDR
URL[direct]=http://$stub_addr/v1/chat/completions; HDR[direct]="Authorization: Bearer $KEY"
URL[local-limits]=$local_url/v1/chat/completions; HDR[local-limits]="Authorization: Bearer sk-limited"
URL[redis-limits]=$redis_url/v1/chat/completions; HDR[redis-limits]="Authorization: Bearer sk-limited"
URL[redis-nolimits]=$redis_url/v1/chat/completions; HDR[redis-nolimits]="Authorization: Bearer sk-plain"
targets="direct local-limits redis-limits redis-nolimits"
for t in $targets; do
	r=$(curl -s -m 5 -H "${HDR[$t]}" -d "$BODY" "${URL[$t]}")
	echo "$r" | grep -q '"completion_tokens": *16' || die "$t: smoke failed: ${r:0:300}"
	"$load" --url "${URL[$t]}" -H "${HDR[$t]}" --body "$BODY" --rps "$RPS" --duration 2 --warmup 0 \
		--connections "$CONNS" >/dev/null 2>&1
done
for r in $(seq "$ROUNDS"); do
	for t in $targets; do
		"$load" --url "${URL[$t]}" -H "${HDR[$t]}" --body "$BODY" --rps "$RPS" --duration "$DUR" --warmup 1 \
			--connections "$CONNS" >"$out/$t.$r.json" 2>"$out/$t.$r.log"
		echo "round $r $t: $(tail -n 1 "$out/$t.$r.log")"
	done
done
curl -s "$redis_url/metrics" >"$out/redis-gateway.metrics"
redis-cli -p "$rport" INFO commandstats | grep -E "evalsha|cmdstat_eval:" >"$out/redis-commandstats.txt"
redis-cli -p "$rport" INFO cpu | grep used_cpu >>"$out/redis-commandstats.txt"
python3 - "$out" "$RPS" "$CONNS" "$DUR" "$ROUNDS" $targets <<'EOF' | tee "$out/results.md"
import json, statistics, sys, os
out, rps, conns, dur, rounds, targets = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6:]
res = {}
for t in targets:
    js = [json.load(open(os.path.join(out, f"{t}.{r}.json"))) for r in range(1, rounds + 1)]
    res[t] = {k: statistics.median(j[k] for j in js) for k in ("p50_us", "p99_us")}
    res[t]["errors"] = sum(j["bad_status"] + j["conn_errors"] + j["unanswered"] for j in js)
print(f"{rps} req/s, {conns} connections, {dur} s x {rounds} rounds (median of rounds), loopback, llm_stub without latency\n")
print("| target | p50 µs | p99 µs | errors |")
print("|---|---:|---:|---:|")
for t in targets:
    print(f"| {t} | {res[t]['p50_us']:.0f} | {res[t]['p99_us']:.0f} | {res[t]['errors']} |")
a, b = res["redis-limits"], res["local-limits"]
print(f"\nadded by shared state (redis-limits - local-limits): p50 {a['p50_us'] - b['p50_us']:+.0f} µs, "
      f"p99 {a['p99_us'] - b['p99_us']:+.0f} µs")
m = {}
for line in open(os.path.join(out, "redis-gateway.metrics")):
    if line.startswith("aicost_gateway_shared_state_script_seconds_"):
        k, v = line.rsplit(" ", 1)
        m[k] = float(v)
n = m.get("aicost_gateway_shared_state_script_seconds_count", 0)
if n:
    s = m["aicost_gateway_shared_state_script_seconds_sum"]
    le = sorted((float(k.split('le="')[1].split('"')[0]), v) for k, v in m.items()
                if "_bucket" in k and "+Inf" not in k)
    p99 = next((b for b, c in le if c >= 0.99 * n), float("inf"))
    print(f"Redis round trips seen by the gateway: {int(n)} (admissions and settlements), mean {s / n * 1e6:.0f} µs, "
          f"99% within {p99 * 1e6:.0f} µs (histogram bucket)")
EOF
