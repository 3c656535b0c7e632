from typing import Literal

OAuth2CredentialType = Literal["oauth2"]

O_AUTH_2_CREDENTIAL_TYPE_VALUES: set[OAuth2CredentialType] = {
    "oauth2",
}


def check_o_auth_2_credential_type(value: str) -> OAuth2CredentialType:
    if value in O_AUTH_2_CREDENTIAL_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {O_AUTH_2_CREDENTIAL_TYPE_VALUES!r}")
