from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..auth.permissions import Permission, get_or_404, requires
from ..extensions import db, htmx
from ..forms import ConfirmForm
from ..i18n import N_, translate
from ..therapists.models import Therapist
from ..web import arg_id, arg_page, done
from .models import CodeRequest
from .request import request_code
from .status import status_for

bp = Blueprint("codes", __name__)

SCOPES = ("list", "dialog")
MAIL_LOG_PER_PAGE = 50


def _scope() -> str:
    scope = request.values.get("scope", "list")
    return scope if scope in SCOPES else "list"


@bp.get("/therapeuten/<int:therapist_id>/zugangscode")
@requires(Permission.VIEW_THERAPISTS)
def status(therapist_id: int):
    """The self-polling status cell (and, out of band, the arrow with its hover text)."""
    therapist = get_or_404(Therapist, therapist_id)
    return render_template("codes/_status_update.html", therapist=therapist, scope=_scope(),
                           code=status_for(therapist.id))


@bp.post("/therapeuten/<int:therapist_id>/zugangscode")
@requires(Permission.EDIT_THERAPISTS)
def resend(therapist_id: int):
    """The arrow: a new code for the therapist, at most one mail per 30 seconds."""
    therapist = get_or_404(Therapist, therapist_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    outcome = request_code(therapist, actor=current_user)
    db.session.commit()
    message, category = outcome.report()
    if not htmx:
        return done(message, category, url_for("therapists.index"))
    return render_template("codes/_status_update.html", therapist=therapist, scope=_scope(),
                           code=status_for(therapist.id), message=message, category=category)


@bp.get("/mail-protokoll")
@requires(Permission.VIEW_THERAPISTS)
def mail_log():
    """Every code mail of the group with what the SMTP server answered."""
    therapist_id = arg_id("therapist", translate(N_("Therapeut")))
    page = arg_page()
    conditions = [CodeRequest.group_id == current_user.group_id]
    therapist = get_or_404(Therapist, therapist_id) if therapist_id else None
    if therapist is not None:
        conditions.append(CodeRequest.therapist_id == therapist.id)
    total = db.session.scalar(select(func.count(CodeRequest.id)).where(*conditions)) or 0
    entries = db.session.scalars(
        select(CodeRequest).where(*conditions).order_by(CodeRequest.id.desc())
        .limit(MAIL_LOG_PER_PAGE).offset((page - 1) * MAIL_LOG_PER_PAGE)
    ).all()
    pages = max(1, -(-total // MAIL_LOG_PER_PAGE))
    return render_template("codes/mail_log.html", entries=entries, therapist=therapist, page=page, pages=pages,
                           total=total)
