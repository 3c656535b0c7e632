from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.share_access import ShareAccess, check_share_access
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.share_principal import SharePrincipal


T = TypeVar("T", bound="Share")


@_attrs_define
class Share:
    """
    Attributes:
        access (ShareAccess): What a share grants, lowest first (a share never makes anyone the owner).
        created_at (datetime.datetime):
        id (UUID):
        principal (SharePrincipal):
        created_by (None | Unset | UUID):
    """

    access: ShareAccess
    created_at: datetime.datetime
    id: UUID
    principal: SharePrincipal
    created_by: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        access: str = self.access

        created_at = self.created_at.isoformat()

        id = str(self.id)

        principal = self.principal.to_dict()

        created_by: None | str | Unset
        if isinstance(self.created_by, Unset):
            created_by = UNSET
        elif isinstance(self.created_by, UUID):
            created_by = str(self.created_by)
        else:
            created_by = self.created_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "access": access,
                "created_at": created_at,
                "id": id,
                "principal": principal,
            }
        )
        if created_by is not UNSET:
            field_dict["created_by"] = created_by

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.share_principal import SharePrincipal  # noqa: PLC0415

        d = dict(src_dict)
        access = check_share_access(d.pop("access"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = UUID(d.pop("id"))

        principal = SharePrincipal.from_dict(d.pop("principal"))

        def _parse_created_by(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                created_by_type_0 = UUID(data)

                return created_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        created_by = _parse_created_by(d.pop("created_by", UNSET))

        share = cls(
            access=access,
            created_at=created_at,
            id=id,
            principal=principal,
            created_by=created_by,
        )

        share.additional_properties = d
        return share

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
