"""RQ jobs that write therapist databases. They carry ids only."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from .. import jobs
from ..extensions import db
from ..i18n import N_
from ..jobs import fresh_session
from ..tenancy import Therapist
from ..timeutil import utcnow
from . import services
from .models import TherapistDatabase

STALE_GRACE = timedelta(minutes=2)  # a normal regeneration finishes long before
DEAD_GENERATION_SECONDS = 600  # a generation job "running" longer belongs to a killed worker (RQ's timeout is 180 s)


@fresh_session
def generate_database(therapist_id: int) -> str:
    """Write one therapist's database (only for an activated therapist), once per change."""
    therapist = db.session.get(Therapist, therapist_id)
    if therapist is None or not therapist.app_enabled:
        return "skipped"
    return "generated" if services.generate_once(therapist) else "current or busy"


@fresh_session
def generate_missing() -> int:
    """The Saturday run (rq cron, 03:00 Europe/Berlin): every missing or stale database of every
    group. Returns how many were written."""
    return services.generate_missing()[0]


jobs.describe(generate_missing, N_("Fehlende Therapeuten-Datenbanken erzeugen"))


@fresh_session
def sweep() -> int:
    """Every few minutes (rq cron): enqueue databases that stayed stale because their job never
    reached Redis or was lost, and those written with an older schema. Returns how many."""
    services.mark_older_schemas_stale()
    db.session.commit()
    stale = db.session.scalars(
        select(TherapistDatabase.therapist_id)
        .join(Therapist, Therapist.id == TherapistDatabase.therapist_id)
        .where(Therapist.app_enabled.is_(True), TherapistDatabase.stale.is_(True),
               TherapistDatabase.stale_since < utcnow() - STALE_GRACE)
    ).all()
    due = [tid for tid in stale if not jobs.in_flight(services.job_id(tid), dead_after=DEAD_GENERATION_SECONDS)]
    for therapist_id in due:
        jobs.enqueue(services.GENERATE_JOB, therapist_id, job_id=services.job_id(therapist_id))
    return len(due)
