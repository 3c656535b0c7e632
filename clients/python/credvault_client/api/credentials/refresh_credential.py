from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.refresh_result import RefreshResult
from ...types import Response


def _get_kwargs(
    id: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/credentials/{id}/refresh".format(
            id=quote(str(id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | RefreshResult | None:
    if response.status_code == 200:
        response_200 = RefreshResult.from_dict(response.json())

        return response_200

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

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | RefreshResult]:
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
) -> Response[Problem | RefreshResult]:
    """Refresh an OAuth2 token

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, a share of `manage` or more, or the workspace role
    `owner` or `admin`. No access at all is a 404 and too little a 403, both recorded as
    `credential.access_denied`.

    **Audit log:** records `credential.refreshed`, or `credential.refresh_failed` when the provider
    refuses; `credential.status_changed` too when the status moves (to `error` or `expired`, or back to
    `active`).

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RefreshResult]
    """

    kwargs = _get_kwargs(
        id=id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> Problem | RefreshResult | None:
    """Refresh an OAuth2 token

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, a share of `manage` or more, or the workspace role
    `owner` or `admin`. No access at all is a 404 and too little a 403, both recorded as
    `credential.access_denied`.

    **Audit log:** records `credential.refreshed`, or `credential.refresh_failed` when the provider
    refuses; `credential.status_changed` too when the status moves (to `error` or `expired`, or back to
    `active`).

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RefreshResult
    """

    return sync_detailed(
        id=id,
        client=client,
    ).parsed


async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Problem | RefreshResult]:
    """Refresh an OAuth2 token

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, a share of `manage` or more, or the workspace role
    `owner` or `admin`. No access at all is a 404 and too little a 403, both recorded as
    `credential.access_denied`.

    **Audit log:** records `credential.refreshed`, or `credential.refresh_failed` when the provider
    refuses; `credential.status_changed` too when the status moves (to `error` or `expired`, or back to
    `active`).

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | RefreshResult]
    """

    kwargs = _get_kwargs(
        id=id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> Problem | RefreshResult | None:
    """Refresh an OAuth2 token

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, a share of `manage` or more, or the workspace role
    `owner` or `admin`. No access at all is a 404 and too little a 403, both recorded as
    `credential.access_denied`.

    **Audit log:** records `credential.refreshed`, or `credential.refresh_failed` when the provider
    refuses; `credential.status_changed` too when the status moves (to `error` or `expired`, or back to
    `active`).

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | RefreshResult
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
        )
    ).parsed
