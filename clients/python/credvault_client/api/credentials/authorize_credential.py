from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.authorize_request import AuthorizeRequest
from ...models.authorize_start import AuthorizeStart
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    id: UUID,
    *,
    body: AuthorizeRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/credentials/{id}/oauth/authorize".format(
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AuthorizeStart | Problem | None:
    if response.status_code == 200:
        response_200 = AuthorizeStart.from_dict(response.json())

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

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 410:
        response_410 = Problem.from_dict(response.json())

        return response_410

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

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
) -> Response[AuthorizeStart | Problem]:
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
    body: AuthorizeRequest,
) -> Response[AuthorizeStart | Problem]:
    """Start an OAuth2 authorization

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, a share of `manage` or more, or the workspace role
    `owner` or `admin`. No access at all is a 404 and too little a 403, both recorded as
    `credential.access_denied`.

    A person only: an engine token cannot start an authorization.

    **Audit log:** records nothing here; the callback records the outcome.

    Args:
        id (UUID):
        body (AuthorizeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuthorizeStart | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: AuthorizeRequest,
) -> AuthorizeStart | Problem | None:
    """Start an OAuth2 authorization

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, a share of `manage` or more, or the workspace role
    `owner` or `admin`. No access at all is a 404 and too little a 403, both recorded as
    `credential.access_denied`.

    A person only: an engine token cannot start an authorization.

    **Audit log:** records nothing here; the callback records the outcome.

    Args:
        id (UUID):
        body (AuthorizeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuthorizeStart | Problem
    """

    return sync_detailed(
        id=id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: AuthorizeRequest,
) -> Response[AuthorizeStart | Problem]:
    """Start an OAuth2 authorization

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, a share of `manage` or more, or the workspace role
    `owner` or `admin`. No access at all is a 404 and too little a 403, both recorded as
    `credential.access_denied`.

    A person only: an engine token cannot start an authorization.

    **Audit log:** records nothing here; the callback records the outcome.

    Args:
        id (UUID):
        body (AuthorizeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AuthorizeStart | Problem]
    """

    kwargs = _get_kwargs(
        id=id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: AuthorizeRequest,
) -> AuthorizeStart | Problem | None:
    """Start an OAuth2 authorization

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    **Credential access:** the credential's owner, a share of `manage` or more, or the workspace role
    `owner` or `admin`. No access at all is a 404 and too little a 403, both recorded as
    `credential.access_denied`.

    A person only: an engine token cannot start an authorization.

    **Audit log:** records nothing here; the callback records the outcome.

    Args:
        id (UUID):
        body (AuthorizeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AuthorizeStart | Problem
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
        )
    ).parsed
