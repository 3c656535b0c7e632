"""Seeds a workspace for the Vault client scenarios through credvault's own API (standard
library only) and prints what they need as JSON: the owner's session token (to rotate and to
read the audit log), an engine token with credentials:resolve and one without, workflow
`billing` (owned by the workspace owner) declaring an API key the owner may use, an OAuth2
client-credentials credential on the local token endpoint, and a member's personal credential
the owner has no share of (a workspace owner's role does not count for resolve)."""

import json
import os
import urllib.request

URL = os.environ["CREDVAULT_URL"]
PROVIDER = os.environ["PROVIDER_URL"]
PASSWORD = "correct horse battery"


def call(method, path, body=None, token=None):
    req = urllib.request.Request(URL + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as res:
        return json.load(res)


signup = call("POST", "/v1/workspaces", {"workspace_name": "Vault clients", "email": "ada@example.com",
                                         "password": PASSWORD, "display_name": "Ada Owner"})
owner = signup["tokens"]["access_token"]
owner_id = signup["user"]["id"]
call("POST", "/v1/users", {"email": "bob@example.com", "display_name": "Bob Member", "role": "member",
                           "password": PASSWORD}, owner)
member = call("POST", "/v1/auth/login", {"email": "bob@example.com", "password": PASSWORD})["access_token"]


def engine(name, scopes):
    return call("POST", "/v1/tokens", {"name": name, "kind": "engine", "scopes": scopes}, owner)


resolver = engine("vault-clients", ["credentials:resolve", "workflows:write"])
weak = engine("no-resolve", ["workflows:write"])
stripe = call("POST", "/v1/credentials", {"name": "Stripe", "service": "stripe", "type": "api_key",
                                          "data": {"key": "sk_live_vault_clients_0001", "prefix": "Bearer "}}, owner)
oauth = call("POST", "/v1/credentials", {"name": "Provider", "service": "provider", "type": "oauth2", "data": {
    "grant_type": "client_credentials", "client_id": "cid-1", "client_secret": "cs-vault-clients-secret-01",
    "token_url": PROVIDER + "/token", "scopes": ["read"]}}, owner)
bobs = call("POST", "/v1/credentials", {"name": "Bob's key", "service": "github", "type": "api_key",
                                        "data": {"key": "ghp_bob_personal_key_0001"}}, member)
declared = [stripe["id"], oauth["id"], bobs["id"]]
call("PUT", "/v1/workflows/billing", {"name": "Billing", "owner_id": owner_id, "credential_ids": declared}, resolver["token"])

print(json.dumps({
    "url": URL, "provider": PROVIDER, "owner": owner, "workflow": "billing",
    "token": resolver["token"], "token_id": resolver["id"], "weak_token": weak["token"],
    "stripe": stripe["id"], "stripe_key": "sk_live_vault_clients_0001", "oauth": oauth["id"],
    "forbidden": bobs["id"], "declared": declared,
}))
