from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.sso_role import SsoRole, check_sso_role
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.put_sso_role_map_type_0 import PutSsoRoleMapType0


T = TypeVar("T", bound="PutSso")


@_attrs_define
class PutSso:
    """
    Attributes:
        client_id (str):
        client_secret (str): Stored encrypted; never shown again.
        issuer (str): The provider's issuer URL, exactly as its discovery document names it (https; plain http
            only to a host listed in `CREDVAULT_OUTBOUND_ALLOW`).
        allowed_email_domains (list[str] | None | Unset): Domains whose people, unknown to the workspace, become users
            at their first sign-in.
        default_role (None | SsoRole | Unset):
        enforce (bool | None | Unset): Refuse password sign-in to everyone but owners (default false).
        role_claim (None | str | Unset): An ID token claim (a string or a list of strings) whose value `role_map` maps
            to a role.
        role_map (None | PutSsoRoleMapType0 | Unset): Claim value to role; the highest mapped role wins, else
            `default_role`.
    """

    client_id: str
    client_secret: str
    issuer: str
    allowed_email_domains: list[str] | None | Unset = UNSET
    default_role: None | SsoRole | Unset = UNSET
    enforce: bool | None | Unset = UNSET
    role_claim: None | str | Unset = UNSET
    role_map: None | PutSsoRoleMapType0 | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.put_sso_role_map_type_0 import PutSsoRoleMapType0  # noqa: PLC0415

        client_id = self.client_id

        client_secret = self.client_secret

        issuer = self.issuer

        allowed_email_domains: list[str] | None | Unset
        if isinstance(self.allowed_email_domains, Unset):
            allowed_email_domains = UNSET
        elif isinstance(self.allowed_email_domains, list):
            allowed_email_domains = self.allowed_email_domains

        else:
            allowed_email_domains = self.allowed_email_domains

        default_role: None | str | Unset
        if isinstance(self.default_role, Unset):
            default_role = UNSET
        elif isinstance(self.default_role, str):
            default_role = self.default_role
        else:
            default_role = self.default_role

        enforce: bool | None | Unset
        if isinstance(self.enforce, Unset):
            enforce = UNSET
        else:
            enforce = self.enforce

        role_claim: None | str | Unset
        if isinstance(self.role_claim, Unset):
            role_claim = UNSET
        else:
            role_claim = self.role_claim

        role_map: dict[str, Any] | None | Unset
        if isinstance(self.role_map, Unset):
            role_map = UNSET
        elif isinstance(self.role_map, PutSsoRoleMapType0):
            role_map = self.role_map.to_dict()
        else:
            role_map = self.role_map

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "issuer": issuer,
            }
        )
        if allowed_email_domains is not UNSET:
            field_dict["allowed_email_domains"] = allowed_email_domains
        if default_role is not UNSET:
            field_dict["default_role"] = default_role
        if enforce is not UNSET:
            field_dict["enforce"] = enforce
        if role_claim is not UNSET:
            field_dict["role_claim"] = role_claim
        if role_map is not UNSET:
            field_dict["role_map"] = role_map

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.put_sso_role_map_type_0 import PutSsoRoleMapType0  # noqa: PLC0415

        d = dict(src_dict)
        client_id = d.pop("client_id")

        client_secret = d.pop("client_secret")

        issuer = d.pop("issuer")

        def _parse_allowed_email_domains(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                allowed_email_domains_type_0 = cast(list[str], data)

                return allowed_email_domains_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        allowed_email_domains = _parse_allowed_email_domains(d.pop("allowed_email_domains", UNSET))

        def _parse_default_role(data: object) -> None | SsoRole | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                default_role_type_1 = check_sso_role(data)

                return default_role_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SsoRole | Unset, data)

        default_role = _parse_default_role(d.pop("default_role", UNSET))

        def _parse_enforce(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        enforce = _parse_enforce(d.pop("enforce", UNSET))

        def _parse_role_claim(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        role_claim = _parse_role_claim(d.pop("role_claim", UNSET))

        def _parse_role_map(data: object) -> None | PutSsoRoleMapType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                role_map_type_0 = PutSsoRoleMapType0.from_dict(data)

                return role_map_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PutSsoRoleMapType0 | Unset, data)

        role_map = _parse_role_map(d.pop("role_map", UNSET))

        put_sso = cls(
            client_id=client_id,
            client_secret=client_secret,
            issuer=issuer,
            allowed_email_domains=allowed_email_domains,
            default_role=default_role,
            enforce=enforce,
            role_claim=role_claim,
            role_map=role_map,
        )

        put_sso.additional_properties = d
        return put_sso

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
