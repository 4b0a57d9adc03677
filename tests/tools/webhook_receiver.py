#!/usr/bin/env python3
"""webhook_receiver.py - a webhook receiver for the budget alert tests.

Listens on 127.0.0.1 (port 0 = any free one; the chosen port is written to
--port-file), appends every POST body as one JSON line to --log, and answers
200. --fail N answers 500 to the first N requests (they are logged to
--log.failed, not --log), to exercise retries. Stops on SIGTERM.
"""
import argparse
import http.server
import json
import signal
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail", type=int, default=0)
    args = ap.parse_args()
    state = {"fail": args.fail}

    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            rec = {"path": self.path, "idempotency_key": self.headers.get("Idempotency-Key"),
                   "content_type": self.headers.get("Content-Type"), "body": json.loads(body)}
            if state["fail"] > 0:
                state["fail"] -= 1
                with open(args.log + ".failed", "a") as f:
                    f.write(json.dumps(rec) + "\n")
                self.send_response(500)
                self.end_headers()
                return
            with open(args.log, "a") as f:
                f.write(json.dumps(rec) + "\n")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", args.port), H)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
