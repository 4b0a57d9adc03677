#!/usr/bin/env python3
"""bench/gateway/report.py OUT RPS STREAMS IDLE DURATION ROUNDS CHUNK_MS: the results
table of bench/gateway/run.sh as markdown, from OUT/{target}.rate.{round}.json
and OUT/{target}.{streams,idle,rss,loaded-rss}.json.
Added latency = a gateway's percentile minus the direct run's same percentile;
for the rate load it is taken per round (the rounds take turns between the
targets) and the median over the rounds is shown, beside the median latencies."""
import json
import os
import sys

import statistics

out, rps, streams, idle, dur, rounds, chunk_ms = sys.argv[1:8]
rounds = int(rounds)


def load(target, kind):
    p = os.path.join(out, f"{target}.{kind}.json")
    try:
        with open(p) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def rate_rounds(target):
    return [j for j in (load(target, f"rate.{r}") for r in range(1, rounds + 1)) if j]


def rate(target):
    """The rounds of the rate load merged: medians of the percentiles, the sum
    of failures, the p99 of every round."""
    rs = rate_rounds(target)
    if not rs:
        return None
    m = {k: statistics.median(j[k] for j in rs) for k in ("p50_us", "p90_us", "p99_us", "max_us", "rate")}
    m["failed"] = sum(j["failed"] for j in rs)
    m["p99_rounds"] = [j["p99_us"] for j in rs]
    m["mode"] = "rate"
    return m


targets = [t for t in ("direct", "aicost", "portkey") if rate_rounds(t)]
direct = {"rate": rate("direct"), "streams": load("direct", "streams")}


def us(x):
    return "-" if x is None else (f"{x / 1000:.2f} ms" if x >= 1000 else f"{x:.0f} µs")


def added(t, kind, key):
    if t == "direct":
        return None
    if kind == "rate":  # per round, then the median
        d, g = rate_rounds("direct"), rate_rounds(t)
        diffs = [b[key] - a[key] for a, b in zip(d, g)]
        return statistics.median(diffs) if diffs else None
    d, g = direct.get(kind), load(t, kind)
    if not d or not g:
        return None
    return g[key] - d[key]


def errs(j):
    """Requests due in the measured window without a complete 200 answer."""
    return j["failed"]


print(f"### Non-stream, open loop at {rps} requests/s, {rounds} rounds of {dur} s (64 keep-alive connections)\n")
print("Medians over the rounds; added = per-round difference to direct, median over the rounds.\n")
print("| target | p50 | p90 | p99 | max | p99 of each round | answered req/s | failed or unanswered | added p50 | added p99 |")
print("|---|---|---|---|---|---|---|---|---|---|")
for t in targets:
    j = rate(t)
    print(f"| {t} | {us(j['p50_us'])} | {us(j['p90_us'])} | {us(j['p99_us'])} | {us(j['max_us'])} | "
          f"{', '.join(us(x) for x in j['p99_rounds'])} | "
          f"{j['rate']:.0f} | {errs(j)} | {us(added(t, 'rate', 'p50_us'))} | {us(added(t, 'rate', 'p99_us'))} |")

print(f"\n### {streams} concurrent streams for {dur} s (10 tokens a stream, chunks {chunk_ms} ms apart)\n")
print("| target | first byte p50 | p99 | whole stream p50 | p99 | streams/s | failed or unanswered | added first byte p50 | p99 | added whole p50 | p99 |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for t in targets:
    j = load(t, "streams")
    if not j:
        continue
    print(f"| {t} | {us(j['ttfb_p50_us'])} | {us(j['ttfb_p99_us'])} | {us(j['p50_us'])} | {us(j['p99_us'])} | "
          f"{j['rate']:.0f} | {errs(j)} | {us(added(t, 'streams', 'ttfb_p50_us'))} | "
          f"{us(added(t, 'streams', 'ttfb_p99_us'))} | {us(added(t, 'streams', 'p50_us'))} | "
          f"{us(added(t, 'streams', 'p99_us'))} |")

print(f"\n### Memory (RSS from /proc/PID/status)\n")
print(f"| target | RSS idle, 1 connection | RSS holding {idle} keep-alive connections | connections held | "
      f"peak (VmHWM), idle test | peak after the rate + stream loads |")
print("|---|---|---|---|---|---|")
for t in targets:
    if t == "direct":
        continue
    r, idl, lr = load(t, "rss"), load(t, "idle"), load(t, "loaded-rss")
    if not r:
        continue
    mb = lambda kb: f"{kb / 1024:.1f} MB" if kb else "-"
    print(f"| {t} | {mb(r['base_rss_kb'])} | {mb(r['held_rss_kb'])} | {idl['open_connections'] if idl else '-'} | "
          f"{mb(r['vmhwm_kb'])} | {mb(lr['vmhwm_kb'] if lr else 0)} |")

a, p = rate("aicost"), rate("portkey")
if a and p and direct["rate"]:
    print("\n### Overhead ratio (Portkey's added latency / aicost's)\n")
    for k in ("p50_us", "p99_us"):
        ga, gp = added("aicost", "rate", k), added("portkey", "rate", k)
        ratio = f"{gp / ga:.0f}x" if ga and ga > 0 else "aicost adds nothing measurable"
        print(f"- non-stream {k[:3]}: aicost {us(ga)}, Portkey {us(gp)}: {ratio}")
    sa, sp = load("aicost", "streams"), load("portkey", "streams")
    if sa and sp and direct["streams"]:
        ga, gp = added("aicost", "streams", "ttfb_p50_us"), added("portkey", "streams", "ttfb_p50_us")
        ratio = f"{gp / ga:.0f}x" if ga and ga > 0 else "aicost adds nothing measurable"
        print(f"- stream first byte p50: aicost {us(ga)}, Portkey {us(gp)}: {ratio}")
