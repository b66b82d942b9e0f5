"""The RQ job of a script run: the work, with progress (n of m) and a result on the run."""

from __future__ import annotations

from ..extensions import db
from ..jobs import fresh_session
from ..therapist_db.services import generate_missing
from ..timeutil import utcnow
from .models import RunStatus, ScriptRun
from .services import sweep


@fresh_session
def run_script(run_id: int) -> str:
    """Generate the group's missing therapist databases, reporting progress on the run."""
    run = db.session.get(ScriptRun, run_id)
    if run is None or run.status != RunStatus.QUEUED:
        return "skipped"

    def progress(done: int, total: int) -> None:
        current = db.session.get(ScriptRun, run_id)
        if done == 0:
            current.status, current.started_at = RunStatus.RUNNING, utcnow()
        current.done, current.total = done, total
        db.session.commit()

    generated, failed = generate_missing(run.group_id, progress)
    run = db.session.get(ScriptRun, run_id)
    run.status, run.finished_at = (RunStatus.FAILED if failed else RunStatus.DONE), utcnow()
    total = generated + failed
    run.result = f"{generated} von {total} Datenbanken erzeugt" + (f", {failed} fehlgeschlagen" if failed else "")
    db.session.commit()
    return run.status.value


@fresh_session
def sweep_runs() -> int:
    """rq cron: see ``services.sweep``."""
    return sweep()
