from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.token_lookup import TokenLookup
from ...models.vault_errors import VaultErrors
from ...types import Response


def _get_kwargs() -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/auth/token/lookup-self",
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> TokenLookup | VaultErrors | None:
    if response.status_code == 200:
        response_200 = TokenLookup.from_dict(response.json())

        return response_200

    if response.status_code == 403:
        response_403 = VaultErrors.from_dict(response.json())

        return response_403

    if response.status_code == 503:
        response_503 = VaultErrors.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[TokenLookup | VaultErrors]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[TokenLookup | VaultErrors]:
    """Look up the calling token (Vault)

     **Who:** any valid token: a session's or an API token, whatever its scopes.

    The token goes in `X-Vault-Token` or `Authorization: Bearer`. Vault clients call it to check their
    token (hvac's `is_authenticated`). A missing or unknown token: 403 `{"errors": ["permission
    denied"]}`, as Vault answers.

    **Audit log:** records nothing.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[TokenLookup | VaultErrors]
    """

    kwargs = _get_kwargs()

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
) -> TokenLookup | VaultErrors | None:
    """Look up the calling token (Vault)

     **Who:** any valid token: a session's or an API token, whatever its scopes.

    The token goes in `X-Vault-Token` or `Authorization: Bearer`. Vault clients call it to check their
    token (hvac's `is_authenticated`). A missing or unknown token: 403 `{"errors": ["permission
    denied"]}`, as Vault answers.

    **Audit log:** records nothing.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        TokenLookup | VaultErrors
    """

    return sync_detailed(
        client=client,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
) -> Response[TokenLookup | VaultErrors]:
    """Look up the calling token (Vault)

     **Who:** any valid token: a session's or an API token, whatever its scopes.

    The token goes in `X-Vault-Token` or `Authorization: Bearer`. Vault clients call it to check their
    token (hvac's `is_authenticated`). A missing or unknown token: 403 `{"errors": ["permission
    denied"]}`, as Vault answers.

    **Audit log:** records nothing.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[TokenLookup | VaultErrors]
    """

    kwargs = _get_kwargs()

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
) -> TokenLookup | VaultErrors | None:
    """Look up the calling token (Vault)

     **Who:** any valid token: a session's or an API token, whatever its scopes.

    The token goes in `X-Vault-Token` or `Authorization: Bearer`. Vault clients call it to check their
    token (hvac's `is_authenticated`). A missing or unknown token: 403 `{"errors": ["permission
    denied"]}`, as Vault answers.

    **Audit log:** records nothing.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        TokenLookup | VaultErrors
    """

    return (
        await asyncio_detailed(
            client=client,
        )
    ).parsed
