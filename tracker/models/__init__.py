"""SQLAlchemy models: tables and invariants only, no business rules."""

from .api_idempotency import ApiIdempotencyKey
from .api_token import ApiToken
from .audit import AuditEntry
from .bundle import Bundle, BundleApplication, BundleService
from .case import (
    NO_DEADLINE,
    Attachment,
    Case,
    CaseEvent,
    ClockPause,
    Notification,
    Rating,
    SubTask,
    TrackingSequence,
)
from .catalogue import (
    Department,
    Office,
    Region,
    Service,
    ServiceCooperation,
    ServiceDraft,
    ServiceField,
    ServiceMaterial,
    ServiceVersion,
)
from .holiday import HolidayTable
from .notes import CannedNote
from .notice import Notice, NoticeSequence
from .notify import OutboxMessage
from .phone_code import PhoneCode
from .rating import Rectification
from .rollup import AreaRollup, DailyRollup, OpenCaseDay
from .upload_day import UploadDay
from .user import User
from .wallet import WalletItem
from .webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Bundle",
    "BundleApplication",
    "BundleService",
    "WalletItem",
    "PhoneCode",
    "Notice",
    "NoticeSequence",
    "UploadDay",
    "ApiIdempotencyKey",
    "ApiToken",
    "AreaRollup",
    "DailyRollup",
    "OpenCaseDay",
    "CannedNote",
    "NO_DEADLINE",
    "AuditEntry",
    "OutboxMessage",
    "Rectification",
    "Attachment",
    "Case",
    "CaseEvent",
    "ClockPause",
    "Department",
    "HolidayTable",
    "Notification",
    "Office",
    "Rating",
    "Region",
    "Service",
    "ServiceCooperation",
    "ServiceField",
    "ServiceMaterial",
    "ServiceDraft",
    "ServiceVersion",
    "SubTask",
    "TrackingSequence",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
