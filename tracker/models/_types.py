"""Column helpers shared by the models."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_column(enum: type[Enum], name: str) -> sa.Enum:
    """Store the enum's *value* (not its member name), checked by a CHECK constraint."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(str(m.value)) for m in enum) + 8,
        values_callable=lambda e: [str(m.value) for m in e],
        validate_strings=True,
    )


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both engines (SQLite drops the zone otherwise)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store UTC-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Sealed(sa.types.TypeDecorator[str]):
    """Text stored sealed with AES-GCM (``tracker.crypto``); read back as plain text."""

    impl = sa.String
    cache_ok = True

    def __init__(self, purpose: str, length: int = 255) -> None:
        super().__init__(length)
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        from .. import crypto

        return None if value is None else crypto.seal(value, self.purpose)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        from .. import crypto

        return None if value is None else crypto.open_(value, self.purpose)


class SealedJSON(sa.types.TypeDecorator[Any]):
    """A JSON document stored sealed (``tracker.crypto``); read back as the document. The
    column stays JSON: what it holds is one JSON string, the sealed text (no table rewrite,
    no lost triggers when a database is converted)."""

    impl = sa.JSON
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        from .. import crypto

        if value is None:
            return None
        return crypto.seal(json.dumps(value, ensure_ascii=False, sort_keys=True), self.purpose)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        from .. import crypto

        if value is None:
            return None
        if not isinstance(value, str):  # a JSON column read by a driver that parses it
            return value
        return json.loads(crypto.open_(value, self.purpose))
