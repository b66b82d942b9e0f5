"""Reading calendars for pages: the Termine tab's list, and the warning for a feed that has been
failing for more than a day (the therapist list's row and the details dialog read one definition)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, exists, func, select

from ..extensions import db
from ..schedule.models import Appointment
from ..timeutil import UTCDateTime, utcnow
from .models import FAILING_WARNING_AFTER, CalendarKind, CalendarSubscription


def _failing_before():
    return bindparam("calendar_failing_before", callable_=lambda: utcnow() - FAILING_WARNING_AFTER,
                     type_=UTCDateTime, unique=True)


def failing_condition():
    """SQL: this calendar has been failing for more than a day (not a readiness rule: the app
    keeps working with what was imported)."""
    return CalendarSubscription.failing_since < _failing_before()


def calendar_failing(therapist_id_column):
    """SQL: the therapist has a calendar failing for more than a day (the list's row warning)."""
    return exists().where(CalendarSubscription.therapist_id == therapist_id_column, failing_condition())


def appointment_counts(calendar_ids: list[int]) -> dict[int, int]:
    """How many appointments each calendar delivered (the removal's confirmation names it)."""
    if not calendar_ids:
        return {}
    return dict(db.session.execute(select(Appointment.calendar_id, func.count(Appointment.id))
                                   .where(Appointment.calendar_id.in_(calendar_ids))
                                   .group_by(Appointment.calendar_id)).all())


@dataclass(frozen=True)
class CalendarView:
    calendar: CalendarSubscription
    appointments: int
    failing: bool


def calendars_of(therapist_id: int) -> list[CalendarView]:
    """The therapist's calendars (subscriptions first), each with its appointment count."""
    rows = db.session.execute(
        select(CalendarSubscription, failing_condition().label("failing"))
        .where(CalendarSubscription.therapist_id == therapist_id)
        .order_by(CalendarSubscription.kind != CalendarKind.FEED, CalendarSubscription.id)
    ).all()
    counts = appointment_counts([calendar.id for calendar, _ in rows])
    return [CalendarView(calendar, counts.get(calendar.id, 0), bool(failing)) for calendar, failing in rows]


def failing_calendars(therapist_id: int) -> list[CalendarSubscription]:
    """The therapist's calendars failing for more than a day (the dialog's warning)."""
    return list(db.session.scalars(select(CalendarSubscription).where(
        CalendarSubscription.therapist_id == therapist_id, failing_condition()).order_by(CalendarSubscription.id)))
