#!/usr/bin/env python3
"""bench/gateway/report.py OUT RPS STREAMS IDLE DURATION ROUNDS CHUNK_MS LOW_RPS

The results of bench/gateway/run.sh as markdown, from
OUT/{target}.{rate,low}.{round}.json and OUT/{target}.{streams,idle,rss,loaded-rss}.json.

Added latency = a gateway's percentile minus the direct run's same percentile.
For the rate loads it is taken per round (the rounds take turns between the
targets, so both sides of a difference ran close in time) and the median over
the rounds is shown, beside the medians of the latencies themselves. A target
that left more than 10% of a round's requests unanswered is saturated at that
rate: its latencies are of the few answers it managed and mean little, so no
added latency is computed for it."""
import json
import os
import statistics
import sys

out, rps, streams, idle, dur, rounds, chunk_ms, low_rps = sys.argv[1:9]
rounds = int(rounds)
TARGETS = ("direct", "floor", "aicost", "aicost_busy", "portkey")
AICOSTS = ("aicost", "aicost_busy")


def load(name):
    try:
        with open(os.path.join(out, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def runs(target, kind):
    """{round: result} of a rate load."""
    return {r: j for r in range(1, rounds + 1) if (j := load(f"{target}.{kind}.{r}"))}


def saturated(j):
    return j["unanswered"] * 10 > j["measured"] + j["unanswered"]


def merged(target, kind):
    rs = list(runs(target, kind).values())
    if not rs:
        return None
    m = {k: statistics.median(j[k] for j in rs) for k in ("p50_us", "p90_us", "p99_us", "max_us", "rate")}
    m["failed"] = sum(j["failed"] for j in rs)
    m["p99_rounds"] = [j["p99_us"] for j in rs]
    m["saturated"] = any(saturated(j) for j in rs)
    return m


def added_rate(target, kind, key):
    if target == "direct":
        return None
    d, g = runs("direct", kind), runs(target, kind)
    if any(saturated(j) for j in g.values()):
        return None
    diffs = [g[r][key] - d[r][key] for r in g if r in d]
    return statistics.median(diffs) if diffs else None


def us(x):
    if x is None or x == 0:  # 0: no sample (a saturated target answered none in the window)
        return "-"
    return f"{x / 1000:.2f} ms" if abs(x) >= 1000 else f"{x:.0f} µs"


def rate_table(kind, rate):
    print(f"### Non-stream, open loop at {rate} requests/s: {rounds} rounds of {dur} s, 64 keep-alive connections\n")
    print("| target | p50 | p90 | p99 | max | p99 of each round | answered req/s | failed or unanswered | added p50 | added p99 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for t in TARGETS:
        j = merged(t, kind)
        if not j:
            continue
        sat = " (saturated)" if j["saturated"] else ""
        add50, add99 = added_rate(t, kind, "p50_us"), added_rate(t, kind, "p99_us")
        if j["saturated"]:
            add50 = add99 = None
        print(f"| {t}{sat} | {us(j['p50_us'])} | {us(j['p90_us'])} | {us(j['p99_us'])} | {us(j['max_us'])} | "
              f"{', '.join(us(x) for x in j['p99_rounds'])} | {j['rate']:.0f} | {j['failed']} | "
              f"{'n/a' if j['saturated'] else us(add50)} | {'n/a' if j['saturated'] else us(add99)} |")
    print()


if os.environ.get("GW_PLACEMENT"):
    print(f"_{os.environ['GW_PLACEMENT']}_\n")
rate_table("rate", rps)
rate_table("low", low_rps)

print(f"### {streams} concurrent streams for {dur} s (10 tokens a stream, chunks {chunk_ms} ms apart)\n")
print("| target | first byte p50 | p99 | whole stream p50 | p99 | streams/s | failed or unanswered | "
      "added first byte p50 | p99 | added whole stream p50 | p99 |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
ds = load("direct.streams")
for t in TARGETS:
    j = load(f"{t}.streams")
    if not j:
        continue
    a = (lambda k: j[k] - ds[k]) if ds and t != "direct" else (lambda k: None)
    print(f"| {t} | {us(j['ttfb_p50_us'])} | {us(j['ttfb_p99_us'])} | {us(j['p50_us'])} | {us(j['p99_us'])} | "
          f"{j['rate']:.0f} | {j['failed']} | {us(a('ttfb_p50_us'))} | {us(a('ttfb_p99_us'))} | "
          f"{us(a('p50_us'))} | {us(a('p99_us'))} |")

print("\n### Memory (RSS from /proc/PID/status)\n")
print(f"| target | RSS after 1 request | RSS holding the idle connections | idle connections open at the end "
      f"(of {idle}) | peak (VmHWM), idle test | peak after the rate and stream loads |")
print("|---|---|---|---|---|---|")
for t in TARGETS[1:]:
    r, idl, lr = load(f"{t}.rss"), load(f"{t}.idle"), load(f"{t}.loaded-rss")
    if not r:
        continue
    mb = lambda kb: f"{kb / 1024:.1f} MB" if kb else "-"
    print(f"| {t} | {mb(r['base_rss_kb'])} | {mb(r['held_rss_kb'])} | {idl['open_connections'] if idl else '-'} | "
          f"{mb(r['vmhwm_kb'])} | {mb(lr['vmhwm_kb'] if lr else 0)} |")

print("\n### Overhead ratio (Portkey's added latency / aicost's)\n")
for a in AICOSTS:
    if not runs(a, "rate") and not load(f"{a}.streams"):
        continue
    for kind, rate in (("rate", rps), ("low", low_rps)):
        for k in ("p50_us", "p99_us"):
            ga, gp = added_rate(a, kind, k), added_rate("portkey", kind, k)
            if ga is None or gp is None:
                why = "saturated" if merged("portkey", kind) and merged("portkey", kind)["saturated"] else "n/a"
                print(f"- {a}, {rate}/s {k[:3]}: {us(ga)}, Portkey {why}")
                continue
            ratio = f"{gp / ga:.0f}x" if ga > 0 else "aicost's added latency is within the noise"
            print(f"- {a}, {rate}/s {k[:3]}: {us(ga)}, Portkey {us(gp)}: {ratio}")
    sa, sp = load(f"{a}.streams"), load("portkey.streams")
    if sa and sp and ds:
        ga, gp = sa["ttfb_p50_us"] - ds["ttfb_p50_us"], sp["ttfb_p50_us"] - ds["ttfb_p50_us"]
        ratio = f"{gp / ga:.0f}x" if ga > 0 else "aicost's added latency is within the noise"
        print(f"- {a}, streams, first byte p50: {us(ga)}, Portkey {us(gp)}: {ratio}")
