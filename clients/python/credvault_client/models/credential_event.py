from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.webhook_event_type import WebhookEventType, check_webhook_event_type

if TYPE_CHECKING:
    from ..models.credential_event_data import CredentialEventData


T = TypeVar("T", bound="CredentialEvent")


@_attrs_define
class CredentialEvent:
    """What a webhook receives about a credential (`POST` to its URL, signed per Standard Webhooks).

    Attributes:
        data (CredentialEventData): `data` of a credential event. Carried per type: `status_changed` has `from`, `to`,
            `reason`;
            `expiring` has `expires_at`; `rotation_due` has `rotation_due_at`; `refresh_failed` has
            `error` and `terminal`; `rotated` has `version`.
        timestamp (datetime.datetime): When the event was recorded.
        type_ (WebhookEventType): The type of a delivered event (never `credential.used`).
    """

    data: CredentialEventData
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
        from ..models.credential_event_data import CredentialEventData  # noqa: PLC0415

        d = dict(src_dict)
        data = CredentialEventData.from_dict(d.pop("data"))

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        type_ = check_webhook_event_type(d.pop("type"))

        credential_event = cls(
            data=data,
            timestamp=timestamp,
            type_=type_,
        )

        credential_event.additional_properties = d
        return credential_event

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
