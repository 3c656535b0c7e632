from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.audit_outcome import AuditOutcome, check_audit_outcome
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.audit_actor import AuditActor
    from ..models.audit_event_details import AuditEventDetails
    from ..models.audit_target import AuditTarget


T = TypeVar("T", bound="AuditEvent")


@_attrs_define
class AuditEvent:
    """One audit event; `hash` = SHA-256(`prev_hash` ‖ canonical event), hex.

    Attributes:
        action (str):
        actor (AuditActor):
        at (datetime.datetime):
        details (AuditEventDetails):
        hash_ (str):
        id (UUID):
        outcome (AuditOutcome): How an audited attempt ended.
        prev_hash (str):
        seq (int):
        target (AuditTarget):
        ip (None | str | Unset):
        request_id (None | str | Unset):
        user_agent (None | str | Unset):
    """

    action: str
    actor: AuditActor
    at: datetime.datetime
    details: AuditEventDetails
    hash_: str
    id: UUID
    outcome: AuditOutcome
    prev_hash: str
    seq: int
    target: AuditTarget
    ip: None | str | Unset = UNSET
    request_id: None | str | Unset = UNSET
    user_agent: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        action = self.action

        actor = self.actor.to_dict()

        at = self.at.isoformat()

        details = self.details.to_dict()

        hash_ = self.hash_

        id = str(self.id)

        outcome: str = self.outcome

        prev_hash = self.prev_hash

        seq = self.seq

        target = self.target.to_dict()

        ip: None | str | Unset
        if isinstance(self.ip, Unset):
            ip = UNSET
        else:
            ip = self.ip

        request_id: None | str | Unset
        if isinstance(self.request_id, Unset):
            request_id = UNSET
        else:
            request_id = self.request_id

        user_agent: None | str | Unset
        if isinstance(self.user_agent, Unset):
            user_agent = UNSET
        else:
            user_agent = self.user_agent

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "actor": actor,
                "at": at,
                "details": details,
                "hash": hash_,
                "id": id,
                "outcome": outcome,
                "prev_hash": prev_hash,
                "seq": seq,
                "target": target,
            }
        )
        if ip is not UNSET:
            field_dict["ip"] = ip
        if request_id is not UNSET:
            field_dict["request_id"] = request_id
        if user_agent is not UNSET:
            field_dict["user_agent"] = user_agent

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_actor import AuditActor  # noqa: PLC0415
        from ..models.audit_event_details import AuditEventDetails  # noqa: PLC0415
        from ..models.audit_target import AuditTarget  # noqa: PLC0415

        d = dict(src_dict)
        action = d.pop("action")

        actor = AuditActor.from_dict(d.pop("actor"))

        at = datetime.datetime.fromisoformat(d.pop("at"))

        details = AuditEventDetails.from_dict(d.pop("details"))

        hash_ = d.pop("hash")

        id = UUID(d.pop("id"))

        outcome = check_audit_outcome(d.pop("outcome"))

        prev_hash = d.pop("prev_hash")

        seq = d.pop("seq")

        target = AuditTarget.from_dict(d.pop("target"))

        def _parse_ip(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ip = _parse_ip(d.pop("ip", UNSET))

        def _parse_request_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        request_id = _parse_request_id(d.pop("request_id", UNSET))

        def _parse_user_agent(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        user_agent = _parse_user_agent(d.pop("user_agent", UNSET))

        audit_event = cls(
            action=action,
            actor=actor,
            at=at,
            details=details,
            hash_=hash_,
            id=id,
            outcome=outcome,
            prev_hash=prev_hash,
            seq=seq,
            target=target,
            ip=ip,
            request_id=request_id,
            user_agent=user_agent,
        )

        audit_event.additional_properties = d
        return audit_event

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
