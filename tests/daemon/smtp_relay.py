#!/usr/bin/env python3
"""An SMTP relay for the daemon tests: speaks enough SMTP for one message
per connection, answers 451 at the end of DATA to the first FAIL_FIRST
attempts of every Idempotency-Key, then 250, and logs each message as
"KEY RCPT ATTEMPT STATUS" to LOG. Prints its port once listening.

With CERT and KEY it offers STARTTLS (and then takes mail only over TLS);
with USER and PASSWORD too it offers AUTH PLAIN over TLS and takes mail
only from that login (535 for any other). Each message's session is
logged to LOG.sessions as "KEY tls=0|1 user=NAME", and each message taken
is kept whole (dot-stuffing undone) as LOG.mail/KEY.eml. With `hang-up` it
closes the connection right after taking a message, without waiting for
QUIT.

  smtp_relay.py LOG FAIL_FIRST [hang-up | CERT KEY [USER PASSWORD]]
"""
import base64, collections, os, socketserver, ssl, sys

log_path, fail_first = sys.argv[1], int(sys.argv[2])
hang_up = len(sys.argv) > 3 and sys.argv[3] == "hang-up"
cert, key = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else (None, None)
login = (sys.argv[5], sys.argv[6]) if len(sys.argv) > 6 else None
attempts = collections.Counter()
context = None
if cert:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)


class Handler(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write((text + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.tls, self.user = False, ""
        self.reply("220 relay ready")
        rcpt = ""
        while True:
            line = self.rfile.readline().decode(errors="replace").rstrip("\r\n")
            if not line:
                return
            verb = line.split(" ")[0].upper()
            if verb == "EHLO":
                self.reply("250-relay")
                if context and not self.tls:
                    self.reply("250-STARTTLS")
                if login and self.tls:
                    self.reply("250-AUTH LOGIN PLAIN")
                self.reply("250 8BITMIME")
            elif verb == "STARTTLS" and context and not self.tls:
                self.reply("220 go ahead")
                self.connection = context.wrap_socket(self.connection, server_side=True)
                self.rfile = self.connection.makefile("rb")
                self.wfile = self.connection.makefile("wb")
                self.tls = True
            elif verb == "AUTH" and login and self.tls:
                parts = line.split(" ")
                fields = base64.b64decode(parts[2]).split(b"\0") if len(parts) == 3 and parts[1] == "PLAIN" else []
                if len(fields) == 3 and (fields[1].decode(), fields[2].decode()) == login:
                    self.user = login[0]
                    self.reply("235 2.7.0 authenticated")
                else:
                    self.reply("535 5.7.8 authentication failed")
            elif verb == "MAIL":
                if context and not self.tls:
                    self.reply("530 5.7.0 must issue a STARTTLS command first")
                elif login and not self.user:
                    self.reply("530 5.7.0 authentication required")
                else:
                    self.reply("250 sender ok")
            elif verb == "RCPT":
                rcpt = line[line.find("<") + 1:line.find(">")]
                self.reply("250 recipient ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                key = "-"
                message = []
                while True:
                    data = self.rfile.readline().decode(errors="replace").rstrip("\r\n")
                    if data == ".":
                        break
                    message.append(data[1:] if data.startswith("..") else data)
                    if data.startswith("Idempotency-Key: "):
                        key = data[len("Idempotency-Key: "):]
                attempts[key] += 1
                status = 451 if attempts[key] <= fail_first else 250
                with open(log_path, "a") as f:
                    f.write(f"{key} {rcpt} {attempts[key]} {status}\n")
                with open(log_path + ".sessions", "a") as f:
                    f.write(f"{key} tls={int(self.tls)} user={self.user}\n")
                if status == 250:
                    os.makedirs(log_path + ".mail", exist_ok=True)
                    with open(os.path.join(log_path + ".mail", key + ".eml"), "w", newline="") as f:
                        f.write("\r\n".join(message) + "\r\n")
                self.reply("451 try again later" if status == 451 else "250 queued")
                if hang_up and status == 250:
                    return
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
