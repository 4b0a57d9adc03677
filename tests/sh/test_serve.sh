#!/bin/bash
# aicost serve against a real ledger (tests/tools/serve_fixture.sh: a small
# `make run` demo ledger with admin and team tokens):
#   - tests/tools/api_test.py: every endpoint equals the CLI's JSON, the auth
#     matrix, 400s for bad parameters, strict /metrics, OpenAPI, HTTP details;
#   - 64 concurrent clients get the same bytes as one at a time;
#   - a client that disconnects while its query runs does not hurt the server;
#   - an ingest while serving is visible on the next request (no stale cache);
#   - the config is reloaded when it changes (a new token works);
#   - refusals: a non-loopback address without tokens, a bad --listen, a bad
#     token config; --hash-token matches sha256; SIGTERM stops it cleanly.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${AICOST_BIN:-$root/aicost}
export AICOST_BIN=$bin BUILD=${BUILD:-build/rel}
tmp=$(mktemp -d)
spid=
cleanup() { [ -n "$spid" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "serve test: FAIL: $*"; [ -f "$tmp/server.log" ] && tail -n 20 "$tmp/server.log" | sed 's/^/  server: /'; exit 1; }

"$root/tests/tools/serve_fixture.sh" "$tmp" 2>/dev/null || fail "fixture"
. "$tmp/tokens.env"
export AICOST_NOW=2026-10-31

start() { # extra serve args...
	rm -f "$tmp/url"
	"$bin" --db "$tmp/aicost.db" --config "$tmp/aicost.yaml" serve --listen 127.0.0.1:0 --ready-file "$tmp/url" \
		--workers 2 "$@" 2>>"$tmp/server.log" &
	spid=$!
	for _ in $(seq 200); do [ -s "$tmp/url" ] && break; kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
	[ -s "$tmp/url" ] || fail "the server did not start"
	url=$(cat "$tmp/url")
}

# --hash-token is SHA-256 of the token.
want=$(printf '%s' "$ADMIN_TOKEN" | python3 -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
got=$(printf '%s\n' "$ADMIN_TOKEN" | "$bin" serve --hash-token)
[ "$got" = "$want" ] || fail "--hash-token: $got, want $want"
printf 'bad token\n' | "$bin" serve --hash-token >/dev/null 2>&1 && fail "--hash-token accepted a space"
tok=$("$bin" serve --new-token | awk '/^token:/ {print $2}')
sha=$("$bin" serve --new-token | awk '/^sha256:/ {print $2}')
[ ${#tok} -ge 36 ] && [ ${#sha} = 64 ] || fail "--new-token: '$tok' '$sha'"

# Refusals.
"$bin" --db "$tmp/aicost.db" --config "$root/data/demo/aicost.yaml" serve --listen 0.0.0.0:0 >/dev/null 2>"$tmp/err" &&
	fail "served 0.0.0.0 without tokens"
grep -q "not a loopback address" "$tmp/err" || fail "0.0.0.0 without tokens: $(cat "$tmp/err")"
"$bin" --db "$tmp/aicost.db" serve --listen nowhere:80 >/dev/null 2>"$tmp/err" && fail "bad --listen accepted"
grep -q "listen" "$tmp/err" || fail "bad --listen message: $(cat "$tmp/err")"
printf 'server:\n  tokens:\n    - { name: x, role: admin, sha256: abc }\n' >"$tmp/bad.yaml"
"$bin" --db "$tmp/aicost.db" --config "$tmp/bad.yaml" serve --listen 127.0.0.1:0 >/dev/null 2>"$tmp/err" &&
	fail "bad token config accepted"
grep -q "bad.yaml:3:7: server.tokens\[0\] (x): sha256 must be 64 hex digits" "$tmp/err" || fail "bad token config: $(cat "$tmp/err")"
printf 'server:\n  tokens:\n    - { name: t, role: team, team: x, sha256: %s }\n' "$want" >"$tmp/noteam.yaml"
"$bin" --db "$tmp/aicost.db" --config "$tmp/noteam.yaml" serve --listen 127.0.0.1:0 >/dev/null 2>"$tmp/err" &&
	fail "team token without a team dimension accepted"
grep -q "needs an allocation dimension named team" "$tmp/err" || fail "team token without team dim: $(cat "$tmp/err")"

start
python3 "$root/tests/tools/api_test.py" "$url" "$tmp" || fail "API tests"
grep -q "$ADMIN_TOKEN\|$CHATBOT_TOKEN" "$tmp/server.log" && fail "a token secret appears in the log"
grep -q " token=ops" "$tmp/server.log" || fail "the access log names the token"

# Concurrency: 64 clients at once, a mix of queries, against answers fetched one at a time.
python3 - "$url" "$ADMIN_TOKEN" <<'EOF' || fail "concurrent clients"
import sys, threading, urllib.request
url, tok = sys.argv[1].rstrip('/'), sys.argv[2]
qs = ['/api/report?by=team,day&cost=list', '/api/report?by=ServiceName,week', '/api/gpu?by=host,day&cost=billed',
      '/api/carbon?by=ServiceName', '/api/unit-cost?metric=requests&by=model', '/api/anomalies?by=ServiceName',
      '/api/forecast?by=env&horizon=20', '/api/budgets?as-of=2026-10-11', '/metrics']
def get(p):
    r = urllib.request.Request(url + p, headers={'Authorization': 'Bearer ' + tok})
    with urllib.request.urlopen(r, timeout=120) as f:
        return f.status, f.read()
res, errs = {}, []
def run(i):
    try:
        res[i] = get(qs[i % len(qs)])
    except Exception as e:
        errs.append(repr(e))
ts = [threading.Thread(target=run, args=(i,)) for i in range(64)]
[t.start() for t in ts]
[t.join() for t in ts]
assert not errs, errs[:3]
for i, (st, body) in res.items():
    assert st == 200 and body == get(qs[i % len(qs)])[1], qs[i % len(qs)]
print('serve test: 64 concurrent clients ok')
EOF

# A client that sends a query and disconnects at once, many times; the server stays up and answers.
python3 - "$url" "$ADMIN_TOKEN" <<'EOF' || fail "disconnecting clients"
import socket, sys, urllib.parse, urllib.request
u = urllib.parse.urlparse(sys.argv[1])
for i in range(30):
    s = socket.create_connection((u.hostname, u.port))
    s.sendall(('GET /api/forecast?by=ServiceName&horizon=%d HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n'
               % (30 + i, sys.argv[2])).encode())
    s.close()
# a request that never finishes its headers, and garbage
s = socket.create_connection((u.hostname, u.port)); s.sendall(b'GET /api/report HTTP/1.1\r\nHost: x\r\n'); s.close()
s = socket.create_connection((u.hostname, u.port)); s.sendall(b'\x00\xff garbage\r\n\r\n'); s.recv(100); s.close()
s = socket.create_connection((u.hostname, u.port)); s.sendall(b'GET /api/report HTTP/1.1\r\nHost: x\r\nX: ' + b'a' * 20000 + b'\r\n\r\n')
s.recv(100); s.close()
with urllib.request.urlopen(sys.argv[1] + 'healthz', timeout=30) as f:
    assert f.status == 200
print('serve test: disconnecting clients ok')
EOF

# An ingest while serving: the next request sees it (the cache is keyed by the ledger's version).
h=(-H "Authorization: Bearer $ADMIN_TOKEN")
get() { python3 -c 'import sys,urllib.request; r=urllib.request.Request(sys.argv[1], headers={"Authorization":"Bearer "+sys.argv[2]}); print(urllib.request.urlopen(r).read().decode(), end="")' "$1" "$2"; }
before=$(get "${url}api/report?by=ServiceName" "$ADMIN_TOKEN")
cat >"$tmp/extra.csv" <<'EOF'
BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,BilledCost,EffectiveCost,ListCost,ContractedCost,ProviderName,ServiceName,ResourceId,Tags
acct-extra,USD,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,2026-10-15T00:00:00Z,2026-10-16T00:00:00Z,Usage,1234.5,1234.5,1234.5,1234.5,Extra Cloud,Served While Running,r-1,"{""team"":""chatbot""}"
EOF
"$bin" --db "$tmp/aicost.db" --quiet ingest focus "$tmp/extra.csv" >/dev/null || fail "ingest while serving"
after=$(get "${url}api/report?by=ServiceName" "$ADMIN_TOKEN")
[ "$before" != "$after" ] && echo "$after" | grep -q '"ServiceName":"Served While Running","cost":1234.5' ||
	fail "the ingest is not visible: $after"
[ "$after" = "$("$bin" --db "$tmp/aicost.db" --config "$tmp/aicost.yaml" report --by ServiceName --format json)" ] ||
	fail "after the ingest the API differs from the CLI"

# Config reload: a token added to the file works without a restart.
newtok=aic_test-added-0c7d3e
printf '    - { name: added, role: team, team: payments, sha256: %s }\n' \
	"$(printf '%s' "$newtok" | "$bin" serve --hash-token)" >>"$tmp/aicost.yaml"
touch -d '+2 seconds' "$tmp/aicost.yaml"
sess=$(get "${url}api/session" "$newtok")
[ "$sess" = '{"auth":true,"role":"team","team":"payments","name":"added"}' ] || fail "reload: $sess"

# SIGTERM: a clean stop.
kill -TERM "$spid"
wait "$spid"
rc=$?
spid=
[ $rc = 0 ] || fail "exit status $rc after SIGTERM"
grep -q "terminated, stopping" "$tmp/server.log" || fail "no stop message"
echo "serve test: ok"
