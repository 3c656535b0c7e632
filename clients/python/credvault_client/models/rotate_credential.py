from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.credential_data_patch import CredentialDataPatch


T = TypeVar("T", bound="RotateCredential")


@_attrs_define
class RotateCredential:
    """
    Attributes:
        data (CredentialDataPatch): The fields of `data` to change, merged into the stored ones (an absent field keeps
            its value, `null` removes an optional one): for the fixed types, fields of that type (`scopes` is a list of
            strings, the rest strings); for `custom`, string values. A change of a secret field makes a new version.
    """

    data: CredentialDataPatch
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.credential_data_patch import CredentialDataPatch  # noqa: PLC0415

        d = dict(src_dict)
        data = CredentialDataPatch.from_dict(d.pop("data"))

        rotate_credential = cls(
            data=data,
        )

        rotate_credential.additional_properties = d
        return rotate_credential

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
