#!/bin/bash
# HTTP/2 to an upstream that offers it. The stand-in upstream sits behind
# nghttpx, a real HTTP/2 TLS reverse proxy (ALPN h2 and http/1.1; Debian
# package nghttp2-proxy), with a certificate for 127.0.0.1 from a throwaway
# CA; nghttpx logs the negotiated protocol and the client port of every
# request. Checked:
#   - a request and a stream go through over h2 and are metered; the answer
#     is the stub's own (the same JSON but its per-request id and timestamp);
#   - 8 concurrent slow requests (and 4 streams) are multiplexed over one
#     connection: one client port in the proxy's log for all of them;
#   - the same upstream with h2 switched off (ALPN http/1.1 only) still works:
#     the gateway uses HTTP/2 only where it is offered;
#   - the ledger: one record per request, its total equal to the sum of the
#     x-aicost-cost headers and trailers, exactly.
# Skipped when nghttpx is not installed.
NAME="gateway HTTP/2 test"
source "$(dirname "$0")/gateway_lib.sh"

nghttpx=$(command -v nghttpx || ls /usr/sbin/nghttpx 2>/dev/null)
if [ -z "$nghttpx" ]; then
	echo "$NAME: skipped (nghttpx is not installed; scripts/install-deps.sh installs nghttp2-proxy)"
	exit 0
fi

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=aicost test CA" -keyout ca.key -out ca.pem \
	>/dev/null 2>&1 || fail "openssl: CA"
openssl req -newkey rsa:2048 -nodes -subj "/CN=upstream" -keyout up.key -out up.csr >/dev/null 2>&1 &&
	printf 'subjectAltName=IP:127.0.0.1\n' >up.ext &&
	openssl x509 -req -in up.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile up.ext -out up.pem \
		>/dev/null 2>&1 || fail "openssl: certificate"

start_stub
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
proxy() { # NAME [nghttpx options] -> port in NAME.port, log NAME.log
	local name=$1 port
	shift
	port=$(free_port)
	"$nghttpx" --conf=/dev/null -f"127.0.0.1,$port" -b"127.0.0.1,${stub_url##*:}" --no-ocsp --workers=1 \
		--accesslog-file="$tmp/$name.log" --accesslog-format='$alpn $status $remote_port $path' \
		--errorlog-file="$tmp/$name.err" "$@" up.key up.pem 2>>"$tmp/$name.err" &
	rpid="$rpid $!"
	for _ in $(seq 100); do curl -s -o /dev/null --cacert ca.pem "https://127.0.0.1:$port/" && break; sleep 0.05; done
	curl -s -o /dev/null --cacert ca.pem "https://127.0.0.1:$port/" || fail "nghttpx $name did not start: $(tail -n 3 "$name.err")"
	: >"$name.log" # the readiness probes are not requests of the test
	echo "$port" >"$name.port"
}
proxy h2
# --npn-list names the protocols nghttpx offers in ALPN: HTTP/1.1 only.
proxy h1 --npn-list=http/1.1

cat >aicost.yaml <<EOF
gateway:
  spool: { dir: spool }
  upstreams:
    - { name: h2, provider: openai, base_url: "https://127.0.0.1:$(cat h2.port)", ca_file: "$tmp/ca.pem", api_key_env: UPSTREAM_KEY, models: [gpt-4o-mini] }
    - { name: h1, provider: openai, base_url: "https://127.0.0.1:$(cat h1.port)", ca_file: "$tmp/ca.pem", api_key_env: UPSTREAM_KEY, models: [gpt-4o] }
  keys:
    - { name: t, hash: "$(hash_key sk-h2)" }
EOF
start_gw

body() { # MODEL [stream] -> a chat request body
	printf '{"model":"%s","messages":[{"role":"user","content":"Say hello over HTTP/2."}],"max_tokens":7%s}' \
		"$1" "${2:+,\"stream\":true}"
}
hdr() { tr -d '\r' <"$1" | awk -v k="$2:" 'tolower($1) == k { print $2 }'; }
: >costs

# One request and one stream over h2; the same request straight to the stub, for the content.
st=$(curl -s -D h -o a.json -w '%{http_code}' -H 'Authorization: Bearer sk-h2' -d "$(body gpt-4o-mini)" \
	"$gw_url/v1/chat/completions")
[ "$st" = 200 ] || fail "over h2: status $st: $(cat a.json)"
hdr h x-aicost-cost >>costs
curl -s -o d.json -H 'Authorization: Bearer sk-upstream-secret' -d "$(body gpt-4o-mini)" "$stub_url/v1/chat/completions"
python3 - a.json d.json <<'PY' || fail "the h2 answer differs from the stub's"
import json, sys
a, d = (json.load(open(f)) for f in sys.argv[1:3])
for k in ("id", "created"):  # the stub makes these up per request
    a.pop(k), d.pop(k)
assert a == d, (a, d)
assert a["usage"]["completion_tokens"] == 7, a["usage"]
PY
$client --url "$gw_url/v1/chat/completions" --key sk-h2 --body "$(body gpt-4o-mini 1)" --out s.jsonl ||
	fail "stream over h2: the client failed"
python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); assert r["status"]==200 and r["complete"] and r["events"][-1]=="[DONE]", r; print(r["trailers"]["x-aicost-cost"])' \
	s.jsonl >>costs || fail "stream over h2: $(head -c 400 s.jsonl)"
[ "$(awk '$1 == "h2" && $2 == 200' h2.log | wc -l)" = 2 ] || fail "nghttpx did not log 2 h2 requests: $(cat h2.log)"

# Concurrency: 8 slow requests and 4 slow streams at once, on one h2 connection.
: >h2.log
$client --url "$gw_url/v1/chat/completions" --key sk-h2 --body "$(body gpt-4o-mini)" --n 8 --concurrency 8 \
	--header 'x-stub-latency-ms: 300' --out c.jsonl &
cpid=$!
$client --url "$gw_url/v1/chat/completions" --key sk-h2 --body "$(body gpt-4o-mini 1)" --n 4 --concurrency 4 \
	--header 'x-stub-chunk-delay-ms: 50' --out cs.jsonl || fail "concurrent streams: the client failed"
wait $cpid || fail "concurrent requests: the client failed"
python3 - c.jsonl cs.jsonl <<'PY' >>costs || fail "concurrent requests: $(head -c 400 c.jsonl)"
import json, sys
for f in sys.argv[1:]:
    for line in open(f):
        r = json.loads(line)
        assert r["status"] == 200 and r["complete"], r
        print(r["headers"].get("x-aicost-cost") or r["trailers"]["x-aicost-cost"])
PY
n=$(awk '$1 == "h2" && $2 == 200' h2.log | wc -l)
ports=$(awk '{ print $3 }' h2.log | sort -u | wc -l)
[ "$n" = 12 ] || fail "nghttpx logged $n h2 requests of 12: $(cat h2.log)"
[ "$ports" = 1 ] || fail "12 concurrent requests used $ports connections, not one multiplexed: $(cat h2.log)"

# The HTTP/1.1-only upstream: TLS, ALPN http/1.1.
st=$(curl -s -D h -o b.json -w '%{http_code}' -H 'Authorization: Bearer sk-h2' -d "$(body gpt-4o)" \
	"$gw_url/v1/chat/completions")
[ "$st" = 200 ] || fail "over HTTP/1.1: status $st: $(cat b.json)"
hdr h x-aicost-cost >>costs
grep -q '^http/1.1 200 ' h1.log || fail "nghttpx (http/1.1 only) did not log the request: $(cat h1.log)"

stop_gw TERM
want=$(dsum <costs)
got=$(ledger_total)
[ "$(wc -l <costs)" = 15 ] || fail "$(wc -l <costs) costs collected, want 15"
[ "$got" = "$want" ] || fail "ledger total $got, want $want (the sum of 15 x-aicost-cost values)"
[ "$(ledger_requests)" = 15 ] || fail "the ledger holds $(ledger_requests) requests, want 15"
echo "gateway HTTP/2 test: ok (14 requests over h2, 12 of them at once on one connection; 1 over HTTP/1.1; ledger total $got)"
