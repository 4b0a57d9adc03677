#!/bin/bash
# recommend --actions --webhook against a real HTTP receiver on loopback
# (tests/tools/webhook_receiver.py): the POSTed body is the --actions document
# (the same bytes as on stdout), sent once; a receiver answering 500 makes the
# command fail (exit 1) with one line that names the host but not the secret path.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build/rel}
bin=${AICOST_BIN:-$root/aicost}
[ -x "$root/$BUILD/aicost" ] && bin=$root/$BUILD/aicost
tmp=$(mktemp -d)
rpid=
cleanup() { [ -n "$rpid" ] && kill "$rpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "recommend actions test: FAIL: $*"; [ -f "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err"; exit 1; }
cd "$tmp"
R=$root/tests/data/recommend
"$bin" --quiet --db t.db ingest focus "$R/bill.csv.gz" >/dev/null &&
"$bin" --quiet --db t.db --config "$R/aicost.yaml" ingest gpu "$R/telemetry.json.gz" >/dev/null || fail "ingest"

start_receiver() { # FAIL
	rm -f port got.jsonl
	python3 "$root/tests/tools/webhook_receiver.py" --port-file port --log got.jsonl --fail "$1" &
	rpid=$!
	for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
	[ -s port ] || fail "the receiver did not start"
	port=$(cat port)
}
stop_receiver() { kill "$rpid"; wait "$rpid" 2>/dev/null; rpid=; }

"$bin" --db t.db --config "$R/aicost.yaml" recommend --actions >want.json 2>err || fail "--actions"
start_receiver 0
"$bin" --db t.db --config "$R/aicost.yaml" recommend --actions --webhook "http://127.0.0.1:$port/hook/S3CRET" >out 2>err ||
	fail "--webhook exit $?"
grep -q "^sent [0-9]* actions to http://127.0.0.1:$port/\.\.\. (HTTP 200)$" out || fail "stdout: $(cat out)"
grep -q S3CRET out err && fail "the secret path was printed"
python3 - want.json got.jsonl <<'PY' || fail "the body is not the --actions document"
import json, sys
want = json.load(open(sys.argv[1]))
got = [json.loads(l) for l in open(sys.argv[2])]
assert len(got) == 1, "%d posts" % len(got)
assert got[0]["path"] == "/hook/S3CRET" and got[0]["content_type"].startswith("application/json")
assert got[0]["body"] == want, "body differs"
assert want["actions"] and all(a["type"] and a["id"] for a in want["actions"])
PY
stop_receiver
start_receiver 5
"$bin" --db t.db --config "$R/aicost.yaml" recommend --actions --webhook "http://127.0.0.1:$port/hook/S3CRET" >out 2>err
rc=$?
[ "$rc" = 1 ] || fail "a 500 gave exit $rc"
[ "$(wc -l <err)" = 1 ] && grep -q "^aicost: recommend: webhook http://127.0.0.1:$port" err || fail "error line: $(cat err)"
grep -q S3CRET err && fail "the secret path was printed"
stop_receiver
echo "recommend actions test: ok"
