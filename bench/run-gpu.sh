#!/bin/bash
# bench/run-gpu.sh - GPU telemetry: ingest throughput, peak RSS, `aicost gpu --by team` time.
# Generates 30 days of 5-minute DCGM samples for 1,000 GPUs (8.64M samples, 4 metrics
# each, Prometheus query_range JSON, gzip) and a matching FOCUS bill with bench/gen_gpu,
# under bench/data/gpu (git-ignored; removed at the end unless BENCH_KEEP=1).
#
# Environment: BENCH_GPUS (1000), BENCH_DAYS (30), BENCH_RUNS (5, median query time),
# AICOST_BIN (./aicost), BUILD (build/rel).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build/rel}
AICOST=${AICOST_BIN:-./aicost}
GPUS=${BENCH_GPUS:-1000}
DAYS=${BENCH_DAYS:-30}
RUNS=${BENCH_RUNS:-5}
D=bench/data/gpu
rm -rf "$D"
mkdir -p "$D"
cat >"$D/aicost.yaml" <<'Y'
allocation:
  dimensions:
    team:
      tags: [team, namespace]
Y
"$BUILD/bench/gen_gpu" "$D" --gpus "$GPUS" --days "$DAYS"
samples=$((GPUS * DAYS * 288))
echo "input: $(du -sh "$D" | cut -f1) compressed, $(ls "$D"/host-*.json.gz | wc -l) files"
"$AICOST" --quiet --db "$D/l.db" ingest focus "$D/bill.csv" >/dev/null
/usr/bin/time -v "$AICOST" --quiet --db "$D/l.db" ingest gpu "$D"/host-*.json.gz >/dev/null 2>"$D/time.txt"
el=$(grep 'Elapsed (wall' "$D/time.txt" | awk '{print $NF}')
rss=$(grep 'Maximum resident' "$D/time.txt" | awk '{print $NF}')
secs=$(python3 -c "p='$el'.split(':'); print(sum(float(x)*60**i for i,x in enumerate(reversed(p))))")
echo "ingest gpu: $samples samples in ${secs}s = $(python3 -c "print(int($samples/$secs))") samples/s; peak RSS $((rss / 1024)) MiB"
echo "ledger: $(du -h "$D/l.db" | cut -f1); GPU rollup rows: $(sqlite3 "$D/l.db" 'SELECT count(*) FROM gpu_daily')"
ts=()
for _ in $(seq "$RUNS"); do
	s=$(date +%s%N)
	"$AICOST" --db "$D/l.db" --config "$D/aicost.yaml" gpu --by team --format csv >"$D/out.csv"
	e=$(date +%s%N)
	ts+=($(((e - s) / 1000000)))
done
med=$(printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")
echo "gpu --by team: median ${med} ms over $RUNS runs (${ts[*]} ms); target <= 200 ms"
/usr/bin/time -v "$AICOST" --db "$D/l.db" --config "$D/aicost.yaml" gpu --by team --format csv >/dev/null 2>"$D/qt.txt"
echo "gpu --by team peak RSS: $(($(grep 'Maximum resident' "$D/qt.txt" | awk '{print $NF}') / 1024)) MiB"
head -4 "$D/out.csv"
# Reconciliation: every bill line joins a GPU host with telemetry that day, so the GPU cost is the bill.
bill=$("$AICOST" --db "$D/l.db" report --by ServiceName --format json | python3 -c "import json,sys; import decimal; print(json.load(sys.stdin, parse_float=decimal.Decimal)['total'])")
gpu=$(python3 -c "import csv,decimal,sys; print(sum(decimal.Decimal(r['cost']) for r in csv.DictReader(open(sys.argv[1]))))" "$D/out.csv")
python3 -c "import decimal,sys; a,b=map(decimal.Decimal,sys.argv[1:]); print('GPU cost', b, '= bill', a if a==b else 'MISMATCH: bill %s' % a); sys.exit(a!=b)" "$bill" "$gpu"
[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$D"
