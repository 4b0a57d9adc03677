#!/bin/bash
# Verified TLS to upstreams: an HTTPS upstream with a certificate for
# 127.0.0.1 signed by a throwaway CA (tests/tools/tls_upstream.py).
#   - with ca_file naming that CA the request goes through over TLS;
#   - without it (the system's CAs) the certificate is refused: 502, nothing
#     forwarded, and verification is never switched off;
#   - a certificate for another name is refused even with the right CA.
NAME="gateway TLS test"
source "$(dirname "$0")/gateway_lib.sh"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=aicost test CA" -keyout ca.key -out ca.pem \
	>/dev/null 2>&1 || fail "openssl: CA"
cert() { # NAME SAN
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$1.key" -out "$1.csr" >/dev/null 2>&1 &&
		printf 'subjectAltName=%s\n' "$2" >"$1.ext" &&
		openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile "$1.ext" \
			-out "$1.pem" >/dev/null 2>&1 || fail "openssl: $1"
}
cert good IP:127.0.0.1
cert wrong DNS:elsewhere.example
serve() { # NAME -> port in $1.port
	python3 "$root/tests/tools/tls_upstream.py" --cert "$1.pem" --key "$1.key" --port-file "$1.port" &
	for _ in $(seq 100); do [ -s "$1.port" ] && break; sleep 0.05; done
	[ -s "$1.port" ] || fail "TLS upstream $1 did not start"
}
serve good
p1=$!
serve wrong
p2=$!
rpid="$p1 $p2"
cat >aicost.yaml <<EOF
gateway:
  spool: { dir: spool }
  upstreams:
    - { name: trusted, provider: openai, base_url: "https://127.0.0.1:$(cat good.port)", ca_file: "$tmp/ca.pem", models: [gpt-4o-mini] }
    - { name: untrusted, provider: openai, base_url: "https://127.0.0.1:$(cat good.port)", retries: 0, models: [gpt-4o] }
    - { name: misnamed, provider: openai, base_url: "https://127.0.0.1:$(cat wrong.port)", ca_file: "$tmp/ca.pem", retries: 0, models: [o3-mini] }
  keys:
    - { name: t, hash: "$(hash_key sk-tls)" }
EOF
start_gw
ask() { curl -s -o "$1.b" -w '%{http_code}' -H 'Authorization: Bearer sk-tls' \
	-d "{\"model\":\"$2\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3}" "$gw_url/v1/chat/completions"; }
[ "$(ask a gpt-4o-mini)" = 200 ] && grep -q 'over tls' a.b || fail "trusted CA: $(cat a.b)"
[ "$(ask b gpt-4o)" = 502 ] && grep -q '"type":"upstream_error"' b.b || fail "an unknown CA was accepted: $(cat b.b)"
[ "$(ask c o3-mini)" = 502 ] || fail "a certificate for another name was accepted: $(cat c.b)"
stop_gw TERM
kill $p1 $p2 2>/dev/null
rpid=
echo "gateway TLS test: ok"
