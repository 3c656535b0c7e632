from typing import Literal

VersionReason = Literal["created", "refreshed", "restored", "rotated", "updated"]

VERSION_REASON_VALUES: set[VersionReason] = {
    "created",
    "refreshed",
    "restored",
    "rotated",
    "updated",
}


def check_version_reason(value: str) -> VersionReason:
    if value in VERSION_REASON_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {VERSION_REASON_VALUES!r}")
