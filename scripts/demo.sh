#!/bin/bash
# make run: load the demo data and print an allocation report.
#   - data/focus/focus_sample.csv: the real, anonymized FOCUS sample (CC BY 4.0)
#   - an AI-heavy estate written by bench/gen_focus --profile demo: GPU fleets,
#     inference endpoints, LLM token charges, messy tags
# allocated with data/demo/aicost.yaml. The ledger is demo/aicost.db.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build/rel}
mkdir -p demo
[ -s demo/estate.csv ] || "$BUILD/bench/gen_focus" --profile demo -o demo/estate.csv
rm -f demo/aicost.db demo/aicost.db-wal demo/aicost.db-shm
A=(./aicost --db demo/aicost.db --config data/demo/aicost.yaml)
echo "== ingest"
"${A[@]}" --quiet ingest focus data/focus/focus_sample.csv demo/estate.csv
echo
echo "== aicost validate data/focus/focus_sample.csv (conformance of the real sample)"
"${A[@]}" validate data/focus/focus_sample.csv | head -n 12 || true
echo
echo "== aicost sources"
"${A[@]}" sources
echo
echo "== aicost report --by team,month"
"${A[@]}" report --by team,month
echo
echo "== aicost report --by workload"
"${A[@]}" report --by workload
echo
echo "Try: ./aicost --db demo/aicost.db --config data/demo/aicost.yaml report --by team,project --format json"
