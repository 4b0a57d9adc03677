# clickhouse_lib.sh - what the ClickHouse shell tests (tests/sh/test_clickhouse_*.sh)
# share: a throwaway clickhouse-server on loopback (scripts/clickhouse-test.sh),
# or the test skipped when clickhouse-server is not installed. Sourced, not run;
# needs $root.
#
#   ch_start LABEL DIR [start|start-cluster]
#       -> $port. DIR (made by the caller) holds the server's files under DIR/ch.
#       With `start` and CH_PORT set, the server the caller already started
#       is used instead (test_clickhouse_cluster.sh runs the golden and ledger
#       tests that way). Not installed: prints "LABEL: SKIP ...", removes DIR
#       and exits 0; did not start: prints "LABEL: FAIL ...", removes DIR and
#       exits 1.
#   ch_stop DIR   stops the server ch_start started (nothing for CH_PORT)
ch_own=
ch_start() {
	local label=$1 dir=$2 how=${3:-start} st
	if [ "$how" = start ] && [ -n "${CH_PORT:-}" ]; then
		port=$CH_PORT
		return 0
	fi
	port=$("$root/scripts/clickhouse-test.sh" "$how" "$dir/ch")
	st=$?
	if [ $st = 77 ]; then
		echo "$label: SKIP (clickhouse-server is not installed; scripts/install-deps.sh installs it)"
		rm -rf "$dir"
		exit 0
	fi
	if [ $st != 0 ]; then
		echo "$label: FAIL: the ClickHouse server did not start"
		rm -rf "$dir"
		exit 1
	fi
	ch_own=1
}
ch_stop() {
	if [ -n "$ch_own" ]; then
		"$root/scripts/clickhouse-test.sh" stop "$1/ch"
		ch_own=
	fi
}
