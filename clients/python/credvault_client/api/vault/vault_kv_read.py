from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.kv_secret import KvSecret
from ...models.vault_errors import VaultErrors
from ...types import UNSET, Response, Unset


def _get_kwargs(
    workflow_id: str,
    credential_id: UUID,
    *,
    version: int | Unset = UNSET,
    x_credvault_execution_id: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_credvault_execution_id, Unset):
        headers["X-Credvault-Execution-Id"] = x_credvault_execution_id

    params: dict[str, Any] = {}

    params["version"] = version

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/kv/data/{workflow_id}/{credential_id}".format(
            workflow_id=quote(str(workflow_id), safe=""),
            credential_id=quote(str(credential_id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> KvSecret | VaultErrors | None:
    if response.status_code == 200:
        response_200 = KvSecret.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = VaultErrors.from_dict(response.json())

        return response_400

    if response.status_code == 403:
        response_403 = VaultErrors.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = VaultErrors.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = VaultErrors.from_dict(response.json())

        return response_409

    if response.status_code == 410:
        response_410 = VaultErrors.from_dict(response.json())

        return response_410

    if response.status_code == 503:
        response_503 = VaultErrors.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[KvSecret | VaultErrors]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    workflow_id: str,
    credential_id: UUID,
    *,
    client: AuthenticatedClient,
    version: int | Unset = UNSET,
    x_credvault_execution_id: None | str | Unset = UNSET,
) -> Response[KvSecret | VaultErrors]:
    """Read a credential as a KV v2 secret (Vault)

     **Who:** no person, only an engine token with `credentials:resolve`.

    **Credential access (of the workflow's owner):** the credential's owner or a share of `use` or more;
    workspace roles do not count. Without it the answer is a 403, recorded as
    `credential.access_denied`.

    A resolve of the credential for the workflow, answered in Vault's KV version 2 shape (mount `kv`):
    `data.data` holds every field in full, `data.metadata.version` the current version. The token goes
    in `X-Vault-Token` (or `Authorization: Bearer`); the run's id in `X-Credvault-Execution-Id`. Only
    the current version is handed out. Errors are Vault's `{"errors": [...]}` with resolve's statuses; a
    workflow or credential that does not exist in the workspace is 404 `{"errors": []}`.

    **Audit log:** records `credential.used` and counts the use before answering, as resolve does; a
    refresh on the way records `credential.refreshed` or `credential.refresh_failed`.

    Args:
        workflow_id (str):
        credential_id (UUID):
        version (int | Unset):
        x_credvault_execution_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[KvSecret | VaultErrors]
    """

    kwargs = _get_kwargs(
        workflow_id=workflow_id,
        credential_id=credential_id,
        version=version,
        x_credvault_execution_id=x_credvault_execution_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    workflow_id: str,
    credential_id: UUID,
    *,
    client: AuthenticatedClient,
    version: int | Unset = UNSET,
    x_credvault_execution_id: None | str | Unset = UNSET,
) -> KvSecret | VaultErrors | None:
    """Read a credential as a KV v2 secret (Vault)

     **Who:** no person, only an engine token with `credentials:resolve`.

    **Credential access (of the workflow's owner):** the credential's owner or a share of `use` or more;
    workspace roles do not count. Without it the answer is a 403, recorded as
    `credential.access_denied`.

    A resolve of the credential for the workflow, answered in Vault's KV version 2 shape (mount `kv`):
    `data.data` holds every field in full, `data.metadata.version` the current version. The token goes
    in `X-Vault-Token` (or `Authorization: Bearer`); the run's id in `X-Credvault-Execution-Id`. Only
    the current version is handed out. Errors are Vault's `{"errors": [...]}` with resolve's statuses; a
    workflow or credential that does not exist in the workspace is 404 `{"errors": []}`.

    **Audit log:** records `credential.used` and counts the use before answering, as resolve does; a
    refresh on the way records `credential.refreshed` or `credential.refresh_failed`.

    Args:
        workflow_id (str):
        credential_id (UUID):
        version (int | Unset):
        x_credvault_execution_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        KvSecret | VaultErrors
    """

    return sync_detailed(
        workflow_id=workflow_id,
        credential_id=credential_id,
        client=client,
        version=version,
        x_credvault_execution_id=x_credvault_execution_id,
    ).parsed


async def asyncio_detailed(
    workflow_id: str,
    credential_id: UUID,
    *,
    client: AuthenticatedClient,
    version: int | Unset = UNSET,
    x_credvault_execution_id: None | str | Unset = UNSET,
) -> Response[KvSecret | VaultErrors]:
    """Read a credential as a KV v2 secret (Vault)

     **Who:** no person, only an engine token with `credentials:resolve`.

    **Credential access (of the workflow's owner):** the credential's owner or a share of `use` or more;
    workspace roles do not count. Without it the answer is a 403, recorded as
    `credential.access_denied`.

    A resolve of the credential for the workflow, answered in Vault's KV version 2 shape (mount `kv`):
    `data.data` holds every field in full, `data.metadata.version` the current version. The token goes
    in `X-Vault-Token` (or `Authorization: Bearer`); the run's id in `X-Credvault-Execution-Id`. Only
    the current version is handed out. Errors are Vault's `{"errors": [...]}` with resolve's statuses; a
    workflow or credential that does not exist in the workspace is 404 `{"errors": []}`.

    **Audit log:** records `credential.used` and counts the use before answering, as resolve does; a
    refresh on the way records `credential.refreshed` or `credential.refresh_failed`.

    Args:
        workflow_id (str):
        credential_id (UUID):
        version (int | Unset):
        x_credvault_execution_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[KvSecret | VaultErrors]
    """

    kwargs = _get_kwargs(
        workflow_id=workflow_id,
        credential_id=credential_id,
        version=version,
        x_credvault_execution_id=x_credvault_execution_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    workflow_id: str,
    credential_id: UUID,
    *,
    client: AuthenticatedClient,
    version: int | Unset = UNSET,
    x_credvault_execution_id: None | str | Unset = UNSET,
) -> KvSecret | VaultErrors | None:
    """Read a credential as a KV v2 secret (Vault)

     **Who:** no person, only an engine token with `credentials:resolve`.

    **Credential access (of the workflow's owner):** the credential's owner or a share of `use` or more;
    workspace roles do not count. Without it the answer is a 403, recorded as
    `credential.access_denied`.

    A resolve of the credential for the workflow, answered in Vault's KV version 2 shape (mount `kv`):
    `data.data` holds every field in full, `data.metadata.version` the current version. The token goes
    in `X-Vault-Token` (or `Authorization: Bearer`); the run's id in `X-Credvault-Execution-Id`. Only
    the current version is handed out. Errors are Vault's `{"errors": [...]}` with resolve's statuses; a
    workflow or credential that does not exist in the workspace is 404 `{"errors": []}`.

    **Audit log:** records `credential.used` and counts the use before answering, as resolve does; a
    refresh on the way records `credential.refreshed` or `credential.refresh_failed`.

    Args:
        workflow_id (str):
        credential_id (UUID):
        version (int | Unset):
        x_credvault_execution_id (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        KvSecret | VaultErrors
    """

    return (
        await asyncio_detailed(
            workflow_id=workflow_id,
            credential_id=credential_id,
            client=client,
            version=version,
            x_credvault_execution_id=x_credvault_execution_id,
        )
    ).parsed
