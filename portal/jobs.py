"""The one way work reaches the RQ worker: enqueue now, or when the current transaction commits.

Redis only carries work; the database is the record of truth. When Redis is down the record
stays as it is, the page says so (``handover_failed``), and the feature's sweeper, which
``rq cron`` runs, hands it over once Redis is back. Jobs carry ids only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import wraps

from flask import current_app, g, has_app_context, has_request_context
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db
from .monitoring.logs import current_request_id

_AFTER_COMMIT = "jobs_after_commit"
_WAITING = (JobStatus.CREATED, JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED,
            JobStatus.RATE_LIMITED, JobStatus.READY_TO_ENQUEUE)


@dataclass(frozen=True)
class JobKind:
    """What a job does, in words; ``refers_to`` (a column and the model it names) when the job's
    first argument is the id of a row that names a therapist or a group support can open."""

    label: str
    refers_to: tuple | None = None


KINDS: dict[str, JobKind] = {}
"""Every job the portal enqueues or schedules, by the dotted path RQ stores: each feature describes
its own jobs where it names them, as it is imported (support's job page reads this)."""


def describe(func: str | Callable, label: str, refers_to: tuple | None = None) -> None:
    """Name a job in words for support: ``func`` is its dotted path (or the function itself),
    ``label`` a text marked with ``N_``, ``refers_to`` as in ``JobKind``."""
    path = func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"
    KINDS[path] = JobKind(label, refers_to)


def _ids_only(args: tuple) -> None:
    """A job's arguments are ids: Redis, RQ's job description and the worker's log line show them,
    so an address, a code or a name must never be one (the spec's rule for every job)."""
    if any(type(arg) is not int for arg in args):
        raise TypeError("Aufträge tragen nur Ids (ganze Zahlen), keine Adressen, Codes oder Namen.")


def enqueue(func: str, *args, job_id: str, delay: timedelta | None = None, **options) -> bool:
    """Hand a job to Redis now (``delay``: run it later, through the worker's scheduler).

    False when Redis does not answer: the caller's record stays as it is for the sweeper, and
    ``handover_failed()`` tells the page."""
    _ids_only(args)
    options.setdefault("result_ttl", 0)
    request_id = current_request_id()
    if request_id:  # the worker's log lines about this job name the request that asked for it
        options["meta"] = {**options.get("meta", {}), "request_id": request_id}
    queue = current_app.task_queue
    try:
        if delay is not None:
            queue.enqueue_in(delay, func, *args, job_id=job_id, **options)
        else:
            queue.enqueue(func, *args, job_id=job_id, **options)
    except RedisError:
        current_app.logger.warning("Redis nicht erreichbar: Auftrag %s bleibt für den Sweeper liegen", job_id)
        if has_request_context():
            g.jobs_handover_failed = True
        return False
    return True


def after_commit(func: str, *args, job_id: str, **options) -> None:
    """Enqueue the job once the current transaction commits; a rollback forgets it. The same job
    id asked for twice in one transaction is enqueued once."""
    _ids_only(args)
    db.session.info.setdefault(_AFTER_COMMIT, {})[job_id] = (func, args, options)


def handover_failed() -> bool:
    """Whether a job of this request could not be handed to Redis."""
    return has_request_context() and g.get("jobs_handover_failed", False)


def in_flight(job_id: str, dead_after: float | None = None) -> bool:
    """Whether Redis holds the job as waiting, scheduled or running (the sweepers skip those). With
    ``dead_after``: a job "running" longer than that many seconds counts as a dead worker's."""
    try:
        job = Job.fetch(job_id, connection=current_app.redis)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status == JobStatus.STARTED and dead_after is not None and job.started_at is not None:
        return (datetime.now(UTC) - job.started_at).total_seconds() < dead_after
    return status in _WAITING


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    pending = session.info.pop(_AFTER_COMMIT, None)
    if not pending or not has_app_context():
        return
    for job_id, (func, args, options) in pending.items():
        enqueue(func, *args, job_id=job_id, **options)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def fresh_session(job):
    """Give each job run a clean database session: a worker that runs jobs in-process must not
    carry one job's objects (or a failed transaction) into the next."""

    @wraps(job)
    def run(*args, **kwargs):
        try:
            return job(*args, **kwargs)
        finally:
            db.session.remove()

    return run
