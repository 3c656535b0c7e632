from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.deleted import Deleted
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: UUID,
    *,
    purge: bool | Unset = UNSET,
    if_match: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_match, Unset):
        headers["If-Match"] = if_match

    params: dict[str, Any] = {}

    params["purge"] = purge

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/v1/credentials/{id}".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Deleted | Problem | None:
    if response.status_code == 200:
        response_200 = Deleted.from_dict(response.json())

        return response_200

    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 410:
        response_410 = Problem.from_dict(response.json())

        return response_410

    if response.status_code == 412:
        response_412 = Problem.from_dict(response.json())

        return response_412

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Deleted | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    purge: bool | Unset = UNSET,
    if_match: None | str | Unset = UNSET,
) -> Response[Any | Deleted | Problem]:
    """Delete a credential

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, a share of `manage` or more, or the workspace role
    `owner` or `admin`. No access at all is a 404 and too little a 403, both recorded as
    `credential.access_denied`.

    `purge=true` also needs the workspace role `owner` or `admin`, and a credential deleted first.

    **Audit log:** records `credential.deleted`; a purge `credential.purged`.

    Args:
        id (UUID):
        purge (bool | Unset):
        if_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Deleted | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        purge=purge,
        if_match=if_match,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    purge: bool | Unset = UNSET,
    if_match: None | str | Unset = UNSET,
) -> Any | Deleted | Problem | None:
    """Delete a credential

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, a share of `manage` or more, or the workspace role
    `owner` or `admin`. No access at all is a 404 and too little a 403, both recorded as
    `credential.access_denied`.

    `purge=true` also needs the workspace role `owner` or `admin`, and a credential deleted first.

    **Audit log:** records `credential.deleted`; a purge `credential.purged`.

    Args:
        id (UUID):
        purge (bool | Unset):
        if_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Deleted | Problem
    """

    return sync_detailed(
        id=id,
        client=client,
        purge=purge,
        if_match=if_match,
    ).parsed


async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    purge: bool | Unset = UNSET,
    if_match: None | str | Unset = UNSET,
) -> Response[Any | Deleted | Problem]:
    """Delete a credential

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, a share of `manage` or more, or the workspace role
    `owner` or `admin`. No access at all is a 404 and too little a 403, both recorded as
    `credential.access_denied`.

    `purge=true` also needs the workspace role `owner` or `admin`, and a credential deleted first.

    **Audit log:** records `credential.deleted`; a purge `credential.purged`.

    Args:
        id (UUID):
        purge (bool | Unset):
        if_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Deleted | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        purge=purge,
        if_match=if_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    purge: bool | Unset = UNSET,
    if_match: None | str | Unset = UNSET,
) -> Any | Deleted | Problem | None:
    """Delete a credential

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, a share of `manage` or more, or the workspace role
    `owner` or `admin`. No access at all is a 404 and too little a 403, both recorded as
    `credential.access_denied`.

    `purge=true` also needs the workspace role `owner` or `admin`, and a credential deleted first.

    **Audit log:** records `credential.deleted`; a purge `credential.purged`.

    Args:
        id (UUID):
        purge (bool | Unset):
        if_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Deleted | Problem
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            purge=purge,
            if_match=if_match,
        )
    ).parsed
