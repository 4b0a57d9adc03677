#!/bin/bash
# serve_fixture.sh DIR: a small version of the `make run` demo ledger for the
# server tests (tests/sh/test_serve*.sh): DIR/aicost.db with a FOCUS estate
# (bench/gen_focus --profile demo, 20k rows), the real FOCUS sample, 8 GPUs of
# dcgm telemetry and their bill (gen_gpu), 3,000 LLM requests (gen_llm) and
# daily KPIs; DIR/aicost.yaml is data/demo/aicost.yaml plus server tokens
# whose secrets are in DIR/tokens.env (ADMIN_TOKEN, CHATBOT_TOKEN, FRAUD_TOKEN).
# Needs BUILD (the bench tools) and AICOST_BIN.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$1
bin=${AICOST_BIN:-$root/aicost}
tools=$root/${BUILD:-build/rel}/bench
mkdir -p "$dir/gpu"
"$tools/gen_focus" --profile demo --rows 20000 --start 2026-10-01 -o "$dir/estate.csv"
"$tools/gen_gpu" "$dir/gpu" --gpus 8 --days 31 >/dev/null
"$tools/gen_llm" 3000 7 >"$dir/requests.jsonl"
awk 'BEGIN { print "date,metric,value,team";
	for (d = 1; d <= 31; d++) {
		printf "2026-10-%02d,transactions_scored,%d,fraud-detection\n", d, 1200000 + (d * 7919) % 250000;
		printf "2026-10-%02d,conversations,%d,chatbot\n", d, 40000 + (d * 104729) % 9000 } }' >"$dir/kpis.csv"
A=("$bin" --db "$dir/aicost.db" --config "$root/data/demo/aicost.yaml" --quiet)
"${A[@]}" ingest focus "$root/tests/data/focus_sample.csv" "$dir/estate.csv" "$dir/gpu/bill.csv" >/dev/null
"${A[@]}" ingest gpu "$dir"/gpu/host-*.json.gz >/dev/null
"${A[@]}" ingest llm "$dir/requests.jsonl" >/dev/null 2>&1
"${A[@]}" ingest metrics "$dir/kpis.csv" >/dev/null
# Test-only secrets; the config keeps their SHA-256 only.
cat >"$dir/tokens.env" <<'TOK'
ADMIN_TOKEN=aic_test-admin-4f1c2b7e9d
CHATBOT_TOKEN=aic_test-chatbot-8a3e61c0
FRAUD_TOKEN=aic_test-fraud-5d9b02f7
TOK
. "$dir/tokens.env"
h() { printf '%s' "$1" | "$bin" serve --hash-token; }
{
	cat "$root/data/demo/aicost.yaml"
	printf '\nserver:\n  tokens:\n'
	printf '    - { name: ops, role: admin, sha256: %s }\n' "$(h "$ADMIN_TOKEN")"
	printf '    - { name: chatbot-ro, role: team, team: chatbot, sha256: %s }\n' "$(h "$CHATBOT_TOKEN")"
	printf '    - { name: fraud-ro, role: team, team: fraud-detection, sha256: %s }\n' "$(h "$FRAUD_TOKEN")"
} >"$dir/aicost.yaml"
