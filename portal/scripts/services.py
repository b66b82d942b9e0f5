"""Starting a "Bereitgestelltes Script" for a group, and closing runs whose job died."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from .. import jobs
from ..audit.services import record
from ..extensions import db
from ..i18n import N_
from ..tenancy import PracticeGroup
from ..timeutil import utcnow
from .models import RunStatus, ScriptRun

GENERATE_MISSING = "generate_missing"
RUN_JOB = "portal.scripts.jobs.run_script"
jobs.describe(RUN_JOB, N_("Script ausführen"), (ScriptRun.group_id, PracticeGroup))
RUN_TIMEOUT = timedelta(hours=2)  # twice the job timeout of a run: older unfinished runs are dead
JOB_TIMEOUT = 3600


def job_id(run_id: int) -> str:
    return f"script-run-{run_id}"


def start_run(group_id: int, actor, script: str = GENERATE_MISSING) -> ScriptRun:
    """Record a run of the script for the group; its job is enqueued when the caller commits."""
    run = ScriptRun(group_id=group_id, script=script, started_by_id=actor.id, started_by_label=actor.email)
    db.session.add(run)
    db.session.flush()
    record("script.started", group_id=group_id, details={"script": script, "run_id": run.id}, actor=actor)
    jobs.after_commit(RUN_JOB, run.id, job_id=job_id(run.id), job_timeout=JOB_TIMEOUT)
    return run


def history(group_id: int, limit: int = 20) -> list[ScriptRun]:
    return list(db.session.scalars(select(ScriptRun).where(ScriptRun.group_id == group_id)
                                   .order_by(ScriptRun.id.desc()).limit(limit)))


def sweep() -> int:
    """Hand over runs that never reached Redis, and close runs whose job died, so no status
    stays "running" forever. Returns how many runs it touched."""
    now = utcnow()
    unfinished = db.session.scalars(
        select(ScriptRun).where(ScriptRun.status.in_([RunStatus.QUEUED, RunStatus.RUNNING]))).all()
    touched = 0
    for run in unfinished:
        if run.created_at < now - RUN_TIMEOUT:
            run.status, run.finished_at = RunStatus.FAILED, now
            run.result = "abgebrochen: der Hintergrunddienst hat den Lauf nicht beendet"
            touched += 1
        elif run.status == RunStatus.QUEUED and not jobs.in_flight(job_id(run.id)):
            jobs.enqueue(RUN_JOB, run.id, job_id=job_id(run.id), job_timeout=JOB_TIMEOUT)
            touched += 1
    db.session.commit()
    return touched
