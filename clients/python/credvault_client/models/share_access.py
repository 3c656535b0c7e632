from typing import Literal

ShareAccess = Literal["manage", "use", "view"]

SHARE_ACCESS_VALUES: set[ShareAccess] = {
    "manage",
    "use",
    "view",
}


def check_share_access(value: str) -> ShareAccess:
    if value in SHARE_ACCESS_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {SHARE_ACCESS_VALUES!r}")
