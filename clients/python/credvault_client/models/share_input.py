from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ShareInput")


@_attrs_define
class ShareInput:
    """
    Attributes:
        access (None | str | Unset): `use`, `view` or `manage`.
        principal_id (None | str | Unset): The user or team; absent for `workspace`.
        principal_type (None | str | Unset): `user`, `team` or `workspace`.
    """

    access: None | str | Unset = UNSET
    principal_id: None | str | Unset = UNSET
    principal_type: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        access: None | str | Unset
        if isinstance(self.access, Unset):
            access = UNSET
        else:
            access = self.access

        principal_id: None | str | Unset
        if isinstance(self.principal_id, Unset):
            principal_id = UNSET
        else:
            principal_id = self.principal_id

        principal_type: None | str | Unset
        if isinstance(self.principal_type, Unset):
            principal_type = UNSET
        else:
            principal_type = self.principal_type

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if access is not UNSET:
            field_dict["access"] = access
        if principal_id is not UNSET:
            field_dict["principal_id"] = principal_id
        if principal_type is not UNSET:
            field_dict["principal_type"] = principal_type

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_access(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        access = _parse_access(d.pop("access", UNSET))

        def _parse_principal_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        principal_id = _parse_principal_id(d.pop("principal_id", UNSET))

        def _parse_principal_type(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        principal_type = _parse_principal_type(d.pop("principal_type", UNSET))

        share_input = cls(
            access=access,
            principal_id=principal_id,
            principal_type=principal_type,
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
