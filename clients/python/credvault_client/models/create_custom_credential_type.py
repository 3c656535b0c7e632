from typing import Literal

CreateCustomCredentialType = Literal["custom"]

CREATE_CUSTOM_CREDENTIAL_TYPE_VALUES: set[CreateCustomCredentialType] = {
    "custom",
}


def check_create_custom_credential_type(value: str) -> CreateCustomCredentialType:
    if value in CREATE_CUSTOM_CREDENTIAL_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREATE_CUSTOM_CREDENTIAL_TYPE_VALUES!r}")
