from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.sso_role import SsoRole, check_sso_role

T = TypeVar("T", bound="PutSsoRoleMapType0")


@_attrs_define
class PutSsoRoleMapType0:
    """Claim value to role; the highest mapped role wins, else `default_role`."""

    additional_properties: dict[str, SsoRole] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        for prop_name, prop in self.additional_properties.items():
            field_dict[prop_name] = prop

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        put_sso_role_map_type_0 = cls()

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional_property = check_sso_role(prop_dict)

            additional_properties[prop_name] = additional_property

        put_sso_role_map_type_0.additional_properties = additional_properties
        return put_sso_role_map_type_0

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> SsoRole:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: SsoRole) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
