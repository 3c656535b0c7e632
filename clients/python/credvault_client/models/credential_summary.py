from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.credential_status import CredentialStatus, check_credential_status
from ..models.credential_type import CredentialType, check_credential_type
from ..models.effective_access import EffectiveAccess, check_effective_access
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.owner_ref import OwnerRef


T = TypeVar("T", bound="CredentialSummary")


@_attrs_define
class CredentialSummary:
    """What lists show, and all a `use`-only caller sees.

    Attributes:
        access (EffectiveAccess): Your effective access to the credential, highest first: `owner`, `manage`, `view`,
            `use`. `none` appears only in the answer to a transfer by which you gave away a credential you keep no access
            to.
        created_at (datetime.datetime):
        id (UUID):
        name (str):
        owner (OwnerRef):
        service (str):
        shared (bool): True when the credential has any share.
        status (CredentialStatus): `active`; `expired` (past `expires_at`, or an OAuth refresh was refused); `error`
            (the last test or refresh failed); `deleted` (soft-deleted, restorable until purged).
        tags (list[str]):
        type_ (CredentialType): What kind of secret a credential holds; it fixes the shape of `data`.
        updated_at (datetime.datetime):
        version (int): The current secret version.
        environment (None | str | Unset):
        last_used_at (datetime.datetime | None | Unset):
    """

    access: EffectiveAccess
    created_at: datetime.datetime
    id: UUID
    name: str
    owner: OwnerRef
    service: str
    shared: bool
    status: CredentialStatus
    tags: list[str]
    type_: CredentialType
    updated_at: datetime.datetime
    version: int
    environment: None | str | Unset = UNSET
    last_used_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        access: str = self.access

        created_at = self.created_at.isoformat()

        id = str(self.id)

        name = self.name

        owner = self.owner.to_dict()

        service = self.service

        shared = self.shared

        status: str = self.status

        tags = self.tags

        type_: str = self.type_

        updated_at = self.updated_at.isoformat()

        version = self.version

        environment: None | str | Unset
        if isinstance(self.environment, Unset):
            environment = UNSET
        else:
            environment = self.environment

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
                "access": access,
                "created_at": created_at,
                "id": id,
                "name": name,
                "owner": owner,
                "service": service,
                "shared": shared,
                "status": status,
                "tags": tags,
                "type": type_,
                "updated_at": updated_at,
                "version": version,
            }
        )
        if environment is not UNSET:
            field_dict["environment"] = environment
        if last_used_at is not UNSET:
            field_dict["last_used_at"] = last_used_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.owner_ref import OwnerRef  # noqa: PLC0415

        d = dict(src_dict)
        access = check_effective_access(d.pop("access"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        name = d.pop("name")

        owner = OwnerRef.from_dict(d.pop("owner"))

        service = d.pop("service")

        shared = d.pop("shared")

        status = check_credential_status(d.pop("status"))

        tags = cast(list[str], d.pop("tags"))

        type_ = check_credential_type(d.pop("type"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        version = d.pop("version")

        def _parse_environment(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        environment = _parse_environment(d.pop("environment", UNSET))

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

        credential_summary = cls(
            access=access,
            created_at=created_at,
            id=id,
            name=name,
            owner=owner,
            service=service,
            shared=shared,
            status=status,
            tags=tags,
            type_=type_,
            updated_at=updated_at,
            version=version,
            environment=environment,
            last_used_at=last_used_at,
        )

        credential_summary.additional_properties = d
        return credential_summary

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
