#!/bin/bash
# make fuzz: build every tests/fuzz/fuzz_*.c with clang's libFuzzer and
# ASan+UBSan, then run each for $1 seconds (default 60) on a copy of its
# seed corpus. Crashes are left in build/fuzz/<target>/ as crash-* files.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs=${1:-60}
out=build/fuzz
mkdir -p "$out"
make --no-print-directory CC=clang BUILD=$out/lib BIN=$out/aicost SANITIZE=address,undefined \
	CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" "$out/lib/libaicost.a" >/dev/null
status=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	corpus=tests/fuzz/corpus/${name#fuzz_}
	mkdir -p "$out/$name/corpus"
	[ -d "$corpus" ] && cp -n "$corpus"/* "$out/$name/corpus/" 2>/dev/null || true
	clang -O1 -g -std=gnu11 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined \
		-o "$out/$name/$name" "$src" "$out/lib/libaicost.a" \
		-lsqlite3 -lz -lzstd -ljansson -lyaml -lcurl -lcrypto -levent -levent_pthreads -ldl -lm -lpthread
	echo "== $name: ${secs}s"
	(cd "$out/$name" && ./"$name" -max_total_time="$secs" -max_len=65536 -print_final_stats=1 corpus \
		2>&1 | tail -n 4) || status=1
done
exit $status
