#!/bin/bash
# Anomalies through the ledger: generated FOCUS rows (8 resources, weekly
# seasonality, growth, noise) with a spike injected on one resource, a level
# shift on another and a one-time purchase, for three seeds. Checks: every
# injection is found on its resource (recall), at most one false alarm per
# 90 days per series, the drivers of the team's anomaly name the injected
# resource, the purchase is reported as one-time, and --new reports
# only what the newest ingest batch touched.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${AICOST_BIN:-$root/aicost}
gen="$root/tests/data/gen_anomaly_focus.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "anomalies test: FAIL: $*"; exit 1; }

for seed in 1 2 3; do
	db="$tmp/l$seed.db"
	# 2026-01-01 .. 2026-06-30 (181 days): spike x3 on resource 2 (day 70), shift x2 on resource 5 (day 120).
	python3 "$gen" --seed $seed --days 181 --start 2026-01-01 --spike 2:70:3 --shift 5:120:2 \
		--purchase 90:5000 >"$tmp/a.csv" || fail "generator"
	"$bin" --db "$db" --quiet ingest focus "$tmp/a.csv" >/dev/null || fail "ingest seed $seed"
	"$bin" --db "$db" anomalies --by ResourceId --format json >"$tmp/byres.json" || fail "anomalies --by ResourceId"
	"$bin" --db "$db" anomalies --by tag:team --format json >"$tmp/team.json" || fail "anomalies --by tag:team"
	# The next week, a new billing period, with a spike on resource 6 on its 3rd day.
	python3 "$gen" --seed $seed --days 7 --start 2026-07-01 --offset 181 --spike 6:183:3 >"$tmp/b.csv" || fail "generator"
	"$bin" --db "$db" --quiet ingest focus "$tmp/b.csv" >/dev/null || fail "ingest 2 seed $seed"
	"$bin" --db "$db" anomalies --by ResourceId --new --format json >"$tmp/new.json" || fail "anomalies --new"
	python3 - "$tmp" $seed <<'PY' || fail "seed $seed"
import json, sys, datetime
tmp, seed = sys.argv[1], sys.argv[2]
d0 = datetime.date(2026, 1, 1)
def day(s): return (datetime.date.fromisoformat(s) - d0).days
def res(i): return "i-%04d%s" % (i, "abcdef"[i % 6] * 4)
inj = [(res(2), 70), (res(5), 120)]
a = json.load(open(tmp + "/byres.json"))["anomalies"]
recurring = [x for x in a if x["kind"] != "one-time"]
for r, d in inj:
    hit = [x for x in recurring if x["scope"]["ResourceId"] == r and day(x["end"]) >= d and day(x["start"]) <= d + 2]
    assert hit, "seed %s: injection on %s day %d not found: %s" % (seed, r, d, a)
    assert hit[0]["impact"] > 0 and hit[0]["actual"] > hit[0]["expected"], hit[0]
fa = {}
for x in recurring:
    if not any(x["scope"]["ResourceId"] == r and day(x["end"]) >= d and day(x["start"]) <= d + 2 for r, d in inj):
        fa[x["scope"]["ResourceId"]] = fa.get(x["scope"]["ResourceId"], 0) + 1
assert all(v <= 2 for v in fa.values()), "seed %s: more than 1 false alarm per 90 days: %s" % (seed, fa)
ot = [x for x in a if x["kind"] == "one-time"]
assert len(ot) == 1 and ot[0]["charge_category"] == "Purchase" and ot[0]["actual"] == 5000 and day(ot[0]["start"]) == 90, ot
t = json.load(open(tmp + "/team.json"))["anomalies"]
# Resource 2 belongs to team "fraud" (with resource 6).
spike = [x for x in t if x["kind"] == "spike" and x["scope"]["tag:team"] == "fraud" and day(x["start"]) <= 72 and day(x["end"]) >= 70]
assert spike, "seed %s: team spike not found: %s" % (seed, t)
drv = [x for x in spike[0]["drivers"] if x["dimension"] == "ResourceId"]
assert drv and drv[0]["value"] == res(2), "seed %s: drivers %s" % (seed, spike[0]["drivers"])
for k in ("start", "end", "scope", "expected", "actual", "impact", "score", "drivers"):
    assert k in spike[0], k
n = json.load(open(tmp + "/new.json"))["anomalies"]
assert len(n) == 1 and n[0]["scope"]["ResourceId"] == res(6) and n[0]["start"] == "2026-07-03", n
PY
done
echo "anomalies test: ok (3 ledgers: recall, false alarms, drivers, one-time, --new)"
