#!/bin/bash
# bench/run-gw-cpu.sh: CPU time the gateway spends per request under a real
# open-loop load (the other metric of bench/run-gw-profile.sh, which counts
# instructions under valgrind). Starts llm_stub and `aicost gateway` with the
# benchmark's config (bench/gateway/aicost-gateway.yaml: metering and the
# spool on), loads it with bench/gw_load at GW_RPS for GW_DURATION seconds
# after a 2 s warm-up, and prints the CPU microseconds per request of the
# event-loop thread, of the other threads (the ledger writer), of the stub
# and of the load generator, from /proc/PID/task/TID/schedstat (ns, exact),
# plus the latency percentiles gw_load measured.
#
#   make stub tools && bench/run-gw-cpu.sh                   # 5,000/s for 5 s
#   GW_RPS=3000 GW_DURATION=10 bench/run-gw-cpu.sh
#   GW_PERF=1 bench/run-gw-cpu.sh   # also `perf record -g` of the gateway -> bench/data/gw-cpu/perf.data
#   GW_SEGMENT=... overrides spool.segment_records (default: the config's 100,000)
#   GW_BUSY_POLL=US sets gateway.busy_poll (microseconds)
#
# Scratch files go to bench/data/gw-cpu (git-ignored), removed at the start of the next run.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build/rel}
RPS=${GW_RPS:-5000}
DUR=${GW_DURATION:-5}
CONNS=${GW_CONNECTIONS:-64}
work=$root/bench/data/gw-cpu
load=${GW_LOAD_BIN:-$root/$BUILD/bench/gw_load}
stub=$root/$BUILD/tests/llm_stub
aicost=${AICOST_BIN:-$root/aicost}
KEY=sk-bench-upstream-key
VKEY=sk-aicost-bench-0001
die() { echo "gw-cpu: $*" >&2; exit 1; }
for f in "$load" "$stub" "$aicost"; do [ -x "$f" ] || die "$f not built (make -j2 && make stub tools)"; done
rm -rf "$work"
mkdir -p "$work"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT

"$stub" --listen 127.0.0.1:0 --quiet --key "$KEY" >"$work/stub.listen" 2>"$work/stub.err" &
spid=$!
pids+=("$spid")
for _ in $(seq 100); do grep -qs '^listening' "$work/stub.listen" && break; sleep 0.05; done
stub_addr=$(sed -n 's/^listening //p' "$work/stub.listen")
[ -n "$stub_addr" ] || die "llm_stub did not start"
hash=$("$aicost" gateway --hash-key "$VKEY")
sed -e "s|@STUB@|http://$stub_addr|g" -e "s|@LISTEN@|127.0.0.1:0|g" -e "s|@WORK@|$work|g" \
	-e "s|@VKEY_HASH@|$hash|g" "$root/bench/gateway/aicost-gateway.yaml" >"$work/aicost.yaml"
if [ -n "${GW_BUSY_POLL:-}" ]; then
	if grep -q '^  busy_poll:' "$work/aicost.yaml"; then
		sed -i "s|^  busy_poll: .*|  busy_poll: $GW_BUSY_POLL|" "$work/aicost.yaml"
	else
		sed -i "s|^  max_connections: .*|&\n  busy_poll: $GW_BUSY_POLL|" "$work/aicost.yaml"
	fi
fi
if [ -n "${GW_SEGMENT:-}" ]; then
	sed -i "s|^    dir: \"$work/spool\"|&\n    segment_records: $GW_SEGMENT|" "$work/aicost.yaml"
fi
BENCH_UPSTREAM_KEY=$KEY "$aicost" --config "$work/aicost.yaml" --db "$work/ledger.db" --quiet \
	gateway --ready-file "$work/ready" >"$work/gw.out" 2>"$work/gw.err" &
gpid=$!
pids+=("$gpid")
for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.05; done
[ -s "$work/ready" ] || die "the gateway did not start: $(tail -n 3 "$work/gw.err")"
url=http://$(cat "$work/ready")/v1/chat/completions
BODY='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Summarize the benefits of keep-alive connections in one sentence."}],"max_tokens":16}'

# CPU ns of each thread of a process: "tid ns" lines.
cpu_ns() { for t in /proc/"$1"/task/*; do echo "${t##*/} $(awk '{print $1}' "$t/schedstat" 2>/dev/null || echo 0)"; done; }

"$load" --url "$url" -H "Authorization: Bearer $VKEY" --body "$BODY" --rps "$RPS" --duration 2 --warmup 0 \
	--connections "$CONNS" >/dev/null 2>&1
cpu_ns "$gpid" >"$work/g0"
cpu_ns "$spid" >"$work/s0"
if [ -n "${GW_PERF:-}" ]; then
	perf record -g -o "$work/perf.data" -p "$gpid" -- sleep "$DUR" >/dev/null 2>&1 &
	pids+=($!)
fi
"$load" --url "$url" -H "Authorization: Bearer $VKEY" --body "$BODY" --rps "$RPS" --duration "$DUR" --warmup 0 \
	--connections "$CONNS" >"$work/load.json" 2>"$work/load.log" &
lpid=$!
cpu_ns "$lpid" >"$work/l0" 2>/dev/null
sleep "$DUR"
sleep 0.3
cpu_ns "$lpid" >"$work/l1" 2>/dev/null
wait "$lpid"
cpu_ns "$gpid" >"$work/g1"
cpu_ns "$spid" >"$work/s1"
wait_perf() { [ -n "${GW_PERF:-}" ] && sleep 1; }
wait_perf
python3 - "$work" "$gpid" <<'EOF'
import json, sys
w, gpid = sys.argv[1], sys.argv[2]
def rd(f):
    d = {}
    try:
        for l in open(f):
            t, n = l.split()
            d[t] = int(n)
    except FileNotFoundError:
        pass
    return d
j = json.load(open(w + "/load.json"))
n = j.get("ok", 0) or 1
g0, g1 = rd(w + "/g0"), rd(w + "/g1")
loop = g1.get(gpid, 0) - g0.get(gpid, 0)
other = sum(v - g0.get(t, 0) for t, v in g1.items() if t != gpid)
def tot(a, b):
    A, B = rd(a), rd(b)
    return sum(v - A.get(t, 0) for t, v in B.items())
stub = tot(w + "/s0", w + "/s1")
lg = tot(w + "/l0", w + "/l1")
print(f"requests ok {j.get('ok')}, bad {j.get('bad_status')}, conn errors {j.get('conn_errors')}; "
      f"latency p50 {j.get('p50_us')} us p90 {j.get('p90_us')} us p99 {j.get('p99_us')} us")
print(f"gateway event loop   {loop / n / 1000:7.1f} us CPU/request")
print(f"gateway other threads{other / n / 1000:7.1f} us CPU/request (ledger writer)")
print(f"llm_stub             {stub / n / 1000:7.1f} us CPU/request")
print(f"gw_load              {lg / n / 1000:7.1f} us CPU/request")
EOF
[ -n "${GW_PERF:-}" ] && echo "perf data: $work/perf.data (perf report -i $work/perf.data --no-children)"
exit 0
