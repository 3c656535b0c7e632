from http import HTTPStatus
from typing import Any, cast
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.sso_start import SsoStart
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    workspace_id: UUID,
    return_to: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_workspace_id = str(workspace_id)
    params["workspace_id"] = json_workspace_id

    params["return_to"] = return_to

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/auth/sso/start",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Problem | SsoStart | None:
    if response.status_code == 200:
        response_200 = SsoStart.from_dict(response.json())

        return response_200

    if response.status_code == 302:
        response_302 = cast(Any, None)
        return response_302

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Problem | SsoStart]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    workspace_id: UUID,
    return_to: str | Unset = UNSET,
) -> Response[Any | Problem | SsoStart]:
    """Start a single sign-on

     **Who:** anyone, without a bearer token.

    Reached by the person's browser: answers 302 to the provider's authorization endpoint (code flow,
    PKCE S256, scope `openid email profile`, a `state` and `nonce` single-use for 10 minutes). Not for
    API clients.

    **Audit log:** records nothing; the exchange records `auth.login`.

    Args:
        workspace_id (UUID):
        return_to (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem | SsoStart]
    """

    kwargs = _get_kwargs(
        workspace_id=workspace_id,
        return_to=return_to,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    workspace_id: UUID,
    return_to: str | Unset = UNSET,
) -> Any | Problem | SsoStart | None:
    """Start a single sign-on

     **Who:** anyone, without a bearer token.

    Reached by the person's browser: answers 302 to the provider's authorization endpoint (code flow,
    PKCE S256, scope `openid email profile`, a `state` and `nonce` single-use for 10 minutes). Not for
    API clients.

    **Audit log:** records nothing; the exchange records `auth.login`.

    Args:
        workspace_id (UUID):
        return_to (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem | SsoStart
    """

    return sync_detailed(
        client=client,
        workspace_id=workspace_id,
        return_to=return_to,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    workspace_id: UUID,
    return_to: str | Unset = UNSET,
) -> Response[Any | Problem | SsoStart]:
    """Start a single sign-on

     **Who:** anyone, without a bearer token.

    Reached by the person's browser: answers 302 to the provider's authorization endpoint (code flow,
    PKCE S256, scope `openid email profile`, a `state` and `nonce` single-use for 10 minutes). Not for
    API clients.

    **Audit log:** records nothing; the exchange records `auth.login`.

    Args:
        workspace_id (UUID):
        return_to (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Problem | SsoStart]
    """

    kwargs = _get_kwargs(
        workspace_id=workspace_id,
        return_to=return_to,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    workspace_id: UUID,
    return_to: str | Unset = UNSET,
) -> Any | Problem | SsoStart | None:
    """Start a single sign-on

     **Who:** anyone, without a bearer token.

    Reached by the person's browser: answers 302 to the provider's authorization endpoint (code flow,
    PKCE S256, scope `openid email profile`, a `state` and `nonce` single-use for 10 minutes). Not for
    API clients.

    **Audit log:** records nothing; the exchange records `auth.login`.

    Args:
        workspace_id (UUID):
        return_to (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Problem | SsoStart
    """

    return (
        await asyncio_detailed(
            client=client,
            workspace_id=workspace_id,
            return_to=return_to,
        )
    ).parsed
