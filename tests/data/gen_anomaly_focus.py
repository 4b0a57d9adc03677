#!/usr/bin/env python3
"""gen_anomaly_focus.py - synthetic FOCUS cost rows for the anomaly tests.

Several resources (two SKUs each, teams in Tags) with a base level, steady
growth, a weekend dip and noise; anomalies are injected on chosen
resources. Deterministic for a seed. Amounts have 6 decimals (exact).

  gen_anomaly_focus.py [--seed N] [--days N] [--resources N] [--start YYYY-MM-DD]
                       [--spike RES:DAY:FACTOR]... [--shift RES:DAY:FACTOR]...
                       [--offset N] [--purchase DAY:AMOUNT]... > out.csv

RES is the resource index (0-based), DAY the day index from --start.
"""
import argparse
import datetime
import json
import random
import sys

HEAD = ("ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,ListCost,ContractedCost,BillingCurrency,"
        "ChargeCategory,ProviderName,ServiceName,ResourceId,SkuMeter,BillingAccountId,BillingPeriodStart,Tags")


def triple(s):
    r, d, f = s.split(":")
    return int(r), int(d), float(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--resources", type=int, default=8)
    ap.add_argument("--start", default="2026-01-05")
    ap.add_argument("--noise", type=float, default=0.05)
    ap.add_argument("--offset", type=int, default=0, help="day index of the first day (continues a series)")
    ap.add_argument("--spike", action="append", default=[], type=triple)
    ap.add_argument("--shift", action="append", default=[], type=triple)
    ap.add_argument("--purchase", action="append", default=[])
    a = ap.parse_args()
    rng = random.Random(a.seed)
    start = datetime.date.fromisoformat(a.start)
    teams = ["search", "chatbot", "fraud", "platform"]
    res = []
    for i in range(a.resources):
        res.append({
            "id": "i-%04d%s" % (i, "abcdef"[i % 6] * 4),
            "base": rng.uniform(40, 400),
            "growth": rng.uniform(0, 0.003),
            "weekend": rng.uniform(0.5, 1.0),
            "team": teams[i % len(teams)],
            "service": "Compute" if i % 3 else "Inference",
        })
    out = sys.stdout
    out.write(HEAD + "\n")
    for d in range(a.offset, a.offset + a.days):
        day = start + datetime.timedelta(days=d - a.offset)
        nxt = day + datetime.timedelta(days=1)
        bp = day.replace(day=1).isoformat() + "T00:00:00Z"
        wk = day.weekday() >= 5
        for i, r in enumerate(res):
            v = r["base"] * (1 + r["growth"]) ** d * (r["weekend"] if wk else 1.0)
            for (ri, di, f) in a.spike:
                if ri == i and di == d:
                    v *= f
            for (ri, di, f) in a.shift:
                if ri == i and d >= di:
                    v *= f
            tags = json.dumps({"team": r["team"]}).replace('"', '""')
            for sku, share in (("vCPU-hours", 0.7), ("Storage", 0.3)):
                c = max(0.0, v * share * (1 + a.noise * rng.gauss(0, 1)))
                amt = "%.6f" % c
                out.write("%sT00:00:00Z,%sT00:00:00Z,%s,%s,%s,%s,USD,Usage,Acme,%s,%s,%s,acct-1,%s,\"%s\"\n" % (
                    day.isoformat(), nxt.isoformat(), amt, amt, amt, amt, r["service"], r["id"], sku, bp, tags))
        for p in a.purchase:
            pd, amt = p.split(":")
            if int(pd) == d:
                out.write("%sT00:00:00Z,%sT00:00:00Z,%s,%s,%s,%s,USD,Purchase,Acme,Compute,,Reservation,acct-1,%s,\n"
                          % (day.isoformat(), nxt.isoformat(), amt, amt, amt, amt, bp))


if __name__ == "__main__":
    main()
