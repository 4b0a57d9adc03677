#!/bin/bash
# make test: unit tests (cmocka), golden CLI tests, fuzz smoke, shell tests.
# Prints one summary line "N passed, M failed" at the end.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build/rel}
pass=0 fail=0
note() { if [ "$1" = 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $2"; fi; }

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	"$t" >"$BUILD/$(basename "$t").log" 2>&1
	rc=$?
	tail -n 3 "$BUILD/$(basename "$t").log" | sed "s|^|$(basename "$t"): |"
	[ $rc = 0 ] || cat "$BUILD/$(basename "$t").log"
	note $rc "unit $(basename "$t")"
done

AICOST_BIN=${AICOST_BIN:-$root/aicost} tests/cli/run.sh
note $? "golden CLI tests"

for f in "$BUILD"/fuzz-smoke/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	"$f" tests/fuzz/corpus/"${name#fuzz_}" 2>&1 | tail -n 1
	note "${PIPESTATUS[0]}" "fuzz smoke $name"
done

for s in tests/sh/test_*.sh; do
	[ -f "$s" ] || continue
	BUILD=$BUILD bash "$s"
	note $? "shell $(basename "$s")"
done

echo "make test: $pass passed, $fail failed"
[ "$fail" = 0 ]
