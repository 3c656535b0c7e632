from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.resolve_request import ResolveRequest
from ...models.resolved_api_key import ResolvedApiKey
from ...models.resolved_basic_auth import ResolvedBasicAuth
from ...models.resolved_custom import ResolvedCustom
from ...models.resolved_o_auth_2 import ResolvedOAuth2
from ...types import Response


def _get_kwargs(
    id: UUID,
    *,
    body: ResolveRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/credentials/{id}/resolve".format(
            id=quote(str(id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | ResolvedApiKey | ResolvedBasicAuth | ResolvedCustom | ResolvedOAuth2 | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> ResolvedApiKey | ResolvedBasicAuth | ResolvedCustom | ResolvedOAuth2:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_resolved_type_0 = ResolvedApiKey.from_dict(data)

                return componentsschemas_resolved_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_resolved_type_1 = ResolvedBasicAuth.from_dict(data)

                return componentsschemas_resolved_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_resolved_type_2 = ResolvedOAuth2.from_dict(data)

                return componentsschemas_resolved_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_resolved_type_3 = ResolvedCustom.from_dict(data)

            return componentsschemas_resolved_type_3

        response_200 = _parse_response_200(response.json())

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

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

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
) -> Response[Problem | ResolvedApiKey | ResolvedBasicAuth | ResolvedCustom | ResolvedOAuth2]:
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
    body: ResolveRequest,
) -> Response[Problem | ResolvedApiKey | ResolvedBasicAuth | ResolvedCustom | ResolvedOAuth2]:
    """Resolve a credential for a workflow run

     **Who:** no person, only an engine token with `credentials:resolve`.

    **Credential access (of the workflow's owner):** the credential's owner or a share of `use` or more;
    workspace roles do not count. Without it the answer is a 403, recorded as
    `credential.access_denied`.

    The workflow must be registered in the workspace; `field` asks for one value as text.

    **Audit log:** records `credential.used` and counts the use before answering (with `field` too); a
    refresh on the way records `credential.refreshed` or `credential.refresh_failed`.

    Args:
        id (UUID):
        body (ResolveRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ResolvedApiKey | ResolvedBasicAuth | ResolvedCustom | ResolvedOAuth2]
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
    body: ResolveRequest,
) -> Problem | ResolvedApiKey | ResolvedBasicAuth | ResolvedCustom | ResolvedOAuth2 | None:
    """Resolve a credential for a workflow run

     **Who:** no person, only an engine token with `credentials:resolve`.

    **Credential access (of the workflow's owner):** the credential's owner or a share of `use` or more;
    workspace roles do not count. Without it the answer is a 403, recorded as
    `credential.access_denied`.

    The workflow must be registered in the workspace; `field` asks for one value as text.

    **Audit log:** records `credential.used` and counts the use before answering (with `field` too); a
    refresh on the way records `credential.refreshed` or `credential.refresh_failed`.

    Args:
        id (UUID):
        body (ResolveRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ResolvedApiKey | ResolvedBasicAuth | ResolvedCustom | ResolvedOAuth2
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
    body: ResolveRequest,
) -> Response[Problem | ResolvedApiKey | ResolvedBasicAuth | ResolvedCustom | ResolvedOAuth2]:
    """Resolve a credential for a workflow run

     **Who:** no person, only an engine token with `credentials:resolve`.

    **Credential access (of the workflow's owner):** the credential's owner or a share of `use` or more;
    workspace roles do not count. Without it the answer is a 403, recorded as
    `credential.access_denied`.

    The workflow must be registered in the workspace; `field` asks for one value as text.

    **Audit log:** records `credential.used` and counts the use before answering (with `field` too); a
    refresh on the way records `credential.refreshed` or `credential.refresh_failed`.

    Args:
        id (UUID):
        body (ResolveRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ResolvedApiKey | ResolvedBasicAuth | ResolvedCustom | ResolvedOAuth2]
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
    body: ResolveRequest,
) -> Problem | ResolvedApiKey | ResolvedBasicAuth | ResolvedCustom | ResolvedOAuth2 | None:
    """Resolve a credential for a workflow run

     **Who:** no person, only an engine token with `credentials:resolve`.

    **Credential access (of the workflow's owner):** the credential's owner or a share of `use` or more;
    workspace roles do not count. Without it the answer is a 403, recorded as
    `credential.access_denied`.

    The workflow must be registered in the workspace; `field` asks for one value as text.

    **Audit log:** records `credential.used` and counts the use before answering (with `field` too); a
    refresh on the way records `credential.refreshed` or `credential.refresh_failed`.

    Args:
        id (UUID):
        body (ResolveRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ResolvedApiKey | ResolvedBasicAuth | ResolvedCustom | ResolvedOAuth2
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            body=body,
        )
    ).parsed
