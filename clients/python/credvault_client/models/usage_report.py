from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.day_count import DayCount
    from ..models.workflow_usage import WorkflowUsage


T = TypeVar("T", bound="UsageReport")


@_attrs_define
class UsageReport:
    """
    Attributes:
        by_day (list[DayCount]):
        by_workflow (list[WorkflowUsage]):
        total (int):
    """

    by_day: list[DayCount]
    by_workflow: list[WorkflowUsage]
    total: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        by_day = []
        for by_day_item_data in self.by_day:
            by_day_item = by_day_item_data.to_dict()
            by_day.append(by_day_item)

        by_workflow = []
        for by_workflow_item_data in self.by_workflow:
            by_workflow_item = by_workflow_item_data.to_dict()
            by_workflow.append(by_workflow_item)

        total = self.total

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "by_day": by_day,
                "by_workflow": by_workflow,
                "total": total,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.day_count import DayCount  # noqa: PLC0415
        from ..models.workflow_usage import WorkflowUsage  # noqa: PLC0415

        d = dict(src_dict)
        by_day = []
        _by_day = d.pop("by_day")
        for by_day_item_data in _by_day:
            by_day_item = DayCount.from_dict(by_day_item_data)

            by_day.append(by_day_item)

        by_workflow = []
        _by_workflow = d.pop("by_workflow")
        for by_workflow_item_data in _by_workflow:
            by_workflow_item = WorkflowUsage.from_dict(by_workflow_item_data)

            by_workflow.append(by_workflow_item)

        total = d.pop("total")

        usage_report = cls(
            by_day=by_day,
            by_workflow=by_workflow,
            total=total,
        )

        usage_report.additional_properties = d
        return usage_report

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
