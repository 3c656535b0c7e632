"""An OAuth2 provider's token endpoint on loopback, for the Vault client scenarios: every
client_credentials grant gets a new access token that expires in 30 s (so credvault refreshes it
before each read: within a minute of expiry), and GET /issued says which one it gave last.
Writes its port to the file named by its argument."""

import json
import secrets
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

issued = []


class Handler(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        form = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        if self.path != "/token" or "grant_type=client_credentials" not in form:
            return self.answer(400, {"error": "unsupported_grant_type"})
        token = f"at-{len(issued) + 1}-{secrets.token_hex(8)}"
        issued.append(token)
        self.answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": 30})

    def do_GET(self):
        if self.path != "/issued":
            return self.answer(404, {})
        self.answer(200, {"count": len(issued), "last": issued[-1] if issued else None})

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
