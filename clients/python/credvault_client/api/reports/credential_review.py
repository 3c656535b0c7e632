from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.credential_review import CredentialReview
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    unused_days: int | Unset = 90,
    expiring_days: int | Unset = 14,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["unused_days"] = unused_days

    params["expiring_days"] = expiring_days

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/reports/credential-review",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CredentialReview | Problem | None:
    if response.status_code == 200:
        response_200 = CredentialReview.from_dict(response.json())

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
) -> Response[CredentialReview | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    unused_days: int | Unset = 90,
    expiring_days: int | Unset = 14,
) -> Response[CredentialReview | Problem]:
    """Credential review report

     **Who:** workspace role `owner`, `admin` or `auditor`, or a personal token of theirs with
    `audit:read`; engine tokens cannot.

    **Audit log:** records nothing.

    Args:
        unused_days (int | Unset):  Default: 90.
        expiring_days (int | Unset):  Default: 14.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CredentialReview | Problem]
    """

    kwargs = _get_kwargs(
        unused_days=unused_days,
        expiring_days=expiring_days,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    unused_days: int | Unset = 90,
    expiring_days: int | Unset = 14,
) -> CredentialReview | Problem | None:
    """Credential review report

     **Who:** workspace role `owner`, `admin` or `auditor`, or a personal token of theirs with
    `audit:read`; engine tokens cannot.

    **Audit log:** records nothing.

    Args:
        unused_days (int | Unset):  Default: 90.
        expiring_days (int | Unset):  Default: 14.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CredentialReview | Problem
    """

    return sync_detailed(
        client=client,
        unused_days=unused_days,
        expiring_days=expiring_days,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    unused_days: int | Unset = 90,
    expiring_days: int | Unset = 14,
) -> Response[CredentialReview | Problem]:
    """Credential review report

     **Who:** workspace role `owner`, `admin` or `auditor`, or a personal token of theirs with
    `audit:read`; engine tokens cannot.

    **Audit log:** records nothing.

    Args:
        unused_days (int | Unset):  Default: 90.
        expiring_days (int | Unset):  Default: 14.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CredentialReview | Problem]
    """

    kwargs = _get_kwargs(
        unused_days=unused_days,
        expiring_days=expiring_days,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    unused_days: int | Unset = 90,
    expiring_days: int | Unset = 14,
) -> CredentialReview | Problem | None:
    """Credential review report

     **Who:** workspace role `owner`, `admin` or `auditor`, or a personal token of theirs with
    `audit:read`; engine tokens cannot.

    **Audit log:** records nothing.

    Args:
        unused_days (int | Unset):  Default: 90.
        expiring_days (int | Unset):  Default: 14.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CredentialReview | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            unused_days=unused_days,
            expiring_days=expiring_days,
        )
    ).parsed
