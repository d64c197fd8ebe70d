#!/usr/bin/python3
# A small web application for the audit tests: a form login, a logout, pages
# behind the session, and endpoints that report events in a response header.
# Usage: login_app.py PORT
#
#   GET  /accounts/login/    the form
#   POST /accounts/login/    username=&password= (urlencoded); alice/wonderland
#                            -> 302 + Set-Cookie sessionid=<new>; else 200 again
#   GET  /accounts/logout/   -> 302, the session cookie expired
#   GET  /page               200
#   GET|HEAD /report?event=login&user=bob   200 with "X-Trace-Audit: login bob"
#   GET  /report-304         304 with the header (when If-None-Match is sent)

import http.server
import secrets
import sys
import urllib.parse

USERS = {"alice": "wonderland", "o'brien\\\"": "pw"}


class App(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, encoding="latin-1")  # bytes as they came
        if url.path == "/accounts/login/":
            self.send(200, b"<form method=post><input name=username><input name=password></form>")
        elif url.path == "/accounts/logout/":
            self.send(302, headers=[("Location", "/"),
                                    ("Set-Cookie", "sessionid=; Max-Age=0; Path=/")])
        elif url.path == "/report":
            event = query.get("event", ["login"])[0]
            user = query.get("user", [""])[0]
            # The grammar's user is one token: percent-encode what is not.
            value = event + " " + urllib.parse.quote(user, safe="", encoding="latin-1") if user else event
            self.send(200, b"reported\n", headers=[("X-Trace-Audit", value)])
        elif url.path == "/report-304":
            if self.headers.get("If-None-Match"):
                self.send_response(304)
                self.send_header("X-Trace-Audit", "login carol")
                self.send_header("ETag", '"v1"')
                self.end_headers()
            else:
                self.send(200, b"fresh\n", headers=[("ETag", '"v1"')])
        else:
            self.send(200, b"page\n")

    do_HEAD = do_GET

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        form = urllib.parse.parse_qs(body)
        user = form.get("username", [""])[0]
        password = form.get("password", [""])[0]
        if urllib.parse.urlsplit(self.path).path == "/accounts/login/" and USERS.get(user) == password:
            token = secrets.token_hex(16)
            self.send(302, headers=[("Location", "/page"),
                                    ("Set-Cookie", "sessionid=" + token + "; Path=/; HttpOnly")])
        else:
            self.send(200, b"wrong user or password\n")


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), App).serve_forever()
