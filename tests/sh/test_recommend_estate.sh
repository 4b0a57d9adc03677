#!/bin/bash
# recommend on generated estates with injected waste of known savings (bench/gen_estate):
# recall >= 90%, precision >= 90%, every matched finding's monthly savings within 25%
# of the truth, and no dollar claimed twice (idle/rightsized capacity is not also
# committed). SEEDS (default "11 42") picks the estates; each is a new mix of
# providers, GPU shapes, load patterns and LLM traffic.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build/rel}
bin=${AICOST_BIN:-$root/aicost}
[ -x "$root/$BUILD/aicost" ] && bin=$root/$BUILD/aicost
gen=$root/$BUILD/bench/gen_estate
[ -x "$gen" ] || { echo "test_recommend_estate: $gen not built (make tools)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for seed in ${SEEDS:-11 42}; do
	d=$tmp/s$seed
	mkdir -p "$d"
	(cd "$root" && "$gen" "$d" --seed "$seed") || { echo "test_recommend_estate: gen_estate failed"; exit 1; }
	db=$d/l.db
	"$bin" --quiet --db "$db" ingest focus "$d/bill.csv" >/dev/null &&
	"$bin" --quiet --db "$db" --config "$d/aicost.yaml" ingest gpu "$d/telemetry.json" >/dev/null &&
	for f in "$d"/smi/*.csv; do
		[ -f "$f" ] || continue
		"$bin" --quiet --db "$db" --config "$d/aicost.yaml" ingest gpu --host "$(basename "$f" .csv)" "$f" >/dev/null || exit 1
	done &&
	"$bin" --quiet --db "$db" ingest llm "$d/requests.jsonl" >/dev/null ||
		{ echo "test_recommend_estate: ingest failed (seed $seed)"; fail=1; continue; }
	"$bin" --db "$db" --config "$d/aicost.yaml" recommend --format json >"$d/out.json" ||
		{ echo "test_recommend_estate: recommend failed (seed $seed)"; fail=1; continue; }
	python3 - "$d/truth.json" "$d/out.json" "$seed" <<'PY' || fail=1
import json, sys
from decimal import Decimal
truth = json.load(open(sys.argv[1]))["findings"]
out = json.load(open(sys.argv[2]), parse_float=Decimal)
recs = out["recommendations"]
seed = sys.argv[3]
def match(t, r):
    if t["kind"] != r["kind"] or t["resource_id"] != r["resource_id"]:
        return False
    return all(r["scope"].get(k) == v for k, v in t["scope"].items())
used, hits, bad, errs = set(), 0, [], []
for t in truth:
    m = [i for i, r in enumerate(recs) if i not in used and match(t, r)]
    if not m:
        bad.append("missed %s %s %s" % (t["kind"], t["resource_id"], t["scope"]))
        continue
    used.add(m[0])
    hits += 1
    got, want = float(recs[m[0]]["monthly_savings"]), t["monthly_savings"]
    err = abs(got - want) / want if want else 0
    errs.append(err)
    if err > 0.25:
        bad.append("%s %s: savings %.2f, truth %.2f (%.0f%% off)" % (t["kind"], t["resource_id"] or t["scope"], got, want, err * 100))
extra = [r for i, r in enumerate(recs) if i not in used]
for r in extra:
    bad.append("unexpected %s %s (%s)" % (r["kind"], r["resource_id"], r["title"]))
recall = hits / len(truth)
precision = hits / len(recs) if recs else 0
total = sum(Decimal(str(r["monthly_savings"])) for r in recs)
ok = recall >= 0.9 and precision >= 0.9 and not [b for b in bad if "off)" in b]
ok = ok and total == Decimal(str(out["total_monthly_savings"]))
print("test_recommend_estate: seed %s: %d truth, %d found, recall %.3f, precision %.3f, savings error mean %.2f%% max %.2f%%"
      % (seed, len(truth), len(recs), recall, precision, 100 * sum(errs) / max(len(errs), 1), 100 * max(errs + [0])))
for b in bad:
    print("  " + b)
# Every finding explains itself: a period and numbers.
for r in recs:
    ev = r["evidence"]
    if "period_from" not in ev or "period_to" not in ev or len(ev) < 4:
        print("  evidence too thin: %s" % r["id"]); ok = False
sys.exit(0 if ok else 1)
PY
	# No double counting: a resource is claimed by at most one capacity finding.
	dups=$(python3 -c "
import json,sys,collections
r=json.load(open(sys.argv[1]))['recommendations']
c=collections.Counter(x['resource_id'] for x in r if x['kind'] in ('idle-gpu','schedule-offpeak','rightsize-gpu','spot','stale-endpoint','storage-cold'))
print(' '.join(k for k,v in c.items() if v>1))" "$d/out.json")
	[ -z "$dups" ] || { echo "test_recommend_estate: claimed twice: $dups"; fail=1; }
done
exit $fail
