from typing import Literal

ResolvedApiKeyType = Literal["api_key"]

RESOLVED_API_KEY_TYPE_VALUES: set[ResolvedApiKeyType] = {
    "api_key",
}


def check_resolved_api_key_type(value: str) -> ResolvedApiKeyType:
    if value in RESOLVED_API_KEY_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {RESOLVED_API_KEY_TYPE_VALUES!r}")
