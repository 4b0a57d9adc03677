#!/bin/bash
# The dashboard end to end: a real `aicost serve` on the test fixture
# (tests/tools/serve_fixture.sh, a small `make run` demo ledger with tokens),
# driven by headless Debian chromium through playwright-core
# (tests/e2e/dashboard.mjs): every page opens, the numbers on screen equal the
# API's, drill-down/CSV export/keyboard work, a team token sees its team only.
# Screenshots go to tests/e2e/screenshots/ (committed; look at them when the
# dashboard changes). Skipped, with a message, only when chromium is missing.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${AICOST_BIN:-$root/aicost}
export AICOST_BIN=$bin BUILD=${BUILD:-build/rel}
if [ ! -x /usr/bin/chromium ]; then
	echo "serve e2e test: SKIPPED: /usr/bin/chromium is not installed (scripts/install-deps.sh installs it)"
	exit 0
fi
tmp=$(mktemp -d)
spid=
cleanup() { [ -n "$spid" ] && kill "$spid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "serve e2e test: FAIL: $*"; [ -f "$tmp/server.log" ] && tail -n 20 "$tmp/server.log" | sed 's/^/  server: /'; exit 1; }

if [ ! -d "$root/tests/e2e/node_modules/playwright-core" ]; then
	(cd "$root/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error) >"$tmp/npm.log" 2>&1 ||
		fail "npm ci in tests/e2e (playwright-core): $(tail -n 3 "$tmp/npm.log")"
fi
"$root/tests/tools/serve_fixture.sh" "$tmp" 2>/dev/null || fail "fixture"
AICOST_NOW=2026-10-31 "$bin" --quiet --db "$tmp/aicost.db" --config "$tmp/aicost.yaml" serve --listen 127.0.0.1:0 \
	--ready-file "$tmp/url" --workers 2 2>"$tmp/server.log" &
spid=$!
for _ in $(seq 200); do [ -s "$tmp/url" ] && break; kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
[ -s "$tmp/url" ] || fail "the server did not start"
shots=${E2E_SCREENSHOTS:-$root/tests/e2e/screenshots}
mkdir -p "$shots"
(cd "$root/tests/e2e" && timeout 180 node dashboard.mjs "$(cat "$tmp/url")" "$tmp/tokens.env" "$shots") || fail "dashboard"
