from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.put_sso import PutSso
from ...models.sso_config import SsoConfig
from ...types import Response


def _get_kwargs(
    *,
    body: PutSso,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/sso",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | SsoConfig | None:
    if response.status_code == 200:
        response_200 = SsoConfig.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | SsoConfig]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PutSso,
) -> Response[Problem | SsoConfig]:
    """Configure single sign-on

     **Who:** workspace role `owner` or `admin`, or a personal token of theirs with `admin`; engine
    tokens cannot.

    Workspace owners only (an admin gets 403). The issuer's discovery document (`{issuer}/.well-
    known/openid-configuration`) is fetched through the outbound rules and checked before saving: it
    must name exactly this issuer, have authorization, token and JWKS endpoints, and support PKCE S256
    if it lists methods. The client secret is stored encrypted.

    **Audit log:** records `sso.updated` (without the secret).

    Args:
        body (PutSso):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SsoConfig]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: PutSso,
) -> Problem | SsoConfig | None:
    """Configure single sign-on

     **Who:** workspace role `owner` or `admin`, or a personal token of theirs with `admin`; engine
    tokens cannot.

    Workspace owners only (an admin gets 403). The issuer's discovery document (`{issuer}/.well-
    known/openid-configuration`) is fetched through the outbound rules and checked before saving: it
    must name exactly this issuer, have authorization, token and JWKS endpoints, and support PKCE S256
    if it lists methods. The client secret is stored encrypted.

    **Audit log:** records `sso.updated` (without the secret).

    Args:
        body (PutSso):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SsoConfig
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: PutSso,
) -> Response[Problem | SsoConfig]:
    """Configure single sign-on

     **Who:** workspace role `owner` or `admin`, or a personal token of theirs with `admin`; engine
    tokens cannot.

    Workspace owners only (an admin gets 403). The issuer's discovery document (`{issuer}/.well-
    known/openid-configuration`) is fetched through the outbound rules and checked before saving: it
    must name exactly this issuer, have authorization, token and JWKS endpoints, and support PKCE S256
    if it lists methods. The client secret is stored encrypted.

    **Audit log:** records `sso.updated` (without the secret).

    Args:
        body (PutSso):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SsoConfig]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: PutSso,
) -> Problem | SsoConfig | None:
    """Configure single sign-on

     **Who:** workspace role `owner` or `admin`, or a personal token of theirs with `admin`; engine
    tokens cannot.

    Workspace owners only (an admin gets 403). The issuer's discovery document (`{issuer}/.well-
    known/openid-configuration`) is fetched through the outbound rules and checked before saving: it
    must name exactly this issuer, have authorization, token and JWKS endpoints, and support PKCE S256
    if it lists methods. The client secret is stored encrypted.

    **Audit log:** records `sso.updated` (without the secret).

    Args:
        body (PutSso):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SsoConfig
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
