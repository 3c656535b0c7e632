from typing import Literal

SharePrincipalType = Literal["team", "user", "workspace"]

SHARE_PRINCIPAL_TYPE_VALUES: set[SharePrincipalType] = {
    "team",
    "user",
    "workspace",
}


def check_share_principal_type(value: str) -> SharePrincipalType:
    if value in SHARE_PRINCIPAL_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {SHARE_PRINCIPAL_TYPE_VALUES!r}")
