from typing import Literal

CreateOAuth2CredentialType = Literal["oauth2"]

CREATE_O_AUTH_2_CREDENTIAL_TYPE_VALUES: set[CreateOAuth2CredentialType] = {
    "oauth2",
}


def check_create_o_auth_2_credential_type(value: str) -> CreateOAuth2CredentialType:
    if value in CREATE_O_AUTH_2_CREDENTIAL_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_O_AUTH_2_CREDENTIAL_TYPE_VALUES!r}")
