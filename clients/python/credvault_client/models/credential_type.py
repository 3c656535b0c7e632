from typing import Literal

CredentialType = Literal["api_key", "basic_auth", "custom", "oauth2"]

CREDENTIAL_TYPE_VALUES: set[CredentialType] = {
    "api_key",
    "basic_auth",
    "custom",
    "oauth2",
}


def check_credential_type(value: str) -> CredentialType:
    if value in CREDENTIAL_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREDENTIAL_TYPE_VALUES!r}")
