#!/bin/bash
# bench/gateway/run.sh: the gateway overhead benchmark (issue 7, acceptance 4).
#
# One run measures, on loopback, with the same load generator (bench/gw_load.c)
# and the same stand-in upstream (tests/upstream/llm_stub):
#   direct   the load generator talks to llm_stub itself;
#   floor    through bench/gw_floor, a blind TCP relay (no parsing, no
#            metering): the cost of one more process on the path, the
#            floor under any gateway's added latency on this machine;
#   aicost   through `aicost gateway` (config: bench/gateway/aicost-gateway.yaml);
#   aicost_busy  the same with gateway.busy_poll: GW_BUSY_US (300) microseconds
#            (while traffic flows the loop polls instead of sleeping;
#            docs/gateway.md, "Performance");
#   portkey  through Portkey's open-source gateway (npm @portkey-ai/gateway,
#            installed into bench/gateway/node_modules from package-lock.json),
#            pointed at the stub as an OpenAI-compatible custom host.
# Loads:
#   rate     GW_RPS (5000) non-stream chat completions per second, open loop,
#            for GW_DURATION (5) s after a 2 s warm-up (same rate), on 64 keep-alive
#            connections; GW_ROUNDS (3) rounds taking turns between the targets
#            (all of them run at once; only one is loaded at a time), after a
#            3 s warm-up load on each target that is not measured; and the
#            same at GW_LOW_RPS (200), a rate every target sustains;
#   streams  GW_STREAMS (1000) concurrent streamed chat completions for
#            GW_DURATION s (10 tokens a stream, the stub waits GW_CHUNK_MS (100)
#            ms between chunks, so a stream lasts about 1.3 s: 1000 streams are
#            about 770 requests and 10,000 chunks a second; the streams start
#            spread over 1 s so they do not run in lockstep);
#   idle     GW_IDLE (10000) keep-alive connections that each made one request,
#            held open; the gateway's VmRSS is read while they are held, and its
#            VmHWM (peak RSS) after, from /proc/PID/status. A fresh gateway
#            process serves this load, so the peak is this load's.
# Placement: the load generator runs on the last CPU and the stub and the
# gateways on the others (taskset), the usual way to keep a load generator
# from competing with what it measures; every target's requests then cross
# between CPUs exactly twice (client to server and back), direct's included,
# so a target's added latency is its own work. GW_PIN=0 leaves placement to
# the scheduler. On a small VM that moves the result more than the servers do:
# waking a process on another, sleeping vCPU costs far more than one on the
# same vCPU (2-vCPU development VM: a loopback ping-pong takes 8 us on one vCPU
# and 57 us across two), and the scheduler tends to put the load generator and
# the stub together when they talk directly, while any proxy between them then
# pays the crossings: the target "floor" (a blind relay) shows that cost.
# GW_PIN=client is the other placement with two crossings a request: the stub
# alone on one CPU, the gateways beside the load generator on the last.
# Output: bench/out/gateway/{TARGET}.{rate,streams,idle}.json and the table
# bench/out/gateway/results.md (printed at the end).
#
#   make bench-gateway                              # everything
#   GW_TARGETS="direct portkey" bench/gateway/run.sh  # a subset
#   GW_RPS=2000 GW_DURATION=3 GW_STREAMS=200 GW_IDLE=2000 bench/gateway/run.sh  # quick
#   GW_STREAMS=0 GW_IDLE=0 ...                      # the rate loads only
#   GW_PIN=0 make bench-gateway                     # the scheduler places the processes
#   GW_PIN=client make bench-gateway                # the gateways on the load generator's CPU, the stub apart
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
BUILD=${BUILD:-build/rel}
RPS=${GW_RPS:-5000}
LOW_RPS=${GW_LOW_RPS:-200}
DUR=${GW_DURATION:-5}
ROUNDS=${GW_ROUNDS:-3}
CHUNK_MS=${GW_CHUNK_MS:-100}
STREAMS=${GW_STREAMS:-1000}
IDLE=${GW_IDLE:-10000}
TARGETS=${GW_TARGETS:-direct floor aicost aicost_busy portkey}
out=$root/bench/out/gateway
work=$root/bench/data/gateway # spool, ledger, logs (git-ignored)
load=$root/$BUILD/bench/gw_load
stub=$root/$BUILD/tests/llm_stub
floor=$root/$BUILD/bench/gw_floor
aicost=${AICOST_BIN:-$root/aicost}
portkey_js=$root/bench/gateway/node_modules/@portkey-ai/gateway/build/start-server.js
KEY=sk-bench-upstream-key # the stub's key; the gateways hold it, clients never see it
VKEY=sk-aicost-bench-0001 # the aicost virtual key clients present

die() { echo "gateway bench: $*" >&2; exit 1; }
for f in "$load" "$stub"; do [ -x "$f" ] || die "$f not built (make bench-gateway builds it)"; done
mkdir -p "$out" "$work"
rm -f "$out"/*.json "$out"/*.log
ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ "$(ulimit -n)" -gt $((IDLE + 200)) ] || die "ulimit -n $(ulimit -n) is too low for $IDLE connections"

# On a shared machine, other jobs add noise to microsecond measurements: run
# the load generator, the stub and the gateways (children inherit it) at a
# higher priority when allowed (GW_NICE=0 to keep the default).
renice -n "${GW_NICE:--10}" -p $$ >/dev/null 2>&1 || true

srv=() cli=()
placement="placement: the scheduler's (GW_PIN=0, or fewer than 2 CPUs, or no taskset)"
if [ "${GW_PIN:-1}" != 0 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	last=$(($(nproc) - 1))
	srv=(taskset -c "$([ "$last" -gt 1 ] && echo "0-$((last - 1))" || echo 0)")
	cli=(taskset -c "$last")
	placement="placement: load generator on CPU $last, stub and gateways on CPU ${srv[2]} (the default; GW_PIN=0: the scheduler's)"
fi
gwp=("${srv[@]}") # where the gateways (and the relay) run
if [ "${GW_PIN:-1}" = client ] && [ ${#cli[@]} -gt 0 ]; then
	gwp=("${cli[@]}")
	placement="placement: stub on CPU ${srv[2]}, gateways with the load generator on CPU $last (GW_PIN=client)"
fi

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # URL: until anything answers (5 s)
	for _ in $(seq 100); do curl -s -o /dev/null -m 1 "$1" && return 0; sleep 0.05; done
	return 1
}
rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ---- the stub ----
"${srv[@]}" "$stub" --listen 127.0.0.1:0 --quiet --key "$KEY" --chunk-delay-ms "$CHUNK_MS" >"$work/stub.listen" 2>"$work/stub.err" &
stub_pid=$!
pids+=("$stub_pid")
for _ in $(seq 100); do grep -q '^listening' "$work/stub.listen" 2>/dev/null && break; sleep 0.05; done
stub_addr=$(sed -n 's/^listening //p' "$work/stub.listen")
[ -n "$stub_addr" ] || die "llm_stub did not start: $(cat "$work/stub.err")"

BODY='{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Summarize the benefits of keep-alive connections in one sentence."}],"max_tokens":16}'
SBODY='{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Count to ten."}],"max_tokens":10}'

# ---- targets: start_TARGET sets url, hdrs (array) and tpid ----
start_direct() {
	url=http://$stub_addr/v1/chat/completions
	hdrs=(-H "Authorization: Bearer $KEY")
	tpid=$stub_pid
}

# aicost with its default config (start_aicost) or with gateway.busy_poll on
# (start_aicost_busy: GW_BUSY_US microseconds, default 300), each in its own
# scratch directory, so one run compares the two.
start_aicost_in() { # NAME BUSY_US (empty: the config as it is)
	local name=$1 busy=$2
	[ -x "$aicost" ] || { echo "skip $name: $aicost not built"; return 1; }
	if "$aicost" gateway --help 2>&1 | grep -qi 'not built'; then
		echo "skip $name: 'aicost gateway' is not built yet"
		return 1
	fi
	local port dir=$work/$name
	port=$(free_port)
	rm -rf "$dir" && mkdir -p "$dir"
	local hash
	hash=$("$aicost" gateway --hash-key "$VKEY") || { echo "skip $name: --hash-key failed"; return 1; }
	sed -e "s|@STUB@|http://$stub_addr|g" -e "s|@LISTEN@|127.0.0.1:$port|g" -e "s|@WORK@|$dir|g" \
		-e "s|@VKEY_HASH@|$hash|g" "$root/bench/gateway/aicost-gateway.yaml" >"$dir/aicost.yaml"
	if [ -n "$busy" ]; then
		if grep -q '^  busy_poll:' "$dir/aicost.yaml"; then
			sed -i "s|^  busy_poll: .*|  busy_poll: $busy|" "$dir/aicost.yaml"
		else
			sed -i "s|^  max_connections: .*|&\n  busy_poll: $busy|" "$dir/aicost.yaml"
		fi
	fi
	BENCH_UPSTREAM_KEY=$KEY "${gwp[@]}" "$aicost" --config "$dir/aicost.yaml" --db "$dir/ledger.db" --quiet \
		gateway --listen "127.0.0.1:$port" >"$dir/out" 2>"$dir/err" &
	tpid=$!
	pids+=("$tpid")
	url=http://127.0.0.1:$port/v1/chat/completions
	hdrs=(-H "Authorization: Bearer $VKEY")
	wait_http "http://127.0.0.1:$port/metrics" || { echo "skip $name: it did not start: $(tail -n 3 "$dir/err")"; return 1; }
}
start_aicost() { start_aicost_in aicost ""; }
start_aicost_busy() { start_aicost_in aicost_busy "${GW_BUSY_US:-300}"; }

# floor: bench/gw_floor, a blind TCP relay with no gateway work at all; what
# it adds over direct is what any extra process on the request path costs here.
start_floor() {
	[ -x "$floor" ] || { echo "skip floor: $floor not built"; return 1; }
	local port
	port=$(free_port)
	"${gwp[@]}" "$floor" --listen "127.0.0.1:$port" --upstream "$stub_addr" >"$work/floor.out" 2>&1 &
	tpid=$!
	pids+=("$tpid")
	url=http://127.0.0.1:$port/v1/chat/completions
	hdrs=(-H "Authorization: Bearer $KEY")
	wait_http "http://127.0.0.1:$port/" || { echo "skip floor: it did not start"; return 1; }
}

start_portkey() {
	[ -f "$portkey_js" ] || (cd "$root/bench/gateway" && npm ci --no-audit --no-fund >/dev/null 2>&1)
	[ -f "$portkey_js" ] || { echo "skip portkey: npm ci in bench/gateway failed"; return 1; }
	local port
	port=$(free_port)
	NODE_ENV=production "${gwp[@]}" node "$portkey_js" --port="$port" --headless >"$work/portkey.out" 2>&1 &
	tpid=$!
	pids+=("$tpid")
	url=http://127.0.0.1:$port/v1/chat/completions
	hdrs=(-H "Authorization: Bearer $KEY" -H "x-portkey-provider: openai" -H "x-portkey-custom-host: http://$stub_addr/v1")
	wait_http "http://127.0.0.1:$port/" || { echo "skip portkey: it did not start"; return 1; }
}

stop_target() { # not the stub
	[ "$tpid" = "$stub_pid" ] && return
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
}

# One request of each kind must work before we load it.
smoke() {
	local r
	r=$(curl -s -m 5 "${hdrs[@]}" -H 'Content-Type: application/json' -d "$BODY" "$url")
	echo "$r" | grep -q '"completion_tokens": *16' || { echo "  $t: smoke (non-stream) failed: ${r:0:300}"; return 1; }
	r=$(curl -sN -m 5 "${hdrs[@]}" -H 'Content-Type: application/json' -d "$SBODY" "$url")
	echo "$r" | grep -q '\[DONE\]' || { echo "  $t: smoke (stream) failed: ${r:0:300}"; return 1; }
}

# Start every target; the idle ones cost no CPU while another is loaded.
declare -A T_URL T_HDRS T_PID
live=()
for t in $TARGETS; do
	"start_$t" || continue
	smoke || { stop_target; continue; }
	T_URL[$t]=$url
	T_HDRS[$t]=$(printf '%q ' "${hdrs[@]}")
	T_PID[$t]=$tpid
	live+=("$t")
done
[ ${#live[@]} -gt 0 ] || die "no target started"
use() { t=$1; url=${T_URL[$t]}; eval "hdrs=(${T_HDRS[$t]})"; tpid=${T_PID[$t]}; }

# Warm every target up first (Node's JIT needs thousands of requests);
# these results are thrown away.
for t in "${live[@]}"; do
	use "$t"
	"${cli[@]}" "$load" --url "$url" "${hdrs[@]}" --body "$BODY" --rps "$RPS" --duration 3 --warmup 0 --connections 64 \
		>/dev/null 2>&1
done

# The rate loads in rounds that take turns between the targets, so a burst of
# noise from other processes on the machine does not land on one target only:
# GW_RPS, and GW_LOW_RPS, a rate every target sustains (Portkey cannot do
# 5,000/s on this machine), for the overhead ratio. A target that leaves more
# than 10% of a round's requests unanswered is saturated at that rate and
# skips its later rounds there.
declare -A saturated
for r in $(seq "$ROUNDS"); do
	for t in "${live[@]}"; do
		use "$t"
		for kind in rate low; do
			rate=$RPS
			[ $kind = low ] && rate=$LOW_RPS
			[ -n "${saturated[$t.$kind]:-}" ] && continue
			"${cli[@]}" "$load" --url "$url" "${hdrs[@]}" --body "$BODY" --rps "$rate" --duration "$DUR" --warmup 2 \
				--connections 64 >"$out/$t.$kind.$r.json" 2>"$out/$t.$kind.$r.log"
			echo "round $r $t $rate/s: $(tail -n 1 "$out/$t.$kind.$r.log")"
			python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(j["unanswered"] * 10 > j["measured"] + j["unanswered"])' \
				"$out/$t.$kind.$r.json" || saturated[$t.$kind]=1
		done
	done
done
for t in "${live[@]}"; do
	[ "$STREAMS" -gt 0 ] || break
	use "$t"
	"${cli[@]}" "$load" --url "$url" "${hdrs[@]}" --body "$SBODY" --streams "$STREAMS" --duration "$DUR" --warmup 2 --ramp 1 \
		>"$out/$t.streams.json" 2>"$out/$t.streams.log"
	echo "streams $t: $(tail -n 1 "$out/$t.streams.log")"
	echo "{\"vmhwm_kb\":$(rss_kb "$tpid" VmHWM)}" >"$out/$t.loaded-rss.json"
done

# Idle connections, each target on a fresh process (the stub keeps running).
for t in "${live[@]}"; do
	[ "$IDLE" -gt 0 ] || break
	[ "$t" = floor ] && continue # a relay's memory says nothing; it would double the stub's connections
	use "$t"
	stop_target
	"start_$t" || continue
	curl -s -o /dev/null "${hdrs[@]}" -H 'Content-Type: application/json' -d "$BODY" "$url"
	base_rss=$(rss_kb "$tpid" VmRSS)
	rm -f "$work/ready"
	"${cli[@]}" "$load" --url "$url" "${hdrs[@]}" --body "$BODY" --idle "$IDLE" --hold 3 --ready-file "$work/ready" \
		>"$out/$t.idle.json" 2>"$out/$t.idle.log" &
	lpid=$!
	for _ in $(seq 1200); do [ -s "$work/ready" ] && break; sleep 0.05; done
	sleep 1
	held_rss=$(rss_kb "$tpid" VmRSS)
	wait "$lpid"
	echo "idle $t: $(tail -n 2 "$out/$t.idle.log" | head -n 1)"
	echo "{\"base_rss_kb\":${base_rss:-0},\"held_rss_kb\":${held_rss:-0},\"vmhwm_kb\":$(rss_kb "$tpid" VmHWM)}" >"$out/$t.rss.json"
	stop_target
done

GW_PLACEMENT=$placement python3 "$root/bench/gateway/report.py" "$out" "$RPS" "$STREAMS" "$IDLE" "$DUR" "$ROUNDS" "$CHUNK_MS" "$LOW_RPS" | tee "$out/results.md"
