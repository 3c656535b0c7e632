from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.share_input import ShareInput


T = TypeVar("T", bound="ReplaceShares")


@_attrs_define
class ReplaceShares:
    """
    Attributes:
        shares (list[ShareInput] | None | Unset):
    """

    shares: list[ShareInput] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        shares: list[dict[str, Any]] | None | Unset
        if isinstance(self.shares, Unset):
            shares = UNSET
        elif isinstance(self.shares, list):
            shares = []
            for shares_type_0_item_data in self.shares:
                shares_type_0_item = shares_type_0_item_data.to_dict()
                shares.append(shares_type_0_item)

        else:
            shares = self.shares

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if shares is not UNSET:
            field_dict["shares"] = shares

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.share_input import ShareInput  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_shares(data: object) -> list[ShareInput] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                shares_type_0 = []
                _shares_type_0 = data
                for shares_type_0_item_data in _shares_type_0:
                    shares_type_0_item = ShareInput.from_dict(shares_type_0_item_data)

                    shares_type_0.append(shares_type_0_item)

                return shares_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[ShareInput] | None | Unset, data)

        shares = _parse_shares(d.pop("shares", UNSET))

        replace_shares = cls(
            shares=shares,
        )

        replace_shares.additional_properties = d
        return replace_shares

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
