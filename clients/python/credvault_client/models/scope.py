from typing import Literal

Scope = Literal[
    "admin", "audit:read", "credentials:read", "credentials:resolve", "credentials:write", "workflows:write"
]

SCOPE_VALUES: set[Scope] = {
    "admin",
    "audit:read",
    "credentials:read",
    "credentials:resolve",
    "credentials:write",
    "workflows:write",
}


def check_scope(value: str) -> Scope:
    if value in SCOPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {SCOPE_VALUES!r}")
