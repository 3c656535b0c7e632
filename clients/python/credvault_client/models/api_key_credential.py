from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.api_key_credential_type import ApiKeyCredentialType, check_api_key_credential_type
from ..models.credential_status import CredentialStatus, check_credential_status
from ..models.effective_access import EffectiveAccess, check_effective_access
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.api_key_data import ApiKeyData
    from ..models.connected_workflow import ConnectedWorkflow
    from ..models.owner_ref import OwnerRef
    from ..models.share import Share
    from ..models.test_request import TestRequest
    from ..models.usage import Usage


T = TypeVar("T", bound="ApiKeyCredential")


@_attrs_define
class ApiKeyCredential:
    """
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
        type_ (ApiKeyCredentialType): What kind of secret a credential holds; it fixes the shape of `data`.
        updated_at (datetime.datetime):
        version (int): The current secret version.
        environment (None | str | Unset):
        last_used_at (datetime.datetime | None | Unset):
        connected_workflows (list[ConnectedWorkflow] | Unset): Workflows that declare this credential.
        description (None | str | Unset):
        expires_at (datetime.datetime | None | Unset):
        rotated_at (datetime.datetime | None | Unset): Null until the first rotation.
        rotation_due_at (datetime.datetime | None | Unset): `rotated_at` (or else `created_at`) plus the period.
        rotation_period_days (int | None | Unset):
        secret_fields (list[str] | None | Unset): For `custom`: the secret keys of `data`, sorted; null for the other
            types, whose secret
            fields are fixed.
        shares (list[Share] | Unset):
        status_detail (None | str | Unset): Why the status is what it is (a failed test or refresh).
        test (None | TestRequest | Unset):
        usage (Usage | Unset):
        data (ApiKeyData | Unset):
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
    type_: ApiKeyCredentialType
    updated_at: datetime.datetime
    version: int
    environment: None | str | Unset = UNSET
    last_used_at: datetime.datetime | None | Unset = UNSET
    connected_workflows: list[ConnectedWorkflow] | Unset = UNSET
    description: None | str | Unset = UNSET
    expires_at: datetime.datetime | None | Unset = UNSET
    rotated_at: datetime.datetime | None | Unset = UNSET
    rotation_due_at: datetime.datetime | None | Unset = UNSET
    rotation_period_days: int | None | Unset = UNSET
    secret_fields: list[str] | None | Unset = UNSET
    shares: list[Share] | Unset = UNSET
    status_detail: None | str | Unset = UNSET
    test: None | TestRequest | Unset = UNSET
    usage: Usage | Unset = UNSET
    data: ApiKeyData | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.test_request import TestRequest  # noqa: PLC0415

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

        connected_workflows: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.connected_workflows, Unset):
            connected_workflows = []
            for connected_workflows_item_data in self.connected_workflows:
                connected_workflows_item = connected_workflows_item_data.to_dict()
                connected_workflows.append(connected_workflows_item)

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        rotated_at: None | str | Unset
        if isinstance(self.rotated_at, Unset):
            rotated_at = UNSET
        elif isinstance(self.rotated_at, datetime.datetime):
            rotated_at = self.rotated_at.isoformat()
        else:
            rotated_at = self.rotated_at

        rotation_due_at: None | str | Unset
        if isinstance(self.rotation_due_at, Unset):
            rotation_due_at = UNSET
        elif isinstance(self.rotation_due_at, datetime.datetime):
            rotation_due_at = self.rotation_due_at.isoformat()
        else:
            rotation_due_at = self.rotation_due_at

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

        shares: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.shares, Unset):
            shares = []
            for shares_item_data in self.shares:
                shares_item = shares_item_data.to_dict()
                shares.append(shares_item)

        status_detail: None | str | Unset
        if isinstance(self.status_detail, Unset):
            status_detail = UNSET
        else:
            status_detail = self.status_detail

        test: dict[str, Any] | None | Unset
        if isinstance(self.test, Unset):
            test = UNSET
        elif isinstance(self.test, TestRequest):
            test = self.test.to_dict()
        else:
            test = self.test

        usage: dict[str, Any] | Unset = UNSET
        if not isinstance(self.usage, Unset):
            usage = self.usage.to_dict()

        data: dict[str, Any] | Unset = UNSET
        if not isinstance(self.data, Unset):
            data = self.data.to_dict()

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
        if connected_workflows is not UNSET:
            field_dict["connected_workflows"] = connected_workflows
        if description is not UNSET:
            field_dict["description"] = description
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if rotated_at is not UNSET:
            field_dict["rotated_at"] = rotated_at
        if rotation_due_at is not UNSET:
            field_dict["rotation_due_at"] = rotation_due_at
        if rotation_period_days is not UNSET:
            field_dict["rotation_period_days"] = rotation_period_days
        if secret_fields is not UNSET:
            field_dict["secret_fields"] = secret_fields
        if shares is not UNSET:
            field_dict["shares"] = shares
        if status_detail is not UNSET:
            field_dict["status_detail"] = status_detail
        if test is not UNSET:
            field_dict["test"] = test
        if usage is not UNSET:
            field_dict["usage"] = usage
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.api_key_data import ApiKeyData  # noqa: PLC0415
        from ..models.connected_workflow import ConnectedWorkflow  # noqa: PLC0415
        from ..models.owner_ref import OwnerRef  # noqa: PLC0415
        from ..models.share import Share  # noqa: PLC0415
        from ..models.test_request import TestRequest  # noqa: PLC0415
        from ..models.usage import Usage  # noqa: PLC0415

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

        type_ = check_api_key_credential_type(d.pop("type"))

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

        _connected_workflows = d.pop("connected_workflows", UNSET)
        connected_workflows: list[ConnectedWorkflow] | Unset = UNSET
        if _connected_workflows is not UNSET:
            connected_workflows = []
            for connected_workflows_item_data in _connected_workflows:
                connected_workflows_item = ConnectedWorkflow.from_dict(connected_workflows_item_data)

                connected_workflows.append(connected_workflows_item)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

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

        def _parse_rotated_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                rotated_at_type_0 = datetime.datetime.fromisoformat(data)

                return rotated_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        rotated_at = _parse_rotated_at(d.pop("rotated_at", UNSET))

        def _parse_rotation_due_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                rotation_due_at_type_0 = datetime.datetime.fromisoformat(data)

                return rotation_due_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        rotation_due_at = _parse_rotation_due_at(d.pop("rotation_due_at", UNSET))

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

        _shares = d.pop("shares", UNSET)
        shares: list[Share] | Unset = UNSET
        if _shares is not UNSET:
            shares = []
            for shares_item_data in _shares:
                shares_item = Share.from_dict(shares_item_data)

                shares.append(shares_item)

        def _parse_status_detail(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        status_detail = _parse_status_detail(d.pop("status_detail", UNSET))

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

        _usage = d.pop("usage", UNSET)
        usage: Usage | Unset
        if isinstance(_usage, Unset):
            usage = UNSET
        else:
            usage = Usage.from_dict(_usage)

        _data = d.pop("data", UNSET)
        data: ApiKeyData | Unset
        if isinstance(_data, Unset):
            data = UNSET
        else:
            data = ApiKeyData.from_dict(_data)

        api_key_credential = cls(
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
            connected_workflows=connected_workflows,
            description=description,
            expires_at=expires_at,
            rotated_at=rotated_at,
            rotation_due_at=rotation_due_at,
            rotation_period_days=rotation_period_days,
            secret_fields=secret_fields,
            shares=shares,
            status_detail=status_detail,
            test=test,
            usage=usage,
            data=data,
        )

        api_key_credential.additional_properties = d
        return api_key_credential

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
