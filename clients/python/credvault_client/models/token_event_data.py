from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.audit_actor import AuditActor
    from ..models.event_token import EventToken


T = TypeVar("T", bound="TokenEventData")


@_attrs_define
class TokenEventData:
    """
    Attributes:
        actor (AuditActor):
        audit_seq (int):
        token (EventToken): The API token an event is about (never its value).
        workspace_id (UUID):
    """

    actor: AuditActor
    audit_seq: int
    token: EventToken
    workspace_id: UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        actor = self.actor.to_dict()

        audit_seq = self.audit_seq

        token = self.token.to_dict()

        workspace_id = str(self.workspace_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "actor": actor,
                "audit_seq": audit_seq,
                "token": token,
                "workspace_id": workspace_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_actor import AuditActor  # noqa: PLC0415
        from ..models.event_token import EventToken  # noqa: PLC0415

        d = dict(src_dict)
        actor = AuditActor.from_dict(d.pop("actor"))

        audit_seq = d.pop("audit_seq")

        token = EventToken.from_dict(d.pop("token"))

        workspace_id = UUID(d.pop("workspace_id"))

        token_event_data = cls(
            actor=actor,
            audit_seq=audit_seq,
            token=token,
            workspace_id=workspace_id,
        )

        token_event_data.additional_properties = d
        return token_event_data

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
