from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from redis.exceptions import RedisError
from sqlalchemy import func, select

from ..accounts.forms import InvitationForm
from ..accounts.services import AccountRefused, create_group, invite, open_invitations, second_factor_changed, users_of
from ..auth import second_factor
from ..auth.models import Role, User
from ..auth.permissions import ANY_GROUP, Permission, get_or_404, requires
from ..codes.models import CodeRequest
from ..codes.status import status_for
from ..devices.services import devices_of
from ..extensions import db, htmx
from ..forms import ConfirmForm, confirmed_or_400
from ..groups.forms import LicenceForm
from ..groups.services import set_licence
from ..readiness import checklist
from ..sorting import sort_key
from ..tenancy import LicenceKind, PracticeGroup, Therapist
from ..therapists.forms import WithdrawForm
from ..therapists.services import withdraw_authorisation
from ..timeutil import utcnow
from ..web import page_or_fragment, push_url, redirect_unless_htmx
from .forms import NewGroupForm
from .jobs import overview, requeue_failed
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
    users = users_of(group.id)
    invitations = open_invitations(group.id)
    return render_template("support/group.html", group=group, users=users, invitations=invitations,
                           licence_rows=licence_rows, confirm_form=ConfirmForm(),
                           invitation_form=forms.get("invitation") or InvitationForm(formdata=None), now=utcnow(),
                           **extra), status


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


@bp.get("/gruppen/<int:group_id>")
@requires(Permission.SUPPORT_CONSOLE)
def group(group_id: int):
    return _group_page(get_or_404(PracticeGroup, group_id, group_id=ANY_GROUP))


@bp.route("/gruppen/neu", methods=["GET", "POST"])
@requires(Permission.MANAGE_GROUPS)
def new_group():
    """Customer onboarding: a new practice group with its licences, and its first chef invited."""
    form = NewGroupForm()
    if form.validate_on_submit():
        try:
            group = create_group(form.name.data, [LicenceKind(kind) for kind in form.licences.data],
                                 form.chef_email.data, current_user)
        except AccountRefused as refused:
            db.session.rollback()
            form.name.errors.append(str(refused))
        else:
            db.session.commit()
            return _group_page(group, message=_("Praxisgruppe „%(name)s“ angelegt; die Einladung an %(email)s ist "
                                                "unterwegs.", name=group.name, email=form.chef_email.data.lower()))
    return render_template("support/new_group.html", form=form), 200 if request.method == "GET" else 422


@bp.post("/gruppen/<int:group_id>/einladen")
@requires(Permission.MANAGE_GROUPS)
def invite_to_group(group_id: int):
    """Support invites someone into a group (a new chef, say, when the only one left)."""
    group = get_or_404(PracticeGroup, group_id, group_id=ANY_GROUP)
    form = InvitationForm()
    if not form.validate_on_submit():
        return _group_page(group, {"invitation": form}, 422)
    try:
        invitation = invite(group, form.email.data, Role(form.role.data), current_user)
    except AccountRefused as refused:
        form.email.errors.append(str(refused))
        return _group_page(group, {"invitation": form}, 422)
    db.session.commit()
    return _group_page(group, message=_("Einladung an %(email)s ist unterwegs.", email=invitation.email))


@bp.post("/benutzer/<int:user_id>/zweiter-faktor")
@requires(Permission.MANAGE_GROUPS)
def reset_second_factor(user_id: int):
    """A user lost phone and codes: support removes their second factor (audited, and the user is
    told by mail); a user who needs one sets it up again at the next sign-in."""
    user = get_or_404(User, user_id, group_id=ANY_GROUP)
    confirmed_or_400()
    if user.id == current_user.id:
        abort(403)
    second_factor.remove_all(user)
    second_factor_changed(user, "second_factor.reset", "vom Kundenservice zurückgesetzt", actor=current_user)
    db.session.commit()
    message = _("Der zweite Faktor von %(email)s ist zurückgesetzt; die Person wurde per E-Mail informiert.",
                email=user.email)
    if user.group_id is None:
        return redirect(url_for(".index"))
    return _group_page(db.session.get(PracticeGroup, user.group_id), message=message)


@redirect_unless_htmx(".jobs")
def _jobs_page(*, message: str | None = None, category: str = "success"):
    """The job queues (htmx: the section); after a plain form post, a redirect with the message.
    With Redis down the page says so instead of failing."""
    try:
        queues = overview()
    except RedisError:
        queues = None
    return page_or_fragment("support/jobs.html", "support/_jobs.html", queues=queues, confirm_form=ConfirmForm(),
                            message=message, category=category)


@bp.get("/auftraege")
@requires(Permission.SUPPORT_CONSOLE)
def jobs():
    """The background service's queue: waiting, running, planned and failed jobs."""
    return _jobs_page()


@bp.post("/auftraege/<string(maxlength=200):job_id>/erneut")
@bp.post("/auftraege/alle-erneut", defaults={"job_id": None})
@requires(Permission.SUPPORT_CONSOLE)
def requeue(job_id: str | None):
    """"Erneut versuchen": one failed job, or every failed one, back to the queue (audited)."""
    confirmed_or_400()
    try:
        count = requeue_failed(None if job_id is None else [job_id], current_user)
    except RedisError:
        db.session.rollback()
        return _jobs_page()
    db.session.commit()
    if not count:
        return _jobs_page(message=_("Dieser Auftrag ist nicht mehr unter den fehlgeschlagenen.") if job_id else
                          _("Es gibt keine fehlgeschlagenen Aufträge mehr."), category="warning")
    return _jobs_page(message=ngettext("%(num)s Auftrag wird erneut versucht.",
                                       "%(num)s Aufträge werden erneut versucht.", count))
