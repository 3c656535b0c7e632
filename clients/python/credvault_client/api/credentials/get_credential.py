from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.api_key_credential import ApiKeyCredential
from ...models.basic_auth_credential import BasicAuthCredential
from ...models.custom_credential import CustomCredential
from ...models.o_auth_2_credential import OAuth2Credential
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    id: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/credentials/{id}".format(
            id=quote(str(id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem | None:
    if response.status_code == 200:

        def _parse_response_200(
            data: object,
        ) -> ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_credential_type_0 = ApiKeyCredential.from_dict(data)

                return componentsschemas_credential_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_credential_type_1 = BasicAuthCredential.from_dict(data)

                return componentsschemas_credential_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_credential_type_2 = OAuth2Credential.from_dict(data)

                return componentsschemas_credential_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_credential_type_3 = CustomCredential.from_dict(data)

            return componentsschemas_credential_type_3

        response_200 = _parse_response_200(response.json())

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

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem]:
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
) -> Response[ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem]:
    """Get a credential

     **Who:** any user of the workspace, or a personal token of theirs with `credentials:read`; an engine
    token with `credentials:read`.

    **Credential access:** the credential's owner, a share of `use` or more, or the workspace role
    `owner`, `admin` or `auditor`. An engine token has `use` on every credential of its workspace. No
    access at all is a 404, recorded as `credential.access_denied`.

    With `use` access only the summary fields come back; from `view` up the details and `data` too,
    secrets masked.

    **Audit log:** records nothing.

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem]
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
) -> ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem | None:
    """Get a credential

     **Who:** any user of the workspace, or a personal token of theirs with `credentials:read`; an engine
    token with `credentials:read`.

    **Credential access:** the credential's owner, a share of `use` or more, or the workspace role
    `owner`, `admin` or `auditor`. An engine token has `use` on every credential of its workspace. No
    access at all is a 404, recorded as `credential.access_denied`.

    With `use` access only the summary fields come back; from `view` up the details and `data` too,
    secrets masked.

    **Audit log:** records nothing.

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem
    """

    return sync_detailed(
        id=id,
        client=client,
    ).parsed


async def asyncio_detailed(
    id: UUID,
    *,
    client: AuthenticatedClient | Client,
) -> Response[ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem]:
    """Get a credential

     **Who:** any user of the workspace, or a personal token of theirs with `credentials:read`; an engine
    token with `credentials:read`.

    **Credential access:** the credential's owner, a share of `use` or more, or the workspace role
    `owner`, `admin` or `auditor`. An engine token has `use` on every credential of its workspace. No
    access at all is a 404, recorded as `credential.access_denied`.

    With `use` access only the summary fields come back; from `view` up the details and `data` too,
    secrets masked.

    **Audit log:** records nothing.

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem]
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
) -> ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem | None:
    """Get a credential

     **Who:** any user of the workspace, or a personal token of theirs with `credentials:read`; an engine
    token with `credentials:read`.

    **Credential access:** the credential's owner, a share of `use` or more, or the workspace role
    `owner`, `admin` or `auditor`. An engine token has `use` on every credential of its workspace. No
    access at all is a 404, recorded as `credential.access_denied`.

    With `use` access only the summary fields come back; from `view` up the details and `data` too,
    secrets masked.

    **Audit log:** records nothing.

    Args:
        id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
        )
    ).parsed
