from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PutWorkflow")


@_attrs_define
class PutWorkflow:
    """
    Attributes:
        name (str):
        owner_id (UUID): The person the workflow runs as; its credentials are resolved with their access.
        credential_ids (list[UUID] | Unset): Credentials of the workspace the workflow uses (default none).
    """

    name: str
    owner_id: UUID
    credential_ids: list[UUID] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        owner_id = str(self.owner_id)

        credential_ids: list[str] | Unset = UNSET
        if not isinstance(self.credential_ids, Unset):
            credential_ids = []
            for credential_ids_item_data in self.credential_ids:
                credential_ids_item = str(credential_ids_item_data)
                credential_ids.append(credential_ids_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "owner_id": owner_id,
            }
        )
        if credential_ids is not UNSET:
            field_dict["credential_ids"] = credential_ids

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        owner_id = UUID(d.pop("owner_id"))

        _credential_ids = d.pop("credential_ids", UNSET)
        credential_ids: list[UUID] | Unset = UNSET
        if _credential_ids is not UNSET:
            credential_ids = []
            for credential_ids_item_data in _credential_ids:
                credential_ids_item = UUID(credential_ids_item_data)

                credential_ids.append(credential_ids_item)

        put_workflow = cls(
            name=name,
            owner_id=owner_id,
            credential_ids=credential_ids,
        )

        put_workflow.additional_properties = d
        return put_workflow

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
