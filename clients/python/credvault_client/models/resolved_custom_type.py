from typing import Literal

ResolvedCustomType = Literal["custom"]

RESOLVED_CUSTOM_TYPE_VALUES: set[ResolvedCustomType] = {
    "custom",
}


def check_resolved_custom_type(value: str) -> ResolvedCustomType:
    if value in RESOLVED_CUSTOM_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RESOLVED_CUSTOM_TYPE_VALUES!r}")
