from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.kv_metadata_custom_metadata_type_0 import KvMetadataCustomMetadataType0


T = TypeVar("T", bound="KvMetadata")


@_attrs_define
class KvMetadata:
    """A KV version 2 secret's metadata: the credential's current version.

    Attributes:
        created_time (datetime.datetime): When this version was made.
        deletion_time (str): Always empty: a deleted credential is not read (410).
        destroyed (bool): Always false.
        version (int): The credential's current version.
        custom_metadata (KvMetadataCustomMetadataType0 | None | Unset): Always null.
    """

    created_time: datetime.datetime
    deletion_time: str
    destroyed: bool
    version: int
    custom_metadata: KvMetadataCustomMetadataType0 | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.kv_metadata_custom_metadata_type_0 import KvMetadataCustomMetadataType0  # noqa: PLC0415

        created_time = self.created_time.isoformat()

        deletion_time = self.deletion_time

        destroyed = self.destroyed

        version = self.version

        custom_metadata: dict[str, Any] | None | Unset
        if isinstance(self.custom_metadata, Unset):
            custom_metadata = UNSET
        elif isinstance(self.custom_metadata, KvMetadataCustomMetadataType0):
            custom_metadata = self.custom_metadata.to_dict()
        else:
            custom_metadata = self.custom_metadata

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_time": created_time,
                "deletion_time": deletion_time,
                "destroyed": destroyed,
                "version": version,
            }
        )
        if custom_metadata is not UNSET:
            field_dict["custom_metadata"] = custom_metadata

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.kv_metadata_custom_metadata_type_0 import KvMetadataCustomMetadataType0  # noqa: PLC0415

        d = dict(src_dict)
        created_time = datetime.datetime.fromisoformat(d.pop("created_time"))

        deletion_time = d.pop("deletion_time")

        destroyed = d.pop("destroyed")

        version = d.pop("version")

        def _parse_custom_metadata(data: object) -> KvMetadataCustomMetadataType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                custom_metadata_type_0 = KvMetadataCustomMetadataType0.from_dict(data)

                return custom_metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(KvMetadataCustomMetadataType0 | None | Unset, data)

        custom_metadata = _parse_custom_metadata(d.pop("custom_metadata", UNSET))

        kv_metadata = cls(
            created_time=created_time,
            deletion_time=deletion_time,
            destroyed=destroyed,
            version=version,
            custom_metadata=custom_metadata,
        )

        kv_metadata.additional_properties = d
        return kv_metadata

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
