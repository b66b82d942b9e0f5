"""Bereitgestellte Scripts: maintenance a chef may run for the group, with progress and history."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import select

from ..appdb.services import missing_for
from ..audit.services import record
from ..auth.permissions import Permission, get_in_group_or_404, requires
from ..extensions import db, htmx
from ..schedule.forms import ConfirmForm
from ..timeutil import utcnow
from .models import ScriptRun

bp = Blueprint("scripts", __name__, url_prefix="/scripts")
GENERATE_MISSING = "generate_missing"


def _history():
    return db.session.scalars(
        select(ScriptRun).where(ScriptRun.group_id == current_user.group_id).order_by(ScriptRun.id.desc()).limit(20)
    ).all()


@bp.get("")
@requires(Permission.RUN_SCRIPTS)
def index():
    return render_template("scripts/index.html", runs=_history(), missing=len(missing_for(current_user.group_id)),
                           form=ConfirmForm())


@bp.post("/datenbanken")
@requires(Permission.RUN_SCRIPTS)
def generate_missing():
    """"Fehlende Therapeuten-Datenbanken jetzt erzeugen" for the group, as an RQ job."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    run = ScriptRun(group_id=current_user.group_id, script=GENERATE_MISSING, started_by_id=current_user.id,
                    started_by_label=current_user.email)
    db.session.add(run)
    db.session.flush()
    record("script.started", group_id=current_user.group_id, details={"script": GENERATE_MISSING, "run_id": run.id})
    db.session.commit()
    try:
        current_app.task_queue.enqueue("portal.appdb.jobs.generate_missing", run.id, job_id=f"script-run-{run.id}",
                                       result_ttl=0, job_timeout=3600)
    except RedisError:
        run.status, run.finished_at = "failed", utcnow()
        run.result = _("Der Hintergrunddienst ist nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut.")
        db.session.commit()
        flash(run.result, "error")
    if htmx:
        return render_template("scripts/_run.html", run=run)
    return redirect(url_for(".index"))


@bp.get("/laeufe/<int:run_id>")
@requires(Permission.RUN_SCRIPTS)
def run_status(run_id: int):
    """The run's progress (n of m); polls itself until the run has finished."""
    return render_template("scripts/_run.html", run=get_in_group_or_404(ScriptRun, run_id))
