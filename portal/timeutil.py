"""UTC storage, Europe/Berlin display, and one clock the tests can set."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

BERLIN = ZoneInfo("Europe/Berlin")


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def today_berlin() -> date:
    """Today's date as a practice in Germany sees it."""
    return utcnow().astimezone(BERLIN).date()


def as_utc(value: datetime) -> datetime:
    """Treat a naive value as local Berlin time and return it in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=BERLIN)
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC in every database and hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
