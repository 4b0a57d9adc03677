#!/bin/bash
# bench/run-recommend.sh - one full `aicost recommend` pass over a large ledger:
# BENCH_ROWS (10,000,000) FOCUS rows from gen_focus (92 days from 2026-08-01, piped
# into `ingest focus -`, never written to disk), plus 30 days of 5-minute DCGM
# telemetry for BENCH_GPUS (1,000) GPUs and their bill (gen_gpu, October 2026, which
# the FOCUS rows overlap), plus BENCH_REQUESTS (100,000) LLM request-log records
# (gen_llm). Target: the recommend pass in <= 5 s. Data under bench/data/recommend
# (git-ignored), removed at the end unless BENCH_KEEP=1.
#
# Environment: BENCH_ROWS, BENCH_GPUS, BENCH_REQUESTS, BENCH_RUNS (5, median),
# BENCH_KEEP, AICOST_BIN (./aicost), BUILD (build/rel). `make tools` first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build/rel}
AICOST=${AICOST_BIN:-./aicost}
ROWS=${BENCH_ROWS:-10000000}
GPUS=${BENCH_GPUS:-1000}
REQS=${BENCH_REQUESTS:-100000}
RUNS=${BENCH_RUNS:-5}
D=bench/data/recommend
for t in gen_focus gen_gpu gen_llm; do
	[ -x "$BUILD/bench/$t" ] || { echo "run-recommend: $BUILD/bench/$t not built (make tools)" >&2; exit 1; }
done
rm -rf "$D"
mkdir -p "$D/gpu"
db=$D/l.db
secs() { python3 -c "import sys; print(round((int(sys.argv[2]) - int(sys.argv[1])) / 1e9, 2))" "$@"; }

t0=$(date +%s%N)
"$BUILD/bench/gen_focus" --rows "$ROWS" --seed 42 --start 2026-08-01 | "$AICOST" --quiet --db "$db" ingest focus - >/dev/null
t1=$(date +%s%N)
echo "ledger: $ROWS FOCUS rows generated and ingested in $(secs "$t0" "$t1") s"
"$BUILD/bench/gen_gpu" "$D/gpu" --gpus "$GPUS" --days 30 >/dev/null
"$AICOST" --quiet --db "$db" ingest focus "$D/gpu/bill.csv" >/dev/null
t0=$(date +%s%N)
"$AICOST" --quiet --db "$db" ingest gpu "$D"/gpu/host-*.json.gz >/dev/null
t1=$(date +%s%N)
rm -rf "$D/gpu"
echo "telemetry: $GPUS GPUs x 30 days x 288 samples ingested in $(secs "$t0" "$t1") s"
if [ "$REQS" -gt 0 ]; then
	"$BUILD/bench/gen_llm" "$REQS" 7 >"$D/requests.jsonl"
	# gen_focus bills Azure OpenAI tokens on the same days: keep the log as allocation detail.
	"$AICOST" --quiet --db "$db" ingest llm --detail-only "$D/requests.jsonl" >/dev/null
	rm -f "$D/requests.jsonl"
	echo "request log: $REQS records ingested"
fi
echo "ledger file: $(du -m "$db" | cut -f1) MiB; daily rows $(sqlite3 "$db" 'SELECT count(*) FROM daily');" \
     "lines $(sqlite3 "$db" 'SELECT count(*) FROM line'); GPU rollups $(sqlite3 "$db" 'SELECT count(*) FROM gpu_daily');" \
     "hour profiles $(sqlite3 "$db" 'SELECT count(*) FROM gpu_hourly'); request statistics $(sqlite3 "$db" 'SELECT count(*) FROM llm_stat')"
ts=()
for _ in $(seq "$RUNS"); do
	s=$(date +%s%N)
	"$AICOST" --db "$db" recommend --format json >"$D/out.json"
	e=$(date +%s%N)
	ts+=($(((e - s) / 1000000)))
done
med=$(printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")
/usr/bin/time -f %M -o "$D/rss" "$AICOST" --db "$db" recommend --format json >/dev/null
echo "recommend: median ${med} ms over $RUNS runs (${ts[*]} ms), peak RSS $(($(cat "$D/rss") / 1024)) MiB; target <= 5000 ms"
python3 - "$D/out.json" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
print("findings: %d, %s; total %s a month = %s%% of spend (window %s to %s)" % (
    len(d["recommendations"]), dict(collections.Counter(r["kind"] for r in d["recommendations"])),
    d["total_monthly_savings"], d["savings_pct_of_spend"], d["from"], d["to"]))
PY
[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$D"
