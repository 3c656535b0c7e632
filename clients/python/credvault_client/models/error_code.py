from typing import Literal

ErrorCode = Literal[
    "account_disabled",
    "conflict",
    "credential_deleted",
    "credential_expired",
    "forbidden",
    "idempotency_key_reused",
    "internal_error",
    "invalid_credentials",
    "invalid_request",
    "invalid_state",
    "method_not_allowed",
    "not_acceptable",
    "not_found",
    "payload_too_large",
    "precondition_failed",
    "rate_limited",
    "reauthorization_required",
    "request_header_fields_too_large",
    "sso_refused",
    "sso_required",
    "timeout",
    "unauthenticated",
    "unavailable",
    "unsupported_media_type",
    "upstream_unavailable",
    "validation_failed",
]

ERROR_CODE_VALUES: set[ErrorCode] = {
    "account_disabled",
    "conflict",
    "credential_deleted",
    "credential_expired",
    "forbidden",
    "idempotency_key_reused",
    "internal_error",
    "invalid_credentials",
    "invalid_request",
    "invalid_state",
    "method_not_allowed",
    "not_acceptable",
    "not_found",
    "payload_too_large",
    "precondition_failed",
    "rate_limited",
    "reauthorization_required",
    "request_header_fields_too_large",
    "sso_refused",
    "sso_required",
    "timeout",
    "unauthenticated",
    "unavailable",
    "unsupported_media_type",
    "upstream_unavailable",
    "validation_failed",
}


def check_error_code(value: str) -> ErrorCode:
    if value in ERROR_CODE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {ERROR_CODE_VALUES!r}")
