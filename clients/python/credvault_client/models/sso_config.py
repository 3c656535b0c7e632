from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.sso_role import SsoRole, check_sso_role
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.sso_config_role_map import SsoConfigRoleMap


T = TypeVar("T", bound="SsoConfig")


@_attrs_define
class SsoConfig:
    """A workspace's single sign-on configuration (its client secret is never shown).

    Attributes:
        allowed_email_domains (list[str]):
        client_id (str):
        default_role (SsoRole): A role single sign-on may give a new user: any but `owner`.
        enforce (bool):
        issuer (str):
        redirect_uri (str): Register this redirect URI with the provider: `CREDVAULT_PUBLIC_URL` +
            `/v1/auth/sso/callback`.
        role_map (SsoConfigRoleMap):
        updated_at (datetime.datetime):
        role_claim (None | str | Unset):
    """

    allowed_email_domains: list[str]
    client_id: str
    default_role: SsoRole
    enforce: bool
    issuer: str
    redirect_uri: str
    role_map: SsoConfigRoleMap
    updated_at: datetime.datetime
    role_claim: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        allowed_email_domains = self.allowed_email_domains

        client_id = self.client_id

        default_role: str = self.default_role

        enforce = self.enforce

        issuer = self.issuer

        redirect_uri = self.redirect_uri

        role_map = self.role_map.to_dict()

        updated_at = self.updated_at.isoformat()

        role_claim: None | str | Unset
        if isinstance(self.role_claim, Unset):
            role_claim = UNSET
        else:
            role_claim = self.role_claim

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "allowed_email_domains": allowed_email_domains,
                "client_id": client_id,
                "default_role": default_role,
                "enforce": enforce,
                "issuer": issuer,
                "redirect_uri": redirect_uri,
                "role_map": role_map,
                "updated_at": updated_at,
            }
        )
        if role_claim is not UNSET:
            field_dict["role_claim"] = role_claim

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.sso_config_role_map import SsoConfigRoleMap  # noqa: PLC0415

        d = dict(src_dict)
        allowed_email_domains = cast(list[str], d.pop("allowed_email_domains"))

        client_id = d.pop("client_id")

        default_role = check_sso_role(d.pop("default_role"))

        enforce = d.pop("enforce")

        issuer = d.pop("issuer")

        redirect_uri = d.pop("redirect_uri")

        role_map = SsoConfigRoleMap.from_dict(d.pop("role_map"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_role_claim(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        role_claim = _parse_role_claim(d.pop("role_claim", UNSET))

        sso_config = cls(
            allowed_email_domains=allowed_email_domains,
            client_id=client_id,
            default_role=default_role,
            enforce=enforce,
            issuer=issuer,
            redirect_uri=redirect_uri,
            role_map=role_map,
            updated_at=updated_at,
            role_claim=role_claim,
        )

        sso_config.additional_properties = d
        return sso_config

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
