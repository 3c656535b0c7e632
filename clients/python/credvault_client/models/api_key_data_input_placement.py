from typing import Literal

ApiKeyDataInputPlacement = Literal["header", "query"]

API_KEY_DATA_INPUT_PLACEMENT_VALUES: set[ApiKeyDataInputPlacement] = {
    "header",
    "query",
}


def check_api_key_data_input_placement(value: str) -> ApiKeyDataInputPlacement:
    if value in API_KEY_DATA_INPUT_PLACEMENT_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {API_KEY_DATA_INPUT_PLACEMENT_VALUES!r}")
