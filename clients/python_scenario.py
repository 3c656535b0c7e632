"""The Python client (clients/python) against a live server; `make test` starts one and sets
CREDVAULT_URL. Sign up, create an API key credential, read it (typed `data`, masked), update it
with If-Match from the read's ETag, register a workflow with an engine token, resolve."""

import os
import uuid
from http import HTTPStatus
from typing import TypeVar

from credvault_client import AuthenticatedClient, Client
from credvault_client.api.auth import create_workspace
from credvault_client.api.credentials import create_credential, get_credential, update_credential
from credvault_client.api.tokens import create_token
from credvault_client.api.workflows import put_workflow, resolve_credential
from credvault_client.models import (
    ApiKeyCredential,
    ApiKeyDataInput,
    CreateApiKeyCredential,
    CreatedToken,
    CreateToken,
    Problem,
    PutWorkflow,
    ResolvedApiKey,
    ResolveRequest,
    SignupRequest,
    SignupResponse,
    UpdateCredential,
    Workflow,
)
from credvault_client.types import Response, Unset

T = TypeVar("T")


def expect(what: str, answer: Response[T | Problem], status: HTTPStatus, kind: type[T]) -> T:
    """The parsed body of a call that must answer `status` with a `kind`; else the run stops."""
    if answer.status_code != status or not isinstance(answer.parsed, kind):
        raise SystemExit(f"{what}: expected {status.value}, got {answer.status_code.value}: {answer.content!r}")
    return answer.parsed


def check(what: str, ok: bool, detail: object = "") -> None:
    if not ok:
        raise SystemExit(f"{what} {detail!r}")


def main() -> None:
    base_url = os.environ.get("CREDVAULT_URL", "http://127.0.0.1:8080")
    run = uuid.uuid4().hex[:8]
    secret = f"sk_live_py_{run}_0042"

    with Client(base_url=base_url, raise_on_unexpected_status=True) as anonymous:
        signup = expect(
            "sign up",
            create_workspace.sync_detailed(
                client=anonymous,
                body=SignupRequest(
                    workspace_name=f"SDK {run}",
                    email=f"py-{run}@example.com",
                    password="correct horse battery staple",
                    display_name="Python SDK",
                ),
            ),
            HTTPStatus.CREATED,
            SignupResponse,
        )
    me = signup.user

    owner = AuthenticatedClient(base_url=base_url, token=signup.tokens.access_token)
    created = expect(
        "create",
        create_credential.sync_detailed(
            client=owner,
            body=CreateApiKeyCredential(
                name="Stripe (Python SDK)",
                service="stripe",
                type_="api_key",
                data=ApiKeyDataInput(key=secret, prefix="Bearer "),
                tags=["sdk"],
            ),
            idempotency_key=f"py-{run}",
        ),
        HTTPStatus.CREATED,
        ApiKeyCredential,
    )

    read = get_credential.sync_detailed(created.id, client=owner)
    # The answer is parsed as the schema of its `type`: an API key's, whose `data` is an ApiKeyData.
    credential = expect("read", read, HTTPStatus.OK, ApiKeyCredential)
    etag = read.headers.get("ETag")
    check("the read carries an ETag", etag is not None)
    check("the read has data", not isinstance(credential.data, Unset))
    check("the key reads masked", credential.data.key == "••••" + secret[-4:], credential.data)
    check("no field reads in full", secret not in str(credential.data.to_dict()))

    stale = update_credential.sync_detailed(
        created.id, client=owner, body=UpdateCredential(name="never stored"), if_match='"not-the-etag"'
    )
    check("a stale If-Match is refused with 412", stale.status_code == HTTPStatus.PRECONDITION_FAILED, stale.content)

    updated = update_credential.sync_detailed(
        created.id,
        client=owner,
        body=UpdateCredential(name="Stripe live (Python SDK)", tags=["sdk", "payments"]),
        if_match=etag,
    )
    check("the update is stored", expect("update", updated, HTTPStatus.OK, ApiKeyCredential).name == "Stripe live (Python SDK)")
    check("the update changes the ETag", updated.headers.get("ETag") != etag)

    token = expect(
        "engine token",
        create_token.sync_detailed(
            client=owner,
            body=CreateToken(name=f"engine {run}", kind="engine", scopes=["credentials:resolve", "workflows:write"]),
        ),
        HTTPStatus.CREATED,
        CreatedToken,
    )
    engine = AuthenticatedClient(base_url=base_url, token=token.token)
    workflow_id = f"py-sdk-{run}"
    workflow = expect(
        "register a workflow",
        put_workflow.sync_detailed(
            workflow_id, client=engine, body=PutWorkflow(name="Python SDK", owner_id=me.id, credential_ids=[created.id])
        ),
        HTTPStatus.CREATED,
        Workflow,
    )
    check("the workflow is the owner's", workflow.owner.id == me.id, workflow.owner)

    resolved = expect(
        "resolve",
        resolve_credential.sync_detailed(
            created.id, client=engine, body=ResolveRequest(workflow_id=workflow_id, execution_id=f"run-{run}")
        ),
        HTTPStatus.OK,
        ResolvedApiKey,
    )
    check("resolve answers the key in full", resolved.data.key == secret, resolved.type_)
    check("resolve answers the current version", resolved.version == created.version)

    print(f"python client: sign-up, create, read (masked), If-Match update, engine workflow, resolve: ok ({base_url})")


if __name__ == "__main__":
    main()
