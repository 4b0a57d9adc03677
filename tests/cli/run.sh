#!/bin/bash
# Golden CLI tests. Each case is a directory tests/cli/cases/NAME/ with:
#   cmd      a bash fragment; `aicost` is the binary under test (on PATH),
#            $DATA is tests/data, $CASE the case directory; it runs in a fresh
#            temporary directory, so ./aicost.db starts empty
#   stdout   the expected standard output, byte for byte
#   status   the expected exit code (absent = 0)
# UPDATE=1 tests/cli/run.sh rewrites stdout/status from the current binary.
# Prints "golden: N passed, M failed".
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${AICOST_BIN:-$root/aicost}
pass=0 fail=0
tmpbin=$(mktemp -d)
ln -s "$bin" "$tmpbin/aicost"
for c in "$root"/tests/cli/cases/*/; do
	name=$(basename "$c")
	[ -n "${ONLY:-}" ] && [[ "$name" != *$ONLY* ]] && continue
	work=$(mktemp -d)
	out="$work/.stdout"
	(cd "$work" && env -u AICOST_DB -u AICOST_CONFIG PATH="$tmpbin:$PATH" DATA="$root/tests/data" CASE="$c" \
		TZ=UTC LC_ALL=C bash -e "$c/cmd" >"$out" 2>"$work/.stderr" </dev/null)
	st=$?
	want_st=0
	[ -f "$c/status" ] && want_st=$(cat "$c/status")
	if [ -n "${UPDATE:-}" ]; then
		cp "$out" "$c/stdout"
		if [ "$st" != 0 ]; then echo "$st" >"$c/status"; else rm -f "$c/status"; fi
		pass=$((pass + 1))
	elif [ "$st" = "$want_st" ] && cmp -s "$out" "$c/stdout"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL golden/$name: exit $st (want $want_st)"
		diff -u "$c/stdout" "$out" | head -40
		echo "--- stderr:"; head -20 "$work/.stderr"
	fi
	rm -rf "$work"
done
rm -rf "$tmpbin"
echo "golden: $pass passed, $fail failed"
[ "$fail" = 0 ]
