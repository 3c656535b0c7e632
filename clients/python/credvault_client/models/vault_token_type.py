from typing import Literal

VaultTokenType = Literal["service"]

VAULT_TOKEN_TYPE_VALUES: set[VaultTokenType] = {
    "service",
}


def check_vault_token_type(value: str) -> VaultTokenType:
    if value in VAULT_TOKEN_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {VAULT_TOKEN_TYPE_VALUES!r}")
