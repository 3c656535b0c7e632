from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.login_code import LoginCode
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    code: str | Unset = UNSET,
    state: str | Unset = UNSET,
    error: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["code"] = code

    params["state"] = state

    params["error"] = error

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/auth/sso/callback",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | LoginCode | Problem | None:
    if response.status_code == 200:
        response_200 = LoginCode.from_dict(response.json())

        return response_200

    if response.status_code == 302:
        response_302 = cast(Any, None)
        return response_302

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

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
) -> Response[Any | LoginCode | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    code: str | Unset = UNSET,
    state: str | Unset = UNSET,
    error: str | Unset = UNSET,
) -> Response[Any | LoginCode | Problem]:
    """Finish a single sign-on

     **Who:** anyone, without a bearer token.

    Reached by the person's browser, sent back by the provider: the code is exchanged, the ID token
    validated (signature from the provider's JWKS, `iss`, `aud`, `exp`, `nonce`) and `email_verified`
    required. A known user of the workspace signs in; an unknown one whose email domain is allowed
    becomes a user. Not for API clients.

    **Audit log:** records `user.created` (by `system`, `details.method` `sso`) for a new user; the
    exchange records `auth.login`.

    Args:
        code (str | Unset):
        state (str | Unset):
        error (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | LoginCode | Problem]
    """

    kwargs = _get_kwargs(
        code=code,
        state=state,
        error=error,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    code: str | Unset = UNSET,
    state: str | Unset = UNSET,
    error: str | Unset = UNSET,
) -> Any | LoginCode | Problem | None:
    """Finish a single sign-on

     **Who:** anyone, without a bearer token.

    Reached by the person's browser, sent back by the provider: the code is exchanged, the ID token
    validated (signature from the provider's JWKS, `iss`, `aud`, `exp`, `nonce`) and `email_verified`
    required. A known user of the workspace signs in; an unknown one whose email domain is allowed
    becomes a user. Not for API clients.

    **Audit log:** records `user.created` (by `system`, `details.method` `sso`) for a new user; the
    exchange records `auth.login`.

    Args:
        code (str | Unset):
        state (str | Unset):
        error (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | LoginCode | Problem
    """

    return sync_detailed(
        client=client,
        code=code,
        state=state,
        error=error,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    code: str | Unset = UNSET,
    state: str | Unset = UNSET,
    error: str | Unset = UNSET,
) -> Response[Any | LoginCode | Problem]:
    """Finish a single sign-on

     **Who:** anyone, without a bearer token.

    Reached by the person's browser, sent back by the provider: the code is exchanged, the ID token
    validated (signature from the provider's JWKS, `iss`, `aud`, `exp`, `nonce`) and `email_verified`
    required. A known user of the workspace signs in; an unknown one whose email domain is allowed
    becomes a user. Not for API clients.

    **Audit log:** records `user.created` (by `system`, `details.method` `sso`) for a new user; the
    exchange records `auth.login`.

    Args:
        code (str | Unset):
        state (str | Unset):
        error (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | LoginCode | Problem]
    """

    kwargs = _get_kwargs(
        code=code,
        state=state,
        error=error,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    code: str | Unset = UNSET,
    state: str | Unset = UNSET,
    error: str | Unset = UNSET,
) -> Any | LoginCode | Problem | None:
    """Finish a single sign-on

     **Who:** anyone, without a bearer token.

    Reached by the person's browser, sent back by the provider: the code is exchanged, the ID token
    validated (signature from the provider's JWKS, `iss`, `aud`, `exp`, `nonce`) and `email_verified`
    required. A known user of the workspace signs in; an unknown one whose email domain is allowed
    becomes a user. Not for API clients.

    **Audit log:** records `user.created` (by `system`, `details.method` `sso`) for a new user; the
    exchange records `auth.login`.

    Args:
        code (str | Unset):
        state (str | Unset):
        error (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | LoginCode | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            code=code,
            state=state,
            error=error,
        )
    ).parsed
