from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.credential_data_patch import CredentialDataPatch
    from ..models.test_request import TestRequest


T = TypeVar("T", bound="UpdateCredential")


@_attrs_define
class UpdateCredential:
    """Any create field but `type` (sending it is a 422: a credential's type cannot change); `data` is
    merged field by field. `null` clears an optional field.

        Attributes:
            data (CredentialDataPatch | Unset): The fields of `data` to change, merged into the stored ones (an absent field
                keeps its value, `null` removes an optional one): for the fixed types, fields of that type (`scopes` is a list
                of strings, the rest strings); for `custom`, string values. A change of a secret field makes a new version.
            description (None | str | Unset):
            environment (None | str | Unset):
            expires_at (datetime.datetime | None | Unset):
            name (str | Unset):
            rotation_period_days (int | None | Unset):
            secret_fields (list[str] | Unset): For `custom`: the secret keys of `data` after the change (all of them are re-
                split).
            service (str | Unset):
            tags (list[str] | Unset):
            test (None | TestRequest | Unset):
    """

    data: CredentialDataPatch | Unset = UNSET
    description: None | str | Unset = UNSET
    environment: None | str | Unset = UNSET
    expires_at: datetime.datetime | None | Unset = UNSET
    name: str | Unset = UNSET
    rotation_period_days: int | None | Unset = UNSET
    secret_fields: list[str] | Unset = UNSET
    service: str | Unset = UNSET
    tags: list[str] | Unset = UNSET
    test: None | TestRequest | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.test_request import TestRequest  # noqa: PLC0415

        data: dict[str, Any] | Unset = UNSET
        if not isinstance(self.data, Unset):
            data = self.data.to_dict()

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        environment: None | str | Unset
        if isinstance(self.environment, Unset):
            environment = UNSET
        else:
            environment = self.environment

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        name = self.name

        rotation_period_days: int | None | Unset
        if isinstance(self.rotation_period_days, Unset):
            rotation_period_days = UNSET
        else:
            rotation_period_days = self.rotation_period_days

        secret_fields: list[str] | Unset = UNSET
        if not isinstance(self.secret_fields, Unset):
            secret_fields = self.secret_fields

        service = self.service

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        test: dict[str, Any] | None | Unset
        if isinstance(self.test, Unset):
            test = UNSET
        elif isinstance(self.test, TestRequest):
            test = self.test.to_dict()
        else:
            test = self.test

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if data is not UNSET:
            field_dict["data"] = data
        if description is not UNSET:
            field_dict["description"] = description
        if environment is not UNSET:
            field_dict["environment"] = environment
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if name is not UNSET:
            field_dict["name"] = name
        if rotation_period_days is not UNSET:
            field_dict["rotation_period_days"] = rotation_period_days
        if secret_fields is not UNSET:
            field_dict["secret_fields"] = secret_fields
        if service is not UNSET:
            field_dict["service"] = service
        if tags is not UNSET:
            field_dict["tags"] = tags
        if test is not UNSET:
            field_dict["test"] = test

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.credential_data_patch import CredentialDataPatch  # noqa: PLC0415
        from ..models.test_request import TestRequest  # noqa: PLC0415

        d = dict(src_dict)
        _data = d.pop("data", UNSET)
        data: CredentialDataPatch | Unset
        if isinstance(_data, Unset):
            data = UNSET
        else:
            data = CredentialDataPatch.from_dict(_data)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_environment(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        environment = _parse_environment(d.pop("environment", UNSET))

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

        name = d.pop("name", UNSET)

        def _parse_rotation_period_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rotation_period_days = _parse_rotation_period_days(d.pop("rotation_period_days", UNSET))

        secret_fields = cast(list[str], d.pop("secret_fields", UNSET))

        service = d.pop("service", UNSET)

        tags = cast(list[str], d.pop("tags", UNSET))

        def _parse_test(data: object) -> None | TestRequest | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                test_type_1 = TestRequest.from_dict(data)

                return test_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TestRequest | Unset, data)

        test = _parse_test(d.pop("test", UNSET))

        update_credential = cls(
            data=data,
            description=description,
            environment=environment,
            expires_at=expires_at,
            name=name,
            rotation_period_days=rotation_period_days,
            secret_fields=secret_fields,
            service=service,
            tags=tags,
            test=test,
        )

        update_credential.additional_properties = d
        return update_credential

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
