"""Can the therapist use the app? The spec's rules 1–2, a refused address and a withdrawal, as one
table of rules. The list's readiness mark, the "nicht bereit" filter, the checklist in the dialog
and in support's view, the onboarding panel and the app's sign-in refusal all read this table;
each rule's SQL expression is its only definition. It reads several features (therapists, codes,
groups, schedule, the therapist database), so it lives above them, not inside one of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import url_for
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import exists, not_, or_, select

from .auth.permissions import Permission, can
from .codes.models import CodeRequest
from .codes.status import status_for
from .extensions import db
from .help.links import help_page_url
from .i18n import N_, datetime_filter, translate
from .outbox.delivery import IN_FLIGHT
from .schedule.models import Appointment, Course
from .tenancy import Therapist, app_licences_active
from .therapist_db.models import TherapistDatabase
from .timeutil import now_param, today_param

HELP_PAGE = "kann-sich-nicht-anmelden"


@dataclass(frozen=True)
class Fix:
    """What fixes an unmet rule: a link (or an anchor in the dialog) or an action to post."""

    label: str
    url: str | None = None
    post: str | None = None


@dataclass(frozen=True)
class Rule:
    key: str
    label: str  # the checklist's words when the rule is met
    problem: str  # the words when it is not: the list's mark and the checklist
    met: Callable  # (therapist columns, day) -> SQL: the rule is met
    fix: Callable[[int], Fix | None]  # therapist id -> what fixes it (None: nothing this user can do)
    help_anchor: str
    detail: Callable[[Therapist], str | None] | None = None  # the checklist's words with the particulars
    pending: Callable | None = None  # (therapist columns) -> SQL: the fix is on its way
    refusal: str | None = None  # the app API's error for a sign-in while the rule is not met
    needs: tuple[str, ...] = ()  # rules that must be met before this one can be checked or fixed

    @property
    def help_url(self) -> str:
        return help_page_url(HELP_PAGE, self.help_anchor)


def _edit_email(_therapist_id: int) -> Fix:
    return Fix(translate(N_("E-Mail-Adresse bearbeiten")), url="#email")


def _correct_email(_therapist_id: int) -> Fix:
    return Fix(translate(N_("E-Mail-Adresse korrigieren")), url="#email")


def _tick_app(_therapist_id: int) -> Fix:
    return Fix(translate(N_("„App aktivieren“ setzen und OK klicken")), url="#app_enabled")


def _ask_for_licence(_therapist_id: int) -> Fix | None:
    """The group's licence page, for those who may see it (the help link explains it to the others)."""
    if not can(current_user, Permission.VIEW_GROUP):
        return None
    return Fix(translate(N_("Lizenz beim Kundenservice anfragen")),
               url=url_for("groups.index", _anchor="kundenservice"))


def _missing_licences(therapist: Therapist) -> str | None:
    missing = therapist.group.missing_app_licences()
    if not missing:
        return None
    names = translate(N_(" und ")).join(kind.label for kind in missing)
    return ngettext("Es fehlt eine gültige %(missing)s", "Es fehlen gültige Lizenzen: %(missing)s", len(missing),
                    missing=names)


def _has_schedule(t, _day):
    return or_(exists().where(Appointment.therapist_id == t.id), exists().where(Course.therapist_id == t.id))


def _database_generated(t, _day):
    return exists().where(TherapistDatabase.therapist_id == t.id, TherapistDatabase.sha256.is_not(None))


def _database_on_its_way(t):
    return t.app_enabled.is_(True) & not_(exists().where(TherapistDatabase.therapist_id == t.id,
                                                         TherapistDatabase.stale.is_(False)))


def _code_usable(t, _day):
    """A code to the current address signed a device in, or one can still be used: accepted, not
    expired, locked or reported undeliverable, and not replaced by a newer one."""
    used = exists().where(CodeRequest.therapist_id == t.id, CodeRequest.email == t.email,
                          CodeRequest.used_at.is_not(None))
    valid = exists().where(CodeRequest.therapist_id == t.id, CodeRequest.email == t.email,
                           CodeRequest.usable(now_param()))
    return or_(used, valid)


def _code_on_its_way(t):
    latest = select(CodeRequest.delivery).where(CodeRequest.therapist_id == t.id).order_by(
        CodeRequest.id.desc()).limit(1).scalar_subquery()
    return latest.in_(IN_FLIGHT)


def _code_detail(therapist: Therapist) -> str | None:
    """Why the latest code is of no use: the code status in words (e.g. "abgelaufen")."""
    code = status_for(therapist.id)
    if code.request is None or code.request.email != therapist.email:
        return translate(N_("Noch kein Zugangscode an diese Adresse gesendet"))
    return translate(N_("Letzter Zugangscode: %(status)s"), status=code.label)


RULES: tuple[Rule, ...] = (
    Rule("licence", N_("Praxisgruppe hat Sync- und App-Lizenz"), N_("Sync- oder App-Lizenz der Praxisgruppe fehlt"),
         lambda t, day: app_licences_active(t.group_id, day), _ask_for_licence, "lizenz",
         detail=_missing_licences, refusal="no_license"),
    Rule("email", N_("E-Mail-Adresse hinterlegt"), N_("Keine E-Mail-Adresse hinterlegt"),
         lambda t, _day: t.email.is_not(None), _edit_email, "email"),
    Rule("deliverable", N_("E-Mail-Adresse empfangsbereit"), N_("E-Mail-Adresse nicht empfangsbereit"),
         lambda t, _day: t.email_refused.is_(None), _correct_email, "zustellbar",
         detail=lambda therapist: translate(N_("Die E-Mail-Adresse ist nicht empfangsbereit: %(answer)s"),
                                            answer=therapist.email_refused), needs=("email",)),
    Rule("app", N_("App aktiviert"), N_("„App aktivieren“ ist nicht gesetzt"),
         lambda t, _day: t.app_enabled.is_(True), _tick_app, "app", refusal="app_disabled"),
    Rule("withdrawn", N_("Berechtigung nicht entzogen"), N_("Die Berechtigung wurde entzogen"),
         lambda t, _day: t.withdrawn_at.is_(None), _tick_app, "entzogen",
         detail=lambda therapist: translate(N_("Die Berechtigung wurde am %(when)s entzogen"),
                                            when=datetime_filter(therapist.withdrawn_at)),
         refusal="app_disabled"),
    Rule("schedule", N_("Mindestens ein Termin oder Kurs zugeordnet"), N_("Kein Termin und kein Kurs zugeordnet"),
         _has_schedule,
         lambda therapist_id: Fix(translate(N_("Termin oder Kurs zuordnen")),
                                  url=url_for("schedule.page", therapist_id=therapist_id)), "termin"),
    Rule("database", N_("Therapeuten-Datenbank erzeugt"), N_("Die Therapeuten-Datenbank fehlt noch"),
         _database_generated,
         lambda therapist_id: Fix(translate(N_("Datenbank jetzt erzeugen")),
                                  post=url_for("therapists.generate_database", therapist_id=therapist_id)),
         "datenbank", pending=_database_on_its_way, refusal="database_not_ready", needs=("app",)),
    Rule("code", N_("Gültiger Zugangscode gesendet oder verwendet"), N_("Kein gültiger Zugangscode für diese Adresse"),
         _code_usable,
         lambda therapist_id: Fix(translate(N_("Zugangscode senden")),
                                  post=url_for("codes.resend", therapist_id=therapist_id, scope="dialog")),
         "code", detail=_code_detail, pending=_code_on_its_way, needs=("email", "app")),
)
BY_KEY = {rule.key: rule for rule in RULES}


def met_columns(t, day: date | None = None) -> list:
    """One labelled boolean column per rule (``met_<key>``) for the therapist columns ``t``."""
    day = day or today_param()
    return [rule.met(t, day).label(f"met_{rule.key}") for rule in RULES]


def unmet_keys(row) -> tuple[str, ...]:
    """The keys of the rules a row with ``met_columns`` does not meet, in the table's order."""
    return tuple(rule.key for rule in RULES if not getattr(row, f"met_{rule.key}"))


def not_ready(t, day: date | None = None):
    """SQL: the therapist fails at least one rule (the list's "nicht bereit" filter)."""
    day = day or today_param()
    return or_(*(not_(rule.met(t, day)) for rule in RULES))


def all_met(t, keys: tuple[str, ...], day: date | None = None):
    """SQL: the therapist meets every one of these rules (the onboarding panel's steps)."""
    day = day or today_param()
    return [BY_KEY[key].met(t, day) for key in keys]


@dataclass(frozen=True)
class CheckItem:
    key: str
    ok: bool
    text: str
    fix: Fix | None
    pending: bool
    help_url: str
    needs: str | None = None  # the unmet rule this one needs first, in words; no fix is offered meanwhile


def checklist(therapist: Therapist) -> list[CheckItem]:
    """"Warum kann sich … nicht anmelden?": every rule with its live state, in one query; an unmet
    rule names its particulars and the action that fixes it, and says when the fix is on its way."""
    pending = [rule.pending(Therapist).label(f"pending_{rule.key}") for rule in RULES if rule.pending]
    row = db.session.execute(select(*met_columns(Therapist), *pending).where(Therapist.id == therapist.id)).one()
    items = []
    for rule in RULES:
        ok = bool(getattr(row, f"met_{rule.key}"))
        first = next((BY_KEY[key] for key in rule.needs if not getattr(row, f"met_{key}")), None)
        text = translate(rule.label) if ok else (rule.detail and rule.detail(therapist)) or translate(rule.problem)
        on_its_way = not ok and bool(getattr(row, f"pending_{rule.key}", False))
        fix = None if ok or first else rule.fix(therapist.id)
        items.append(CheckItem(rule.key, ok, text, fix, on_its_way, rule.help_url,
                               translate(first.label) if first else None))
    return items


def unmet_for(therapist_id: int) -> tuple[str, ...]:
    """The rules one therapist does not meet (the list row's mark, refreshed on its own)."""
    return unmet_keys(db.session.execute(select(*met_columns(Therapist)).where(Therapist.id == therapist_id)).one())


def sign_in_refusal(therapist_id: int) -> str | None:
    """The app API's error for the first unmet rule that stops a sign-in, or None."""
    refusing = [rule for rule in RULES if rule.refusal]
    row = db.session.execute(select(*(rule.met(Therapist, today_param()).label(rule.key) for rule in refusing))
                             .where(Therapist.id == therapist_id)).one()
    return next((rule.refusal for rule in refusing if not getattr(row, rule.key)), None)
