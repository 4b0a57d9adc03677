#!/usr/bin/env python3
"""gw_checks.py - checks the gateway's budget tests share: one gateway
(tests/sh/test_gateway_budget.sh) and three sharing Redis
(tests/sh/test_gateway_redis.sh) must give the same answers, so both read
the gw_client.py output (one JSON line a request) through these.

  gw_checks.py race FILE      1,000 requests with max_tokens against the
                              0.006075 budget: every one 200 or 429
                              budget_exceeded (with Retry-After), each 200
                              costs 0.00006075, no overspend, 90..100
                              admitted; prints "ADMITTED SPENT"
  gw_checks.py capped FILE    the same without max_tokens and reserve_tokens
                              50 (each costs 0.00006075, reserves 0.00003465):
                              175 admitted, overspend within admitted x
                              (100 - 50) x 6e-7; prints "ADMITTED SPENT OVER BOUND"
  gw_checks.py soft-hook FILE the one soft-limit webhook of the race key
                              (webhook_receiver.py's log)
  gw_checks.py parallel FILE N  N at once against parallel 2: two 200s, the
                              rest 429 "in flight" with Retry-After 1

Exits non-zero (an AssertionError) when a check fails. Standard library only.
"""
import decimal
import json
import sys

D = decimal.Decimal
LIMIT = D("0.006075")
COST = D("0.00006075")  # 31 prompt tokens x 1.5e-7 + 100 output tokens x 6e-7 (gpt-4o-mini)


def lines(path):
    return [json.loads(l) for l in open(path)]


def race(path):
    rs = lines(path)
    assert len(rs) == 1000, len(rs)
    ok = [r for r in rs if r["status"] == 200]
    refused = [r for r in rs if r["status"] == 429]
    assert len(ok) + len(refused) == 1000, [(r["status"], r["body"]) for r in rs if r["status"] not in (200, 429)][:3]
    for r in refused:
        e = json.loads(r["body"])["error"]
        assert e["type"] == "budget_exceeded" and e["code"] == "budget_exceeded", e
        assert int(r["headers"]["retry-after"]) >= 1
    for r in ok:
        assert D(r["headers"]["x-aicost-cost"]) == COST, r["headers"]
    spent = sum(D(r["headers"]["x-aicost-cost"]) for r in ok)
    assert spent <= LIMIT, f"overspend: {spent} > {LIMIT}"
    # The reservation (prompt bound 31 tokens + max_tokens) is within 7% of the real cost: 93 fit.
    assert 90 <= len(ok) <= 100, len(ok)
    print(len(ok), spent)


def capped(path):
    rs = lines(path)
    assert all(r["status"] in (200, 429) for r in rs), [r["status"] for r in rs if r["status"] not in (200, 429)][:5]
    ok = [r for r in rs if r["status"] == 200]
    spent = sum(D(r["headers"]["x-aicost-cost"]) for r in ok)
    over = max(spent - LIMIT, D(0))
    bound = len(ok) * (100 - 50) * D("6e-7")
    print(len(ok), spent, over, bound)
    assert len(ok) == 175, len(ok)  # floor(0.006075 / 0.00003465)
    assert over <= bound, (over, bound)


def soft_hook(path):
    r = json.loads(open(path).readline())
    b = r["body"]
    assert b["kind"] == "budget_soft_limit" and b["account"] == {"kind": "key", "name": "race-app"}, b
    assert b["threshold"] == 0.5 and b["limit"] == 0.006075 and b["used"] >= 0.0030375, b
    assert r["idempotency_key"] == b["id"], r


def parallel(path, n):
    rs = lines(path)
    st = sorted(r["status"] for r in rs)
    assert st == [200, 200] + [429] * (int(n) - 2), st
    for r in rs:
        if r["status"] == 429:
            assert r["headers"]["retry-after"] == "1" and "in flight" in r["body"], r


if __name__ == "__main__":
    checks = {"race": race, "capped": capped, "soft-hook": soft_hook, "parallel": parallel}
    if len(sys.argv) < 3 or sys.argv[1] not in checks:
        sys.exit(__doc__)
    checks[sys.argv[1]](*sys.argv[2:])
