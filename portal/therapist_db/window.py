"""The days a therapist database holds: 30 back and 90 ahead of today (Berlin). The generator writes
them; the calendar import expands a practice's calendar over the same days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..timeutil import BERLIN, today_berlin

WINDOW_PAST_DAYS = 30
WINDOW_FUTURE_DAYS = 90


def window(today: date | None = None) -> tuple[datetime, datetime]:
    """The appointment window around today, as UTC instants of Berlin midnights."""
    today = today or today_berlin()
    start = datetime.combine(today - timedelta(days=WINDOW_PAST_DAYS), datetime.min.time(), BERLIN)
    end = datetime.combine(today + timedelta(days=WINDOW_FUTURE_DAYS + 1), datetime.min.time(), BERLIN)
    return start, end
