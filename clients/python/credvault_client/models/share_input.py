from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.share_access import ShareAccess, check_share_access
from ..models.share_principal_type import SharePrincipalType, check_share_principal_type
from ..types import UNSET, Unset

T = TypeVar("T", bound="ShareInput")


@_attrs_define
class ShareInput:
    """
    Attributes:
        access (ShareAccess): What a share grants, lowest first (a share never makes anyone the owner).
        principal_type (SharePrincipalType): Who is shared with.
        principal_id (UUID | Unset): The user or team of the workspace; absent for `workspace`.
    """

    access: ShareAccess
    principal_type: SharePrincipalType
    principal_id: UUID | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        access: str = self.access

        principal_type: str = self.principal_type

        principal_id: str | Unset = UNSET
        if not isinstance(self.principal_id, Unset):
            principal_id = str(self.principal_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "access": access,
                "principal_type": principal_type,
            }
        )
        if principal_id is not UNSET:
            field_dict["principal_id"] = principal_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        access = check_share_access(d.pop("access"))

        principal_type = check_share_principal_type(d.pop("principal_type"))

        _principal_id = d.pop("principal_id", UNSET)
        principal_id: UUID | Unset
        if isinstance(_principal_id, Unset):
            principal_id = UNSET
        else:
            principal_id = UUID(_principal_id)

        share_input = cls(
            access=access,
            principal_type=principal_type,
            principal_id=principal_id,
        )

        share_input.additional_properties = d
        return share_input

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
