from typing import Literal

CredentialStatus = Literal["active", "deleted", "error", "expired"]

CREDENTIAL_STATUS_VALUES: set[CredentialStatus] = {
    "active",
    "deleted",
    "error",
    "expired",
}


def check_credential_status(value: str) -> CredentialStatus:
    if value in CREDENTIAL_STATUS_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREDENTIAL_STATUS_VALUES!r}")
