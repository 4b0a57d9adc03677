#!/bin/bash
# bench/run-series.sh - speed of the anomaly and forecast cores, and of the
# commands on a ledger with many resources.
#   1. $BUILD/bench/series_speed: 10,000 generated daily series x 365 days,
#      detection and 30-day forecasts (target: 2 s in total).
#   2. A generated ledger (tests/data/gen_anomaly_focus.py) with
#      SERIES_RESOURCES resources x SERIES_DAYS days (2 SKUs each) under
#      bench/data/: `aicost anomalies --by ResourceId` and
#      `aicost forecast --by ResourceId`, wall-clock.
# Environment: SERIES_N (10000), SERIES_LEN (365), SERIES_RESOURCES (2000),
# SERIES_DAYS (180), BUILD (build/rel), AICOST_BIN (./aicost).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build/rel}
AICOST=${AICOST_BIN:-./aicost}
make --no-print-directory -s "$BUILD/bench/series_speed" "$AICOST" >/dev/null
"$BUILD/bench/series_speed" "${SERIES_N:-10000}" "${SERIES_LEN:-365}" 30

R=${SERIES_RESOURCES:-2000}
D=${SERIES_DAYS:-180}
mkdir -p bench/data
csv=bench/data/series-$R-$D.csv
db=bench/data/series-$R-$D.db
[ -f "$csv" ] || python3 tests/data/gen_anomaly_focus.py --seed 9 --resources "$R" --days "$D" \
	--spike 7:$((D - 20)):3 --shift 11:$((D - 40)):2 >"$csv"
rm -f "$db" "$db-wal" "$db-shm"
"$AICOST" --db "$db" --quiet ingest focus "$csv" >/dev/null
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
echo "ledger: $R resources x $D days ($(($(wc -l <"$csv") - 1)) rows)"
echo "  aicost anomalies --by ResourceId: $(ms "$AICOST" --db "$db" anomalies --by ResourceId --format json) ms"
echo "  aicost anomalies (total, drivers over $R resources): $(ms "$AICOST" --db "$db" anomalies --min-pct 0 --min-impact 0 --format json) ms"
echo "  aicost forecast --by ResourceId: $(ms "$AICOST" --db "$db" forecast --by ResourceId --format json) ms"
rm -f "$db" "$db-wal" "$db-shm"
