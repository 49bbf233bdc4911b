#!/usr/bin/env python3
"""Peers that misbehave, for the daemon's hostile-input tests. Each logs
"KEY" (the Idempotency-Key, or the recipient for SMTP) per attempt to LOG
and prints its port once listening.

  hostile_peer.py LOG MODE [SECONDS]

MODE:
  huge-length   a webhook receiver answering 200 with
                Content-Length: 1000000000000, then a trickle of bytes
  slow-200      a webhook receiver answering 200 after SECONDS
  always-500    a webhook receiver answering 500 to every attempt
  smtp-binary   an SMTP relay refusing every recipient with a reply that
                is not UTF-8 and quotes the recipient's address
"""
import socket, socketserver, sys, threading, time

log_path, mode = sys.argv[1], sys.argv[2]
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 0
lock = threading.Lock()


def log(text):
    with lock, open(log_path, "a") as f:
        f.write(text + "\n")


class Webhook(socketserver.StreamRequestHandler):
    def handle(self):
        headers = {}
        line = self.rfile.readline()
        while line not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode(errors="replace").partition(":")
            headers[name.strip().lower()] = value.strip()
            line = self.rfile.readline()
        self.rfile.read(int(headers.get("content-length", "0")))
        log(headers.get("idempotency-key", "-"))
        if mode == "huge-length":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n")
            try:
                for _ in range(200):  # a trickle, until the daemon hangs up
                    self.wfile.write(b"x" * 4096)
                    self.wfile.flush()
                    time.sleep(0.01)
            except OSError:
                pass
        elif mode == "slow-200":
            time.sleep(seconds)
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        else:
            self.wfile.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")


class Smtp(socketserver.StreamRequestHandler):
    def reply(self, raw):
        self.wfile.write(raw + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.reply(b"220 relay ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.split(b" ")[0].strip().upper()
            if verb == b"EHLO":
                self.reply(b"250 relay")
            elif verb == b"MAIL":
                self.reply(b"250 ok")
            elif verb == b"RCPT":
                rcpt = line.strip()[len(b"RCPT TO:"):]
                log(rcpt.decode(errors="replace"))
                self.reply(b"550 5.1.1 \xff\xfe\x1b[31m " + rcpt + b" does not exist here \xc3")
            elif verb == b"QUIT":
                self.reply(b"221 bye")
                return
            else:
                self.reply(b"500 what")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


server = Server(("127.0.0.1", 0), Smtp if mode == "smtp-binary" else Webhook)
print(server.server_address[1], flush=True)
server.serve_forever()
