"""Keeping therapist databases current: stale marks, generation, and what the API may serve."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update

from .. import jobs
from ..checkin.models import CourseMember
from ..extensions import db
from ..i18n import N_
from ..schedule.models import Course
from ..signals import course_members_changed, database_requested, schedule_changed
from ..tenancy import Therapist
from ..timeutil import utcnow
from . import generator
from .models import TherapistDatabase

GENERATE_JOB = "portal.therapist_db.jobs.generate_database"
jobs.describe(GENERATE_JOB, N_("Therapeuten-Datenbank erzeugen"), (Therapist.id, Therapist))
GENERATION_LOCK_SECONDS = 5 * 60  # a worker killed while writing holds the lock no longer than this


def job_id(therapist_id: int) -> str:
    return f"therapist-db-{therapist_id}"


def mark_stale(therapist_ids: Iterable[int | None]) -> None:
    """The therapists' data changed: their databases are stale and are regenerated after commit."""
    ids = {tid for tid in therapist_ids if tid is not None}
    if not ids:
        return
    now = utcnow()
    existing = set(db.session.scalars(select(TherapistDatabase.therapist_id)
                                      .where(TherapistDatabase.therapist_id.in_(ids))))
    if existing:
        db.session.execute(update(TherapistDatabase).where(TherapistDatabase.therapist_id.in_(existing))
                           .values(stale=True, stale_since=now))
    for therapist_id, group_id in db.session.execute(
            select(Therapist.id, Therapist.group_id).where(Therapist.id.in_(ids - existing))):
        db.session.add(TherapistDatabase(therapist_id=therapist_id, group_id=group_id, stale=True, stale_since=now))
    for therapist_id in sorted(ids):
        jobs.after_commit(GENERATE_JOB, therapist_id, job_id=job_id(therapist_id))


def mark_stale_for_participants(participant_ids: Iterable[int]) -> None:
    """Course participants changed (joined a group, renamed, restricted, erased): the databases of
    the therapists of their course groups list them, so those are stale. Call before the change
    removes the memberships."""
    ids = list(participant_ids)
    if ids:
        mark_stale(db.session.scalars(
            select(Course.therapist_id).join(CourseMember, CourseMember.course_id == Course.id)
            .where(CourseMember.participant_id.in_(ids)).distinct()))


def listen() -> None:
    """Keep the databases current with what the features announce (the app factory calls this)."""
    schedule_changed.connect(_on_therapists_changed)
    database_requested.connect(_on_therapists_changed)
    course_members_changed.connect(_on_course_members_changed)


def _on_therapists_changed(_sender, therapist_ids, **_extra) -> None:
    mark_stale(therapist_ids)


def _on_course_members_changed(_sender, participant_ids, **_extra) -> None:
    mark_stale_for_participants(participant_ids)


def mark_older_schemas_stale() -> None:
    """After a release with a new schema: the activated therapists' databases written with an older
    one are stale (they still serve until rewritten). The caller commits."""
    mark_stale(db.session.scalars(
        select(TherapistDatabase.therapist_id).join(Therapist, Therapist.id == TherapistDatabase.therapist_id)
        .where(Therapist.app_enabled.is_(True), TherapistDatabase.stale.is_(False),
               TherapistDatabase.sha256.is_not(None),
               TherapistDatabase.schema_version.is_distinct_from(generator.SCHEMA_VERSION))))


def request_generation(therapist: Therapist) -> None:
    """On activation: (re)generate the database when it is missing or stale."""
    record = db.session.get(TherapistDatabase, therapist.id)
    if record is None or record.stale or not database_file(therapist.group_id, therapist.id).exists():
        mark_stale([therapist.id])


def is_current(therapist: Therapist) -> bool:
    """Generated, not stale since, and on disk: nothing to write."""
    record = db.session.get(TherapistDatabase, therapist.id)
    return (record is not None and not record.stale and record.sha256 is not None
            and record.schema_version == generator.SCHEMA_VERSION
            and database_file(therapist.group_id, therapist.id).exists())


def generate_once(therapist: Therapist) -> TherapistDatabase | None:
    """Write the database unless it is current, once per change however many jobs and runs ask:
    while one worker writes it, the others leave it to that one (a lock in Redis), which goes
    again when a change arrived meanwhile. Commits; None when nothing was written."""
    if is_current(therapist):
        return None
    lock = current_app.redis.lock(f"portal:generating:{therapist.id}", timeout=GENERATION_LOCK_SECONDS)
    if not lock.acquire(blocking=False):
        return None
    try:
        record = generate(therapist)
        db.session.commit()
        current_app.logger.info("Datenbank von Therapeut %s geschrieben (%s Bytes)", therapist.id, record.size)
    finally:
        lock.release()
    if record.stale:  # changed while it was written
        jobs.enqueue(GENERATE_JOB, therapist.id, job_id=job_id(therapist.id))
    return record


def generate(therapist: Therapist) -> TherapistDatabase:
    """Write the therapist's database now and record its version; a change made meanwhile
    leaves it stale so the next run picks that up. The caller commits."""
    started = utcnow()
    sha256, size = generator.write_file(database_file(therapist.group_id, therapist.id),
                                        generator.collect_rows(therapist))
    record = db.session.get(TherapistDatabase, therapist.id)
    if record is None:
        record = TherapistDatabase(therapist_id=therapist.id, group_id=therapist.group_id, stale=False)
        db.session.add(record)
    still_stale = record.stale and record.stale_since is not None and record.stale_since > started
    record.sha256, record.size, record.generated_at = sha256, size, utcnow()
    record.schema_version = generator.SCHEMA_VERSION
    record.stale = still_stale
    return record


def ready_database(therapist: Therapist) -> TherapistDatabase | None:
    """The database the app may download: generated and present on disk (a stale one still serves).
    A file that has gone missing counts as never generated from now on, and is generated again
    (the caller commits)."""
    record = db.session.get(TherapistDatabase, therapist.id)
    if record is None or record.sha256 is None:
        return None
    if not database_file(therapist.group_id, therapist.id).exists():
        lost(therapist.id)
        return None
    return record


def database_file(group_id: int, therapist_id: int) -> Path:
    """Where the therapist's database is written and what the app downloads."""
    return generator.path_for(group_id, therapist_id)


def lost(therapist_id: int) -> None:
    """The file of a generated database is gone: it is missing now, and generated again."""
    db.session.execute(update(TherapistDatabase).where(TherapistDatabase.therapist_id == therapist_id)
                       .values(sha256=None, size=None))
    mark_stale([therapist_id])


def missing_for(group_id: int | None = None) -> list[int]:
    """Activated therapists whose database is missing or stale (optionally of one group)."""
    query = (
        select(Therapist.id)
        .outerjoin(TherapistDatabase, TherapistDatabase.therapist_id == Therapist.id)
        .where(Therapist.app_enabled.is_(True),
               (TherapistDatabase.therapist_id.is_(None)) | (TherapistDatabase.stale.is_(True))
               | (TherapistDatabase.sha256.is_(None)))
        .order_by(Therapist.id)
    )
    if group_id is not None:
        query = query.where(Therapist.group_id == group_id)
    return list(db.session.scalars(query))


def generate_missing(group_id: int | None = None,
                     progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Write every missing or stale database of activated therapists (of one group, or all),
    committing each; one broken database does not stop the others. ``progress(done, total)``
    is called before the first and after each. Returns (generated, failed)."""
    ids = missing_for(group_id)
    if progress:
        progress(0, len(ids))
    failed = 0
    for index, therapist_id in enumerate(ids, start=1):
        try:
            generate_once(db.session.get(Therapist, therapist_id))
        except Exception:  # noqa: BLE001 - one broken database must not stop the others
            db.session.rollback()
            failed += 1
        if progress:
            progress(index, len(ids))
        db.session.expunge_all()
    return len(ids) - failed, failed
