#!/bin/bash
# bench/run-serve.sh - aicost serve under load (issue 6): N concurrent clients
# on loopback for a bounded time against a 10M-row ledger, report queries,
# measured with wrk (bench/serve.lua). Three runs:
#   1. cold: the first request of each of the 8 dashboard report queries
#      (a cache miss: the query runs on a worker), timed one by one;
#   2. dashboard mix: wrk -c$CONNS for $DUR over those 8 queries (cached
#      after their first run, as a dashboard's repeated queries are);
#   3. uncached: the server started with --cache-mb 0 and every request for
#      one of ~1,200 periods, so (almost) every one runs the report engine.
# Prints p50/p90/p99/max and throughput; copy them into bench/RESULTS.md.
#
# Environment:
#   SERVE_ROWS      ledger rows (default 10000000); the ledger is generated once
#                   into bench/data/serve-ROWS.db (gen_focus | aicost ingest focus -)
#   SERVE_CONNS     concurrent connections (default 200)
#   SERVE_DURATION  wrk duration (default 30s)
#   SERVE_DISTINCT_CONNS  connections of run 3 (default 16)
#   SERVE_WORKERS   server worker threads (default 2)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build/rel}
AICOST=${AICOST_BIN:-./aicost}
ROWS=${SERVE_ROWS:-10000000}
CONNS=${SERVE_CONNS:-200}
DUR=${SERVE_DURATION:-30s}
DCONNS=${SERVE_DISTINCT_CONNS:-16}
WORKERS=${SERVE_WORKERS:-2}
DATA=bench/data
DB=$DATA/serve-$ROWS.db
mkdir -p "$DATA"
command -v wrk >/dev/null || { echo "run-serve: wrk is not installed (scripts/install-deps.sh)" >&2; exit 1; }
[ -x "$BUILD/bench/gen_focus" ] || { echo "run-serve: $BUILD/bench/gen_focus not built (make tools)" >&2; exit 1; }

if [ ! -s "$DB" ]; then
	echo "run-serve: generating and ingesting $ROWS rows into $DB (once)" >&2
	t0=$(date +%s%N)
	"$BUILD/bench/gen_focus" --rows "$ROWS" --seed 42 | "$AICOST" --db "$DB" --config bench/aicost-bench.yaml --quiet ingest focus -
	echo "run-serve: ledger ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms, $(du -m "$DB" | cut -f1) MiB" >&2
fi

# A config with one admin token (random, for this run only).
token=$("$AICOST" serve --new-token | awk '/^token:/ {print $2}')
cfg=$DATA/serve-bench.yaml
{ cat bench/aicost-bench.yaml
  printf '\nserver:\n  tokens:\n    - { name: bench, role: admin, sha256: %s }\n' "$(printf %s "$token" | "$AICOST" serve --hash-token)"
} >"$cfg"

spid=
stop() { [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null; spid=; }
trap stop EXIT
start() { # extra args
	rm -f "$DATA/serve.url"
	"$AICOST" --quiet --db "$DB" --config "$cfg" serve --listen 127.0.0.1:0 --ready-file "$DATA/serve.url" \
		--workers "$WORKERS" "$@" &
	spid=$!
	for _ in $(seq 200); do [ -s "$DATA/serve.url" ] && break; sleep 0.05; done
	url=$(cat "$DATA/serve.url")
	url=${url%/}
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "ledger: $ROWS rows, $(du -m "$DB" | cut -f1) MiB; server: $WORKERS workers; client: wrk on the same machine"

start
echo
echo "== 1. cold: the first request of each query (runs the report engine on a worker)"
python3 - "$url" "$token" <<'EOF'
import sys, time, urllib.request
url, tok = sys.argv[1], sys.argv[2]
paths = ["/api/report?by=team", "/api/report?by=team,month", "/api/report?by=ServiceName", "/api/report?by=day",
         "/api/report?by=team&where=ServiceCategory=Compute",
         "/api/report?by=ServiceName,team&from=2026-08-01&to=2026-08-31", "/api/report?by=RegionId&cost=billed",
         "/api/report?by=SubAccountName,month"]
def get(p):
    t = time.perf_counter()
    r = urllib.request.urlopen(urllib.request.Request(url + p, headers={"Authorization": "Bearer " + tok}))
    body = r.read()
    return (time.perf_counter() - t) * 1000, r.headers.get("X-Aicost-Cache"), len(body)
cold = []
for p in paths:
    ms, state, n = get(p)
    cold.append(ms)
    ms2, state2, _ = get(p)
    print("  %-62s %7.1f ms (%s, %d bytes); again %.2f ms (%s)" % (p, ms, state, n, ms2, state2))
cold.sort()
print("  cold: median %.1f ms, max %.1f ms" % (cold[len(cold) // 2], cold[-1]))
EOF

echo
echo "== 2. dashboard mix: wrk -t2 -c$CONNS -d$DUR over the 8 report queries"
AICOST_TOKEN=$token wrk -t2 -c"$CONNS" -d"$DUR" --timeout 10s -s bench/serve.lua "$url" | grep -E "summary:|latency_ms:|Requests/sec|Non-2xx|Socket errors"

stop
start --cache-mb 0
echo
echo "== 3. uncached (--cache-mb 0), distinct periods: wrk -t2 -c$DCONNS -d$DUR"
AICOST_TOKEN=$token SERVE_DISTINCT=1 wrk -t2 -c"$DCONNS" -d"$DUR" --timeout 30s -s bench/serve.lua "$url" | grep -E "summary:|latency_ms:|Requests/sec|Non-2xx|Socket errors"
stop
