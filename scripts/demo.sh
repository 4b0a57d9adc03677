#!/bin/bash
# make run: load the demo data and show what aicost sees. The ledger is
# demo/aicost.db, allocated with data/demo/aicost.yaml. Inputs:
#   - data/focus/focus_sample.csv: the real, anonymized FOCUS sample (CC BY 4.0)
#   - demo/estate.csv: an AI-heavy October 2026 bill written by
#     bench/gen_focus --profile demo (GPU fleets, endpoints, token charges, messy tags)
#   - demo/gpu/: dcgm-exporter telemetry of a 64-GPU p5 fleet and its bill
#     (bench/gen_gpu), pods labelled with team namespaces
#   - demo/requests.jsonl: LLM request logs (bench/gen_llm), one unpriced model
#   - demo/kpis.csv: business KPIs for unit economics
# Then it serves the dashboard on http://127.0.0.1:8080/ (aicost serve) until Ctrl-C.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build/rel}
mkdir -p demo
[ -s demo/estate.csv ] && grep -q '2026-10-01' demo/estate.csv ||
	"$BUILD/bench/gen_focus" --profile demo --start 2026-10-01 -o demo/estate.csv
[ -s demo/gpu/bill.csv ] || { mkdir -p demo/gpu && "$BUILD/bench/gen_gpu" demo/gpu --gpus 64 --days 31 >/dev/null; }
[ -s demo/requests.jsonl ] || "$BUILD/bench/gen_llm" 20000 7 >demo/requests.jsonl
if [ ! -s demo/kpis.csv ]; then
	# Daily transactions scored by the fraud models and chatbot conversations.
	awk 'BEGIN { print "date,metric,value,team";
		for (d = 1; d <= 31; d++) {
			printf "2026-10-%02d,transactions_scored,%d,fraud-detection\n", d, 1200000 + (d * 7919) % 250000;
			printf "2026-10-%02d,conversations,%d,chatbot\n", d, 40000 + (d * 104729) % 9000 } }' >demo/kpis.csv
fi
rm -f demo/aicost.db demo/aicost.db-wal demo/aicost.db-shm
A=(./aicost --db demo/aicost.db --config data/demo/aicost.yaml)
run() { echo; echo "== aicost $*"; "${A[@]}" "$@"; }
echo "== ingest"
"${A[@]}" --quiet ingest focus data/focus/focus_sample.csv demo/estate.csv demo/gpu/bill.csv
"${A[@]}" --quiet ingest gpu demo/gpu/host-*.json.gz >/dev/null
"${A[@]}" ingest llm demo/requests.jsonl 2>&1 | cut -c1-160
"${A[@]}" --quiet ingest metrics demo/kpis.csv
run sources
run report --by team,month
run report --by team,ServiceCategory --from 2026-10-01 --to 2026-10-31 --format csv
run gpu --by team
run unit-cost --metric transactions_scored --by team,month
run unit-cost --metric 1k_tokens --by team
run carbon --by team
run anomalies --by team
run forecast --by team --horizon 30 --format csv
run budgets --as-of 2026-10-20 --no-notify
run recommend --min-savings 100
echo
echo "Try: ./aicost --db demo/aicost.db --config data/demo/aicost.yaml report --by team,project --format json"

# The dashboard, JSON API and /metrics on the same ledger (docs/server.md), on
# loopback without tokens. AICOST_SERVE=0 skips it; AICOST_PORT picks the port
# (8080; a free one if 8080 is taken). Ctrl-C stops it.
[ "${AICOST_SERVE:-1}" = 0 ] && exit 0
echo
echo "== aicost serve"
rm -f demo/serve.url
for port in "${AICOST_PORT:-8080}" 0; do
	"${A[@]}" --quiet serve --listen "127.0.0.1:$port" --ready-file demo/serve.url &
	spid=$!
	for _ in $(seq 100); do [ -s demo/serve.url ] && break; kill -0 "$spid" 2>/dev/null || break; sleep 0.05; done
	[ -s demo/serve.url ] && break
	wait "$spid" 2>/dev/null || true
done
[ -s demo/serve.url ] || { echo "aicost serve did not start" >&2; exit 1; }
trap 'kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null' INT TERM
url=$(cat demo/serve.url)
echo "Dashboard:  $url   (the budgets page as of 2026-10-20 shows the forecast breach)"
echo "JSON API:   ${url}api/report?by=team,month   (every endpoint: ${url}api/openapi.json)"
echo "Prometheus: ${url}metrics"
echo "Ctrl-C stops the server."
wait "$spid" || true
