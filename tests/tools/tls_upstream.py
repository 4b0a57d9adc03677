#!/usr/bin/env python3
"""tls_upstream.py - a minimal HTTPS OpenAI-shaped upstream for the gateway's
TLS test: every POST gets one fixed chat.completion with usage (5 prompt,
3 completion tokens). Serves with --cert/--key on 127.0.0.1:0 and writes
the port to --port-file. Standard library only.
"""
import argparse
import http.server
import json
import ssl


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            req = json.loads(self.rfile.read(n))
            body = json.dumps({
                "id": "chatcmpl-tls", "object": "chat.completion", "created": 1700000000, "model": req["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "over tls"},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(args.port_file, "w") as f:
        f.write(str(srv.server_address[1]))
    srv.serve_forever()


if __name__ == "__main__":
    main()
