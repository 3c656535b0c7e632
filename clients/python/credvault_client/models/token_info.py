from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.vault_token_type import VaultTokenType, check_vault_token_type
from ..types import UNSET, Unset

T = TypeVar("T", bound="TokenInfo")


@_attrs_define
class TokenInfo:
    """The calling token, as Vault describes one.

    Attributes:
        display_name (str): The token's name (for a session, its person's name).
        id (UUID): The token's id (for a session, the session's id): never the token itself.
        policies (list[str]): The token's scopes (for a session, none: its person's role decides). Example:
            ['credentials:resolve'].
        renewable (bool): Always false: a credvault token is not renewed through Vault's API.
        ttl (int): Seconds until the token expires; 0 when it does not.
        type_ (VaultTokenType): The token's kind, as Vault names it: credvault's API tokens are `service` tokens.
        expire_time (datetime.datetime | None | Unset):
    """

    display_name: str
    id: UUID
    policies: list[str]
    renewable: bool
    ttl: int
    type_: VaultTokenType
    expire_time: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        display_name = self.display_name

        id = str(self.id)

        policies = self.policies

        renewable = self.renewable

        ttl = self.ttl

        type_: str = self.type_

        expire_time: None | str | Unset
        if isinstance(self.expire_time, Unset):
            expire_time = UNSET
        elif isinstance(self.expire_time, datetime.datetime):
            expire_time = self.expire_time.isoformat()
        else:
            expire_time = self.expire_time

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "display_name": display_name,
                "id": id,
                "policies": policies,
                "renewable": renewable,
                "ttl": ttl,
                "type": type_,
            }
        )
        if expire_time is not UNSET:
            field_dict["expire_time"] = expire_time

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        display_name = d.pop("display_name")

        id = UUID(d.pop("id"))

        policies = cast(list[str], d.pop("policies"))

        renewable = d.pop("renewable")

        ttl = d.pop("ttl")

        type_ = check_vault_token_type(d.pop("type"))

        def _parse_expire_time(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expire_time_type_0 = datetime.datetime.fromisoformat(data)

                return expire_time_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expire_time = _parse_expire_time(d.pop("expire_time", UNSET))

        token_info = cls(
            display_name=display_name,
            id=id,
            policies=policies,
            renewable=renewable,
            ttl=ttl,
            type_=type_,
            expire_time=expire_time,
        )

        token_info.additional_properties = d
        return token_info

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
