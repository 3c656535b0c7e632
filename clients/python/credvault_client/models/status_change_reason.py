from typing import Literal

StatusChangeReason = Literal["expires_at_passed", "refresh_failed", "refresh_succeeded", "test_failed", "test_passed"]

STATUS_CHANGE_REASON_VALUES: set[StatusChangeReason] = {
    "expires_at_passed",
    "refresh_failed",
    "refresh_succeeded",
    "test_failed",
    "test_passed",
}


def check_status_change_reason(value: str) -> StatusChangeReason:
    if value in STATUS_CHANGE_REASON_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STATUS_CHANGE_REASON_VALUES!r}")
