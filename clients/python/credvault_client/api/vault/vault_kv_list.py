from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.kv_list import KvList
from ...models.vault_errors import VaultErrors
from ...types import UNSET, Response


def _get_kwargs(
    workflow_id: str,
    *,
    list_: bool,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["list"] = list_

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/kv/metadata/{workflow_id}".format(
            workflow_id=quote(str(workflow_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> KvList | VaultErrors | None:
    if response.status_code == 200:
        response_200 = KvList.from_dict(response.json())

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

    if response.status_code == 503:
        response_503 = VaultErrors.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[KvList | VaultErrors]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    workflow_id: str,
    *,
    client: AuthenticatedClient,
    list_: bool,
) -> Response[KvList | VaultErrors]:
    """List a workflow's credentials as KV v2 keys (Vault)

     **Who:** no person, only an engine token with `credentials:resolve`.

    Vault's `LIST /v1/kv/metadata/{workflow_id}` answers the same (Vault clients send that method;
    OpenAPI cannot describe it). The keys are the ids of the credentials the workflow declares; read
    each at `/v1/kv/data/{workflow_id}/{key}`. The token goes in `X-Vault-Token` (or `Authorization:
    Bearer`).

    **Audit log:** records nothing.

    Args:
        workflow_id (str):
        list_ (bool):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[KvList | VaultErrors]
    """

    kwargs = _get_kwargs(
        workflow_id=workflow_id,
        list_=list_,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    workflow_id: str,
    *,
    client: AuthenticatedClient,
    list_: bool,
) -> KvList | VaultErrors | None:
    """List a workflow's credentials as KV v2 keys (Vault)

     **Who:** no person, only an engine token with `credentials:resolve`.

    Vault's `LIST /v1/kv/metadata/{workflow_id}` answers the same (Vault clients send that method;
    OpenAPI cannot describe it). The keys are the ids of the credentials the workflow declares; read
    each at `/v1/kv/data/{workflow_id}/{key}`. The token goes in `X-Vault-Token` (or `Authorization:
    Bearer`).

    **Audit log:** records nothing.

    Args:
        workflow_id (str):
        list_ (bool):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        KvList | VaultErrors
    """

    return sync_detailed(
        workflow_id=workflow_id,
        client=client,
        list_=list_,
    ).parsed


async def asyncio_detailed(
    workflow_id: str,
    *,
    client: AuthenticatedClient,
    list_: bool,
) -> Response[KvList | VaultErrors]:
    """List a workflow's credentials as KV v2 keys (Vault)

     **Who:** no person, only an engine token with `credentials:resolve`.

    Vault's `LIST /v1/kv/metadata/{workflow_id}` answers the same (Vault clients send that method;
    OpenAPI cannot describe it). The keys are the ids of the credentials the workflow declares; read
    each at `/v1/kv/data/{workflow_id}/{key}`. The token goes in `X-Vault-Token` (or `Authorization:
    Bearer`).

    **Audit log:** records nothing.

    Args:
        workflow_id (str):
        list_ (bool):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[KvList | VaultErrors]
    """

    kwargs = _get_kwargs(
        workflow_id=workflow_id,
        list_=list_,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    workflow_id: str,
    *,
    client: AuthenticatedClient,
    list_: bool,
) -> KvList | VaultErrors | None:
    """List a workflow's credentials as KV v2 keys (Vault)

     **Who:** no person, only an engine token with `credentials:resolve`.

    Vault's `LIST /v1/kv/metadata/{workflow_id}` answers the same (Vault clients send that method;
    OpenAPI cannot describe it). The keys are the ids of the credentials the workflow declares; read
    each at `/v1/kv/data/{workflow_id}/{key}`. The token goes in `X-Vault-Token` (or `Authorization:
    Bearer`).

    **Audit log:** records nothing.

    Args:
        workflow_id (str):
        list_ (bool):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        KvList | VaultErrors
    """

    return (
        await asyncio_detailed(
            workflow_id=workflow_id,
            client=client,
            list_=list_,
        )
    ).parsed
