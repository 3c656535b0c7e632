"""The two small HTTP servers of the browser test, each on its own port of 127.0.0.1: the example
page (another origin than credvault's), and a fake OAuth2 provider."""

import base64
import hashlib
import http.server
import json
import secrets
import threading
import urllib.parse


def start(handler, name):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, name=name, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


class Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass


def static_site(directory):
    """Serves the files of one directory, and nothing else."""

    class Handler(http.server.SimpleHTTPRequestHandler, Quiet):
        extensions_map = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=directory, **kwargs)

        def list_directory(self, path):
            self.send_error(404)

    return Handler


class FakeProvider:
    """An authorization-code provider: /authorize sends the browser straight back to the
    redirect_uri with a code and the state (as if the person had agreed); /token exchanges that
    code once, checking the client's Basic credentials, the redirect_uri and the PKCE verifier,
    and answers a JSON token. With `refuse_next` set it answers the next exchange `invalid_grant`."""

    def __init__(self, client_id, client_secret):
        self.client_id, self.client_secret = client_id, client_secret
        self.codes = {}  # code -> (code_challenge, redirect_uri)
        self.issued = []  # access tokens handed out
        self.refuse_next = False
        self.exchanges = []  # (ok, why) of each token request
        self.lock = threading.Lock()

    def handler(self):
        provider = self

        class Handler(Quiet):
            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(url.query))
                if url.path != "/authorize":
                    return self.answer(404, {"error": "not_found"})
                if q.get("client_id") != provider.client_id or q.get("code_challenge_method") != "S256":
                    return self.answer(400, {"error": "invalid_request"})
                code = secrets.token_urlsafe(16)
                with provider.lock:
                    provider.codes[code] = (q["code_challenge"], q["redirect_uri"])
                back = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q["state"]})
                self.send_response(302)
                self.send_header("Location", back)
                self.end_headers()

            def do_POST(self):
                if self.path != "/token":
                    return self.answer(404, {"error": "not_found"})
                form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                status, body = provider.exchange(form, self.headers.get("Authorization", ""))
                self.answer(status, body)

            def answer(self, status, body):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        return Handler

    def exchange(self, form, authorization):
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        with self.lock:
            challenge, redirect_uri = self.codes.pop(form.get("code"), (None, None))
            verifier = form.get("code_verifier", "")
            computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            why = ("client authentication" if authorization != f"Basic {basic}"
                   else "grant_type" if form.get("grant_type") != "authorization_code"
                   else "unknown or used code" if challenge is None
                   else "redirect_uri" if form.get("redirect_uri") != redirect_uri
                   else "PKCE verifier" if computed != challenge
                   else "refused on purpose" if self.refuse_next
                   else None)
            self.refuse_next = False
            self.exchanges.append((why is None, why or "ok"))
            if why == "client authentication":
                return 401, {"error": "invalid_client"}
            if why:
                return 400, {"error": "invalid_grant"}
            token = "fake-access-" + secrets.token_hex(12)
            self.issued.append(token)
            return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600,
                         "refresh_token": "fake-refresh-" + secrets.token_hex(12)}
