from typing import Literal

SsoRole = Literal["admin", "auditor", "member"]

SSO_ROLE_VALUES: set[SsoRole] = {
    "admin",
    "auditor",
    "member",
}


def check_sso_role(value: str) -> SsoRole:
    if value in SSO_ROLE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {SSO_ROLE_VALUES!r}")
