"""Reading therapists for the list: search, filters, sorting and pages in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from math import ceil

from flask import request
from flask_babel import ngettext
from sqlalchemy import and_, bindparam, exists, func, select

from ..calendars.queries import calendar_failing
from ..codes.status import CodeStatus, statuses_for
from ..columns import LIKE_ESCAPE, contains
from ..extensions import db
from ..i18n import N_, translate
from ..readiness import RULES, met_columns, not_ready, unmet_keys
from ..sorting import sort_key
from ..tenancy import PersonName, Practice, Therapist, therapist_practice
from ..web import arg_id, arg_page

SORTS = {
    "name": (Therapist.sort_last, Therapist.sort_first, Therapist.id),
    "email": (Therapist.email, Therapist.id),
    "app": (Therapist.app_enabled, Therapist.sort_last, Therapist.sort_first, Therapist.id),
}
APP_FILTERS = ("", "aktiv", "inaktiv")


@dataclass
class ListParams:
    q: str = ""
    practice: int | None = None
    app: str = ""
    ready: str = ""
    sort: str = "name"
    page: int = 1

    @classmethod
    def from_request(cls) -> ListParams:
        """Read the list's query string; anything malformed falls back to the default (the page
        says which argument it ignored)."""
        args = request.args
        sort = args.get("sort", "name")
        if sort.lstrip("-") not in SORTS:
            sort = "name"
        app = args.get("app", "")
        return cls(
            q=args.get("q", "").strip()[:100],
            practice=arg_id("practice", translate(N_("Praxis"))),
            app=app if app in APP_FILTERS else "",
            ready="nein" if args.get("ready") == "nein" else "",
            sort=sort,
            page=arg_page(),
        )

    def as_args(self, **overrides) -> dict:
        """The non-default parameters, for building links that keep the view."""
        values = {"q": self.q, "practice": self.practice, "app": self.app, "ready": self.ready, "sort": self.sort,
                  "page": self.page}
        values.update(overrides)
        defaults = {"q": "", "practice": None, "app": "", "ready": "", "sort": "name", "page": 1}
        return {k: v for k, v in values.items() if v is not None and v != defaults[k]}

    def sort_args(self, column: str) -> dict:
        """Link arguments that sort by ``column``, flipping direction when it is already sorted."""
        return self.as_args(sort=f"-{column}" if self.sort == column else column, page=1)


@dataclass(frozen=True, slots=True)
class TherapistRow(PersonName):
    """What one line of the list shows: plain values, no ORM object behind it."""

    id: int
    first_name: str
    last_name: str
    email: str | None
    app_enabled: bool
    practices: tuple[str, ...]
    unmet: tuple[str, ...]  # keys of the readiness rules not met
    code: CodeStatus | None = None
    calendar_failing: bool = False  # a calendar of theirs has been failing for more than a day


@dataclass
class TherapistPage:
    rows: list[TherapistRow]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, ceil(self.total / self.per_page))


@dataclass(frozen=True)
class _Shape:
    """What decides the list query's SQL (its values are parameters): built once per shape."""

    terms: int
    practice: bool
    ready: bool
    app: str
    sort: str
    descending: bool


def _shape(params: ListParams) -> _Shape:
    return _Shape(len(params.q.casefold().split()), bool(params.practice), params.ready == "nein", params.app,
                  params.sort.lstrip("-"), params.sort.startswith("-"))


def _values(group_id: int, params: ListParams) -> dict:
    values = {"group_id": group_id, "practice": params.practice}
    values.update({f"term_{n}": contains(term) for n, term in enumerate(params.q.casefold().split())})
    return values


def _filters(shape: _Shape) -> list:
    conditions = [Therapist.group_id == bindparam("group_id")]
    for n in range(shape.terms):
        conditions.append(Therapist.search_text.like(bindparam(f"term_{n}"), escape=LIKE_ESCAPE))
    if shape.practice:
        conditions.append(exists().where(and_(therapist_practice.c.therapist_id == Therapist.id,
                                              therapist_practice.c.practice_id == bindparam("practice"))))
    if shape.ready:
        conditions.append(not_ready(Therapist))
    if shape.app == "aktiv":
        conditions.append(Therapist.app_enabled.is_(True))
    elif shape.app == "inaktiv":
        conditions.append(Therapist.app_enabled.is_(False))
    return conditions


_SEPARATOR = "\x1f"  # joins practice names inside SQL; never part of a name typed in a form


def _page_query(conditions: list, columns: tuple, descending: bool, limit, offset):
    """The page's therapists with the total, their practice names and each readiness rule.

    The inner query picks the page's rows (walking the sort order, limited), the outer one adds
    the per-row values for those rows only, and the total comes from an uncorrelated subquery
    that the database evaluates once: one round trip whose cost does not grow with the group.
    """
    page_rows = (
        select(Therapist.id, Therapist.group_id, Therapist.first_name, Therapist.last_name, Therapist.email,
               Therapist.app_enabled, Therapist.email_refused, Therapist.withdrawn_at, Therapist.sort_last,
               Therapist.sort_first)
        .where(*conditions)
        .order_by(*(c.desc() if descending else c for c in columns))
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    practice_names = (
        select(func.aggregate_strings(Practice.name, _SEPARATOR))
        .join(therapist_practice, therapist_practice.c.practice_id == Practice.id)
        .where(therapist_practice.c.therapist_id == page_rows.c.id)
        .scalar_subquery()
    )
    total = select(func.count(Therapist.id)).where(*conditions).scalar_subquery()
    outer_order = [page_rows.c[c.key].desc() if descending else page_rows.c[c.key] for c in columns]
    return select(page_rows, practice_names.label("practices"), *met_columns(page_rows.c),
                  calendar_failing(page_rows.c.id).label("calendar_failing"),
                  total.label("total")).order_by(*outer_order)


@lru_cache(maxsize=128)
def _statements(shape: _Shape):
    """The page query and the count of one shape, built once: building the statement (and its
    cache key) costs more than running it."""
    conditions = _filters(shape)
    page = _page_query(conditions, SORTS[shape.sort], shape.descending, bindparam("limit"), bindparam("offset"))
    return page, select(func.count(Therapist.id)).where(*conditions)


def _rows(found) -> list[TherapistRow]:
    codes = statuses_for([row.id for row in found])
    return [
        TherapistRow(row.id, row.first_name, row.last_name, row.email, row.app_enabled,
                     tuple(sorted(row.practices.split(_SEPARATOR), key=sort_key)) if row.practices else (),
                     unmet_keys(row), codes[row.id], bool(row.calendar_failing))
        for row in found
    ]


def list_therapists(group_id: int, params: ListParams, per_page: int) -> TherapistPage:
    """One page of the group's therapists as plain rows: one query for the rows (two past the
    last page) and one for their code statuses."""
    page_query, count_query = _statements(_shape(params))
    values = _values(group_id, params)
    page = params.page
    found = db.session.execute(page_query, {**values, "limit": per_page, "offset": (page - 1) * per_page}).all()
    if not found and page > 1:  # past the end: show the last page
        total = db.session.scalar(count_query, values) or 0
        page = max(1, ceil(total / per_page))
        found = db.session.execute(page_query, {**values, "limit": per_page, "offset": (page - 1) * per_page}).all()
    total = found[0].total if found else 0
    return TherapistPage(rows=_rows(found), total=total, page=page, per_page=per_page)


def new_rows(group_id: int, therapist_ids: list[int]) -> list[TherapistRow]:
    """The rows of these just-created therapists of the group whose app is not yet activated: the
    list offers them their next steps."""
    if not therapist_ids:
        return []
    conditions = [Therapist.group_id == group_id, Therapist.id.in_(therapist_ids), Therapist.app_enabled.is_(False)]
    return _rows(db.session.execute(_page_query(conditions, SORTS["name"], False, len(therapist_ids), 0)).all())


def therapist_row(therapist: Therapist) -> TherapistRow:
    """The list row of one therapist, e.g. to swap it in after the dialog saved it."""
    found = db.session.execute(_page_query([Therapist.id == therapist.id], SORTS["name"], False, 1, 0)).all()
    return _rows(found)[0]


def row_labels() -> dict:
    """The list row's fixed texts, translated once per table instead of once per row."""
    return {
        "activated": translate(N_("aktiviert")),
        "not_activated": translate(N_("nicht aktiviert")),
        "ready": translate(N_("bereit")),
        "details": translate(N_("Details")),
        "schedule": translate(N_("Termine")),
        # the name is filled in per row with |format
        "details_of": translate(N_("Details von %(name)s"), name="%(name)s"),
        "schedule_of": translate(N_("Termine und Kurse von %(name)s"), name="%(name)s"),
        "calendar_failing": translate(N_("Kalender-Abruf gestört")),
        "calendar_failing_hint": translate(N_("Ein Kalender dieses Therapeuten lässt sich seit über einem Tag nicht "
                                              "abrufen; die App zeigt die zuletzt übernommenen Termine.")),
        "problems": {rule.key: translate(rule.problem) for rule in RULES},
        "open_items": {n: ngettext("%(num)s Punkt offen", "%(num)s Punkte offen", n) for n in range(1, len(RULES) + 1)},
    }
