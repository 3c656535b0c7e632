from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.test_method import TestMethod, check_test_method
from ..types import UNSET, Unset

T = TypeVar("T", bound="TestRequest")


@_attrs_define
class TestRequest:
    """How "test the connection" calls the service with the credential applied.

    Attributes:
        url (str): An absolute http(s) URL; `{{field}}` places a field of `data` in it.
        expected_status (list[int] | None | Unset): Statuses that count as success, each 100 to 599 (default, or null:
            any 2xx).
        method (TestMethod | Unset): The HTTP method of a connection test.
    """

    url: str
    expected_status: list[int] | None | Unset = UNSET
    method: TestMethod | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        expected_status: list[int] | None | Unset
        if isinstance(self.expected_status, Unset):
            expected_status = UNSET
        elif isinstance(self.expected_status, list):
            expected_status = self.expected_status

        else:
            expected_status = self.expected_status

        method: str | Unset = UNSET
        if not isinstance(self.method, Unset):
            method = self.method

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "url": url,
            }
        )
        if expected_status is not UNSET:
            field_dict["expected_status"] = expected_status
        if method is not UNSET:
            field_dict["method"] = method

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        url = d.pop("url")

        def _parse_expected_status(data: object) -> list[int] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                expected_status_type_0 = cast(list[int], data)

                return expected_status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[int] | None | Unset, data)

        expected_status = _parse_expected_status(d.pop("expected_status", UNSET))

        _method = d.pop("method", UNSET)
        method: TestMethod | Unset
        if isinstance(_method, Unset):
            method = UNSET
        else:
            method = check_test_method(_method)

        test_request = cls(
            url=url,
            expected_status=expected_status,
            method=method,
        )

        test_request.additional_properties = d
        return test_request

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
