from typing import Literal

WebhookEventType = Literal[
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

WEBHOOK_EVENT_TYPE_VALUES: set[WebhookEventType] = {
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


def check_webhook_event_type(value: str) -> WebhookEventType:
    if value in WEBHOOK_EVENT_TYPE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {WEBHOOK_EVENT_TYPE_VALUES!r}")
