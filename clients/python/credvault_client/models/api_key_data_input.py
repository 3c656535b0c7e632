from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.api_key_data_input_placement import ApiKeyDataInputPlacement, check_api_key_data_input_placement
from ..types import UNSET, Unset

T = TypeVar("T", bound="ApiKeyDataInput")


@_attrs_define
class ApiKeyDataInput:
    """
    Attributes:
        key (str): The API key. Secret: reads show it masked (`••••` and its last 4 characters when it is 12 or longer);
            only resolve gives it in full.
        name (str | Unset): The header or query parameter that carries the key. Default `Authorization`.
        placement (ApiKeyDataInputPlacement | Unset): Where the key goes: a request header or a query parameter. Default
            `header`.
        prefix (str | Unset): Text put before the key, e.g. `Bearer `. Default empty.
    """

    key: str
    name: str | Unset = UNSET
    placement: ApiKeyDataInputPlacement | Unset = UNSET
    prefix: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        name = self.name

        placement: str | Unset = UNSET
        if not isinstance(self.placement, Unset):
            placement = self.placement

        prefix = self.prefix

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "key": key,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if placement is not UNSET:
            field_dict["placement"] = placement
        if prefix is not UNSET:
            field_dict["prefix"] = prefix

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        key = d.pop("key")

        name = d.pop("name", UNSET)

        _placement = d.pop("placement", UNSET)
        placement: ApiKeyDataInputPlacement | Unset
        if isinstance(_placement, Unset):
            placement = UNSET
        else:
            placement = check_api_key_data_input_placement(_placement)

        prefix = d.pop("prefix", UNSET)

        api_key_data_input = cls(
            key=key,
            name=name,
            placement=placement,
            prefix=prefix,
        )

        return api_key_data_input
