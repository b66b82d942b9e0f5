from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..auth.models import User
from ..auth.permissions import ANY_GROUP, Permission, get_or_404, requires
from ..codes.models import CodeRequest
from ..codes.status import status_for
from ..devices.services import devices_of
from ..extensions import db, htmx
from ..forms import ConfirmForm
from ..groups.forms import LicenceForm
from ..groups.models import LicenceKind, PracticeGroup
from ..groups.services import set_licence
from ..sorting import sort_key
from ..therapists.forms import WithdrawForm
from ..therapists.models import Therapist
from ..therapists.readiness import checklist
from ..therapists.services import withdraw_authorisation
from ..web import push_url
from .services import search

bp = Blueprint("support", __name__, url_prefix="/support")
CODE_HISTORY = 20


def _query() -> str:
    return request.args.get("q", "").strip()[:100]


@bp.get("")
@requires(Permission.SUPPORT_CONSOLE)
def index():
    """Vendor support's start page: search across all groups, and every group with its licences."""
    counts = dict(
        db.session.execute(select(Therapist.group_id, func.count(Therapist.id)).group_by(Therapist.group_id)).all()
    )
    groups = sorted(db.session.scalars(select(PracticeGroup)), key=lambda g: sort_key(g.name))
    q = _query()
    return render_template("support/index.html", groups=groups, counts=counts, licence_kinds=list(LicenceKind),
                           q=q, results=search(q))


@bp.get("/suche")
@requires(Permission.SUPPORT_CONSOLE)
def search_results():
    q = _query()
    headers = push_url(".index", q=q or None) if htmx else {}
    return render_template("support/_results.html", q=q, results=search(q)), 200, headers


def _therapist_page(therapist: Therapist, status: int = 200, **extra):
    codes = db.session.scalars(select(CodeRequest).where(CodeRequest.therapist_id == therapist.id)
                               .order_by(CodeRequest.id.desc()).limit(CODE_HISTORY)).all()
    return render_template(
        "support/therapist.html", therapist=therapist, checks=checklist(therapist), devices=devices_of(therapist.id),
        codes=codes, code=status_for(therapist.id), confirm_form=ConfirmForm(),
        withdraw_form=extra.pop("withdraw_form", None) or WithdrawForm(formdata=None), **extra), status


@bp.get("/therapeuten/<int:therapist_id>")
@requires(Permission.SUPPORT_CONSOLE)
def therapist(therapist_id: int):
    return _therapist_page(get_or_404(Therapist, therapist_id, group_id=ANY_GROUP))


@bp.post("/therapeuten/<int:therapist_id>/entziehen")
@requires(Permission.SUPPORT_CONSOLE)
def withdraw(therapist_id: int):
    """Support withdraws the authorisation (marked as support's action in the group's audit log)."""
    therapist = get_or_404(Therapist, therapist_id, group_id=ANY_GROUP)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _therapist_page(therapist, 422, withdraw_form=form)
    withdrawal = withdraw_authorisation(therapist, form.reason.data, current_user)
    db.session.commit()
    return _therapist_page(therapist, message=withdrawal.message)


def _group_page(group: PracticeGroup, forms: dict | None = None, status: int = 200, **extra):
    forms = forms or {}
    licence_rows = [(kind, group.licence(kind),
                     forms.get(kind) or LicenceForm(formdata=None, obj=group.licence(kind), prefix=kind.value))
                    for kind in LicenceKind]
    users = db.session.scalars(select(User).where(User.group_id == group.id).order_by(User.email)).all()
    return render_template("support/group.html", group=group, users=users, licence_rows=licence_rows,
                           **extra), status


@bp.get("/gruppen/<int:group_id>")
@requires(Permission.SUPPORT_CONSOLE)
def group(group_id: int):
    return _group_page(get_or_404(PracticeGroup, group_id, group_id=ANY_GROUP))


@bp.post("/gruppen/<int:group_id>/lizenzen/<any(sync, app, checkin):kind>")
@requires(Permission.MANAGE_LICENCES)
def licence(group_id: int, kind: str):
    group = get_or_404(PracticeGroup, group_id, group_id=ANY_GROUP)
    kind = LicenceKind(kind)
    form = LicenceForm(prefix=kind.value)
    if not form.validate_on_submit():
        return _group_page(group, {kind: form}, 422)
    set_licence(group, kind, form.valid_from.data, form.valid_until.data, current_user)
    db.session.commit()
    return _group_page(group, message=_("Lizenz „%(label)s“ gespeichert.", label=kind.label))
