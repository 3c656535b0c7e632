from typing import Literal

BasicAuthCredentialType = Literal["basic_auth"]

BASIC_AUTH_CREDENTIAL_TYPE_VALUES: set[BasicAuthCredentialType] = {
    "basic_auth",
}


def check_basic_auth_credential_type(value: str) -> BasicAuthCredentialType:
    if value in BASIC_AUTH_CREDENTIAL_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {BASIC_AUTH_CREDENTIAL_TYPE_VALUES!r}")
