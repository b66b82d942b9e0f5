from types import SimpleNamespace

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..accounts.models import AccountMail
from ..auth.permissions import Permission, can, get_or_404, requires
from ..extensions import db, htmx
from ..forms import confirmed_or_400
from ..i18n import N_, translate
from ..readiness import checklist, unmet_for
from ..tenancy import Therapist
from ..web import arg_id, arg_page, done, paginate
from .models import CodeRequest
from .request import request_code
from .status import status_for

bp = Blueprint("codes", __name__)

SCOPES = ("list", "dialog")
MAIL_LOG_PER_PAGE = 50
ACCOUNT_MAILS_SHOWN = 50  # the newest mails to the group's portal users, under the code mails


def _scope() -> str:
    scope = request.values.get("scope", "list")
    return scope if scope in SCOPES else "list"


@bp.get("/therapeuten/<int:therapist_id>/zugangscode")
@requires(Permission.VIEW_THERAPISTS)
def status(therapist_id: int):
    """The self-polling status cell (and, out of band, what depends on it)."""
    return _status_update(get_or_404(Therapist, therapist_id))


def _status_update(therapist: Therapist, **context):
    """The status cell with, out of band, the arrow and the readiness the status feeds: the list
    row's mark or the dialog's checklist."""
    scope = _scope()
    if scope == "list":
        context["mark"] = SimpleNamespace(id=therapist.id, app_enabled=therapist.app_enabled,
                                          unmet=unmet_for(therapist.id))
    else:
        context["checks"] = checklist(therapist)
    return render_template("codes/_status_update.html", therapist=therapist, scope=scope,
                           code=status_for(therapist.id), **context)


@bp.post("/therapeuten/<int:therapist_id>/zugangscode")
@requires(Permission.EDIT_THERAPISTS)
def resend(therapist_id: int):
    """The arrow: a new code for the therapist, at most one mail per 30 seconds. To an address that
    a mail server refused or reported undeliverable it sends only after "Trotzdem senden"."""
    therapist = get_or_404(Therapist, therapist_id)
    confirmed_or_400()
    if therapist.email_refused and therapist.app_enabled and request.form.get("trotzdem") != "ja":
        context = {"therapist": therapist, "scope": _scope()}
        if not htmx:
            return render_template("codes/confirm_resend.html", **context)
        return _status_update(therapist, confirm=True)
    outcome = request_code(therapist, actor=current_user)
    db.session.commit()
    message, category = outcome.report()
    if not htmx:
        return done(message, category, url_for("therapists.index"))
    return _status_update(therapist, message=message, category=category)


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
    shown_page = paginate(select(CodeRequest).where(*conditions).order_by(CodeRequest.id.desc()), page,
                          MAIL_LOG_PER_PAGE)
    page, pages, total, entries = shown_page.page, shown_page.pages, shown_page.total, shown_page.items
    shown = therapist is None and can(current_user, Permission.MANAGE_USERS)  # the chef's: about the group's users
    account_mails = None if not shown else db.session.scalars(
        select(AccountMail).where(AccountMail.group_id == current_user.group_id)
        .order_by(AccountMail.id.desc()).limit(ACCOUNT_MAILS_SHOWN)).all()
    return render_template("codes/mail_log.html", entries=entries, therapist=therapist, page=page, pages=pages,
                           total=total, account_mails=account_mails)
