from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.token_pair import TokenPair
    from ..models.user import User
    from ..models.workspace_ref import WorkspaceRef


T = TypeVar("T", bound="SignupResponse")


@_attrs_define
class SignupResponse:
    """
    Attributes:
        tokens (TokenPair): A session's tokens: a 15-minute access token and a single-use refresh token.
        user (User): A person in a workspace.
        workspace (WorkspaceRef):
    """

    tokens: TokenPair
    user: User
    workspace: WorkspaceRef
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        tokens = self.tokens.to_dict()

        user = self.user.to_dict()

        workspace = self.workspace.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "tokens": tokens,
                "user": user,
                "workspace": workspace,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.token_pair import TokenPair  # noqa: PLC0415
        from ..models.user import User  # noqa: PLC0415
        from ..models.workspace_ref import WorkspaceRef  # noqa: PLC0415

        d = dict(src_dict)
        tokens = TokenPair.from_dict(d.pop("tokens"))

        user = User.from_dict(d.pop("user"))

        workspace = WorkspaceRef.from_dict(d.pop("workspace"))

        signup_response = cls(
            tokens=tokens,
            user=user,
            workspace=workspace,
        )

        signup_response.additional_properties = d
        return signup_response

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
