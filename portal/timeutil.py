"""UTC storage, Europe/Berlin display, and one clock the tests can set."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import Date, DateTime, bindparam
from sqlalchemy.types import TypeDecorator

BERLIN = ZoneInfo("Europe/Berlin")
# The days the portal takes anywhere: far from the calendar's ends, where time zone arithmetic overflows.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2199, 12, 31)


class Clock:
    """The portal's clock. Tests set it to a fixed time; everything reads it through ``utcnow``."""

    def __init__(self) -> None:
        self._fixed: datetime | None = None

    def now(self) -> datetime:
        return self._fixed or datetime.now(UTC)

    def set(self, value: datetime | None) -> None:
        self._fixed = value

    def advance(self, delta: timedelta) -> None:
        self._fixed = self.now() + delta


clock = Clock()


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return clock.now()


def today_berlin() -> date:
    """Today's date as a practice in Germany sees it."""
    return utcnow().astimezone(BERLIN).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), or the month's last day when that month is
    shorter: 31 January + 1 month is 28 or 29 February. Every month step of the portal comes here."""
    return day + relativedelta(months=months)


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a year without it."""
    return day + relativedelta(years=years)


def month_start(day: date) -> date:
    """The first day of the day's month (how the portal names a month)."""
    return day.replace(day=1)


def as_utc(value: datetime) -> datetime:
    """Treat a naive value as local Berlin time and return it in UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=BERLIN)
    return value.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """An instant a client sends in ISO 8601 with its offset ("…Z", "…+01:00"), in UTC. ValueError
    when it is not one, has no offset, or lies outside the portal's days, before or after the
    conversion (at the calendar's ends converting overflows). Every client's time comes through here."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("an instant needs its offset")
    if not EARLIEST_DAY <= value.date() <= LATEST_DAY:
        raise ValueError("outside the portal's days")
    utc = value.astimezone(UTC)  # safe: at least a day from the calendar's ends
    if not EARLIEST_DAY <= utc.date() <= LATEST_DAY:
        raise ValueError("outside the portal's days")
    return utc


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


def now_param():
    """SQL: the clock's time, read when the statement runs (so a built statement can be kept)."""
    return bindparam("now", callable_=utcnow, type_=UTCDateTime, unique=True)


def today_param():
    """SQL: today in Berlin, read when the statement runs."""
    return bindparam("today", callable_=today_berlin, type_=Date, unique=True)
