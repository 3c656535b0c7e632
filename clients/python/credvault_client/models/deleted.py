from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.affected_workflow import AffectedWorkflow


T = TypeVar("T", bound="Deleted")


@_attrs_define
class Deleted:
    """
    Attributes:
        affected_workflows (list[AffectedWorkflow]):
        deleted_at (datetime.datetime):
        id (UUID):
        purge_after (datetime.datetime): After this the credential is purged and its keys destroyed; until then it can
            be restored.
    """

    affected_workflows: list[AffectedWorkflow]
    deleted_at: datetime.datetime
    id: UUID
    purge_after: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        affected_workflows = []
        for affected_workflows_item_data in self.affected_workflows:
            affected_workflows_item = affected_workflows_item_data.to_dict()
            affected_workflows.append(affected_workflows_item)

        deleted_at = self.deleted_at.isoformat()

        id = str(self.id)

        purge_after = self.purge_after.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "affected_workflows": affected_workflows,
                "deleted_at": deleted_at,
                "id": id,
                "purge_after": purge_after,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.affected_workflow import AffectedWorkflow  # noqa: PLC0415

        d = dict(src_dict)
        affected_workflows = []
        _affected_workflows = d.pop("affected_workflows")
        for affected_workflows_item_data in _affected_workflows:
            affected_workflows_item = AffectedWorkflow.from_dict(affected_workflows_item_data)

            affected_workflows.append(affected_workflows_item)

        deleted_at = datetime.datetime.fromisoformat(d.pop("deleted_at"))

        id = UUID(d.pop("id"))

        purge_after = datetime.datetime.fromisoformat(d.pop("purge_after"))

        deleted = cls(
            affected_workflows=affected_workflows,
            deleted_at=deleted_at,
            id=id,
            purge_after=purge_after,
        )

        deleted.additional_properties = d
        return deleted

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
