#!/usr/bin/env python3
"""Reads the messages an SMTP relay kept (FOLDER/*.eml) with Python's own
MIME parser and prints one JSON line per message: its Message-ID,
List-Unsubscribe, decoded subject, content type, and the text and HTML
parts decoded. A message the parser finds defective is reported.

  read_mail.py FOLDER
"""
import email, email.policy, glob, json, os, sys

for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    print(json.dumps({
        "message_id": msg["Message-ID"],
        "list_unsubscribe": msg["List-Unsubscribe"],
        "subject": str(msg["Subject"]),
        "content_type": msg.get_content_type(),
        "text": text.get_content() if text else None,
        "html": html.get_content() if html else None,
        "defects": [type(d).__name__ for d in msg.defects],
    }, ensure_ascii=False))
