from typing import Literal

EffectiveAccess = Literal["manage", "none", "owner", "use", "view"]

EFFECTIVE_ACCESS_VALUES: set[EffectiveAccess] = {
    "manage",
    "none",
    "owner",
    "use",
    "view",
}


def check_effective_access(value: str) -> EffectiveAccess:
    if value in EFFECTIVE_ACCESS_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {EFFECTIVE_ACCESS_VALUES!r}")
