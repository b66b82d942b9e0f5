"""RQ jobs that fetch calendars. They carry ids only: the address stays encrypted in the database."""

from __future__ import annotations

from sqlalchemy import or_, select

from .. import jobs
from ..extensions import db
from ..jobs import fresh_session
from ..therapist_db.window import window
from . import services
from .models import CalendarKind, CalendarSubscription

DEAD_FETCH_SECONDS = 300  # a fetch "running" longer belongs to a killed worker (a fetch takes 20 s at most)


@fresh_session
def fetch_calendar(calendar_id: int) -> str:
    """Fetch one calendar and import it (or expand an uploaded file again over the moved window)."""
    return services.refresh(calendar_id)


@fresh_session
def fetch_due() -> int:
    """Every 15 minutes (rq cron): enqueue a fetch of every subscribed calendar, and of every
    uploaded file the window has moved past since it was expanded. Returns how many."""
    window_day = window()[0].date()
    due = db.session.scalars(select(CalendarSubscription.id).where(or_(
        CalendarSubscription.kind == CalendarKind.FEED, CalendarSubscription.window_start.is_(None),
        CalendarSubscription.window_start != window_day)).order_by(CalendarSubscription.id)).all()
    enqueued = 0
    for calendar_id in due:
        if not jobs.in_flight(services.job_id(calendar_id), dead_after=DEAD_FETCH_SECONDS):
            enqueued += jobs.enqueue(services.FETCH_JOB, calendar_id, job_id=services.job_id(calendar_id))
    return enqueued
