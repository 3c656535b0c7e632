from typing import Literal

CredentialSort = Literal["-last_used_at", "-name", "-updated_at", "last_used_at", "name", "updated_at"]

CREDENTIAL_SORT_VALUES: set[CredentialSort] = {
    "-last_used_at",
    "-name",
    "-updated_at",
    "last_used_at",
    "name",
    "updated_at",
}


def check_credential_sort(value: str) -> CredentialSort:
    if value in CREDENTIAL_SORT_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {CREDENTIAL_SORT_VALUES!r}")
