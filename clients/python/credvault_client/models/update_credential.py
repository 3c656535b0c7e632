from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.test_request import TestRequest
    from ..models.update_credential_data_type_0 import UpdateCredentialDataType0


T = TypeVar("T", bound="UpdateCredential")


@_attrs_define
class UpdateCredential:
    """Any create field but `type`; `data` is merged field by field. `null` clears an optional field.

    Attributes:
        data (None | Unset | UpdateCredentialDataType0):
        description (None | str | Unset):
        environment (None | str | Unset):
        expires_at (datetime.datetime | None | Unset):
        name (None | str | Unset):
        rotation_period_days (int | None | Unset):
        secret_fields (list[str] | None | Unset):
        service (None | str | Unset):
        tags (list[str] | None | Unset):
        test (None | TestRequest | Unset):
        type_ (None | str | Unset): Not accepted: the type of a credential cannot change.
    """

    data: None | Unset | UpdateCredentialDataType0 = UNSET
    description: None | str | Unset = UNSET
    environment: None | str | Unset = UNSET
    expires_at: datetime.datetime | None | Unset = UNSET
    name: None | str | Unset = UNSET
    rotation_period_days: int | None | Unset = UNSET
    secret_fields: list[str] | None | Unset = UNSET
    service: None | str | Unset = UNSET
    tags: list[str] | None | Unset = UNSET
    test: None | TestRequest | Unset = UNSET
    type_: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.test_request import TestRequest  # noqa: PLC0415
        from ..models.update_credential_data_type_0 import UpdateCredentialDataType0  # noqa: PLC0415

        data: dict[str, Any] | None | Unset
        if isinstance(self.data, Unset):
            data = UNSET
        elif isinstance(self.data, UpdateCredentialDataType0):
            data = self.data.to_dict()
        else:
            data = self.data

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

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        rotation_period_days: int | None | Unset
        if isinstance(self.rotation_period_days, Unset):
            rotation_period_days = UNSET
        else:
            rotation_period_days = self.rotation_period_days

        secret_fields: list[str] | None | Unset
        if isinstance(self.secret_fields, Unset):
            secret_fields = UNSET
        elif isinstance(self.secret_fields, list):
            secret_fields = self.secret_fields

        else:
            secret_fields = self.secret_fields

        service: None | str | Unset
        if isinstance(self.service, Unset):
            service = UNSET
        else:
            service = self.service

        tags: list[str] | None | Unset
        if isinstance(self.tags, Unset):
            tags = UNSET
        elif isinstance(self.tags, list):
            tags = self.tags

        else:
            tags = self.tags

        test: dict[str, Any] | None | Unset
        if isinstance(self.test, Unset):
            test = UNSET
        elif isinstance(self.test, TestRequest):
            test = self.test.to_dict()
        else:
            test = self.test

        type_: None | str | Unset
        if isinstance(self.type_, Unset):
            type_ = UNSET
        else:
            type_ = self.type_

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
        if type_ is not UNSET:
            field_dict["type"] = type_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.test_request import TestRequest  # noqa: PLC0415
        from ..models.update_credential_data_type_0 import UpdateCredentialDataType0  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_data(data: object) -> None | Unset | UpdateCredentialDataType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                data_type_0 = UpdateCredentialDataType0.from_dict(data)

                return data_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UpdateCredentialDataType0, data)

        data = _parse_data(d.pop("data", UNSET))

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

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_rotation_period_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rotation_period_days = _parse_rotation_period_days(d.pop("rotation_period_days", UNSET))

        def _parse_secret_fields(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                secret_fields_type_0 = cast(list[str], data)

                return secret_fields_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        secret_fields = _parse_secret_fields(d.pop("secret_fields", UNSET))

        def _parse_service(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        service = _parse_service(d.pop("service", UNSET))

        def _parse_tags(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                tags_type_0 = cast(list[str], data)

                return tags_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        tags = _parse_tags(d.pop("tags", UNSET))

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

        def _parse_type_(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        type_ = _parse_type_(d.pop("type", UNSET))

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
            type_=type_,
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
