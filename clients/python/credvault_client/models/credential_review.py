from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.credential_summary import CredentialSummary


T = TypeVar("T", bound="CredentialReview")


@_attrs_define
class CredentialReview:
    """
    Attributes:
        broadly_shared (list[CredentialSummary]): Shared with the whole workspace at `manage`.
        expiring_soon (list[CredentialSummary]):
        in_error (list[CredentialSummary]):
        orphaned (list[CredentialSummary]): Owned by a disabled user.
        rotation_overdue (list[CredentialSummary]):
        unused (list[CredentialSummary]):
    """

    broadly_shared: list[CredentialSummary]
    expiring_soon: list[CredentialSummary]
    in_error: list[CredentialSummary]
    orphaned: list[CredentialSummary]
    rotation_overdue: list[CredentialSummary]
    unused: list[CredentialSummary]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        broadly_shared = []
        for broadly_shared_item_data in self.broadly_shared:
            broadly_shared_item = broadly_shared_item_data.to_dict()
            broadly_shared.append(broadly_shared_item)

        expiring_soon = []
        for expiring_soon_item_data in self.expiring_soon:
            expiring_soon_item = expiring_soon_item_data.to_dict()
            expiring_soon.append(expiring_soon_item)

        in_error = []
        for in_error_item_data in self.in_error:
            in_error_item = in_error_item_data.to_dict()
            in_error.append(in_error_item)

        orphaned = []
        for orphaned_item_data in self.orphaned:
            orphaned_item = orphaned_item_data.to_dict()
            orphaned.append(orphaned_item)

        rotation_overdue = []
        for rotation_overdue_item_data in self.rotation_overdue:
            rotation_overdue_item = rotation_overdue_item_data.to_dict()
            rotation_overdue.append(rotation_overdue_item)

        unused = []
        for unused_item_data in self.unused:
            unused_item = unused_item_data.to_dict()
            unused.append(unused_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "broadly_shared": broadly_shared,
                "expiring_soon": expiring_soon,
                "in_error": in_error,
                "orphaned": orphaned,
                "rotation_overdue": rotation_overdue,
                "unused": unused,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.credential_summary import CredentialSummary  # noqa: PLC0415

        d = dict(src_dict)
        broadly_shared = []
        _broadly_shared = d.pop("broadly_shared")
        for broadly_shared_item_data in _broadly_shared:
            broadly_shared_item = CredentialSummary.from_dict(broadly_shared_item_data)

            broadly_shared.append(broadly_shared_item)

        expiring_soon = []
        _expiring_soon = d.pop("expiring_soon")
        for expiring_soon_item_data in _expiring_soon:
            expiring_soon_item = CredentialSummary.from_dict(expiring_soon_item_data)

            expiring_soon.append(expiring_soon_item)

        in_error = []
        _in_error = d.pop("in_error")
        for in_error_item_data in _in_error:
            in_error_item = CredentialSummary.from_dict(in_error_item_data)

            in_error.append(in_error_item)

        orphaned = []
        _orphaned = d.pop("orphaned")
        for orphaned_item_data in _orphaned:
            orphaned_item = CredentialSummary.from_dict(orphaned_item_data)

            orphaned.append(orphaned_item)

        rotation_overdue = []
        _rotation_overdue = d.pop("rotation_overdue")
        for rotation_overdue_item_data in _rotation_overdue:
            rotation_overdue_item = CredentialSummary.from_dict(rotation_overdue_item_data)

            rotation_overdue.append(rotation_overdue_item)

        unused = []
        _unused = d.pop("unused")
        for unused_item_data in _unused:
            unused_item = CredentialSummary.from_dict(unused_item_data)

            unused.append(unused_item)

        credential_review = cls(
            broadly_shared=broadly_shared,
            expiring_soon=expiring_soon,
            in_error=in_error,
            orphaned=orphaned,
            rotation_overdue=rotation_overdue,
            unused=unused,
        )

        credential_review.additional_properties = d
        return credential_review

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
