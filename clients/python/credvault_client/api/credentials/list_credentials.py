from http import HTTPStatus
from typing import Any
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.credential_list import CredentialList
from ...models.credential_sort import CredentialSort
from ...models.credential_status import CredentialStatus
from ...models.credential_type import CredentialType
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    type_: CredentialType | Unset = UNSET,
    status: CredentialStatus | Unset = UNSET,
    service: str | Unset = UNSET,
    environment: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    shared: bool | Unset = UNSET,
    owner_id: UUID | Unset = UNSET,
    q: str | Unset = UNSET,
    sort: CredentialSort | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_type_: str | Unset = UNSET
    if not isinstance(type_, Unset):
        json_type_ = type_

    params["type"] = json_type_

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status

    params["status"] = json_status

    params["service"] = service

    params["environment"] = environment

    params["tag"] = tag

    params["shared"] = shared

    json_owner_id: str | Unset = UNSET
    if not isinstance(owner_id, Unset):
        json_owner_id = str(owner_id)
    params["owner_id"] = json_owner_id

    params["q"] = q

    json_sort: str | Unset = UNSET
    if not isinstance(sort, Unset):
        json_sort = sort

    params["sort"] = json_sort

    params["limit"] = limit

    params["cursor"] = cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/credentials",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CredentialList | Problem | None:
    if response.status_code == 200:
        response_200 = CredentialList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CredentialList | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    type_: CredentialType | Unset = UNSET,
    status: CredentialStatus | Unset = UNSET,
    service: str | Unset = UNSET,
    environment: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    shared: bool | Unset = UNSET,
    owner_id: UUID | Unset = UNSET,
    q: str | Unset = UNSET,
    sort: CredentialSort | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Response[CredentialList | Problem]:
    """List credentials

     **Who:** any user of the workspace, or a personal token of theirs with `credentials:read`; an engine
    token with `credentials:read`.

    Lists the credentials you have any access to, with that access.

    **Audit log:** records nothing.

    Args:
        type_ (CredentialType | Unset): What kind of secret a credential holds; it fixes the shape
            of `data`.
        status (CredentialStatus | Unset): `active`; `expired` (past `expires_at`, or an OAuth
            refresh was refused); `error` (the last test or refresh failed); `deleted` (soft-deleted,
            restorable until purged).
        service (str | Unset):
        environment (str | Unset):
        tag (str | Unset):
        shared (bool | Unset):
        owner_id (UUID | Unset):
        q (str | Unset):
        sort (CredentialSort | Unset): The order of the credential list (default `name`); `-`
            sorts descending. Never-used credentials sort last.
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CredentialList | Problem]
    """

    kwargs = _get_kwargs(
        type_=type_,
        status=status,
        service=service,
        environment=environment,
        tag=tag,
        shared=shared,
        owner_id=owner_id,
        q=q,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    type_: CredentialType | Unset = UNSET,
    status: CredentialStatus | Unset = UNSET,
    service: str | Unset = UNSET,
    environment: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    shared: bool | Unset = UNSET,
    owner_id: UUID | Unset = UNSET,
    q: str | Unset = UNSET,
    sort: CredentialSort | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> CredentialList | Problem | None:
    """List credentials

     **Who:** any user of the workspace, or a personal token of theirs with `credentials:read`; an engine
    token with `credentials:read`.

    Lists the credentials you have any access to, with that access.

    **Audit log:** records nothing.

    Args:
        type_ (CredentialType | Unset): What kind of secret a credential holds; it fixes the shape
            of `data`.
        status (CredentialStatus | Unset): `active`; `expired` (past `expires_at`, or an OAuth
            refresh was refused); `error` (the last test or refresh failed); `deleted` (soft-deleted,
            restorable until purged).
        service (str | Unset):
        environment (str | Unset):
        tag (str | Unset):
        shared (bool | Unset):
        owner_id (UUID | Unset):
        q (str | Unset):
        sort (CredentialSort | Unset): The order of the credential list (default `name`); `-`
            sorts descending. Never-used credentials sort last.
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CredentialList | Problem
    """

    return sync_detailed(
        client=client,
        type_=type_,
        status=status,
        service=service,
        environment=environment,
        tag=tag,
        shared=shared,
        owner_id=owner_id,
        q=q,
        sort=sort,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    type_: CredentialType | Unset = UNSET,
    status: CredentialStatus | Unset = UNSET,
    service: str | Unset = UNSET,
    environment: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    shared: bool | Unset = UNSET,
    owner_id: UUID | Unset = UNSET,
    q: str | Unset = UNSET,
    sort: CredentialSort | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> Response[CredentialList | Problem]:
    """List credentials

     **Who:** any user of the workspace, or a personal token of theirs with `credentials:read`; an engine
    token with `credentials:read`.

    Lists the credentials you have any access to, with that access.

    **Audit log:** records nothing.

    Args:
        type_ (CredentialType | Unset): What kind of secret a credential holds; it fixes the shape
            of `data`.
        status (CredentialStatus | Unset): `active`; `expired` (past `expires_at`, or an OAuth
            refresh was refused); `error` (the last test or refresh failed); `deleted` (soft-deleted,
            restorable until purged).
        service (str | Unset):
        environment (str | Unset):
        tag (str | Unset):
        shared (bool | Unset):
        owner_id (UUID | Unset):
        q (str | Unset):
        sort (CredentialSort | Unset): The order of the credential list (default `name`); `-`
            sorts descending. Never-used credentials sort last.
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CredentialList | Problem]
    """

    kwargs = _get_kwargs(
        type_=type_,
        status=status,
        service=service,
        environment=environment,
        tag=tag,
        shared=shared,
        owner_id=owner_id,
        q=q,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    type_: CredentialType | Unset = UNSET,
    status: CredentialStatus | Unset = UNSET,
    service: str | Unset = UNSET,
    environment: str | Unset = UNSET,
    tag: str | Unset = UNSET,
    shared: bool | Unset = UNSET,
    owner_id: UUID | Unset = UNSET,
    q: str | Unset = UNSET,
    sort: CredentialSort | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: str | Unset = UNSET,
) -> CredentialList | Problem | None:
    """List credentials

     **Who:** any user of the workspace, or a personal token of theirs with `credentials:read`; an engine
    token with `credentials:read`.

    Lists the credentials you have any access to, with that access.

    **Audit log:** records nothing.

    Args:
        type_ (CredentialType | Unset): What kind of secret a credential holds; it fixes the shape
            of `data`.
        status (CredentialStatus | Unset): `active`; `expired` (past `expires_at`, or an OAuth
            refresh was refused); `error` (the last test or refresh failed); `deleted` (soft-deleted,
            restorable until purged).
        service (str | Unset):
        environment (str | Unset):
        tag (str | Unset):
        shared (bool | Unset):
        owner_id (UUID | Unset):
        q (str | Unset):
        sort (CredentialSort | Unset): The order of the credential list (default `name`); `-`
            sorts descending. Never-used credentials sort last.
        limit (int | Unset):  Default: 50.
        cursor (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CredentialList | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            type_=type_,
            status=status,
            service=service,
            environment=environment,
            tag=tag,
            shared=shared,
            owner_id=owner_id,
            q=q,
            sort=sort,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
