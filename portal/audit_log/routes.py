"""The audit log: filters, pages and a CSV export. chef sees the group, support every group."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from ..audit.models import AuditEvent
from ..auth.models import Role, User
from ..auth.permissions import Permission, requires
from ..errors import render_error
from ..extensions import db
from ..i18n import N_, datetime_filter, translate
from ..sorting import sort_key
from ..tenancy import PracticeGroup, Therapist
from ..timeutil import BERLIN
from ..web import arg_day, arg_id, arg_page, csv_download, ignored_arguments, paginate
from .labels import action_label, actor_name, actor_role, details_text, subject
from .names import names_for

bp = Blueprint("audit", __name__, url_prefix="/protokoll")
PER_PAGE = 50


@dataclass
class AuditFilter:
    group: int | None
    therapist: int | None
    actor: str
    action: str
    since: date | None
    until: date | None
    page: int

    @classmethod
    def from_request(cls) -> AuditFilter:
        """The filters of the query string; what is not understood is ignored, and the page says so."""
        args = request.args
        group = arg_id("group", translate(N_("Praxisgruppe")))
        if current_user.role != Role.SUPPORT:
            group = current_user.group_id  # a chef sees their own group only
        return cls(group, arg_id("therapist", translate(N_("Therapeut-ID"))), args.get("actor", "").strip()[:100],
                   args.get("action", "").strip()[:64], arg_day("since", translate(N_("Von"))),
                   arg_day("until", translate(N_("Bis"))), arg_page())

    def conditions(self) -> list:
        conditions = []
        if self.group is not None:
            conditions.append(AuditEvent.group_id == self.group)
        if self.therapist is not None:
            conditions.append(AuditEvent.therapist_id == self.therapist)
        if self.actor:  # the stored label (an address, "Terminal Tresen") or the user's name
            named = select(User.id).where(func.lower(User.name).contains(self.actor.lower(), autoescape=True))
            conditions.append(or_(func.lower(AuditEvent.actor_label).contains(self.actor.lower(), autoescape=True),
                                  AuditEvent.actor_id.in_(named)))
        if self.action:
            conditions.append(AuditEvent.action == self.action)
        if self.since:
            conditions.append(AuditEvent.created_at >= datetime.combine(self.since, time.min, BERLIN))
        if self.until:
            next_day = self.until + timedelta(days=1)
            conditions.append(AuditEvent.created_at < datetime.combine(next_day, time.min, BERLIN))
        return conditions

    def args(self, **overrides) -> dict:
        values = {"group": self.group if current_user.role == Role.SUPPORT else None, "therapist": self.therapist,
                  "actor": self.actor, "action": self.action, "since": self.since and self.since.isoformat(),
                  "until": self.until and self.until.isoformat(), **overrides}
        return {k: v for k, v in values.items() if v not in (None, "") and not (k == "page" and v == 1)}


@bp.get("")
@requires(Permission.VIEW_AUDIT_LOG)
def index():
    filters = AuditFilter.from_request()
    conditions = filters.conditions()
    shown_page = paginate(select(AuditEvent).where(*conditions).order_by(AuditEvent.id.desc()), filters.page, PER_PAGE)
    filters.page, pages, total, entries = shown_page.page, shown_page.pages, shown_page.total, shown_page.items
    visible = [AuditEvent.group_id == filters.group] if filters.group is not None else []
    actions = db.session.scalars(select(AuditEvent.action).where(*visible).distinct()
                                 .order_by(AuditEvent.action)).all()
    groups = (sorted(db.session.scalars(select(PracticeGroup)), key=lambda g: sort_key(g.name))
              if current_user.role == Role.SUPPORT else [])
    group_names = {g.id: g.name for g in db.session.scalars(select(PracticeGroup))}
    shown = {e.therapist_id for e in entries if e.therapist_id} | ({filters.therapist} if filters.therapist else set())
    therapist_names = dict(db.session.execute(
        select(Therapist.id, Therapist.first_name + " " + Therapist.last_name).where(
            Therapist.id.in_(shown), *([Therapist.group_id == filters.group] if filters.group is not None else []))
    ).all()) if shown else {}
    return render_template("audit/index.html", entries=entries, filters=filters, total=total, actions=actions,
                           groups=groups, group_names=group_names, therapist_names=therapist_names,
                           action_label=action_label, details_text=details_text, subject=subject,
                           actor_name=actor_name, actor_role=actor_role, names=names_for(entries),
                           pages=pages)


@bp.get("/export.csv")
@requires(Permission.VIEW_AUDIT_LOG)
def export():
    """The filtered view as CSV (semicolon separated, UTF-8 with BOM, as German Excel expects)."""
    filters = AuditFilter.from_request()
    if ignored_arguments():  # a download cannot say what it left out: refuse it instead
        names = ", ".join(ignored_arguments())
        return render_error(400, _("Der Filter enthält ungültige Angaben (%(names)s). Bitte prüfen Sie ihn im "
                                   "Protokoll und laden Sie dann erneut herunter.", names=names))
    rows = db.session.scalars(select(AuditEvent).where(*filters.conditions()).order_by(AuditEvent.id)).all()
    group_names = {g.id: g.name for g in db.session.scalars(select(PracticeGroup))}
    header = ["Zeit", "Praxisgruppe", "Therapeut-ID", "Wer", "Rolle", "Aktion", "Aktion (Schlüssel)", "Details"]
    return csv_download("protokoll.csv", header, (
        [datetime_filter(entry.created_at), group_names.get(entry.group_id, ""), entry.therapist_id or "",
         entry.actor_label, entry.actor_role or "", action_label(entry.action), entry.action,
         json.dumps(entry.details, ensure_ascii=False, sort_keys=True)] for entry in rows))
