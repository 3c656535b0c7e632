from typing import Literal

ApiKeyCredentialType = Literal["api_key"]

API_KEY_CREDENTIAL_TYPE_VALUES: set[ApiKeyCredentialType] = {
    "api_key",
}


def check_api_key_credential_type(value: str) -> ApiKeyCredentialType:
    if value in API_KEY_CREDENTIAL_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {API_KEY_CREDENTIAL_TYPE_VALUES!r}")
