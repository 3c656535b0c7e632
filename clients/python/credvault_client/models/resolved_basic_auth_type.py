from typing import Literal

ResolvedBasicAuthType = Literal["basic_auth"]

RESOLVED_BASIC_AUTH_TYPE_VALUES: set[ResolvedBasicAuthType] = {
    "basic_auth",
}


def check_resolved_basic_auth_type(value: str) -> ResolvedBasicAuthType:
    if value in RESOLVED_BASIC_AUTH_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RESOLVED_BASIC_AUTH_TYPE_VALUES!r}")
