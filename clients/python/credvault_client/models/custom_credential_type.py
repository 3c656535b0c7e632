from typing import Literal

CustomCredentialType = Literal["custom"]

CUSTOM_CREDENTIAL_TYPE_VALUES: set[CustomCredentialType] = {
    "custom",
}


def check_custom_credential_type(value: str) -> CustomCredentialType:
    if value in CUSTOM_CREDENTIAL_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CUSTOM_CREDENTIAL_TYPE_VALUES!r}")
