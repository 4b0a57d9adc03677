#!/bin/bash
# SIGKILL during a large ingest, 20+ times at random points: the ledger must
# always be exactly as before or fully updated, never in between, and a
# re-ingest afterwards must change nothing.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${AICOST_BIN:-$root/aicost}
runs=${CRASH_RUNS:-24}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "crash test: FAIL: $*"; exit 1; }

# A large file: the real sample, repeated with shifted days and fresh Ids.
awk -F, -v OFS=, 'NR == 1 { print; next } { rows[NR] = $0 }
END { for (k = 0; k < 120; k++) for (i = 2; i <= NR; i++) {
	line = rows[i]; d = sprintf("%02d", (k % 28) + 1);
	gsub(/2024-09-[0-9][0-9] /, "2024-09-" d " ", line); print line } }' \
	"$root/tests/data/focus_sample.csv" >"$tmp/big.csv"
head -n 200 "$root/tests/data/focus_sample.csv" >"$tmp/base.csv"

state() { # an id-free fingerprint of everything a user can see
	"$bin" --db "$1" --quiet report --by ServiceName,day,tag:application --cost billed --format csv
	"$bin" --db "$1" --quiet sources --format csv | cut -d, -f2,4-
	sqlite3 "$1" "PRAGMA integrity_check; SELECT count(*) FROM seg; SELECT count(*), sum(n) FROM daily;"
}

"$bin" --db "$tmp/base.db" --quiet ingest focus "$tmp/base.csv" >/dev/null || fail "base ingest"
state "$tmp/base.db" >"$tmp/s0"
cp "$tmp/base.db" "$tmp/full.db"
t0=$(date +%s%N)
"$bin" --db "$tmp/full.db" --quiet ingest focus "$tmp/big.csv" >/dev/null || fail "reference ingest"
t1=$(date +%s%N)
state "$tmp/full.db" >"$tmp/s1"
cmp -s "$tmp/s0" "$tmp/s1" && fail "the big file changed nothing"
dur_ms=$(((t1 - t0) / 1000000))
before=0 after=0
for i in $(seq 1 "$runs"); do
	cp "$tmp/base.db" "$tmp/k.db"
	delay_ms=$((RANDOM % (dur_ms + 20)))
	"$bin" --db "$tmp/k.db" --quiet ingest focus "$tmp/big.csv" >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' "$delay_ms")" 2>/dev/null || sleep 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	state "$tmp/k.db" >"$tmp/sk"
	if cmp -s "$tmp/sk" "$tmp/s0"; then
		before=$((before + 1))
	elif cmp -s "$tmp/sk" "$tmp/s1"; then
		after=$((after + 1))
	else
		diff "$tmp/s0" "$tmp/sk" | head -5
		fail "run $i (killed after ${delay_ms} ms): the ledger is neither before nor after"
	fi
	# Finishing the interrupted work, then repeating it, converges on the full state.
	"$bin" --db "$tmp/k.db" --quiet ingest focus "$tmp/big.csv" >/dev/null || fail "resume ingest"
	"$bin" --db "$tmp/k.db" --quiet ingest focus "$tmp/big.csv" >/dev/null || fail "re-ingest"
	state "$tmp/k.db" >"$tmp/sk"
	cmp -s "$tmp/sk" "$tmp/s1" || fail "run $i: resumed ledger differs from the reference"
done
echo "crash test: $runs SIGKILLs during a $(($(wc -l <"$tmp/big.csv") - 1))-row ingest (${dur_ms} ms):" \
	"$before left the ledger as before, $after fully updated, 0 in between"
