#!/bin/bash
# bench/run.sh - ingest and report benchmarks, aicost beside DuckDB.
# Invoked by `make bench` (which builds ./aicost and $BUILD/bench/* first).
# See bench/README.md for what is measured and why.
#
# Environment:
#   BENCH_SIZES   row counts to run (default "1000000 10000000")
#   BENCH_RUNS    report repetitions, median taken (default 5)
#   BENCH_SEED    generator seed (default 42)
#   BENCH_PEER    0 to skip the DuckDB peer (default 1)
#   AICOST_BIN    the binary under test (default ./aicost)
#   BUILD         build dir holding bench/gen_focus (default build/rel)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build/rel}
GEN=$BUILD/bench/gen_focus
AICOST=${AICOST_BIN:-./aicost}
SIZES=${BENCH_SIZES:-1000000 10000000}
RUNS=${BENCH_RUNS:-5}
SEED=${BENCH_SEED:-42}
PEER=${BENCH_PEER:-1}
CONFIG=bench/aicost-bench.yaml
DATA=bench/data
OUT=bench/out
WORK=$OUT/work
TIME=/usr/bin/time

mkdir -p "$DATA" "$OUT" "$WORK"
log() { printf '%s\n' "$*" >&2; }

[ -x "$GEN" ] || { log "bench: $GEN not built (make BUILD=$BUILD tools)"; exit 1; }
[ -x "$TIME" ] || { log "bench: $TIME missing (apt-get install time)"; exit 1; }

now_ns() { date +%s%N; }
# ms between two now_ns stamps, with one decimal.
ms_since() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }
size_mib() {  # total bytes of the files that exist, in MiB
	local t=0 f
	for f in "$@"; do [ -e "$f" ] && t=$((t + $(stat -c %s "$f"))); done
	awk -v t="$t" 'BEGIN { printf "%.1f", t / 1048576 }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "n/a" }'; }
rate() { awk -v n="$1" -v ms="$2" 'BEGIN { if (ms > 0) printf "%.0f", n / (ms / 1000); else print "n/a" }'; }
kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
json_field() { node -e 'const o = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(o[process.argv[1]])' "$1"; }

# ----- DuckDB peer setup ----------------------------------------------------
if [ "$PEER" = 1 ]; then
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		log "bench: node/npm not found; skipping the DuckDB peer"
		PEER=0
	elif [ ! -d bench/duckdb/node_modules/@duckdb/node-api ]; then
		log "bench: installing @duckdb/node-api into bench/duckdb"
		npm ci --prefix bench/duckdb --no-audit --no-fund --loglevel=error >&2 ||
			npm install --prefix bench/duckdb --no-audit --no-fund --loglevel=error >&2 ||
			{ log "bench: npm install failed; skipping the DuckDB peer"; PEER=0; }
	fi
fi

# ----- Machine ----------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
duck_ver=n/a
[ "$PEER" = 1 ] && duck_ver=$(cd bench/duckdb && node --input-type=module -e 'import { DuckDBInstance } from "@duckdb/node-api"; const c = await (await DuckDBInstance.create(":memory:")).connect(); console.log((await c.runAndReadAll("select version()")).getRows()[0][0]);' 2>/dev/null || echo n/a)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

results=$WORK/results.tsv
: >"$results"
notes=()

# ----- One size ----------------------------------------------------------------
bench_size() {
	local n=$1
	local csv=$DATA/focus-$n-s$SEED.csv
	if [ ! -s "$csv" ]; then
		# Rows run ~850 bytes; keep room for the CSV and both databases.
		local need=$((n * 850 * 3 / 1048576)) avail
		avail=$(df -Pm "$DATA" | awk 'NR == 2 { print $4 }')
		if [ "$avail" -lt "$need" ]; then
			log "bench: $n rows needs ~${need} MiB free in $DATA, have ${avail}; skipped"
			notes+=("$n rows skipped: not enough disk (${avail} MiB free, ~${need} MiB needed)")
			return
		fi
		log "bench: generating $csv"
		local t0 t1
		t0=$(now_ns)
		"$GEN" --rows "$n" --seed "$SEED" -o "$csv.tmp"
		t1=$(now_ns)
		mv "$csv.tmp" "$csv"
		local gms
		gms=$(ms_since "$t0" "$t1")
		notes+=("gen_focus wrote $n rows ($(size_mib "$csv") MiB) in ${gms} ms: $(rate "$n" "$gms") rows/s")
	fi
	local csv_mib
	csv_mib=$(size_mib "$csv")
	# Warm the page cache so neither tool pays for the first read.
	cat "$csv" >/dev/null

	# --- aicost
	local db=$WORK/aicost-$n.db
	rm -f "$db" "$db-wal" "$db-shm"
	log "bench: aicost ingest $n rows"
	local t0 t1 ok=1
	t0=$(now_ns)
	if ! "$TIME" -f %M -o "$WORK/rss" "$AICOST" --db "$db" --config "$CONFIG" --quiet \
		ingest focus "$csv" >"$WORK/aicost-ingest-$n.out" 2>"$WORK/aicost-ingest-$n.err"; then
		ok=0
		log "bench: aicost ingest failed: $(tail -n 1 "$WORK/aicost-ingest-$n.err")"
		notes+=("aicost ingest of $n rows failed: $(tail -n 1 "$WORK/aicost-ingest-$n.err")")
	fi
	t1=$(now_ns)
	if [ "$ok" = 1 ]; then
		local ims rss disk
		ims=$(ms_since "$t0" "$t1")
		rss=$(kib_to_mib "$(tail -n 1 "$WORK/rss")")
		disk=$(size_mib "$db" "$db-wal")
		log "bench: aicost report --by team,month ($RUNS runs)"
		local i times=() rms rrss
		"$AICOST" --db "$db" --config "$CONFIG" report --by team,month --format json \
			>"$WORK/aicost-report-$n.json" 2>"$WORK/aicost-report-$n.err" || ok=0
		if [ "$ok" = 1 ]; then
			for ((i = 0; i < RUNS; i++)); do
				t0=$(now_ns)
				"$TIME" -f %M -o "$WORK/rss" "$AICOST" --db "$db" --config "$CONFIG" \
					report --by team,month --format json >/dev/null
				t1=$(now_ns)
				times+=("$(ms_since "$t0" "$t1")")
			done
			rms=$(printf '%s\n' "${times[@]}" | median)
			rrss=$(kib_to_mib "$(tail -n 1 "$WORK/rss")")
		else
			log "bench: aicost report failed: $(tail -n 1 "$WORK/aicost-report-$n.err")"
			notes+=("aicost report on $n rows failed: $(tail -n 1 "$WORK/aicost-report-$n.err")")
			rms=n/a rrss=n/a
		fi
		printf '%s\taicost\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$csv_mib" "$ims" "$(rate "$n" "$ims")" \
			"$rss" "$disk" "$rms" "$rrss" >>"$results"
	else
		printf '%s\taicost\t%s\tn/a\tn/a\tn/a\tn/a\tn/a\tn/a\n' "$n" "$csv_mib" >>"$results"
	fi
	rm -f "$db" "$db-wal" "$db-shm"

	# --- DuckDB
	if [ "$PEER" = 1 ]; then
		local ddb=$WORK/duckdb-$n.duckdb
		rm -f "$ddb" "$ddb.wal"
		log "bench: duckdb ingest $n rows"
		t0=$(now_ns)
		if "$TIME" -f %M -o "$WORK/rss" node bench/duckdb/peer.mjs ingest "$csv" "$ddb" \
			>"$WORK/duckdb-ingest-$n.json" 2>"$WORK/duckdb-ingest-$n.err"; then
			t1=$(now_ns)
			local ims rss disk qjson rms rrss
			ims=$(ms_since "$t0" "$t1")
			rss=$(kib_to_mib "$(tail -n 1 "$WORK/rss")")
			disk=$(size_mib "$ddb" "$ddb.wal")
			log "bench: duckdb query ($RUNS runs)"
			PEER_SHOW_ROWS=1 "$TIME" -f %M -o "$WORK/rss" node bench/duckdb/peer.mjs query "$ddb" "$RUNS" \
				>"$WORK/duckdb-report-$n.json"
			rrss=$(kib_to_mib "$(tail -n 1 "$WORK/rss")")
			rms=$(json_field seconds_median <"$WORK/duckdb-report-$n.json" |
				awk '{ printf "%.1f", $1 * 1000 }')
			printf '%s\tduckdb\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$csv_mib" "$ims" \
				"$(rate "$n" "$ims")" "$rss" "$disk" "$rms" "$rrss" >>"$results"
			# Cross-check: both tools must agree on every (team, month) cost.
			if [ -s "$WORK/aicost-report-$n.json" ]; then
				notes+=("$n rows: $(node bench/compare.mjs "$WORK/aicost-report-$n.json" \
					"$WORK/duckdb-report-$n.json" 2>&1 || true)")
			fi
		else
			log "bench: duckdb ingest failed: $(tail -n 1 "$WORK/duckdb-ingest-$n.err")"
			notes+=("duckdb ingest of $n rows failed: $(tail -n 1 "$WORK/duckdb-ingest-$n.err")")
		fi
		rm -f "$ddb" "$ddb.wal"
	fi
}

for n in $SIZES; do
	bench_size "$n"
done

# ----- Report ------------------------------------------------------------------
md=$OUT/latest.md
{
	echo "# aicost benchmark: ingest and report --by team,month"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ), aicost $rev"
	echo "- machine: $(nproc) cores, $cpu, $mem RAM"
	echo "- DuckDB $duck_ver via @duckdb/node-api; report runs: median of $RUNS (warm)"
	echo "- input: gen_focus --seed $SEED (FOCUS 1.2 CSV, 57 columns, hourly line items)"
	echo
	echo "| rows | tool | CSV MiB | ingest s | ingest rows/s | ingest peak RSS MiB | disk MiB | report ms | report peak RSS MiB |"
	echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|"
	while IFS=$'\t' read -r n tool csvm ims rps rss disk rms rrss; do
		isec=$ims
		[ "$ims" != n/a ] && isec=$(awk -v m="$ims" 'BEGIN { printf "%.2f", m / 1000 }')
		echo "| $n | $tool | $csvm | $isec | $rps | $rss | $disk | $rms | $rrss |"
	done <"$results"
	echo
	echo "aicost report ms is the whole CLI invocation (process start, open the ledger, query,"
	echo "render JSON); DuckDB's is the query alone inside a warm connection (node start-up and"
	echo "database open excluded), so the comparison flatters DuckDB. Ingest times are wall"
	echo "clock of the whole command for both."
	if [ ${#notes[@]} -gt 0 ]; then
		echo
		for x in "${notes[@]}"; do echo "- $x"; done
	fi
} >"$md"
cat "$md"
