#!/bin/bash
# bench/clickhouse/run.sh - issue 8's benchmark: generated FOCUS rows
# streamed into the ClickHouse ledger, ingest rows/s and the latency of
# `report --by team,month`, beside the SQLite ledger on the same rows.
# `make bench-clickhouse` builds ./aicost and the tools, then runs this.
#
# - The rows come from bench/gen_focus (--seed, 92 days, FOCUS 1.2, 57
#   columns) through a pipe into `aicost ingest focus -`: no CSV is ever on
#   disk (100M rows would be ~78 GB), so the numbers include the
#   generator's share of the CPU (about 1/15 of aicost's).
# - ClickHouse: a throwaway clickhouse-server (scripts/clickhouse-test.sh:
#   loopback, 1 GB per query, 2 threads per query, 64 MB mark cache), its
#   data under bench/data/clickhouse/ (removed at the end).
# - Per size and backend: ingest wall time and rows/s, the client's CPU and
#   peak RSS, the server's CPU during the ingest, the stored size, and the
#   median of BENCH_RUNS whole `aicost report --by team,month --format json`
#   runs after one warm-up (process start, ledger open, allocation, the
#   query, JSON). The two backends' report outputs must be byte-identical.
# - The load average before each step is recorded: the build machine is
#   shared, and the numbers mean little without it.
#
# Environment:
#   CH_SIZES    row counts for ClickHouse (default "1000000 10000000 100000000")
#   SQ_SIZES    row counts for SQLite (default: the same)
#   BENCH_RUNS  report repetitions, median taken (default 5)
#   BENCH_SEED  generator seed (default 42)
#   CH_KEEP=1   leave the server running and its data in place (prints the port)
#   AICOST_BIN, BUILD as for bench/run.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
BUILD=${BUILD:-build/rel}
GEN=$BUILD/bench/gen_focus
AICOST=${AICOST_BIN:-./aicost}
CH_SIZES=${CH_SIZES:-1000000 10000000 100000000}
SQ_SIZES=${SQ_SIZES:-$CH_SIZES}
RUNS=${BENCH_RUNS:-5}
SEED=${BENCH_SEED:-42}
CONFIG=bench/aicost-bench.yaml
DATA=bench/data/clickhouse
OUT=bench/out
TIME=/usr/bin/time
log() { printf '%s\n' "$*" >&2; }

[ -x "$GEN" ] || { log "bench: $GEN not built (make BUILD=$BUILD tools)"; exit 1; }
[ -x "$TIME" ] || { log "bench: $TIME missing (apt-get install time)"; exit 1; }
mkdir -p "$DATA" "$OUT"
port=$(scripts/clickhouse-test.sh start "$DATA/server") || {
	log "bench: clickhouse-server did not start (scripts/install-deps.sh installs it)"
	exit 1
}
spid=$(cat "$DATA/server/pid")
stop() {
	if [ "${CH_KEEP:-0}" = 1 ]; then
		log "bench: server left running on port $port ($DATA/server)"
	else
		scripts/clickhouse-test.sh stop "$DATA/server"
		rm -f "$DATA"/sq-*.db "$DATA"/sq-*.db-wal "$DATA"/sq-*.db-shm
	fi
}
trap stop EXIT

tck=$(getconf CLK_TCK)
now_ns() { date +%s%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "n/a" }'; }
load() { cut -d' ' -f1 /proc/loadavg; }
srv_cpu() { awk -v t="$tck" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$spid/stat"; }
srv_rss() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$spid/status"; }
srv_hwm() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$spid/status"; }
q() { curl -fsS "http://127.0.0.1:$port/" --data-binary "$1"; }

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
res=$OUT/clickhouse.md
{
	echo "- Date: $(date -u +%Y-%m-%d), commit $rev, clickhouse-server $(q 'SELECT version()')"
	echo "- Machine: $(nproc) cores ($cpu), $mem; load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- Input: \`gen_focus --rows N --seed $SEED\` piped into \`aicost --config $CONFIG ingest focus -\`"
	echo
	echo "| rows | ledger | ingest s | rows/s | client CPU s | server CPU s | client peak RSS MiB | stored MiB | report ms (median of $RUNS) | report peak RSS MiB | load before |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$res"

# ingest LEDGER N: sets ing_s, ing_rate, cli_cpu, cli_rss, srv_cpu_s, ld
ingest() {
	local db=$1 n=$2 tf=$DATA/time.txt
	ld=$(load)
	local c0 t0 t1
	c0=$(srv_cpu)
	t0=$(now_ns)
	"$GEN" --rows "$n" --seed "$SEED" 2>/dev/null |
		"$TIME" -f '%e %M %U %S' -o "$tf" "$AICOST" --db "$db" --config "$CONFIG" --quiet ingest focus - >/dev/null
	t1=$(now_ns)
	srv_cpu_s=$(awk -v a="$c0" -v b="$(srv_cpu)" 'BEGIN { printf "%.1f", b - a }')
	ing_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
	ing_rate=$(awk -v n="$n" -v s="$ing_s" 'BEGIN { printf "%.0f", n / s }')
	read -r _ rss u s <"$tf"
	cli_cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.1f", u + s }')
	cli_rss=$(awk -v k="$rss" 'BEGIN { printf "%.0f", k / 1024 }')
}

# report LEDGER OUTFILE: sets rep_ms, rep_rss
report() {
	local db=$1 out=$2 tf=$DATA/time.txt i t0 t1
	"$AICOST" --db "$db" --config "$CONFIG" report --by team,month --format json >"$out"
	rep_ms=$(for i in $(seq "$RUNS"); do
		t0=$(now_ns)
		"$AICOST" --db "$db" --config "$CONFIG" report --by team,month --format json >/dev/null
		t1=$(now_ns)
		awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", (b - a) / 1e6 }'
	done | median)
	"$TIME" -f '%M' -o "$tf" "$AICOST" --db "$db" --config "$CONFIG" report --by team,month --format json >/dev/null
	rep_rss=$(awk '{ printf "%.0f", $1 / 1024 }' "$tf")
}

row() { # N LEDGER STORED
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$ing_s" "$ing_rate" "$cli_cpu" \
		"$srv_cpu_s" "$cli_rss" "$3" "$rep_ms" "$rep_rss" "$ld" | tee -a "$res" >&2
}

for n in $(printf '%s\n' $CH_SIZES $SQ_SIZES | sort -un); do
	if printf '%s\n' $CH_SIZES | grep -qx "$n"; then
		log "bench: $n rows into ClickHouse"
		url="clickhouse://127.0.0.1:$port/bench_$n"
		ingest "$url" "$n"
		report "$url" "$DATA/report-ch-$n.json"
		stored=$(q "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'bench_$n' AND active" |
			awk '{ printf "%.1f", $1 / 1048576 }')
		row "$n" "ClickHouse" "$stored"
		echo "  server RSS now $(srv_rss) MiB, peak so far $(srv_hwm) MiB" | tee -a "$OUT/clickhouse-notes.txt" >&2
	fi
	if printf '%s\n' $SQ_SIZES | grep -qx "$n"; then
		log "bench: $n rows into SQLite"
		f=$DATA/sq-$n.db
		rm -f "$f" "$f-wal" "$f-shm"
		ingest "$f" "$n"
		report "$f" "$DATA/report-sq-$n.json"
		stored=$(stat -c %s "$f" "$f-wal" 2>/dev/null | awk '{ t += $1 } END { printf "%.1f", t / 1048576 }' || true)
		srv_cpu_s=-
		row "$n" "SQLite" "$stored"
		rm -f "$f" "$f-wal" "$f-shm"
	fi
	if [ -f "$DATA/report-ch-$n.json" ] && [ -f "$DATA/report-sq-$n.json" ]; then
		if cmp -s "$DATA/report-ch-$n.json" "$DATA/report-sq-$n.json"; then
			log "bench: $n rows: the two reports are byte-identical"
		else
			log "bench: $n rows: the reports DIFFER"
			echo "- $n rows: the two backends' reports differ" >>"$res"
		fi
	fi
done
echo "- Server: RSS $(srv_rss) MiB at the end, peak $(srv_hwm) MiB; load average at the end $(cut -d' ' -f1-3 /proc/loadavg)" >>"$res"
cat "$res"
