#!/usr/bin/env python3
"""An SMTP relay for the daemon tests: speaks enough SMTP for one message
per connection, answers 451 at the end of DATA to the first FAIL_FIRST
attempts of every Idempotency-Key, then 250, and logs each message as
"KEY RCPT ATTEMPT STATUS" to LOG. Prints its port once listening.

  smtp_relay.py LOG FAIL_FIRST
"""
import collections, socketserver, sys

log_path, fail_first = sys.argv[1], int(sys.argv[2])
attempts = collections.Counter()


class Handler(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write((text + "\r\n").encode())

    def handle(self):
        self.reply("220 relay ready")
        rcpt = ""
        while True:
            line = self.rfile.readline().decode(errors="replace").rstrip("\r\n")
            if not line:
                return
            verb = line.split(" ")[0].upper()
            if verb == "EHLO":
                self.reply("250-relay")
                self.reply("250 8BITMIME")
            elif verb == "MAIL":
                self.reply("250 sender ok")
            elif verb == "RCPT":
                rcpt = line[line.find("<") + 1:line.find(">")]
                self.reply("250 recipient ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                key = "-"
                while True:
                    data = self.rfile.readline().decode(errors="replace").rstrip("\r\n")
                    if data == ".":
                        break
                    if data.startswith("Idempotency-Key: "):
                        key = data[len("Idempotency-Key: "):]
                attempts[key] += 1
                status = 451 if attempts[key] <= fail_first else 250
                with open(log_path, "a") as f:
                    f.write(f"{key} {rcpt} {attempts[key]} {status}\n")
                self.reply("451 try again later" if status == 451 else "250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 5.5.2 command not recognised")  # SMTP's answer to a verb it does not know


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
