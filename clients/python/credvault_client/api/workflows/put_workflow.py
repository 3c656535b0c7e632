from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.put_workflow import PutWorkflow
from ...models.workflow import Workflow
from ...types import Response


def _get_kwargs(
    workflow_id: str,
    *,
    body: PutWorkflow,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/v1/workflows/{workflow_id}".format(
            workflow_id=quote(str(workflow_id), safe=""),
        ),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | Workflow | None:
    if response.status_code == 200:
        response_200 = Workflow.from_dict(response.json())

        return response_200

    if response.status_code == 201:
        response_201 = Workflow.from_dict(response.json())

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

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | Workflow]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    workflow_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: PutWorkflow,
) -> Response[Problem | Workflow]:
    """Register or update a workflow

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `workflows:write`; an engine token with `workflows:write`.

    A person registers or changes only workflows they own (`owner_id` is them); an engine token does it
    for any owner of the workspace.

    **Audit log:** records `workflow.upserted`.

    Args:
        workflow_id (str):
        body (PutWorkflow):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Workflow]
    """

    kwargs = _get_kwargs(
        workflow_id=workflow_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    workflow_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: PutWorkflow,
) -> Problem | Workflow | None:
    """Register or update a workflow

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `workflows:write`; an engine token with `workflows:write`.

    A person registers or changes only workflows they own (`owner_id` is them); an engine token does it
    for any owner of the workspace.

    **Audit log:** records `workflow.upserted`.

    Args:
        workflow_id (str):
        body (PutWorkflow):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Workflow
    """

    return sync_detailed(
        workflow_id=workflow_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    workflow_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: PutWorkflow,
) -> Response[Problem | Workflow]:
    """Register or update a workflow

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `workflows:write`; an engine token with `workflows:write`.

    A person registers or changes only workflows they own (`owner_id` is them); an engine token does it
    for any owner of the workspace.

    **Audit log:** records `workflow.upserted`.

    Args:
        workflow_id (str):
        body (PutWorkflow):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Workflow]
    """

    kwargs = _get_kwargs(
        workflow_id=workflow_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    workflow_id: str,
    *,
    client: AuthenticatedClient | Client,
    body: PutWorkflow,
) -> Problem | Workflow | None:
    """Register or update a workflow

     **Who:** workspace role `owner`, `admin` or `member`, or a personal token of theirs with
    `workflows:write`; an engine token with `workflows:write`.

    A person registers or changes only workflows they own (`owner_id` is them); an engine token does it
    for any owner of the workspace.

    **Audit log:** records `workflow.upserted`.

    Args:
        workflow_id (str):
        body (PutWorkflow):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Workflow
    """

    return (
        await asyncio_detailed(
            workflow_id=workflow_id,
            client=client,
            body=body,
        )
    ).parsed
