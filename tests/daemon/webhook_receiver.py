#!/usr/bin/env python3
"""A webhook receiver for the daemon tests: answers 500 to the first
FAIL_FIRST attempts of every Idempotency-Key, then 200, and logs each
request as "KEY ATTEMPT STATUS" to LOG. Prints its port once listening.

  webhook_receiver.py LOG FAIL_FIRST [CERT KEY | keep-alive]

With CERT and KEY (PEM files) it serves https. With keep-alive it speaks
HTTP/1.1, keeping each connection open for more requests until it has
been idle for 0.3 s (then it closes it), and adds the client's port to
each log line.
"""
import collections, http.server, socketserver, ssl, sys

log_path, fail_first = sys.argv[1], int(sys.argv[2])
keep_alive = len(sys.argv) == 4 and sys.argv[3] == "keep-alive"
attempts = collections.Counter()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Idempotency-Key", "-")
        attempts[key] += 1
        status = 500 if attempts[key] <= fail_first else 200
        with open(log_path, "a") as f:
            port = f" {self.client_address[1]}" if keep_alive else ""
            f.write(f"{key} {attempts[key]} {status}{port}\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


if keep_alive:
    Handler.protocol_version = "HTTP/1.1"
    Handler.timeout = 0.3  # an idle connection is closed after this
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
else:
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
if len(sys.argv) > 4:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
