from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.resolved_basic_auth_type import ResolvedBasicAuthType, check_resolved_basic_auth_type
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.basic_auth_data import BasicAuthData


T = TypeVar("T", bound="ResolvedBasicAuth")


@_attrs_define
class ResolvedBasicAuth:
    """
    Attributes:
        credential_id (UUID):
        version (int): The version whose values these are.
        data (BasicAuthData):
        type_ (ResolvedBasicAuthType):
        expires_at (datetime.datetime | None | Unset):
        token_expires_at (datetime.datetime | None | Unset): oauth2: when the access token expires.
    """

    credential_id: UUID
    version: int
    data: BasicAuthData
    type_: ResolvedBasicAuthType
    expires_at: datetime.datetime | None | Unset = UNSET
    token_expires_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        credential_id = str(self.credential_id)

        version = self.version

        data = self.data.to_dict()

        type_: str = self.type_

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        token_expires_at: None | str | Unset
        if isinstance(self.token_expires_at, Unset):
            token_expires_at = UNSET
        elif isinstance(self.token_expires_at, datetime.datetime):
            token_expires_at = self.token_expires_at.isoformat()
        else:
            token_expires_at = self.token_expires_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "credential_id": credential_id,
                "version": version,
                "data": data,
                "type": type_,
            }
        )
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if token_expires_at is not UNSET:
            field_dict["token_expires_at"] = token_expires_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.basic_auth_data import BasicAuthData  # noqa: PLC0415

        d = dict(src_dict)
        credential_id = UUID(d.pop("credential_id"))

        version = d.pop("version")

        data = BasicAuthData.from_dict(d.pop("data"))

        type_ = check_resolved_basic_auth_type(d.pop("type"))

        def _parse_expires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expires_at = _parse_expires_at(d.pop("expires_at", UNSET))

        def _parse_token_expires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                token_expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return token_expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        token_expires_at = _parse_token_expires_at(d.pop("token_expires_at", UNSET))

        resolved_basic_auth = cls(
            credential_id=credential_id,
            version=version,
            data=data,
            type_=type_,
            expires_at=expires_at,
            token_expires_at=token_expires_at,
        )

        resolved_basic_auth.additional_properties = d
        return resolved_basic_auth

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
