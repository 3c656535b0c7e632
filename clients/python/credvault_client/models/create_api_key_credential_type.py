from typing import Literal

CreateApiKeyCredentialType = Literal["api_key"]

CREATE_API_KEY_CREDENTIAL_TYPE_VALUES: set[CreateApiKeyCredentialType] = {
    "api_key",
}


def check_create_api_key_credential_type(value: str) -> CreateApiKeyCredentialType:
    if value in CREATE_API_KEY_CREDENTIAL_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_API_KEY_CREDENTIAL_TYPE_VALUES!r}")
