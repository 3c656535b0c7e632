from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.credential_status import CredentialStatus, check_credential_status
from ..models.status_change_reason import StatusChangeReason, check_status_change_reason
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.audit_actor import AuditActor
    from ..models.credential_summary import CredentialSummary
    from ..models.purged_credential import PurgedCredential


T = TypeVar("T", bound="CredentialEventData")


@_attrs_define
class CredentialEventData:
    """`data` of a credential event. Carried per type: `status_changed` has `from`, `to`, `reason`;
    `expiring` has `expires_at`; `rotation_due` has `rotation_due_at`; `refresh_failed` has
    `error` and `terminal`; `rotated` has `version`.

        Attributes:
            actor (AuditActor):
            audit_seq (int):
            workspace_id (UUID):
            credential (CredentialSummary | None | Unset):
            error (None | str | Unset):
            expires_at (datetime.datetime | None | Unset):
            from_ (CredentialStatus | None | Unset):
            purged_credential (None | PurgedCredential | Unset):
            reason (None | StatusChangeReason | Unset):
            rotation_due_at (datetime.datetime | None | Unset):
            terminal (bool | None | Unset):
            to (CredentialStatus | None | Unset):
            version (int | None | Unset):
    """

    actor: AuditActor
    audit_seq: int
    workspace_id: UUID
    credential: CredentialSummary | None | Unset = UNSET
    error: None | str | Unset = UNSET
    expires_at: datetime.datetime | None | Unset = UNSET
    from_: CredentialStatus | None | Unset = UNSET
    purged_credential: None | PurgedCredential | Unset = UNSET
    reason: None | StatusChangeReason | Unset = UNSET
    rotation_due_at: datetime.datetime | None | Unset = UNSET
    terminal: bool | None | Unset = UNSET
    to: CredentialStatus | None | Unset = UNSET
    version: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.credential_summary import CredentialSummary  # noqa: PLC0415
        from ..models.purged_credential import PurgedCredential  # noqa: PLC0415

        actor = self.actor.to_dict()

        audit_seq = self.audit_seq

        workspace_id = str(self.workspace_id)

        credential: dict[str, Any] | None | Unset
        if isinstance(self.credential, Unset):
            credential = UNSET
        elif isinstance(self.credential, CredentialSummary):
            credential = self.credential.to_dict()
        else:
            credential = self.credential

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        expires_at: None | str | Unset
        if isinstance(self.expires_at, Unset):
            expires_at = UNSET
        elif isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        from_: None | str | Unset
        if isinstance(self.from_, Unset):
            from_ = UNSET
        elif isinstance(self.from_, str):
            from_ = self.from_
        else:
            from_ = self.from_

        purged_credential: dict[str, Any] | None | Unset
        if isinstance(self.purged_credential, Unset):
            purged_credential = UNSET
        elif isinstance(self.purged_credential, PurgedCredential):
            purged_credential = self.purged_credential.to_dict()
        else:
            purged_credential = self.purged_credential

        reason: None | str | Unset
        if isinstance(self.reason, Unset):
            reason = UNSET
        elif isinstance(self.reason, str):
            reason = self.reason
        else:
            reason = self.reason

        rotation_due_at: None | str | Unset
        if isinstance(self.rotation_due_at, Unset):
            rotation_due_at = UNSET
        elif isinstance(self.rotation_due_at, datetime.datetime):
            rotation_due_at = self.rotation_due_at.isoformat()
        else:
            rotation_due_at = self.rotation_due_at

        terminal: bool | None | Unset
        if isinstance(self.terminal, Unset):
            terminal = UNSET
        else:
            terminal = self.terminal

        to: None | str | Unset
        if isinstance(self.to, Unset):
            to = UNSET
        elif isinstance(self.to, str):
            to = self.to
        else:
            to = self.to

        version: int | None | Unset
        if isinstance(self.version, Unset):
            version = UNSET
        else:
            version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "actor": actor,
                "audit_seq": audit_seq,
                "workspace_id": workspace_id,
            }
        )
        if credential is not UNSET:
            field_dict["credential"] = credential
        if error is not UNSET:
            field_dict["error"] = error
        if expires_at is not UNSET:
            field_dict["expires_at"] = expires_at
        if from_ is not UNSET:
            field_dict["from"] = from_
        if purged_credential is not UNSET:
            field_dict["purged_credential"] = purged_credential
        if reason is not UNSET:
            field_dict["reason"] = reason
        if rotation_due_at is not UNSET:
            field_dict["rotation_due_at"] = rotation_due_at
        if terminal is not UNSET:
            field_dict["terminal"] = terminal
        if to is not UNSET:
            field_dict["to"] = to
        if version is not UNSET:
            field_dict["version"] = version

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.audit_actor import AuditActor  # noqa: PLC0415
        from ..models.credential_summary import CredentialSummary  # noqa: PLC0415
        from ..models.purged_credential import PurgedCredential  # noqa: PLC0415

        d = dict(src_dict)
        actor = AuditActor.from_dict(d.pop("actor"))

        audit_seq = d.pop("audit_seq")

        workspace_id = UUID(d.pop("workspace_id"))

        def _parse_credential(data: object) -> CredentialSummary | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                credential_type_1 = CredentialSummary.from_dict(data)

                return credential_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CredentialSummary | None | Unset, data)

        credential = _parse_credential(d.pop("credential", UNSET))

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_expires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        expires_at = _parse_expires_at(d.pop("expires_at", UNSET))

        def _parse_from_(data: object) -> CredentialStatus | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                from_type_1 = check_credential_status(data)

                return from_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CredentialStatus | None | Unset, data)

        from_ = _parse_from_(d.pop("from", UNSET))

        def _parse_purged_credential(data: object) -> None | PurgedCredential | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                purged_credential_type_1 = PurgedCredential.from_dict(data)

                return purged_credential_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PurgedCredential | Unset, data)

        purged_credential = _parse_purged_credential(d.pop("purged_credential", UNSET))

        def _parse_reason(data: object) -> None | StatusChangeReason | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                reason_type_1 = check_status_change_reason(data)

                return reason_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StatusChangeReason | Unset, data)

        reason = _parse_reason(d.pop("reason", UNSET))

        def _parse_rotation_due_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                rotation_due_at_type_0 = datetime.datetime.fromisoformat(data)

                return rotation_due_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        rotation_due_at = _parse_rotation_due_at(d.pop("rotation_due_at", UNSET))

        def _parse_terminal(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        terminal = _parse_terminal(d.pop("terminal", UNSET))

        def _parse_to(data: object) -> CredentialStatus | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                to_type_1 = check_credential_status(data)

                return to_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CredentialStatus | None | Unset, data)

        to = _parse_to(d.pop("to", UNSET))

        def _parse_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        version = _parse_version(d.pop("version", UNSET))

        credential_event_data = cls(
            actor=actor,
            audit_seq=audit_seq,
            workspace_id=workspace_id,
            credential=credential,
            error=error,
            expires_at=expires_at,
            from_=from_,
            purged_credential=purged_credential,
            reason=reason,
            rotation_due_at=rotation_due_at,
            terminal=terminal,
            to=to,
            version=version,
        )

        credential_event_data.additional_properties = d
        return credential_event_data

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
