from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: UUID,
    share_id: UUID,
    *,
    if_match: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_match, Unset):
        headers["If-Match"] = if_match

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/v1/credentials/{id}/shares/{share_id}".format(
            id=quote(str(id), safe=""),
            share_id=quote(str(share_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | Problem | None:
    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Any | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: UUID,
    share_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    if_match: None | str | Unset = UNSET,
) -> Response[Any | Problem]:
    """Remove a share

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, or the workspace role `owner` or `admin`. No access
    at all is a 404 and too little a 403, both recorded as `credential.access_denied`.

    **Audit log:** records `credential.shares_changed`.

    Args:
        id (UUID):
        share_id (UUID):
        if_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        share_id=share_id,
        if_match=if_match,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: UUID,
    share_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    if_match: None | str | Unset = UNSET,
) -> Any | Problem | None:
    """Remove a share

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, or the workspace role `owner` or `admin`. No access
    at all is a 404 and too little a 403, both recorded as `credential.access_denied`.

    **Audit log:** records `credential.shares_changed`.

    Args:
        id (UUID):
        share_id (UUID):
        if_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return sync_detailed(
        id=id,
        share_id=share_id,
        client=client,
        if_match=if_match,
    ).parsed


async def asyncio_detailed(
    id: UUID,
    share_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    if_match: None | str | Unset = UNSET,
) -> Response[Any | Problem]:
    """Remove a share

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, or the workspace role `owner` or `admin`. No access
    at all is a 404 and too little a 403, both recorded as `credential.access_denied`.

    **Audit log:** records `credential.shares_changed`.

    Args:
        id (UUID):
        share_id (UUID):
        if_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        share_id=share_id,
        if_match=if_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: UUID,
    share_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    if_match: None | str | Unset = UNSET,
) -> Any | Problem | None:
    """Remove a share

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, or the workspace role `owner` or `admin`. No access
    at all is a 404 and too little a 403, both recorded as `credential.access_denied`.

    **Audit log:** records `credential.shares_changed`.

    Args:
        id (UUID):
        share_id (UUID):
        if_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem
    """

    return (
        await asyncio_detailed(
            id=id,
            share_id=share_id,
            client=client,
            if_match=if_match,
        )
    ).parsed
