from typing import Literal

TestMethod = Literal["GET", "HEAD", "POST"]

TEST_METHOD_VALUES: set[TestMethod] = {
    "GET",
    "HEAD",
    "POST",
}


def check_test_method(value: str) -> TestMethod:
    if value in TEST_METHOD_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {TEST_METHOD_VALUES!r}")
