from typing import Literal

OAuth2DataInputGrantType = Literal["authorization_code", "client_credentials"]

O_AUTH_2_DATA_INPUT_GRANT_TYPE_VALUES: set[OAuth2DataInputGrantType] = {
    "authorization_code",
    "client_credentials",
}


def check_o_auth_2_data_input_grant_type(value: str) -> OAuth2DataInputGrantType:
    if value in O_AUTH_2_DATA_INPUT_GRANT_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {O_AUTH_2_DATA_INPUT_GRANT_TYPE_VALUES!r}")
