import datetime
from http import HTTPStatus
from typing import Any, cast
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.audit_outcome import AuditOutcome
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    actor_id: UUID | Unset = UNSET,
    action: str | Unset = UNSET,
    credential_id: UUID | Unset = UNSET,
    outcome: AuditOutcome | Unset = UNSET,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    after_seq: int | Unset = UNSET,
    follow: bool | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_actor_id: str | Unset = UNSET
    if not isinstance(actor_id, Unset):
        json_actor_id = str(actor_id)
    params["actor_id"] = json_actor_id

    params["action"] = action

    json_credential_id: str | Unset = UNSET
    if not isinstance(credential_id, Unset):
        json_credential_id = str(credential_id)
    params["credential_id"] = json_credential_id

    json_outcome: str | Unset = UNSET
    if not isinstance(outcome, Unset):
        json_outcome = outcome

    params["outcome"] = json_outcome

    json_from_: str | Unset = UNSET
    if not isinstance(from_, Unset):
        json_from_ = from_.isoformat()
    params["from"] = json_from_

    json_to: str | Unset = UNSET
    if not isinstance(to, Unset):
        json_to = to.isoformat()
    params["to"] = json_to

    params["after_seq"] = after_seq

    params["follow"] = follow

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/audit/export",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | str | None:
    if response.status_code == 200:
        response_200 = cast(str, response.content)
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

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    actor_id: UUID | Unset = UNSET,
    action: str | Unset = UNSET,
    credential_id: UUID | Unset = UNSET,
    outcome: AuditOutcome | Unset = UNSET,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    after_seq: int | Unset = UNSET,
    follow: bool | Unset = UNSET,
) -> Response[Problem | str]:
    """Export or follow audit events (NDJSON)

     **Who:** workspace role `owner`, `admin` or `auditor`, or a personal token of theirs with
    `audit:read`; engine tokens cannot.

    **Audit log:** records nothing.

    Args:
        actor_id (UUID | Unset):
        action (str | Unset):
        credential_id (UUID | Unset):
        outcome (AuditOutcome | Unset): How an audited attempt ended.
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):
        after_seq (int | Unset):
        follow (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
    """

    kwargs = _get_kwargs(
        actor_id=actor_id,
        action=action,
        credential_id=credential_id,
        outcome=outcome,
        from_=from_,
        to=to,
        after_seq=after_seq,
        follow=follow,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    actor_id: UUID | Unset = UNSET,
    action: str | Unset = UNSET,
    credential_id: UUID | Unset = UNSET,
    outcome: AuditOutcome | Unset = UNSET,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    after_seq: int | Unset = UNSET,
    follow: bool | Unset = UNSET,
) -> Problem | str | None:
    """Export or follow audit events (NDJSON)

     **Who:** workspace role `owner`, `admin` or `auditor`, or a personal token of theirs with
    `audit:read`; engine tokens cannot.

    **Audit log:** records nothing.

    Args:
        actor_id (UUID | Unset):
        action (str | Unset):
        credential_id (UUID | Unset):
        outcome (AuditOutcome | Unset): How an audited attempt ended.
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):
        after_seq (int | Unset):
        follow (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
    """

    return sync_detailed(
        client=client,
        actor_id=actor_id,
        action=action,
        credential_id=credential_id,
        outcome=outcome,
        from_=from_,
        to=to,
        after_seq=after_seq,
        follow=follow,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    actor_id: UUID | Unset = UNSET,
    action: str | Unset = UNSET,
    credential_id: UUID | Unset = UNSET,
    outcome: AuditOutcome | Unset = UNSET,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    after_seq: int | Unset = UNSET,
    follow: bool | Unset = UNSET,
) -> Response[Problem | str]:
    """Export or follow audit events (NDJSON)

     **Who:** workspace role `owner`, `admin` or `auditor`, or a personal token of theirs with
    `audit:read`; engine tokens cannot.

    **Audit log:** records nothing.

    Args:
        actor_id (UUID | Unset):
        action (str | Unset):
        credential_id (UUID | Unset):
        outcome (AuditOutcome | Unset): How an audited attempt ended.
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):
        after_seq (int | Unset):
        follow (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | str]
    """

    kwargs = _get_kwargs(
        actor_id=actor_id,
        action=action,
        credential_id=credential_id,
        outcome=outcome,
        from_=from_,
        to=to,
        after_seq=after_seq,
        follow=follow,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    actor_id: UUID | Unset = UNSET,
    action: str | Unset = UNSET,
    credential_id: UUID | Unset = UNSET,
    outcome: AuditOutcome | Unset = UNSET,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    after_seq: int | Unset = UNSET,
    follow: bool | Unset = UNSET,
) -> Problem | str | None:
    """Export or follow audit events (NDJSON)

     **Who:** workspace role `owner`, `admin` or `auditor`, or a personal token of theirs with
    `audit:read`; engine tokens cannot.

    **Audit log:** records nothing.

    Args:
        actor_id (UUID | Unset):
        action (str | Unset):
        credential_id (UUID | Unset):
        outcome (AuditOutcome | Unset): How an audited attempt ended.
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):
        after_seq (int | Unset):
        follow (bool | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | str
    """

    return (
        await asyncio_detailed(
            client=client,
            actor_id=actor_id,
            action=action,
            credential_id=credential_id,
            outcome=outcome,
            from_=from_,
            to=to,
            after_seq=after_seq,
            follow=follow,
        )
    ).parsed
