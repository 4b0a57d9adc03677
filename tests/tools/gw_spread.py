#!/usr/bin/env python3
"""gw_spread.py - gw_client.py's concurrent client spread over several gateway
instances (tests/sh/test_gateway_redis.sh): request i goes to --url number
i mod len(--url), one connection per request; every connection is opened
first and the requests are written together (a barrier), so one burst
reaches every instance interleaved instead of one instance after another
(three client processes start too far apart for a race). Each record gets
"instance" (the url's index, 0-based). Same record format as gw_client.py,
with --url given once per instance. Standard library only.
"""
import argparse
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gw_client  # noqa: E402


async def one(i, end, key, body, extra, go, results):
    host, port, path = end
    rec = {"i": i, "status": None, "headers": {}, "trailers": {}, "body": None, "events": [],
           "complete": False, "error": None}
    writer = None
    try:
        reader, writer = await asyncio.open_connection(host, port)
        await go.wait()
        writer.write(gw_client.request_bytes(f"{host}:{port}", path, key, body, extra))
        await writer.drain()
        st, hd, tr, b, ev, comp, err = await gw_client.read_response(reader, None, rec)
        rec.update(status=st, headers=hd, trailers=tr, body=b, events=ev, complete=comp, error=err)
    except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
        rec["error"] = type(e).__name__ + ": " + str(e)
    if writer is not None:
        writer.close()
    results.append(rec)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", action="append", required=True)
    ap.add_argument("--key")
    ap.add_argument("--body")
    ap.add_argument("--n", type=int, default=1)
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    ends = []
    for u in args.url:
        rest = u.split("://", 1)[1]
        hostport, _, path = rest.partition("/")
        host, _, port = hostport.rpartition(":")
        ends.append((host, int(port), "/" + path))
    body = args.body.encode()
    go = asyncio.Event()
    results = []
    tasks = [asyncio.create_task(one(i, ends[i % len(ends)], args.key, body, args.header, go, results))
             for i in range(args.n)]
    # Let every connection open (or fail) before the requests go out together.
    for _ in range(200):
        await asyncio.sleep(0.01)
        if all(t.done() for t in tasks):
            break
    await asyncio.sleep(0.2)
    go.set()
    await asyncio.gather(*tasks)
    for r in results:
        r["instance"] = r["i"] % len(ends)
    with open(args.out, "w") as f:
        for r in sorted(results, key=lambda r: r["i"]):
            f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(1)
