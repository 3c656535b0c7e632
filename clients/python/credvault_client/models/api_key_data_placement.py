from typing import Literal

ApiKeyDataPlacement = Literal["header", "query"]

API_KEY_DATA_PLACEMENT_VALUES: set[ApiKeyDataPlacement] = {
    "header",
    "query",
}


def check_api_key_data_placement(value: str) -> ApiKeyDataPlacement:
    if value in API_KEY_DATA_PLACEMENT_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {API_KEY_DATA_PLACEMENT_VALUES!r}")
