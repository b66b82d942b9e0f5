"""Subscribing, uploading, fetching and removing a therapist's calendars, and applying what a
calendar holds to the appointments.

One import is one transaction: the occurrences over the therapist database's window are compared
with the appointments the calendar delivered before, keyed by (calendar, UID, recurrence id);
only differences are written, and a change marks the therapist database stale once. A fetch that
fails changes no appointment: the app keeps what the feed last delivered.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import delete, insert, select, update

from .. import jobs
from ..audit.services import record
from ..extensions import db
from ..i18n import N_
from ..schedule.models import Appointment
from ..signals import schedule_changed
from ..tenancy import Practice, Therapist
from ..therapist_db.window import window
from ..timeutil import utcnow
from . import address as addresses
from .fetch import MAX_BYTES, TIMEOUT, FetchError, Guard, fetch
from .models import CalendarKind, CalendarSubscription
from .parse import NotACalendar, Reading, read

FETCH_JOB = "portal.calendars.jobs.fetch_calendar"
jobs.describe(FETCH_JOB, N_("Kalender abrufen"), (CalendarSubscription.therapist_id, Therapist))
LOCK_SECONDS = 120  # a fetch (20 s at most) and its import; a killed worker's lock goes after this
_CHUNK = 500  # ids per DELETE … IN (…)


class AlreadySubscribed(ValueError):
    """The therapist already has this calendar address."""


@dataclass(frozen=True)
class Counts:
    added: int = 0
    changed: int = 0
    removed: int = 0

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def job_id(calendar_id: int) -> str:
    return f"calendar-fetch-{calendar_id}"


def _practice_in_group(group_id: int, practice_id: int) -> Practice:
    practice = db.session.scalar(select(Practice).where(Practice.id == practice_id, Practice.group_id == group_id))
    if practice is None:
        raise LookupError("practice not in group")
    return practice


def _actor_label(actor) -> str:
    return actor.email if actor is not None else ""


def subscribe(therapist: Therapist, practice_id: int, address: str, actor) -> CalendarSubscription:
    """Subscribe the therapist to a calendar address (already normalised) whose events belong to
    the practice, and fetch it once the change commits. The audit entry names the host only."""
    practice = _practice_in_group(therapist.group_id, practice_id)
    digest = addresses.digest(address)
    if db.session.scalar(select(CalendarSubscription.id).where(CalendarSubscription.therapist_id == therapist.id,
                                                               CalendarSubscription.address_digest == digest)):
        raise AlreadySubscribed(addresses.label(address))
    calendar = CalendarSubscription(
        group_id=therapist.group_id, therapist_id=therapist.id, practice_id=practice.id, kind=CalendarKind.FEED,
        address_encrypted=addresses.encrypt(address), address_digest=digest, label=addresses.label(address),
        created_by_label=_actor_label(actor), requested_at=utcnow(),
    )
    db.session.add(calendar)
    db.session.flush()
    record("calendar.subscribed", group_id=therapist.group_id, therapist_id=therapist.id, actor=actor,
           details={"calendar_id": calendar.id, "calendar": calendar.label, "practice": practice.name})
    jobs.after_commit(FETCH_JOB, calendar.id, job_id=job_id(calendar.id))
    return calendar


def upload(therapist: Therapist, practice_id: int, filename: str, body: bytes, actor) -> tuple[CalendarSubscription,
                                                                                             Counts]:
    """Import an uploaded file once. A later file for the same practice replaces the earlier one
    (moved events move, missing ones go); the file is kept to expand it again as the window moves.
    Raises NotACalendar before anything changes."""
    practice = _practice_in_group(therapist.group_id, practice_id)
    start, end = window()
    reading = read(body, start, end)
    calendar = db.session.scalar(select(CalendarSubscription).where(
        CalendarSubscription.therapist_id == therapist.id, CalendarSubscription.practice_id == practice.id,
        CalendarSubscription.kind == CalendarKind.UPLOAD))
    if calendar is None:
        calendar = CalendarSubscription(group_id=therapist.group_id, therapist_id=therapist.id,
                                        practice_id=practice.id, kind=CalendarKind.UPLOAD, label="",
                                        created_by_label=_actor_label(actor))
        db.session.add(calendar)
        db.session.flush()
    calendar.label, calendar.upload = filename[:200], body
    counts = import_body(calendar, body, start, end, reading)
    record("calendar.uploaded", group_id=therapist.group_id, therapist_id=therapist.id, actor=actor,
           details={"calendar_id": calendar.id, "calendar": calendar.label, "practice": practice.name,
                    "added": counts.added, "changed": counts.changed, "removed": counts.removed,
                    "skipped": calendar.skipped_count})
    return calendar, counts


def request_fetch(calendar: CalendarSubscription) -> None:
    """"Jetzt abrufen": fetch once the change commits (the page follows it until it has run)."""
    calendar.requested_at = utcnow()
    jobs.after_commit(FETCH_JOB, calendar.id, job_id=job_id(calendar.id))


def remove(calendar: CalendarSubscription, actor) -> int:
    """Remove the calendar and every appointment it delivered; returns how many."""
    count = db.session.execute(delete(Appointment).where(Appointment.calendar_id == calendar.id)).rowcount
    record("calendar.removed", group_id=calendar.group_id, therapist_id=calendar.therapist_id, actor=actor,
           details={"calendar_id": calendar.id, "calendar": calendar.label, "practice": calendar.practice.name,
                    "appointments": count})
    if count:
        _schedule_changed(calendar.therapist_id)
    db.session.delete(calendar)
    return count


def refresh(calendar_id: int) -> str:
    """Fetch a subscribed calendar (or expand an uploaded file again as the window moved) and
    import it, once at a time per calendar. Commits; returns what happened."""
    lock = current_app.redis.lock(f"portal:calendar:{calendar_id}", timeout=LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        return "busy"
    try:
        calendar = db.session.get(CalendarSubscription, calendar_id)
        if calendar is None:
            return "gone"
        outcome = _refresh(calendar)
        db.session.commit()
        return outcome
    finally:
        lock.release()


def _refresh(calendar: CalendarSubscription) -> str:
    start, end = window()
    etag = last_modified = None
    if calendar.is_feed:
        address = addresses.decrypt(calendar.address_encrypted or "")
        if address is None:
            _failed(calendar, {"code": "address_unreadable"})
            return "failed"
        same_window = calendar.window_start == start.date()  # a new day moves the window: fetch in full
        try:
            fetched = fetch(address, etag=calendar.etag if same_window else None,
                            last_modified=calendar.last_modified if same_window else None,
                            guard=Guard(allow_private=addresses.allow_private_hosts()),
                            max_bytes=current_app.config.get("CALENDAR_MAX_BYTES", MAX_BYTES),
                            timeout=current_app.config.get("CALENDAR_FETCH_TIMEOUT", TIMEOUT))
        except FetchError as exc:
            _failed(calendar, exc.as_dict())
            return "failed"
        if fetched.unchanged:
            _succeeded(calendar, Counts())
            return "unchanged"
        body, etag, last_modified = fetched.body, fetched.etag, fetched.last_modified
    else:
        body = calendar.upload or b""
    try:
        counts = import_body(calendar, body, start, end)
    except NotACalendar:
        _failed(calendar, {"code": "not_calendar"})
        return "failed"
    if calendar.is_feed:
        calendar.etag, calendar.last_modified = (etag or "")[:255] or None, (last_modified or "")[:64] or None
    if counts.any:
        record("calendar.imported", group_id=calendar.group_id, therapist_id=calendar.therapist_id,
               details={"calendar_id": calendar.id, "calendar": calendar.label, "added": counts.added,
                        "changed": counts.changed, "removed": counts.removed})
    return "imported" if counts.any else "unchanged"


def import_body(calendar: CalendarSubscription, body: bytes, start: datetime, end: datetime,
                reading: Reading | None = None) -> Counts:
    """Import a calendar file's content over [start, end) (the caller commits). The same bytes over
    the same window again read and write nothing. Raises NotACalendar."""
    sha256 = hashlib.sha256(body).hexdigest()
    if sha256 == calendar.content_sha256 and calendar.window_start == start.date():
        counts = Counts()
    else:
        reading = reading or read(body, start, end)
        counts = _apply(calendar, reading, start, end)
        calendar.content_sha256, calendar.window_start = sha256, start.date()
        calendar.skipped, calendar.skipped_count = reading.skipped, reading.skipped_count
        if counts.any:
            _schedule_changed(calendar.therapist_id)
    _succeeded(calendar, counts)
    return counts


def _apply(calendar: CalendarSubscription, reading: Reading, start: datetime, end: datetime) -> Counts:
    """Write the differences between the calendar's occurrences and its appointments. An
    appointment whose occurrence is gone is removed; one that left the window (the past beyond
    it) goes too, but does not count as removed: nothing changed at the source."""
    known = {(row.calendar_uid, row.calendar_recurrence): row for row in db.session.execute(
        select(Appointment.id, Appointment.calendar_uid, Appointment.calendar_recurrence, Appointment.title,
               Appointment.starts_at, Appointment.duration_minutes, Appointment.practice_id)
        .where(Appointment.calendar_id == calendar.id))}
    new, changed = [], []
    for entry in reading.entries:
        row = known.pop((entry.uid, entry.recurrence), None)
        values = {"title": entry.title, "starts_at": entry.starts_at, "duration_minutes": entry.duration_minutes,
                  "practice_id": calendar.practice_id}
        if row is None:
            new.append({"group_id": calendar.group_id, "therapist_id": calendar.therapist_id,
                        "calendar_id": calendar.id, "calendar_uid": entry.uid,
                        "calendar_recurrence": entry.recurrence, **values})
        elif (row.title, row.starts_at, row.duration_minutes, row.practice_id) != tuple(values.values()):
            changed.append({"id": row.id, **values})
    gone = [row.id for row in known.values()]
    removed = sum(1 for row in known.values() if start <= row.starts_at < end)
    for index in range(0, len(gone), _CHUNK):
        db.session.execute(delete(Appointment).where(Appointment.id.in_(gone[index:index + _CHUNK])))
    if changed:
        db.session.execute(update(Appointment), changed)
    if new:
        db.session.execute(insert(Appointment.__table__), new)  # Core: no ORM bookkeeping per row
    return Counts(len(new), len(changed), removed)


def _succeeded(calendar: CalendarSubscription, counts: Counts) -> None:
    now = utcnow()
    calendar.attempted_at = calendar.succeeded_at = now
    calendar.error, calendar.failing_since = None, None
    calendar.added, calendar.changed, calendar.removed = counts.added, counts.changed, counts.removed


def _failed(calendar: CalendarSubscription, error: dict) -> None:
    """The fetch failed: say why and since when; the appointments stay as they were."""
    now = utcnow()
    calendar.attempted_at, calendar.error = now, error
    calendar.failing_since = calendar.failing_since or now
    current_app.logger.info("Kalender %s nicht abgerufen: %s", calendar.id, error["code"])


def _schedule_changed(therapist_id: int) -> None:
    """The therapist's appointments changed: their database is regenerated once after commit."""
    schedule_changed.send(therapist_ids=[therapist_id])
