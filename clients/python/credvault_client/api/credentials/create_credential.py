from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.api_key_credential import ApiKeyCredential
from ...models.basic_auth_credential import BasicAuthCredential
from ...models.create_api_key_credential import CreateApiKeyCredential
from ...models.create_basic_auth_credential import CreateBasicAuthCredential
from ...models.create_custom_credential import CreateCustomCredential
from ...models.create_o_auth_2_credential import CreateOAuth2Credential
from ...models.custom_credential import CustomCredential
from ...models.o_auth_2_credential import OAuth2Credential
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: CreateApiKeyCredential | CreateBasicAuthCredential | CreateCustomCredential | CreateOAuth2Credential,
    idempotency_key: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/credentials",
    }

    if isinstance(body, CreateApiKeyCredential):
        _kwargs["json"] = body.to_dict()
    elif isinstance(body, CreateBasicAuthCredential):
        _kwargs["json"] = body.to_dict()
    elif isinstance(body, CreateOAuth2Credential):
        _kwargs["json"] = body.to_dict()
    else:
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem | None:
    if response.status_code == 201:

        def _parse_response_201(
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

        response_201 = _parse_response_201(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

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
    *,
    client: AuthenticatedClient | Client,
    body: CreateApiKeyCredential | CreateBasicAuthCredential | CreateCustomCredential | CreateOAuth2Credential,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem]:
    """Create a credential

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    The caller owns the new credential.

    **Audit log:** records `credential.created`.

    Args:
        idempotency_key (None | str | Unset):
        body (CreateApiKeyCredential | CreateBasicAuthCredential | CreateCustomCredential |
            CreateOAuth2Credential): A new credential, by its `type`, which fixes the fields of
            `data`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: CreateApiKeyCredential | CreateBasicAuthCredential | CreateCustomCredential | CreateOAuth2Credential,
    idempotency_key: None | str | Unset = UNSET,
) -> ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem | None:
    """Create a credential

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    The caller owns the new credential.

    **Audit log:** records `credential.created`.

    Args:
        idempotency_key (None | str | Unset):
        body (CreateApiKeyCredential | CreateBasicAuthCredential | CreateCustomCredential |
            CreateOAuth2Credential): A new credential, by its `type`, which fixes the fields of
            `data`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CreateApiKeyCredential | CreateBasicAuthCredential | CreateCustomCredential | CreateOAuth2Credential,
    idempotency_key: None | str | Unset = UNSET,
) -> Response[ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem]:
    """Create a credential

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    The caller owns the new credential.

    **Audit log:** records `credential.created`.

    Args:
        idempotency_key (None | str | Unset):
        body (CreateApiKeyCredential | CreateBasicAuthCredential | CreateCustomCredential |
            CreateOAuth2Credential): A new credential, by its `type`, which fixes the fields of
            `data`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: CreateApiKeyCredential | CreateBasicAuthCredential | CreateCustomCredential | CreateOAuth2Credential,
    idempotency_key: None | str | Unset = UNSET,
) -> ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem | None:
    """Create a credential

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `credentials:write`; engine tokens cannot.

    The caller owns the new credential.

    **Audit log:** records `credential.created`.

    Args:
        idempotency_key (None | str | Unset):
        body (CreateApiKeyCredential | CreateBasicAuthCredential | CreateCustomCredential |
            CreateOAuth2Credential): A new credential, by its `type`, which fixes the fields of
            `data`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ApiKeyCredential | BasicAuthCredential | CustomCredential | OAuth2Credential | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
