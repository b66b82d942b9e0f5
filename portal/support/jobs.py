"""Support's view of the background service: RQ's queue ``portal`` with what waits, runs, is
planned and has failed, and "Erneut versuchen" for failed jobs (audited).

Only words leave Redis: a label for what a job does, its times, its worker and one scrubbed line
of its error. A job's arguments and RQ's description (their repr) are never shown: they may hold
an address, and a code must never reach a page, not even by mistake."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, url_for
from flask_babel import format_timedelta
from rq.exceptions import DeserializationError, InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from sqlalchemy import select

from ..audit.services import record
from ..extensions import db
from ..i18n import translate
from ..jobs import KINDS
from ..monitoring import queues
from ..monitoring.sentry import EMAIL
from ..tenancy import PracticeGroup, Therapist
from ..timeutil import utcnow
from ..web import parse_id

SHOWN = 50  # jobs listed per section; the heading counts them all
ERROR_CHARS = 300
MASK = "••••••"
EMAIL_MASK = "[E-Mail]"
_LONG_DIGITS = re.compile(r"\d{6,}")  # an access code has ACCESS_CODE_LENGTH (at least 6) digits


@dataclass(frozen=True)
class Subject:
    """The therapist or group a job is about, with support's page for it."""

    name: str
    url: str


_LINKS = {
    Therapist: lambda t: Subject(t.sort_name, url_for("support.therapist", therapist_id=t.id)),
    PracticeGroup: lambda g: Subject(g.name, url_for("support.group", group_id=g.id)),
}


def scrubbed(text: str) -> str:
    """Text with every run of six or more digits masked (whatever it is, it could be a code), and
    every e-mail address (an SMTP refusal names the recipient)."""
    return _LONG_DIGITS.sub(MASK, EMAIL.sub(EMAIL_MASK, text))


def error_line(exc_string: str | None) -> str:
    """The line naming a failed job's exception (``ValueError: …``), scrubbed and shortened;
    never the traceback. Without a traceback (a job RQ gave up on), its last line."""
    lines = [line for line in (exc_string or "").splitlines() if line.strip()]
    if not lines:
        return ""
    headers = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent call last)")]
    after = lines[headers[-1] + 1:] if headers else []
    line = next((candidate for candidate in after if not candidate[0].isspace()), lines[-1]).strip()
    line = scrubbed(line)
    return line if len(line) <= ERROR_CHARS else line[:ERROR_CHARS - 1] + "…"


@dataclass(frozen=True)
class JobRow:
    id: str
    function: str
    subject: Subject | None = None
    enqueued_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    planned_for: datetime | None = None
    worker: str | None = None
    error: str = ""

    @property
    def label(self) -> str:
        """What the job does in words; a job the portal does not know by its bare function name."""
        kind = KINDS.get(self.function)
        return translate(kind.label) if kind else scrubbed(self.function or "?")


@dataclass(frozen=True)
class Section:
    count: int
    rows: list[JobRow]

    @property
    def hidden(self) -> int:
        """How many the list leaves out (it shows the first ``SHOWN``)."""
        return max(0, self.count - len(self.rows))


@dataclass(frozen=True)
class Overview:
    waiting: Section
    running: Section
    planned: Section
    failed: Section

    @property
    def oldest_wait(self) -> str | None:
        """How long the oldest waiting job has waited, in words ("12 Minuten")."""
        enqueued = [row.enqueued_at for row in self.waiting.rows if row.enqueued_at]
        if not enqueued:
            return None
        age = max(timedelta(0), utcnow() - min(enqueued))
        return format_timedelta(age, granularity="second", add_direction=False)


def _function(job: Job) -> str:
    try:
        return job.func_name or ""
    except DeserializationError:  # data this code cannot unpickle: the job still gets a row
        return ""


def _first_id(job: Job) -> int | None:
    try:
        first = job.args[0] if job.args else None
    except DeserializationError:
        return None
    return parse_id(first) if isinstance(first, int) else None  # parse_id: a positive BIGINT, never a bool


def _subjects(jobs: list[Job]) -> dict[str, Subject]:
    """The therapist or group each job is about, by job id, looked up in one query per kind."""
    wanted: dict[str, dict[int, list[str]]] = {}
    for job in jobs:
        kind, row_id = KINDS.get(_function(job)), _first_id(job)
        if kind and kind.refers_to and row_id is not None:
            wanted.setdefault(_function(job), {}).setdefault(row_id, []).append(job.id)
    found: dict[str, Subject] = {}
    for function, by_row in wanted.items():
        column, target = KINDS[function].refers_to
        owner_of = dict(db.session.execute(select(column.class_.id, column).where(column.class_.id.in_(by_row))).all())
        owners = {obj.id: obj for obj in db.session.scalars(
            select(target).where(target.id.in_({owner for owner in owner_of.values() if owner is not None})))}
        for row_id, job_ids in by_row.items():
            if owner_of.get(row_id) in owners:
                found.update(dict.fromkeys(job_ids, _LINKS[target](owners[owner_of[row_id]])))
    return found


def _fetch(job_ids: list[str]) -> list[Job]:
    unique = list(dict.fromkeys(job_ids))
    return [job for job in Job.fetch_many(unique, connection=current_app.redis) if job is not None]


def _rows(jobs: list[Job], row: Callable[[Job], dict]) -> list[JobRow]:
    subjects = _subjects(jobs)
    return [JobRow(id=job.id, function=_function(job), subject=subjects.get(job.id), **row(job)) for job in jobs]


def _failure(job: Job) -> dict:
    result = job.latest_result()
    return {"started_at": job.started_at, "ended_at": job.ended_at,
            "error": error_line(result.exc_string if result is not None else None)}


def overview() -> Overview:
    """The queue's four lists, each counted in full and listing its first ``SHOWN`` jobs: waiting
    (oldest first), running, planned (retries and delayed jobs, soonest first) and failed (newest
    first). Reads only: RQ's clean-ups are left to the worker. Raises ``RedisError`` when Redis
    does not answer."""
    queue = current_app.task_queue
    counts = queues.state(queue)
    started, failed = StartedJobRegistry(queue=queue), FailedJobRegistry(queue=queue)
    scheduled = ScheduledJobRegistry(queue=queue)
    planned_at = {job_id.decode(): datetime.fromtimestamp(score, UTC)
                  for job_id, score in queue.connection.zrange(scheduled.key, 0, SHOWN - 1, withscores=True)}
    return Overview(
        waiting=Section(counts.waiting, _rows(_fetch(queue.get_job_ids(0, SHOWN)),
                                              lambda job: {"enqueued_at": job.enqueued_at})),
        running=Section(counts.running, _rows(
            _fetch(started.get_job_ids(0, SHOWN - 1, cleanup=False)),
            lambda job: {"enqueued_at": job.enqueued_at, "started_at": job.started_at, "worker": job.worker_name})),
        planned=Section(counts.scheduled, _rows(_fetch(list(planned_at)),
                                                lambda job: {"planned_for": planned_at[job.id]})),
        failed=Section(counts.failed, _rows(
            _fetch(failed.get_job_ids(0, SHOWN - 1, desc=True, cleanup=False)), _failure)),
    )


def requeue_failed(job_ids: list[str] | None, actor) -> int:
    """Put failed jobs back at the end of the queue (``None``: every failed one) and record each
    in the audit log; the caller commits. A job no longer among the failed (requeued meanwhile,
    or expired) is skipped. Returns how many were requeued; raises ``RedisError`` when Redis does
    not answer."""
    registry = FailedJobRegistry(queue=current_app.task_queue)
    requeued = 0
    for job_id in registry.get_job_ids(cleanup=False) if job_ids is None else job_ids:
        try:
            job = registry.requeue(job_id)
        except (InvalidJobOperation, NoSuchJobError, ValueError):  # ValueError: no job id RQ could have made
            continue
        record("job.requeued", group_id=None, actor=actor, details={"job_id": job.id, "function": _function(job)})
        requeued += 1
    return requeued
