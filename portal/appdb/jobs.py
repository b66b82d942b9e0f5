"""RQ jobs that write therapist databases. They carry ids only."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..jobs import fresh_session
from ..scripts.models import ScriptRun
from ..therapists.models import Therapist
from ..timeutil import utcnow
from . import services
from .models import TherapistDatabase

STALE_GRACE = timedelta(minutes=2)  # a normal regeneration finishes long before
RUN_TIMEOUT = timedelta(hours=2)  # twice the job timeout of a script run


@fresh_session
def generate_database(therapist_id: int) -> str:
    """Write one therapist's database (only for an activated therapist)."""
    therapist = db.session.get(Therapist, therapist_id)
    if therapist is None or not therapist.app_enabled:
        return "skipped"
    services.generate(therapist)
    db.session.commit()
    return "generated"


@fresh_session
def generate_missing(run_id: int | None = None, group_id: int | None = None) -> int:
    """Write every missing or stale database of activated therapists (of one group, or all).

    With a script run it reports progress (n of m) there and its result at the end; the
    Saturday run (rq cron, 03:00 Europe/Berlin) calls it without arguments, for every group."""
    run = db.session.get(ScriptRun, run_id) if run_id else None
    if run is not None:
        group_id = run.group_id
    ids = services.missing_for(group_id)
    if run is not None:
        run.status, run.started_at, run.total, run.done = "running", utcnow(), len(ids), 0
        db.session.commit()
    failed = 0
    for index, therapist_id in enumerate(ids, start=1):
        therapist = db.session.get(Therapist, therapist_id)
        try:
            services.generate(therapist)
            db.session.commit()
        except Exception:  # noqa: BLE001 - one broken database must not stop the others
            db.session.rollback()
            failed += 1
        if run is not None:
            db.session.get(ScriptRun, run_id).done = index
            db.session.commit()
        db.session.expunge_all()
    if run is not None:
        run = db.session.get(ScriptRun, run_id)
        run.status, run.finished_at = ("failed" if failed else "done"), utcnow()
        run.result = f"{len(ids) - failed} von {len(ids)} Datenbanken erzeugt" + (
            f", {failed} fehlgeschlagen" if failed else "")
        db.session.commit()
    return len(ids) - failed






@fresh_session
def sweep() -> int:
    """Every few minutes (rq cron): enqueue databases that stayed stale (Redis was down when they
    were marked) and close script runs whose job died, so no status stays "running" forever."""
    now = utcnow()
    stale = db.session.scalars(
        select(TherapistDatabase.therapist_id)
        .join(Therapist, Therapist.id == TherapistDatabase.therapist_id)
        .where(Therapist.app_enabled.is_(True), TherapistDatabase.stale.is_(True),
               TherapistDatabase.stale_since < now - STALE_GRACE)
    ).all()
    for therapist_id in stale:
        services.enqueue_generation(therapist_id)
    abandoned = db.session.scalars(
        select(ScriptRun).where(ScriptRun.status.in_(["queued", "running"]),
                                ScriptRun.created_at < now - RUN_TIMEOUT)
    ).all()
    for run in abandoned:
        run.status, run.finished_at = "failed", now
        run.result = "abgebrochen: der Hintergrunddienst hat den Lauf nicht beendet"
    db.session.commit()
    return len(stale) + len(abandoned)
