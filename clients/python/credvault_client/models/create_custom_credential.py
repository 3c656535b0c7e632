from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.create_custom_credential_type import CreateCustomCredentialType, check_create_custom_credential_type
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.custom_data import CustomData
    from ..models.test_request import TestRequest


T = TypeVar("T", bound="CreateCustomCredential")


@_attrs_define
class CreateCustomCredential:
    """
    Attributes:
        name (str):
        service (str): The external service, e.g. `Stripe`.
        data (CustomData): Any fields of string values (at least one). `secret_fields` says which are secret: reads show
            those masked, only resolve gives them in full.
        type_ (CreateCustomCredentialType):
        description (str | Unset):
        environment (str | Unset): e.g. `production`.
        expires_at (datetime.datetime | Unset): In the future. From then on the credential is `expired`.
        rotation_period_days (int | Unset): Rotation is due this many days after the last one (or the creation).
        tags (list[str] | Unset): Each 1 to 64 characters; stored trimmed, lowercased and without duplicates.
        test (TestRequest | Unset): How "test the connection" calls the service with the credential applied.
        secret_fields (list[str] | Unset): Which keys of `data` are secret; without it, all are.
    """

    name: str
    service: str
    data: CustomData
    type_: CreateCustomCredentialType
    description: str | Unset = UNSET
    environment: str | Unset = UNSET
    expires_at: datetime.datetime | Unset = UNSET
    rotation_period_days: int | Unset = UNSET
    tags: list[str] | Unset = UNSET
    test: TestRequest | Unset = UNSET
    secret_fields: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        service = self.service

        data = self.data.to_dict()

        type_: str = self.type_

        description = self.description

        environment = self.environment

        expires_at: str | Unset = UNSET
        if not isinstance(self.expires_at, Unset):
            expires_at = self.expires_at.isoformat()

        rotation_period_days = self.rotation_period_days

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        test: dict[str, Any] | Unset = UNSET
        if not isinstance(self.test, Unset):
            test = self.test.to_dict()

        secret_fields: list[str] | Unset = UNSET
        if not isinstance(self.secret_fields, Unset):
            secret_fields = self.secret_fields

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "service": service,
                "data": data,
                "type": type_,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if environment is not UNSET:
            field_dict["environment"] = environment
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if rotation_period_days is not UNSET:
            field_dict["rotation_period_days"] = rotation_period_days
        if tags is not UNSET:
            field_dict["tags"] = tags
        if test is not UNSET:
            field_dict["test"] = test
        if secret_fields is not UNSET:
            field_dict["secret_fields"] = secret_fields

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.custom_data import CustomData  # noqa: PLC0415
        from ..models.test_request import TestRequest  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        service = d.pop("service")

        data = CustomData.from_dict(d.pop("data"))

        type_ = check_create_custom_credential_type(d.pop("type"))

        description = d.pop("description", UNSET)

        environment = d.pop("environment", UNSET)

        _expires_at = d.pop("expires_at", UNSET)
        expires_at: datetime.datetime | Unset
        if isinstance(_expires_at, Unset):
            expires_at = UNSET
        else:
            expires_at = datetime.datetime.fromisoformat(_expires_at)

        rotation_period_days = d.pop("rotation_period_days", UNSET)

        tags = cast(list[str], d.pop("tags", UNSET))

        _test = d.pop("test", UNSET)
        test: TestRequest | Unset
        if isinstance(_test, Unset):
            test = UNSET
        else:
            test = TestRequest.from_dict(_test)

        secret_fields = cast(list[str], d.pop("secret_fields", UNSET))

        create_custom_credential = cls(
            name=name,
            service=service,
            data=data,
            type_=type_,
            description=description,
            environment=environment,
            expires_at=expires_at,
            rotation_period_days=rotation_period_days,
            tags=tags,
            test=test,
            secret_fields=secret_fields,
        )

        create_custom_credential.additional_properties = d
        return create_custom_credential

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
