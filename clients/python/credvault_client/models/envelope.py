from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.envelope_auth_type_0 import EnvelopeAuthType0
    from ..models.envelope_wrap_info_type_0 import EnvelopeWrapInfoType0


T = TypeVar("T", bound="Envelope")


@_attrs_define
class Envelope:
    """What Vault puts around every answer's `data`; credvault hands out no leases.

    Attributes:
        lease_duration (int): Always 0.
        lease_id (str): Always empty: nothing is leased.
        renewable (bool): Always false.
        request_id (str): This request's id (its `X-Request-Id`).
        auth (EnvelopeAuthType0 | None | Unset): Always null.
        warnings (list[str] | None | Unset): Always null.
        wrap_info (EnvelopeWrapInfoType0 | None | Unset): Always null: nothing is response-wrapped.
    """

    lease_duration: int
    lease_id: str
    renewable: bool
    request_id: str
    auth: EnvelopeAuthType0 | None | Unset = UNSET
    warnings: list[str] | None | Unset = UNSET
    wrap_info: EnvelopeWrapInfoType0 | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.envelope_auth_type_0 import EnvelopeAuthType0  # noqa: PLC0415
        from ..models.envelope_wrap_info_type_0 import EnvelopeWrapInfoType0  # noqa: PLC0415

        lease_duration = self.lease_duration

        lease_id = self.lease_id

        renewable = self.renewable

        request_id = self.request_id

        auth: dict[str, Any] | None | Unset
        if isinstance(self.auth, Unset):
            auth = UNSET
        elif isinstance(self.auth, EnvelopeAuthType0):
            auth = self.auth.to_dict()
        else:
            auth = self.auth

        warnings: list[str] | None | Unset
        if isinstance(self.warnings, Unset):
            warnings = UNSET
        elif isinstance(self.warnings, list):
            warnings = self.warnings

        else:
            warnings = self.warnings

        wrap_info: dict[str, Any] | None | Unset
        if isinstance(self.wrap_info, Unset):
            wrap_info = UNSET
        elif isinstance(self.wrap_info, EnvelopeWrapInfoType0):
            wrap_info = self.wrap_info.to_dict()
        else:
            wrap_info = self.wrap_info

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "lease_duration": lease_duration,
                "lease_id": lease_id,
                "renewable": renewable,
                "request_id": request_id,
            }
        )
        if auth is not UNSET:
            field_dict["auth"] = auth
        if warnings is not UNSET:
            field_dict["warnings"] = warnings
        if wrap_info is not UNSET:
            field_dict["wrap_info"] = wrap_info

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.envelope_auth_type_0 import EnvelopeAuthType0  # noqa: PLC0415
        from ..models.envelope_wrap_info_type_0 import EnvelopeWrapInfoType0  # noqa: PLC0415

        d = dict(src_dict)
        lease_duration = d.pop("lease_duration")

        lease_id = d.pop("lease_id")

        renewable = d.pop("renewable")

        request_id = d.pop("request_id")

        def _parse_auth(data: object) -> EnvelopeAuthType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                auth_type_0 = EnvelopeAuthType0.from_dict(data)

                return auth_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EnvelopeAuthType0 | None | Unset, data)

        auth = _parse_auth(d.pop("auth", UNSET))

        def _parse_warnings(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                warnings_type_0 = cast(list[str], data)

                return warnings_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        warnings = _parse_warnings(d.pop("warnings", UNSET))

        def _parse_wrap_info(data: object) -> EnvelopeWrapInfoType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                wrap_info_type_0 = EnvelopeWrapInfoType0.from_dict(data)

                return wrap_info_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EnvelopeWrapInfoType0 | None | Unset, data)

        wrap_info = _parse_wrap_info(d.pop("wrap_info", UNSET))

        envelope = cls(
            lease_duration=lease_duration,
            lease_id=lease_id,
            renewable=renewable,
            request_id=request_id,
            auth=auth,
            warnings=warnings,
            wrap_info=wrap_info,
        )

        envelope.additional_properties = d
        return envelope

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
