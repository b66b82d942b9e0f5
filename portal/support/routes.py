from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..api.models import Device
from ..auth.models import User
from ..auth.permissions import Permission, requires
from ..codes.models import CodeRequest
from ..codes.services import status_for
from ..extensions import db, htmx
from ..groups.models import LicenceKind, PracticeGroup
from ..groups.routes import LICENCE_LABELS
from ..therapists.models import Therapist
from ..therapists.readiness import checklist
from .forms import LicenceForm, WithdrawForm
from .services import search, set_licence, withdraw_authorisation

bp = Blueprint("support", __name__, url_prefix="/support")


def _get_or_404(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


@bp.get("")
@requires(Permission.SUPPORT_CONSOLE)
def index():
    """Vendor support's start page: search across all groups, and every group with its licences."""
    counts = dict(
        db.session.execute(select(Therapist.group_id, func.count(Therapist.id)).group_by(Therapist.group_id)).all()
    )
    groups = db.session.scalars(select(PracticeGroup).order_by(PracticeGroup.name)).all()
    q = request.args.get("q", "").strip()[:100]
    return render_template("support/index.html", groups=groups, counts=counts, licence_labels=LICENCE_LABELS,
                           q=q, results=search(q))


@bp.get("/suche")
@requires(Permission.SUPPORT_CONSOLE)
def search_results():
    q = request.args.get("q", "").strip()[:100]
    headers = {"HX-Push-Url": f"{request.script_root}/support?q={q}" if q else f"{request.script_root}/support"}
    return render_template("support/_results.html", q=q, results=search(q)), 200, headers if htmx else {}


def _therapist_context(therapist: Therapist, **extra) -> dict:
    return {
        "therapist": therapist,
        "checks": checklist(therapist),
        "devices": db.session.scalars(select(Device).where(Device.therapist_id == therapist.id)
                                      .order_by(Device.signed_in_at.desc())).all(),
        "codes": db.session.scalars(select(CodeRequest).where(CodeRequest.therapist_id == therapist.id)
                                    .order_by(CodeRequest.id.desc()).limit(20)).all(),
        "code": status_for(therapist.id),
        "withdraw_form": extra.pop("withdraw_form", None) or WithdrawForm(formdata=None),
        **extra,
    }


@bp.get("/therapeuten/<int:therapist_id>")
@requires(Permission.SUPPORT_CONSOLE)
def therapist(therapist_id: int):
    return render_template("support/therapist.html", **_therapist_context(_get_or_404(Therapist, therapist_id)))


@bp.post("/therapeuten/<int:therapist_id>/entziehen")
@requires(Permission.SUPPORT_CONSOLE)
def withdraw(therapist_id: int):
    """Support withdraws the authorisation (marked as support's action in the group's audit log)."""
    therapist = _get_or_404(Therapist, therapist_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return render_template("support/therapist.html", **_therapist_context(therapist, withdraw_form=form)), 422
    summary = withdraw_authorisation(therapist, form.reason.data, current_user)
    db.session.commit()
    message = _("Berechtigung von %(name)s entzogen: %(devices)s Gerät(e) abgemeldet, %(codes)s offene(r) Code(s) "
                "ungültig.", name=therapist.full_name, devices=summary["devices_revoked"],
                codes=summary["codes_voided"])
    return render_template("support/therapist.html", **_therapist_context(therapist, message=message))


def _group_context(group: PracticeGroup, forms: dict | None = None, **extra) -> dict:
    forms = forms or {}
    return {
        "group": group,
        "users": db.session.scalars(select(User).where(User.group_id == group.id).order_by(User.email)).all(),
        "licence_rows": [
            (kind, LICENCE_LABELS[kind], group.licence(kind),
             forms.get(kind) or LicenceForm(formdata=None, obj=group.licence(kind), prefix=kind.value))
            for kind in LicenceKind
        ],
        **extra,
    }


@bp.get("/gruppen/<int:group_id>")
@requires(Permission.SUPPORT_CONSOLE)
def group(group_id: int):
    return render_template("support/group.html", **_group_context(_get_or_404(PracticeGroup, group_id)))


@bp.post("/gruppen/<int:group_id>/lizenzen/<any(sync, app, checkin):kind>")
@requires(Permission.MANAGE_LICENCES)
def licence(group_id: int, kind: str):
    group = _get_or_404(PracticeGroup, group_id)
    kind = LicenceKind(kind)
    form = LicenceForm(prefix=kind.value)
    if not form.validate_on_submit():
        return render_template("support/group.html", **_group_context(group, {kind: form})), 422
    set_licence(group, kind, form.valid_from.data, form.valid_until.data, current_user)
    db.session.commit()
    return render_template("support/group.html", **_group_context(
        group, message=_("Lizenz „%(label)s“ gespeichert.", label=LICENCE_LABELS[kind])))
