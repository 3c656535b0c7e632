from http import HTTPStatus
from typing import Any
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.credential_list import CredentialList
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    type_: None | str | Unset = UNSET,
    status: None | str | Unset = UNSET,
    service: None | str | Unset = UNSET,
    environment: None | str | Unset = UNSET,
    tag: None | str | Unset = UNSET,
    shared: bool | None | Unset = UNSET,
    owner_id: None | Unset | UUID = UNSET,
    q: None | str | Unset = UNSET,
    sort: None | str | Unset = UNSET,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_type_: None | str | Unset
    if isinstance(type_, Unset):
        json_type_ = UNSET
    else:
        json_type_ = type_
    params["type"] = json_type_

    json_status: None | str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    else:
        json_status = status
    params["status"] = json_status

    json_service: None | str | Unset
    if isinstance(service, Unset):
        json_service = UNSET
    else:
        json_service = service
    params["service"] = json_service

    json_environment: None | str | Unset
    if isinstance(environment, Unset):
        json_environment = UNSET
    else:
        json_environment = environment
    params["environment"] = json_environment

    json_tag: None | str | Unset
    if isinstance(tag, Unset):
        json_tag = UNSET
    else:
        json_tag = tag
    params["tag"] = json_tag

    json_shared: bool | None | Unset
    if isinstance(shared, Unset):
        json_shared = UNSET
    else:
        json_shared = shared
    params["shared"] = json_shared

    json_owner_id: None | str | Unset
    if isinstance(owner_id, Unset):
        json_owner_id = UNSET
    elif isinstance(owner_id, UUID):
        json_owner_id = str(owner_id)
    else:
        json_owner_id = owner_id
    params["owner_id"] = json_owner_id

    json_q: None | str | Unset
    if isinstance(q, Unset):
        json_q = UNSET
    else:
        json_q = q
    params["q"] = json_q

    json_sort: None | str | Unset
    if isinstance(sort, Unset):
        json_sort = UNSET
    else:
        json_sort = sort
    params["sort"] = json_sort

    json_limit: int | None | Unset
    if isinstance(limit, Unset):
        json_limit = UNSET
    else:
        json_limit = limit
    params["limit"] = json_limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

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
    type_: None | str | Unset = UNSET,
    status: None | str | Unset = UNSET,
    service: None | str | Unset = UNSET,
    environment: None | str | Unset = UNSET,
    tag: None | str | Unset = UNSET,
    shared: bool | None | Unset = UNSET,
    owner_id: None | Unset | UUID = UNSET,
    q: None | str | Unset = UNSET,
    sort: None | str | Unset = UNSET,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
) -> Response[CredentialList | Problem]:
    """List credentials

    Args:
        type_ (None | str | Unset):
        status (None | str | Unset):
        service (None | str | Unset):
        environment (None | str | Unset):
        tag (None | str | Unset):
        shared (bool | None | Unset):
        owner_id (None | Unset | UUID):
        q (None | str | Unset):
        sort (None | str | Unset):
        limit (int | None | Unset):
        cursor (None | str | Unset):

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
    type_: None | str | Unset = UNSET,
    status: None | str | Unset = UNSET,
    service: None | str | Unset = UNSET,
    environment: None | str | Unset = UNSET,
    tag: None | str | Unset = UNSET,
    shared: bool | None | Unset = UNSET,
    owner_id: None | Unset | UUID = UNSET,
    q: None | str | Unset = UNSET,
    sort: None | str | Unset = UNSET,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
) -> CredentialList | Problem | None:
    """List credentials

    Args:
        type_ (None | str | Unset):
        status (None | str | Unset):
        service (None | str | Unset):
        environment (None | str | Unset):
        tag (None | str | Unset):
        shared (bool | None | Unset):
        owner_id (None | Unset | UUID):
        q (None | str | Unset):
        sort (None | str | Unset):
        limit (int | None | Unset):
        cursor (None | str | Unset):

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
    type_: None | str | Unset = UNSET,
    status: None | str | Unset = UNSET,
    service: None | str | Unset = UNSET,
    environment: None | str | Unset = UNSET,
    tag: None | str | Unset = UNSET,
    shared: bool | None | Unset = UNSET,
    owner_id: None | Unset | UUID = UNSET,
    q: None | str | Unset = UNSET,
    sort: None | str | Unset = UNSET,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
) -> Response[CredentialList | Problem]:
    """List credentials

    Args:
        type_ (None | str | Unset):
        status (None | str | Unset):
        service (None | str | Unset):
        environment (None | str | Unset):
        tag (None | str | Unset):
        shared (bool | None | Unset):
        owner_id (None | Unset | UUID):
        q (None | str | Unset):
        sort (None | str | Unset):
        limit (int | None | Unset):
        cursor (None | str | Unset):

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
    type_: None | str | Unset = UNSET,
    status: None | str | Unset = UNSET,
    service: None | str | Unset = UNSET,
    environment: None | str | Unset = UNSET,
    tag: None | str | Unset = UNSET,
    shared: bool | None | Unset = UNSET,
    owner_id: None | Unset | UUID = UNSET,
    q: None | str | Unset = UNSET,
    sort: None | str | Unset = UNSET,
    limit: int | None | Unset = UNSET,
    cursor: None | str | Unset = UNSET,
) -> CredentialList | Problem | None:
    """List credentials

    Args:
        type_ (None | str | Unset):
        status (None | str | Unset):
        service (None | str | Unset):
        environment (None | str | Unset):
        tag (None | str | Unset):
        shared (bool | None | Unset):
        owner_id (None | Unset | UUID):
        q (None | str | Unset):
        sort (None | str | Unset):
        limit (int | None | Unset):
        cursor (None | str | Unset):

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
