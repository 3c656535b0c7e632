from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AuditCheckpoint")


@_attrs_define
class AuditCheckpoint:
    """The chain head, signed: `signature` is base64 of the Ed25519 signature over the UTF-8 bytes
    of `credvault-audit-checkpoint:v1:{workspace_id}:{seq}:{hash}:{at}`, with `at` exactly as here.

        Attributes:
            at (str): The head event's time, RFC 3339 with microseconds. Example: 2025-03-04T05:06:07.123456Z.
            hash_ (str): The head's hash, hex. Example: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.
            seq (int): The head's seq (0 before the first event). Example: 42.
            signature (str): Base64 of the 64-byte Ed25519 signature.
            workspace_id (UUID):
    """

    at: str
    hash_: str
    seq: int
    signature: str
    workspace_id: UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at

        hash_ = self.hash_

        seq = self.seq

        signature = self.signature

        workspace_id = str(self.workspace_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "hash": hash_,
                "seq": seq,
                "signature": signature,
                "workspace_id": workspace_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        at = d.pop("at")

        hash_ = d.pop("hash")

        seq = d.pop("seq")

        signature = d.pop("signature")

        workspace_id = UUID(d.pop("workspace_id"))

        audit_checkpoint = cls(
            at=at,
            hash_=hash_,
            seq=seq,
            signature=signature,
            workspace_id=workspace_id,
        )

        audit_checkpoint.additional_properties = d
        return audit_checkpoint

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
