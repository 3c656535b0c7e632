#!/usr/bin/env python3
"""`make test-browser`: examples/spa in headless Chromium, served from another origin than
credvault's, against a real `credvault serve` and a fake OAuth2 provider, all on 127.0.0.1.

It signs in through the page, reads the list, opens a credential (secrets masked), edits it with
If-Match (and sees a stale ETag refused with 412), and connects an OAuth2 credential through the
whole round trip (page -> provider -> credvault's callback -> page): once refused by the provider,
the page showing why, once accepted, the credential `active`. A screenshot of the list is left in
.data/browser/.

Environment (the Makefile sets it): CREDVAULT_BIN, DATABASE_URL (a server where it may create
and drop a database of its own), CHROMIUM (default: chromium). Standard library only.
"""

import base64
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
import cdp  # noqa: E402
import servers  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, ".data", "browser")
SCREENSHOT = os.path.join(OUT, "credentials-list.png")

ADA = {"email": "ada@example.com", "password": "correct horse battery"}
STRIPE_KEY = "sk_live_51HxExampleKey0042"
JENKINS_PASSWORD = "jenkins-password-7781"
CLIENT_ID, CLIENT_SECRET = "spa-test-client", "spa-test-client-secret"
# Console errors a passing run produces: the browser logs every non-2xx fetch, and one 412 is
# provoked on purpose. Anything else (a CORS refusal, a script error) fails the run.
EXPECTED_CONSOLE = ("the server responded with a status of 412",)


def say(msg):
    print(f"test-browser: {msg}", flush=True)


@contextmanager
def step(name):
    t = time.monotonic()
    yield
    say(f"ok   {name} ({time.monotonic() - t:.1f} s)")


class Api:
    """credvault over plain HTTP, for seeding and for checking what the page did."""

    def __init__(self, base):
        self.base = base

    def call(self, method, path, token=None, body=None, headers=None, ok=(200, 201, 204)):
        req = urllib.request.Request(self.base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                status, hdrs, raw = res.status, res.headers, res.read()
        except urllib.error.HTTPError as e:
            status, hdrs, raw = e.code, e.headers, e.read()
        data = json.loads(raw) if raw else None
        if status not in ok:
            raise AssertionError(f"{method} {path}: {status} {raw[:300]!r}")
        return data, hdrs


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql():
    """Debian's newest psql (the one scripts/dev-db.sh uses), else the one on PATH."""
    debian = glob.glob("/usr/lib/postgresql/*/bin/psql")
    newest = max(debian, key=lambda p: int(p.split("/")[4]), default=None)
    return newest or shutil.which("psql") or sys.exit("test-browser: psql not found (apt-get install postgresql-client)")


def with_database(url, name):
    return urllib.parse.urlsplit(url)._replace(path=f"/{name}").geturl()


def admin_sql(base_url, sql):
    subprocess.run([psql(), with_database(base_url, "postgres"), "-qX", "-v", "ON_ERROR_STOP=1",
                    "-c", sql], check=True, stdout=subprocess.DEVNULL)


def start_credvault(binary, db_url, page_origin, log):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDVAULT_")}
    env.update({
        "DATABASE_URL": db_url,
        "CREDVAULT_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
        "CREDVAULT_BIND": f"127.0.0.1:{port}",
        "CREDVAULT_PUBLIC_URL": base,          # the provider sends the browser back here
        "CREDVAULT_CORS_ORIGINS": page_origin,  # the page's origin: fetch and return_to
        "CREDVAULT_OUTBOUND_ALLOW": "127.0.0.1",  # the fake provider's token endpoint
        "CREDVAULT_DB_POOL_SIZE": "8",
        "CREDVAULT_LOG_FORMAT": "json",
    })
    proc = subprocess.Popen([binary, "serve"], env=env, stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as res:
                if res.status == 200:
                    return proc, base
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"credvault did not become ready; see {log.name}")
        time.sleep(0.2)


def seed(api, provider_url):
    """A workspace and four credentials: one used and shared, one never used, one OAuth2
    credential that needs authorizing (`expired`), one custom."""
    api.call("POST", "/v1/workspaces", body={**ADA, "workspace_name": "Acme", "display_name": "Ada"})
    token = api.call("POST", "/v1/auth/login", body=ADA)[0]["access_token"]

    def create(body):
        return api.call("POST", "/v1/credentials", token, body)[0]["id"]

    stripe = create({"name": "Stripe live", "service": "stripe", "type": "api_key",
                     "data": {"key": STRIPE_KEY, "prefix": "Bearer "}, "tags": ["payments"],
                     "environment": "production"})
    create({"name": "Jenkins", "service": "jenkins", "type": "basic_auth",
            "data": {"username": "ci", "password": JENKINS_PASSWORD}})
    drive = create({"name": "Google Drive", "service": "google", "type": "oauth2",
                    "data": {"grant_type": "authorization_code", "client_id": CLIENT_ID,
                             "client_secret": CLIENT_SECRET, "scopes": ["drive.readonly"],
                             "authorization_url": f"{provider_url}/authorize",
                             "token_url": f"{provider_url}/token"}})
    create({"name": "Webhook signing", "service": "acme-hooks", "type": "custom",
            "data": {"secret": "whsec-example-0001", "header": "X-Signature"},
            "secret_fields": ["secret"]})
    # Shared with the workspace and used once by a workflow: the list shows both.
    api.call("PUT", f"/v1/credentials/{stripe}/shares", token,
             {"shares": [{"principal_type": "workspace", "access": "use"}]})
    me = api.call("GET", "/v1/me", token)[0]["id"]
    engine = api.call("POST", "/v1/tokens", token, {"name": "engine", "kind": "engine",
                                                    "scopes": ["credentials:resolve", "workflows:write"]})[0]["token"]
    api.call("PUT", "/v1/workflows/billing-sync", engine,
             {"name": "Billing sync", "owner_id": me, "credential_ids": [stripe]})
    api.call("POST", f"/v1/credentials/{stripe}/resolve", engine, {"workflow_id": "billing-sync"})
    # Never authorized: a refresh finds no refresh token and marks it `expired`.
    api.call("POST", f"/v1/credentials/{drive}/refresh", token, ok=(409,))
    return token, stripe, drive


def rows(page):
    return page.eval("""[...document.querySelectorAll('#credentials tbody tr')].map(tr =>
        Object.fromEntries([...tr.cells].map(td => [td.dataset.col, td.innerText])))""")


def row(page, name):
    return next(r for r in rows(page) if r["name"] == name)


def field(page, name):
    return page.text(f'[data-field="{name}"]')


def open_credential(page, cred_id, name):
    page.click(f'#credentials tr[data-id="{cred_id}"] button')
    page.wait_for(f"document.querySelector('#detail-name').innerText === {json.dumps(name)}",
                  f"{name} to open")


def scenario(page, api, page_url, token, stripe, drive, provider):
    with step("sign in through the page (another origin: CORS preflights and answers)"):
        page.goto(page_url)
        page.wait_for("document.body.dataset.ready", "the page to start")
        page.fill("#sign-in [name=email]", ADA["email"])
        page.fill("#sign-in [name=password]", ADA["password"])
        page.click("#sign-in button[type=submit]")
        page.wait_for("document.querySelectorAll('#credentials tbody tr').length === 4",
                      "the list of 4 credentials")
        assert page.text("#who") == "Ada (owner)", page.text("#who")

    with step("list: type, status, last used, shared"):
        s = row(page, "Stripe live")
        assert (s["type"], s["status"], s["shared"]) == ("api_key", "active", "yes"), s
        assert s["last_used"] != "never", s
        j = row(page, "Jenkins")
        assert (j["type"], j["last_used"], j["shared"]) == ("basic_auth", "never", "no"), j
        g = row(page, "Google Drive")
        assert (g["type"], g["status"]) == ("oauth2", "expired"), g

    with step("open one: secrets masked as the API returns them, the ETag readable"):
        open_credential(page, stripe, "Stripe live")
        assert field(page, "key") == "••••" + STRIPE_KEY[-4:], field(page, "key")
        etag = api.call("GET", f"/v1/credentials/{stripe}", token)[1]["ETag"]
        assert field(page, "etag") == etag, (field(page, "etag"), etag)

    with step("edit with If-Match"):
        page.click("#edit")
        page.fill("#edit-form [name=description]", "Charges and refunds")
        page.fill("#edit-form [name=tags]", "payments, billing")
        page.click("#edit-form button[type=submit]")
        page.wait_for("document.querySelector('#notice').innerText === 'Saved Stripe live.'", "the save")
        cred, hdrs = api.call("GET", f"/v1/credentials/{stripe}", token)
        assert cred["description"] == "Charges and refunds" and cred["tags"] == ["payments", "billing"], cred
        assert hdrs["ETag"] != etag and field(page, "etag") == hdrs["ETag"], (etag, hdrs["ETag"])

    with step("a stale ETag is refused (412) and the page says so"):
        api.call("PATCH", f"/v1/credentials/{stripe}", token, {"description": "Changed elsewhere"})
        page.click("#edit")
        page.fill("#edit-form [name=name]", "Stripe live (EU)")
        page.click("#edit-form button[type=submit]")
        page.wait_for("document.querySelector('#error').innerText.startsWith('precondition_failed:')",
                      "the 412 on the page")
        assert api.call("GET", f"/v1/credentials/{stripe}", token)[0]["name"] == "Stripe live"
        page.click("#reload")
        page.wait_for("document.querySelector('[data-field=description]').innerText === 'Changed elsewhere'",
                      "the reloaded credential")

    with step("connect OAuth2, refused by the provider: the error comes back to the page"):
        open_credential(page, drive, "Google Drive")
        provider.refuse_next = True
        page.click("#connect")
        err = page.wait_for("document.body.dataset.ready && !document.querySelector('#error').hidden"
                            " && document.querySelector('#error').innerText", "the error back on the page")
        assert "Connecting failed" in err and "invalid_grant" in err, err
        assert provider.exchanges[-1] == (False, "refused on purpose"), provider.exchanges
        assert page.eval("location.href") == page_url.split("?")[0], page.eval("location.href")
        assert field(page, "status").startswith("expired"), field(page, "status")

    with step("connect OAuth2: page -> provider -> callback -> page, the credential active"):
        page.click("#connect")
        page.wait_for("document.querySelector('#notice').innerText === 'Connected: the credential is active.'",
                      "the OAuth round trip to end on the page")
        assert provider.exchanges[-1] == (True, "ok"), provider.exchanges
        page.wait_for("document.querySelector('#detail-name').innerText === 'Google Drive'", "Drive to open")
        assert field(page, "status") == "active", field(page, "status")
        assert field(page, "access_token") == "••••" + provider.issued[-1][-4:], field(page, "access_token")
        assert row(page, "Google Drive")["status"] == "active", row(page, "Google Drive")
        assert api.call("GET", f"/v1/credentials/{drive}", token)[0]["status"] == "active"

    with step("no secret in the page, no CORS refusal or script error in the browser"):
        shown = page.eval("document.documentElement.outerHTML")
        for secret in (STRIPE_KEY, JENKINS_PASSWORD, CLIENT_SECRET, *provider.issued):
            assert secret not in shown, f"a secret is in the page: {secret[:6]}..."
        unexpected = [p for p in page.problems() if not any(e in p for e in EXPECTED_CONSOLE)]
        assert not unexpected, "the browser reported:\n  " + "\n  ".join(unexpected)

    page.screenshot(SCREENSHOT)


def main():
    started = time.monotonic()
    binary, db_base = os.environ["CREDVAULT_BIN"], os.environ["DATABASE_URL"]
    os.makedirs(OUT, exist_ok=True)
    for stale in ("failure.png", "credentials-list.png"):
        if os.path.exists(os.path.join(OUT, stale)):
            os.remove(os.path.join(OUT, stale))
    db_name = f"credvault_browser_{os.getpid()}"
    cleanup = []
    page = None
    try:
        admin_sql(db_base, f"CREATE DATABASE {db_name}")
        cleanup.append(lambda: admin_sql(db_base, f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"))
        site, site_url = servers.start(servers.static_site(os.path.join(ROOT, "examples", "spa")), "page")
        cleanup.append(site.shutdown)
        provider = servers.FakeProvider(CLIENT_ID, CLIENT_SECRET)
        prov, prov_url = servers.start(provider.handler(), "provider")
        cleanup.append(prov.shutdown)
        log = open(os.path.join(OUT, "credvault.log"), "wb")
        server, api_url = start_credvault(binary, with_database(db_base, db_name), site_url, log)
        cleanup.append(lambda: (server.terminate(), server.wait(), log.close()))
        api = Api(api_url)
        token, stripe, drive = seed(api, prov_url)
        say(f"credvault on {api_url}, the page on {site_url}, the provider on {prov_url}")

        profile = tempfile.mkdtemp(prefix="profile-", dir=OUT)
        cleanup.append(lambda: shutil.rmtree(profile, ignore_errors=True))
        browser = cdp.Browser(os.environ.get("CHROMIUM", "chromium"), profile,
                              os.path.join(OUT, "chromium.log"))
        cleanup.append(browser.close)
        say(f"driving {browser.version} (headless)")
        page = browser.new_page()
        scenario(page, api, f"{site_url}/index.html?api={urllib.parse.quote(api_url)}",
                 token, stripe, drive, provider)
    except Exception:
        traceback.print_exc()
        if page is not None:
            failed = os.path.join(OUT, "failure.png")
            try:
                page.screenshot(failed)
                say(f"the page when it failed: {failed}")
                say("the browser reported: " + json.dumps(page.problems(), ensure_ascii=False))
            except Exception as e:  # the browser may be what failed
                say(f"no screenshot: {e}")
        say(f"FAILED after {time.monotonic() - started:.0f} s; logs in {OUT}")
        return 1
    finally:
        for undo in reversed(cleanup):
            try:
                undo()
            except Exception as e:
                say(f"cleanup: {e}")
    say(f"passed in {time.monotonic() - started:.0f} s; screenshot of the list: {SCREENSHOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
