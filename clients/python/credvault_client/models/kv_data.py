from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.kv_data_data import KvDataData
    from ..models.kv_metadata import KvMetadata


T = TypeVar("T", bound="KvData")


@_attrs_define
class KvData:
    """A KV version 2 read's `data`.

    Attributes:
        data (KvDataData): Every field of the credential in full (an oauth2 access token refreshed first when due).
        metadata (KvMetadata): A KV version 2 secret's metadata: the credential's current version.
    """

    data: KvDataData
    metadata: KvMetadata
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data.to_dict()

        metadata = self.metadata.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "metadata": metadata,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.kv_data_data import KvDataData  # noqa: PLC0415
        from ..models.kv_metadata import KvMetadata  # noqa: PLC0415

        d = dict(src_dict)
        data = KvDataData.from_dict(d.pop("data"))

        metadata = KvMetadata.from_dict(d.pop("metadata"))

        kv_data = cls(
            data=data,
            metadata=metadata,
        )

        kv_data.additional_properties = d
        return kv_data

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
