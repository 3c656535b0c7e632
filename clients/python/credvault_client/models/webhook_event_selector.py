from typing import Literal

WebhookEventSelector = Literal[
    "*",
    "credential.created",
    "credential.deleted",
    "credential.expiring",
    "credential.purged",
    "credential.refresh_failed",
    "credential.restored",
    "credential.rotated",
    "credential.rotation_due",
    "credential.shares_changed",
    "credential.status_changed",
    "credential.updated",
    "token.created",
    "token.revoked",
    "user.disabled",
]

WEBHOOK_EVENT_SELECTOR_VALUES: set[WebhookEventSelector] = {
    "*",
    "credential.created",
    "credential.deleted",
    "credential.expiring",
    "credential.purged",
    "credential.refresh_failed",
    "credential.restored",
    "credential.rotated",
    "credential.rotation_due",
    "credential.shares_changed",
    "credential.status_changed",
    "credential.updated",
    "token.created",
    "token.revoked",
    "user.disabled",
}


def check_webhook_event_selector(value: str) -> WebhookEventSelector:
    if value in WEBHOOK_EVENT_SELECTOR_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {WEBHOOK_EVENT_SELECTOR_VALUES!r}")
