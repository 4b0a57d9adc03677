#!/bin/bash
# bench/run-nab.sh - the NAB standard-profile score of aicost's anomaly core
# (src/core/anomaly.c) on the NAB series copied under bench/nab/
# (realAWSCloudwatch, realAdExchange; MIT, see bench/nab/SOURCES.md).
# Scoring follows nab/sweeper.py; see bench/nab_score.c for the details.
#   bench/run-nab.sh                 the copied categories, together and each
#   NAB_DIR=/path/to/NAB bench/run-nab.sh    a full NAB checkout (data/, labels/)
# Environment: NAB_PERIOD=auto|0, NAB_HOLD=auto|points, BUILD (build/rel).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
BUILD=${BUILD:-build/rel}
make --no-print-directory -s "$BUILD/bench/nab_score"
dir=${NAB_DIR:-bench/nab}
if [ -n "${NAB_DIR:-}" ]; then
	echo "all categories:"; "$BUILD/bench/nab_score" "$dir"
fi
echo "realAWSCloudwatch + realAdExchange:"; "$BUILD/bench/nab_score" "$dir" realAWSCloudwatch realAdExchange
echo "realAWSCloudwatch:"; "$BUILD/bench/nab_score" "$dir" realAWSCloudwatch
echo "realAdExchange:"; "$BUILD/bench/nab_score" "$dir" realAdExchange
