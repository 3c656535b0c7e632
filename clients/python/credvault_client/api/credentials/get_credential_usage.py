from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.usage_report import UsageReport
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: UUID,
    *,
    days: int | Unset = 30,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["days"] = days

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/credentials/{id}/usage".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | UsageReport | None:
    if response.status_code == 200:
        response_200 = UsageReport.from_dict(response.json())

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

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | UsageReport]:
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
    days: int | Unset = 30,
) -> Response[Problem | UsageReport]:
    """A credential's usage

     **Who:** any user of the workspace, or a personal token of theirs with `credentials:read`; an engine
    token with `credentials:read`.

    **Credential access:** the credential's owner, a share of `view` or more, or the workspace role
    `owner`, `admin` or `auditor`. An engine token has `use` on every credential of its workspace. No
    access at all is a 404 and too little a 403, both recorded as `credential.access_denied`.

    **Audit log:** records nothing.

    Args:
        id (UUID):
        days (int | Unset):  Default: 30.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | UsageReport]
    """

    kwargs = _get_kwargs(
        id=id,
        days=days,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    days: int | Unset = 30,
) -> Problem | UsageReport | None:
    """A credential's usage

     **Who:** any user of the workspace, or a personal token of theirs with `credentials:read`; an engine
    token with `credentials:read`.

    **Credential access:** the credential's owner, a share of `view` or more, or the workspace role
    `owner`, `admin` or `auditor`. An engine token has `use` on every credential of its workspace. No
    access at all is a 404 and too little a 403, both recorded as `credential.access_denied`.

    **Audit log:** records nothing.

    Args:
        id (UUID):
        days (int | Unset):  Default: 30.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | UsageReport
    """

    return sync_detailed(
        id=id,
        client=client,
        days=days,
    ).parsed


async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    days: int | Unset = 30,
) -> Response[Problem | UsageReport]:
    """A credential's usage

     **Who:** any user of the workspace, or a personal token of theirs with `credentials:read`; an engine
    token with `credentials:read`.

    **Credential access:** the credential's owner, a share of `view` or more, or the workspace role
    `owner`, `admin` or `auditor`. An engine token has `use` on every credential of its workspace. No
    access at all is a 404 and too little a 403, both recorded as `credential.access_denied`.

    **Audit log:** records nothing.

    Args:
        id (UUID):
        days (int | Unset):  Default: 30.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | UsageReport]
    """

    kwargs = _get_kwargs(
        id=id,
        days=days,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
    days: int | Unset = 30,
) -> Problem | UsageReport | None:
    """A credential's usage

     **Who:** any user of the workspace, or a personal token of theirs with `credentials:read`; an engine
    token with `credentials:read`.

    **Credential access:** the credential's owner, a share of `view` or more, or the workspace role
    `owner`, `admin` or `auditor`. An engine token has `use` on every credential of its workspace. No
    access at all is a 404 and too little a 403, both recorded as `credential.access_denied`.

    **Audit log:** records nothing.

    Args:
        id (UUID):
        days (int | Unset):  Default: 30.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | UsageReport
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            days=days,
        )
    ).parsed
