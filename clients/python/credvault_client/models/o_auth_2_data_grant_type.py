from typing import Literal

OAuth2DataGrantType = Literal["authorization_code", "client_credentials"]

O_AUTH_2_DATA_GRANT_TYPE_VALUES: set[OAuth2DataGrantType] = {
    "authorization_code",
    "client_credentials",
}


def check_o_auth_2_data_grant_type(value: str) -> OAuth2DataGrantType:
    if value in O_AUTH_2_DATA_GRANT_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {O_AUTH_2_DATA_GRANT_TYPE_VALUES!r}")
