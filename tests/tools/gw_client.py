#!/usr/bin/env python3
"""gw_client.py - a concurrent HTTP/1.1 client for the gateway's shell tests.

Sends N requests (at most C at a time, each on its own keep-alive
connection) and writes one JSON line per request to --out:
  {"i", "status", "headers": {lower-case name: value}, "trailers": {...},
   "body": text (non-stream) | null, "events": [data lines] (stream),
   "complete": bool, "error": text | null}
Chunked and Content-Length bodies are read; trailers are kept (the gateway
sends x-aicost-cost as a trailer on streams).

Modes:
  --drop-after K   streams: close the connection after K data events
  --until-refused  keep sending (C workers) until the server goes away;
                   for the kill -9 test: a request counts as answered only
                   when its whole response arrived.
Standard library only.
"""
import argparse
import asyncio
import json
import sys


async def read_response(reader, drop_after=None, partial=None):
    """Read one response; partial (a dict) gets status, headers and events as they arrive."""
    if partial is None:
        partial = {}
    line = await reader.readline()
    if not line:
        raise ConnectionError("connection closed before the status line")
    parts = line.decode("latin-1").split(" ", 2)
    status = int(parts[1])
    headers = {}
    while True:
        h = await reader.readline()
        if not h:
            raise ConnectionError("connection closed in the headers")
        if h in (b"\r\n", b"\n"):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    partial["status"] = status
    partial["headers"] = headers
    trailers = {}
    body = b""
    events = partial.setdefault("events", [])
    complete = False
    stream = headers.get("content-type", "").startswith("text/event-stream")
    pending = b""

    def feed(data):
        nonlocal pending
        pending += data
        while b"\n\n" in pending:
            ev, pending = pending.split(b"\n\n", 1)
            for ln in ev.split(b"\n"):
                if ln.startswith(b"data: "):
                    events.append(ln[6:].decode("utf-8", "replace"))

    if "content-length" in headers:
        n = int(headers["content-length"])
        body = await reader.readexactly(n)
        if stream:
            feed(body)
        complete = True
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            sz = await reader.readline()
            if not sz:
                raise ConnectionError("connection closed in a chunk size")
            n = int(sz.split(b";")[0].strip(), 16)
            if n == 0:
                while True:
                    t = await reader.readline()
                    if t in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = t.decode("latin-1").partition(":")
                    trailers[k.strip().lower()] = v.strip()
                complete = True
                break
            data = await reader.readexactly(n)
            await reader.readexactly(2)
            if stream:
                before = len(events)
                feed(data)
                if drop_after is not None and len(events) >= drop_after and before < drop_after:
                    return status, headers, trailers, None, events, False, "dropped"
            else:
                body += data
    else:
        body = await reader.read()
        complete = True
    return status, headers, trailers, (None if stream else body.decode("utf-8", "replace")), events, complete, None


def request_bytes(host, path, key, body, extra):
    h = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json",
         f"Content-Length: {len(body)}"]
    if key:
        h.append(f"Authorization: Bearer {key}")
    h.extend(extra)
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


async def worker(args, queue, results, host, port, path, body, extra):
    reader = writer = None
    while True:
        i = await queue.get()
        if i is None:
            break
        rec = {"i": i, "status": None, "headers": {}, "trailers": {}, "body": None, "events": [],
               "complete": False, "error": None}
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(request_bytes(f"{host}:{port}", path, args.key, body, extra))
            await writer.drain()
            st, hd, tr, b, ev, comp, err = await read_response(reader, args.drop_after, rec)
            rec.update(status=st, headers=hd, trailers=tr, body=b, events=ev, complete=comp, error=err)
            if err == "dropped" or hd.get("connection", "").lower() == "close":
                writer.close()
                writer = None
        except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as e:
            rec["error"] = type(e).__name__ + ": " + str(e)
            if writer is not None:
                writer.close()
            writer = None
            if args.until_refused:
                results.append(rec)
                # The server is gone (or going): stop this worker.
                return
        results.append(rec)
        if args.until_refused:
            await queue.put(i + args.concurrency)
    if writer is not None:
        writer.close()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--key")
    ap.add_argument("--body")
    ap.add_argument("--n", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--drop-after", type=int)
    ap.add_argument("--until-refused", action="store_true")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rest = args.url.split("://", 1)[1]
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.rpartition(":")
    path = "/" + path
    body = args.body.encode()
    queue = asyncio.Queue()
    results = []
    if args.until_refused:
        for i in range(args.concurrency):
            queue.put_nowait(i)
    else:
        for i in range(args.n):
            queue.put_nowait(i)
        for _ in range(args.concurrency):
            queue.put_nowait(None)
    tasks = [asyncio.create_task(worker(args, queue, results, host, int(port), path, body, args.header))
             for _ in range(args.concurrency)]
    await asyncio.gather(*tasks)
    with open(args.out, "w") as f:
        for r in sorted(results, key=lambda r: r["i"]):
            f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(1)
