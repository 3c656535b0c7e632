"""hvac, the Python Vault client, against credvault's Vault-compatible read path (mount `kv`,
KV version 2), as the README's recipe uses it. Every read must be exactly one `credential.used`
audit event; every refusal none. Run by scripts/vault-clients.sh with WORLD (world.py's JSON)."""

import json
import os
import urllib.request
import uuid

import hvac
from hvac import exceptions

w = json.load(open(os.environ["WORLD"]))
WF = w["workflow"]


def api(method, path, body=None, token=None, base=None):
    req = urllib.request.Request((base or w["url"]) + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as res:
        return json.load(res)


def used(cred):
    """How many credential.used events the audit log holds for `cred`."""
    page = api("GET", f"/v1/audit?action=credential.used&credential_id={cred}&limit=200", token=w["owner"])
    return len(page["items"])


def read(client, cred, **kw):
    return client.secrets.kv.v2.read_secret_version(path=f"{WF}/{cred}", mount_point="kv",
                                                    raise_on_deleted_version=True, **kw)


def refused(exc, call):
    try:
        call()
    except exc:
        return
    raise AssertionError(f"expected {exc.__name__}")


client = hvac.Client(url=w["url"], token=w["token"])

# Authenticate: lookup-self describes the token (its id, never the token itself).
assert client.is_authenticated()
me = client.auth.token.lookup_self()["data"]
assert me["id"] == w["token_id"] and "credentials:resolve" in me["policies"], me
assert w["token"] not in json.dumps(me)
assert not hvac.Client(url=w["url"], token="cvt_not_a_token").is_authenticated()
refused(exceptions.Forbidden, lambda: hvac.Client(url=w["url"], token="cvt_not_a_token").auth.token.lookup_self())

# Read: every field in full, and the version; exactly one credential.used event per read.
before = used(w["stripe"])
secret = read(client, w["stripe"])
data, meta = secret["data"]["data"], secret["data"]["metadata"]
assert data["key"] == w["stripe_key"] and data["prefix"] == "Bearer " and data["placement"] == "header", data
assert meta["version"] == 1 and meta["destroyed"] is False, meta
assert used(w["stripe"]) == before + 1
# The current version asked by number is read; another is refused (and not recorded).
assert read(client, w["stripe"], version=1)["data"]["data"]["key"] == w["stripe_key"]
refused(exceptions.InvalidRequest, lambda: read(client, w["stripe"], version=7))
assert used(w["stripe"]) == before + 2

# Rotated: the next read has the new value and the new version.
api("POST", f"/v1/credentials/{w['stripe']}/rotate", {"data": {"key": "sk_live_vault_clients_0002"}}, w["owner"])
secret = read(client, w["stripe"])
assert secret["data"]["data"]["key"] == "sk_live_vault_clients_0002", secret["data"]["data"]
assert secret["data"]["metadata"]["version"] == 2
assert used(w["stripe"]) == before + 3

# List: the workflow's credentials (hvac sends the LIST method).
keys = client.secrets.kv.v2.list_secrets(path=WF, mount_point="kv")["data"]["keys"]
assert sorted(keys) == sorted(w["declared"]), keys

# A credential the workflow's owner may not use: Forbidden, and no credential.used.
refused(exceptions.Forbidden, lambda: read(client, w["forbidden"]))
assert used(w["forbidden"]) == 0
# Unknown paths: InvalidPath.
refused(exceptions.InvalidPath, lambda: read(client, uuid.uuid4()))
refused(exceptions.InvalidPath, lambda: client.secrets.kv.v2.read_secret_version(
    path=f"no-such-workflow/{w['stripe']}", mount_point="kv", raise_on_deleted_version=True))
refused(exceptions.InvalidPath, lambda: client.secrets.kv.v2.list_secrets(path="no-such-workflow", mount_point="kv"))
# A token without credentials:resolve: Forbidden.
refused(exceptions.Forbidden, lambda: read(hvac.Client(url=w["url"], token=w["weak_token"]), w["stripe"]))
assert used(w["stripe"]) == before + 3

# OAuth2: the access token read is the one the provider has just issued (it expires within a
# minute, so each read refreshes it first).
before = used(w["oauth"])
for _ in range(2):
    token = read(client, w["oauth"])["data"]["data"]["access_token"]
    issued = api("GET", "/issued", base=w["provider"])
    assert token == issued["last"], (token, issued)
assert used(w["oauth"]) == before + 2

print("hvac: authenticate, read, version, rotation, list, Forbidden, InvalidPath, scope, oauth2: all as Vault")
