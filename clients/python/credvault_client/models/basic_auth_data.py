from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="BasicAuthData")


@_attrs_define
class BasicAuthData:
    """
    Attributes:
        password (str): The password. Secret: reads show it masked (`••••` and its last 4 characters when it is 12 or
            longer); only resolve gives it in full.
        username (str): The user name (no `:`).
    """

    password: str
    username: str

    def to_dict(self) -> dict[str, Any]:
        password = self.password

        username = self.username

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "password": password,
                "username": username,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        password = d.pop("password")

        username = d.pop("username")

        basic_auth_data = cls(
            password=password,
            username=username,
        )

        return basic_auth_data
