"""Bereitgestellte Scripts: maintenance a chef may run for the group, with progress and history."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import jobs
from ..auth.permissions import Permission, get_or_404, requires
from ..extensions import db, htmx
from ..forms import ConfirmForm, confirmed_or_400
from ..therapist_db.services import missing_for
from .models import ScriptRun
from .services import history, start_run

bp = Blueprint("scripts", __name__, url_prefix="/scripts")


@bp.get("")
@requires(Permission.RUN_SCRIPTS)
def index():
    return render_template("scripts/index.html", runs=history(current_user.group_id),
                           missing=len(missing_for(current_user.group_id)), form=ConfirmForm())


@bp.post("/datenbanken")
@requires(Permission.RUN_SCRIPTS)
def generate_missing():
    """"Fehlende Therapeuten-Datenbanken jetzt erzeugen" for the group, as an RQ job."""
    confirmed_or_400()
    run = start_run(current_user.group_id, current_user)
    db.session.commit()
    if htmx:
        return render_template("scripts/_run.html", run=run, queue_down=jobs.handover_failed())
    if jobs.handover_failed():
        flash(_("Der Hintergrunddienst ist gerade nicht erreichbar; der Lauf startet automatisch, sobald er wieder "
                "läuft."), "warning")
    return redirect(url_for(".index"))


@bp.get("/laeufe/<int:run_id>")
@requires(Permission.RUN_SCRIPTS)
def run_status(run_id: int):
    """The run's progress (n of m); polls itself until the run has finished."""
    return render_template("scripts/_run.html", run=get_or_404(ScriptRun, run_id))
