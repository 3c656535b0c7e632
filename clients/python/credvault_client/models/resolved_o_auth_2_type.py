from typing import Literal

ResolvedOAuth2Type = Literal["oauth2"]

RESOLVED_O_AUTH_2_TYPE_VALUES: set[ResolvedOAuth2Type] = {
    "oauth2",
}


def check_resolved_o_auth_2_type(value: str) -> ResolvedOAuth2Type:
    if value in RESOLVED_O_AUTH_2_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RESOLVED_O_AUTH_2_TYPE_VALUES!r}")
