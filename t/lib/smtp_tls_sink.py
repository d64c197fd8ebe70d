"""An SMTP sink that insists on STARTTLS and AUTH, for t/check_resources.t.

aiosmtpd's command line cannot ask for authentication, so this wraps its
Controller. Each message is stored as it arrived on the wire (CRLF and all) in
DIR/N.eml, with DIR/N.json saying who logged in and the envelope. A recipient
whose mailbox starts with "refused@" is refused.

usage: smtp_tls_sink.py PORT DIR CERT KEY USER PASSWORD_FILE
"""

import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    port, out_dir, cert, key, user, password_file = sys.argv[1:7]
    with open(password_file, "rb") as f:
        password = f.read().split(b"\n")[0]
    os.makedirs(out_dir, exist_ok=True)
    counter = [0]
    lock = threading.Lock()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode() and auth_data.password == password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    class Handler:
        # Mailboxes starting with "refused@" do not exist, to test refusals.
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.startswith("refused@"):
                return "550 5.1.1 no such mailbox"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            with lock:
                counter[0] += 1
                n = counter[0]
            base = os.path.join(out_dir, "%d" % n)
            with open(base + ".eml.tmp", "wb") as f:
                f.write(envelope.original_content)
            meta = {"auth": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
                    "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}
            with open(base + ".json", "w") as f:
                json.dump(meta, f)
            os.rename(base + ".eml.tmp", base + ".eml")
            return "250 OK"

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = Controller(Handler(), hostname="127.0.0.1", port=int(port),
                            tls_context=context, require_starttls=True,
                            auth_required=True, auth_require_tls=True,
                            authenticator=authenticator)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
