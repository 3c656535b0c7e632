from typing import Literal

CreateBasicAuthCredentialType = Literal["basic_auth"]

CREATE_BASIC_AUTH_CREDENTIAL_TYPE_VALUES: set[CreateBasicAuthCredentialType] = {
    "basic_auth",
}


def check_create_basic_auth_credential_type(value: str) -> CreateBasicAuthCredentialType:
    if value in CREATE_BASIC_AUTH_CREDENTIAL_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_BASIC_AUTH_CREDENTIAL_TYPE_VALUES!r}")
