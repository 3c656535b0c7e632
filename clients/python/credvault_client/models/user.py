from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.role import Role, check_role

if TYPE_CHECKING:
    from ..models.team_ref import TeamRef


T = TypeVar("T", bound="User")


@_attrs_define
class User:
    """A person in a workspace.

    Attributes:
        created_at (datetime.datetime):
        disabled (bool):
        display_name (str):
        email (str):
        id (UUID):
        role (Role): A workspace role.
        teams (list[TeamRef]):
        workspace_id (UUID):
    """

    created_at: datetime.datetime
    disabled: bool
    display_name: str
    email: str
    id: UUID
    role: Role
    teams: list[TeamRef]
    workspace_id: UUID
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        disabled = self.disabled

        display_name = self.display_name

        email = self.email

        id = str(self.id)

        role: str = self.role

        teams = []
        for teams_item_data in self.teams:
            teams_item = teams_item_data.to_dict()
            teams.append(teams_item)

        workspace_id = str(self.workspace_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "disabled": disabled,
                "display_name": display_name,
                "email": email,
                "id": id,
                "role": role,
                "teams": teams,
                "workspace_id": workspace_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.team_ref import TeamRef  # noqa: PLC0415

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        disabled = d.pop("disabled")

        display_name = d.pop("display_name")

        email = d.pop("email")

        id = UUID(d.pop("id"))

        role = check_role(d.pop("role"))

        teams = []
        _teams = d.pop("teams")
        for teams_item_data in _teams:
            teams_item = TeamRef.from_dict(teams_item_data)

            teams.append(teams_item)

        workspace_id = UUID(d.pop("workspace_id"))

        user = cls(
            created_at=created_at,
            disabled=disabled,
            display_name=display_name,
            email=email,
            id=id,
            role=role,
            teams=teams,
            workspace_id=workspace_id,
        )

        user.additional_properties = d
        return user

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
