from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.credential_status import CredentialStatus, check_credential_status

T = TypeVar("T", bound="CallbackResult")


@_attrs_define
class CallbackResult:
    """
    Attributes:
        credential_id (UUID):
        status (CredentialStatus): `active`; `expired` (past `expires_at`, or an OAuth refresh was refused); `error`
            (the last test or refresh failed); `deleted` (soft-deleted, restorable until purged).
    """

    credential_id: UUID
    status: CredentialStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        credential_id = str(self.credential_id)

        status: str = self.status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "credential_id": credential_id,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        credential_id = UUID(d.pop("credential_id"))

        status = check_credential_status(d.pop("status"))

        callback_result = cls(
            credential_id=credential_id,
            status=status,
        )

        callback_result.additional_properties = d
        return callback_result

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
