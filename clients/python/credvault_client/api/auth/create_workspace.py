from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.signup_request import SignupRequest
from ...models.signup_response import SignupResponse
from ...types import Response


def _get_kwargs(
    *,
    body: SignupRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/workspaces",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | SignupResponse | None:
    if response.status_code == 201:
        response_201 = SignupResponse.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | SignupResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: SignupRequest,
) -> Response[Problem | SignupResponse]:
    """Create a workspace (sign up)

     **Who:** anyone, without a bearer token.

    Sign-up is governed by `CREDVAULT_SIGNUP`: `open` lets anyone sign up, `first` (the default) only
    while no workspace exists, `closed` nobody (403).

    **Audit log:** records `user.created` and `auth.login` in the new workspace.

    Args:
        body (SignupRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SignupResponse]
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
    client: AuthenticatedClient,
    body: SignupRequest,
) -> Problem | SignupResponse | None:
    """Create a workspace (sign up)

     **Who:** anyone, without a bearer token.

    Sign-up is governed by `CREDVAULT_SIGNUP`: `open` lets anyone sign up, `first` (the default) only
    while no workspace exists, `closed` nobody (403).

    **Audit log:** records `user.created` and `auth.login` in the new workspace.

    Args:
        body (SignupRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SignupResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: SignupRequest,
) -> Response[Problem | SignupResponse]:
    """Create a workspace (sign up)

     **Who:** anyone, without a bearer token.

    Sign-up is governed by `CREDVAULT_SIGNUP`: `open` lets anyone sign up, `first` (the default) only
    while no workspace exists, `closed` nobody (403).

    **Audit log:** records `user.created` and `auth.login` in the new workspace.

    Args:
        body (SignupRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | SignupResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: SignupRequest,
) -> Problem | SignupResponse | None:
    """Create a workspace (sign up)

     **Who:** anyone, without a bearer token.

    Sign-up is governed by `CREDVAULT_SIGNUP`: `open` lets anyone sign up, `first` (the default) only
    while no workspace exists, `closed` nobody (403).

    **Audit log:** records `user.created` and `auth.login` in the new workspace.

    Args:
        body (SignupRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | SignupResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
