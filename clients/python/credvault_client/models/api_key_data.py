from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.api_key_data_placement import ApiKeyDataPlacement, check_api_key_data_placement

T = TypeVar("T", bound="ApiKeyData")


@_attrs_define
class ApiKeyData:
    """
    Attributes:
        key (str): The API key. Secret: reads show it masked (`••••` and its last 4 characters when it is 12 or longer);
            only resolve gives it in full.
        name (str): The header or query parameter that carries the key.
        placement (ApiKeyDataPlacement): Where the key goes: a request header or a query parameter.
        prefix (str): Text put before the key, e.g. `Bearer `.
    """

    key: str
    name: str
    placement: ApiKeyDataPlacement
    prefix: str

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        name = self.name

        placement: str = self.placement

        prefix = self.prefix

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "key": key,
                "name": name,
                "placement": placement,
                "prefix": prefix,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        key = d.pop("key")

        name = d.pop("name")

        placement = check_api_key_data_placement(d.pop("placement"))

        prefix = d.pop("prefix")

        api_key_data = cls(
            key=key,
            name=name,
            placement=placement,
            prefix=prefix,
        )

        return api_key_data
