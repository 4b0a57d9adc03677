# gateway_lib.sh - what the gateway shell tests (tests/sh/test_gateway_*.sh)
# share: start the stand-in upstream (llm_stub) and the gateway on free
# loopback ports, hash keys, sum exact decimals, clean up. Sourced, not run.
#
# A test sets NAME before sourcing and then uses:
#   start_stub [llm_stub args]      -> $stub_url, $spid
#   start_gw                        -> $gw_url, $gpid (config: $tmp/aicost.yaml, ledger: $GW_DB, default $tmp/t.db)
#   stop_gw [SIGNAL]                -> waits for the gateway to exit
#   fail MESSAGE
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build/rel}
bin=${AICOST_BIN:-$root/aicost}
stub=$root/$BUILD/tests/llm_stub
client="python3 $root/tests/tools/gw_client.py"
tmp=$(mktemp -d)
spid= gpid= rpid=
GW_DB=${GW_DB:-t.db}
cleanup() {
	[ -n "$gpid" ] && kill -9 "$gpid" 2>/dev/null
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	[ -n "$rpid" ] && kill $rpid 2>/dev/null
	{ wait; } 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "$NAME: FAIL: $*"
	[ -f "$tmp/gw.err" ] && sed 's/^/  gateway stderr: /' "$tmp/gw.err" | tail -n 20
	exit 1
}
[ -x "$stub" ] || fail "$stub not built"
cd "$tmp"

start_stub() {
	"$stub" --listen 127.0.0.1:0 --quiet --key sk-upstream-secret "$@" >stub.out 2>stub.err &
	spid=$!
	for _ in $(seq 100); do grep -q '^listening ' stub.out 2>/dev/null && break; sleep 0.05; done
	grep -q '^listening ' stub.out || fail "llm_stub did not start"
	stub_url=http://$(sed 's/^listening //' stub.out)
}

start_gw() {
	rm -f ready
	UPSTREAM_KEY=sk-upstream-secret "$bin" --db "$GW_DB" --config aicost.yaml gateway --listen 127.0.0.1:0 \
		--ready-file ready >gw.out 2>>gw.err &
	gpid=$!
	for _ in $(seq 200); do [ -s ready ] && break; sleep 0.05; done
	[ -s ready ] || fail "the gateway did not start"
	gw_url=http://$(cat ready)
}

stop_gw() {
	kill "-${1:-TERM}" "$gpid" 2>/dev/null
	wait "$gpid" 2>/dev/null
	local rc=$?
	gpid=
	# Under SANITIZE builds a report (leak, overflow, UB) fails the test.
	if grep -q 'Sanitizer\|runtime error' gw.err 2>/dev/null; then
		fail "sanitizer report: $(grep -m 3 'Sanitizer\|runtime error\|#[0-9] ' gw.err)"
	fi
	[ "${1:-TERM}" != TERM ] || [ "$rc" = 0 ] || fail "the gateway exited $rc after SIGTERM"
}

hash_key() { "$bin" gateway --hash-key "$1"; }

# Exact sum of decimal numbers on stdin (one per line).
dsum() { python3 -c 'import sys,decimal; print(sum((decimal.Decimal(l) for l in sys.stdin if l.strip()), decimal.Decimal(0)).normalize())'; }

# Exact total cost in the ledger (report JSON, all time).
ledger_total() {
	"$bin" --db "$GW_DB" --config aicost.yaml report --by ServiceName --format json |
		python3 -c 'import sys,json,decimal; d=json.load(sys.stdin,parse_float=decimal.Decimal); print(decimal.Decimal(d["total"]).normalize())'
}

# Requests in the ledger: the consumed quantity of the Requests meter, from the stored daily sums.
ledger_requests() {
	"$bin" --db "$GW_DB" --config aicost.yaml unit-cost --metric requests --format json 2>/dev/null |
		python3 -c 'import sys,json; d=json.load(sys.stdin); print(int(sum(r["units"] for r in d["rows"])))'
}
