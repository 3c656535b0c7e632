from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.audit_event import AuditEvent
    from ..models.exported_session import ExportedSession
    from ..models.exported_token import ExportedToken
    from ..models.owned_credential import OwnedCredential
    from ..models.user import User


T = TypeVar("T", bound="Export")


@_attrs_define
class Export:
    """Everything credvault stores about you.

    Attributes:
        audit_events (list[AuditEvent]): Audit events where you (or one of your tokens) are the actor, oldest first.
        credentials (list[OwnedCredential]):
        exported_at (datetime.datetime):
        profile (User): A person in a workspace.
        sessions (list[ExportedSession]):
        tokens (list[ExportedToken]):
    """

    audit_events: list[AuditEvent]
    credentials: list[OwnedCredential]
    exported_at: datetime.datetime
    profile: User
    sessions: list[ExportedSession]
    tokens: list[ExportedToken]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        audit_events = []
        for audit_events_item_data in self.audit_events:
            audit_events_item = audit_events_item_data.to_dict()
            audit_events.append(audit_events_item)

        credentials = []
        for credentials_item_data in self.credentials:
            credentials_item = credentials_item_data.to_dict()
            credentials.append(credentials_item)

        exported_at = self.exported_at.isoformat()

        profile = self.profile.to_dict()

        sessions = []
        for sessions_item_data in self.sessions:
            sessions_item = sessions_item_data.to_dict()
            sessions.append(sessions_item)

        tokens = []
        for tokens_item_data in self.tokens:
            tokens_item = tokens_item_data.to_dict()
            tokens.append(tokens_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "audit_events": audit_events,
                "credentials": credentials,
                "exported_at": exported_at,
                "profile": profile,
                "sessions": sessions,
                "tokens": tokens,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_event import AuditEvent  # noqa: PLC0415
        from ..models.exported_session import ExportedSession  # noqa: PLC0415
        from ..models.exported_token import ExportedToken  # noqa: PLC0415
        from ..models.owned_credential import OwnedCredential  # noqa: PLC0415
        from ..models.user import User  # noqa: PLC0415

        d = dict(src_dict)
        audit_events = []
        _audit_events = d.pop("audit_events")
        for audit_events_item_data in _audit_events:
            audit_events_item = AuditEvent.from_dict(audit_events_item_data)

            audit_events.append(audit_events_item)

        credentials = []
        _credentials = d.pop("credentials")
        for credentials_item_data in _credentials:
            credentials_item = OwnedCredential.from_dict(credentials_item_data)

            credentials.append(credentials_item)

        exported_at = datetime.datetime.fromisoformat(d.pop("exported_at"))

        profile = User.from_dict(d.pop("profile"))

        sessions = []
        _sessions = d.pop("sessions")
        for sessions_item_data in _sessions:
            sessions_item = ExportedSession.from_dict(sessions_item_data)

            sessions.append(sessions_item)

        tokens = []
        _tokens = d.pop("tokens")
        for tokens_item_data in _tokens:
            tokens_item = ExportedToken.from_dict(tokens_item_data)

            tokens.append(tokens_item)

        export = cls(
            audit_events=audit_events,
            credentials=credentials,
            exported_at=exported_at,
            profile=profile,
            sessions=sessions,
            tokens=tokens,
        )

        export.additional_properties = d
        return export

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
