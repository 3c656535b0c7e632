from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ResolveRequest")


@_attrs_define
class ResolveRequest:
    """
    Attributes:
        workflow_id (str): The workflow the values are for: registered in the workspace, its owner needs `use`.
        execution_id (str | Unset): The engine's id for this run, recorded in the audit event.
        field (str | Unset): One field's value alone, answered as `text/plain; charset=utf-8` with no trailing
            newline (for CI scripts: `curl -fsS`). An oauth2 credential's `access_token` is a field
            (refreshed first when due); its `scopes` come as one line, separated by spaces. A field
            the credential does not have: 422 on `field`. Recorded in the audit event. Example: access_token.
    """

    workflow_id: str
    execution_id: str | Unset = UNSET
    field: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        workflow_id = self.workflow_id

        execution_id = self.execution_id

        field = self.field

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "workflow_id": workflow_id,
            }
        )
        if execution_id is not UNSET:
            field_dict["execution_id"] = execution_id
        if field is not UNSET:
            field_dict["field"] = field

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        workflow_id = d.pop("workflow_id")

        execution_id = d.pop("execution_id", UNSET)

        field = d.pop("field", UNSET)

        resolve_request = cls(
            workflow_id=workflow_id,
            execution_id=execution_id,
            field=field,
        )

        resolve_request.additional_properties = d
        return resolve_request

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
