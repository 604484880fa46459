#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) on loopback for the tests: STARTTLS on 127.0.0.1:10587 (required
before AUTH), implicit TLS on 127.0.0.1:10465, AUTH PLAIN/LOGIN with any user and the password
"mailpool-test". Each accepted message is written to $MAILPOOL_SMTP_SPOOL as <n>.eml with <n>.json
holding the envelope. Recipients at reject.example are refused with 550, at busy.example with 451, at
flaky.example with 451 one time in ten; a
message to lost-reply.example is stored and then the connection closes without the reply to the final
dot (an accepted message whose acceptance the client never learns).
"""
import json
import os
import random
import ssl
import sys
import threading
import time
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

spool, cert, key = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(spool, exist_ok=True)


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        domain = address.rsplit("@", 1)[-1].lower()
        if domain == "reject.example":
            return "550 5.1.1 mailbox unavailable"
        if domain == "busy.example" or (domain == "flaky.example" and random.random() < 0.1):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time():.6f}-{uuid.uuid4().hex}"
        with open(os.path.join(spool, name + ".eml.part"), "wb") as f:
            f.write(envelope.original_content)
        with open(os.path.join(spool, name + ".json"), "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos, "user": session.auth_data.login.decode()}, f)
        os.rename(os.path.join(spool, name + ".eml.part"), os.path.join(spool, name + ".eml"))
        if any(rcpt.rsplit("@", 1)[-1].lower() == "lost-reply.example" for rcpt in envelope.rcpt_tos):
            server.transport.abort()
        return "250 Message accepted"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"mailpool-test"
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
common = dict(hostname="127.0.0.1", authenticator=authenticate, auth_required=True, data_size_limit=60 * 1024 * 1024)
starttls = Controller(Handler(), port=10587, tls_context=context, require_starttls=True, auth_require_tls=True, **common)
# On the implicit-TLS port the whole session is encrypted, but aiosmtpd only counts STARTTLS as TLS.
implicit = Controller(Handler(), port=10465, ssl_context=context, auth_require_tls=False, **common)
starttls.start()
implicit.start()
print("SMTP test server: STARTTLS 127.0.0.1:10587, implicit TLS 127.0.0.1:10465", flush=True)
threading.Event().wait()
