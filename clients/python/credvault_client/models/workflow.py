from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.owner_ref import OwnerRef


T = TypeVar("T", bound="Workflow")


@_attrs_define
class Workflow:
    """
    Attributes:
        created_at (datetime.datetime):
        credential_ids (list[UUID]):
        id (str): The engine's own id.
        name (str):
        owner (OwnerRef):
        updated_at (datetime.datetime):
        last_used_at (datetime.datetime | None | Unset):
    """

    created_at: datetime.datetime
    credential_ids: list[UUID]
    id: str
    name: str
    owner: OwnerRef
    updated_at: datetime.datetime
    last_used_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        credential_ids = []
        for credential_ids_item_data in self.credential_ids:
            credential_ids_item = str(credential_ids_item_data)
            credential_ids.append(credential_ids_item)

        id = self.id

        name = self.name

        owner = self.owner.to_dict()

        updated_at = self.updated_at.isoformat()

        last_used_at: None | str | Unset
        if isinstance(self.last_used_at, Unset):
            last_used_at = UNSET
        elif isinstance(self.last_used_at, datetime.datetime):
            last_used_at = self.last_used_at.isoformat()
        else:
            last_used_at = self.last_used_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "credential_ids": credential_ids,
                "id": id,
                "name": name,
                "owner": owner,
                "updated_at": updated_at,
            }
        )
        if last_used_at is not UNSET:
            field_dict["last_used_at"] = last_used_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.owner_ref import OwnerRef  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        credential_ids = []
        _credential_ids = d.pop("credential_ids")
        for credential_ids_item_data in _credential_ids:
            credential_ids_item = UUID(credential_ids_item_data)

            credential_ids.append(credential_ids_item)

        id = d.pop("id")

        name = d.pop("name")

        owner = OwnerRef.from_dict(d.pop("owner"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_last_used_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_used_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_used_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_used_at = _parse_last_used_at(d.pop("last_used_at", UNSET))

        workflow = cls(
            created_at=created_at,
            credential_ids=credential_ids,
            id=id,
            name=name,
            owner=owner,
            updated_at=updated_at,
            last_used_at=last_used_at,
        )

        workflow.additional_properties = d
        return workflow

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
