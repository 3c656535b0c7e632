from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.webhook_event_type import WebhookEventType, check_webhook_event_type

if TYPE_CHECKING:
    from ..models.token_event_data import TokenEventData


T = TypeVar("T", bound="TokenEvent")


@_attrs_define
class TokenEvent:
    """What a webhook receives about an API token.

    Attributes:
        data (TokenEventData):
        timestamp (datetime.datetime):
        type_ (WebhookEventType): The type of a delivered event (never `credential.used`).
    """

    data: TokenEventData
    timestamp: datetime.datetime
    type_: WebhookEventType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data.to_dict()

        timestamp = self.timestamp.isoformat()

        type_: str = self.type_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "timestamp": timestamp,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.token_event_data import TokenEventData  # noqa: PLC0415

        d = dict(src_dict)
        data = TokenEventData.from_dict(d.pop("data"))

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        type_ = check_webhook_event_type(d.pop("type"))

        token_event = cls(
            data=data,
            timestamp=timestamp,
            type_=type_,
        )

        token_event.additional_properties = d
        return token_event

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
