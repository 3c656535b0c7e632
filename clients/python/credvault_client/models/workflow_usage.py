from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="WorkflowUsage")


@_attrs_define
class WorkflowUsage:
    """
    Attributes:
        count (int):
        last_used_at (datetime.datetime):
        name (str):
        workflow_id (str):
    """

    count: int
    last_used_at: datetime.datetime
    name: str
    workflow_id: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        count = self.count

        last_used_at = self.last_used_at.isoformat()

        name = self.name

        workflow_id = self.workflow_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "count": count,
                "last_used_at": last_used_at,
                "name": name,
                "workflow_id": workflow_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        count = d.pop("count")

        last_used_at = datetime.datetime.fromisoformat(d.pop("last_used_at"))

        name = d.pop("name")

        workflow_id = d.pop("workflow_id")

        workflow_usage = cls(
            count=count,
            last_used_at=last_used_at,
            name=name,
            workflow_id=workflow_id,
        )

        workflow_usage.additional_properties = d
        return workflow_usage

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
