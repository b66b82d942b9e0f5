"""Reading therapists for the list: search, filters, sorting and pages in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

from sqlalchemy import and_, exists, func, not_, or_, select, true

from ..codes.services import CodeStatus, status_for, statuses_for
from ..extensions import db
from ..groups.models import Practice
from ..schedule.models import Appointment, Course
from .models import PersonName, Therapist, therapist_practice

SORTS = {
    "name": (Therapist.last_name, Therapist.first_name, Therapist.id),
    "email": (Therapist.email, Therapist.id),
    "app": (Therapist.app_enabled, Therapist.last_name, Therapist.first_name, Therapist.id),
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
    def from_args(cls, args) -> ListParams:
        """Read the list's query string; anything malformed falls back to the default."""
        sort = args.get("sort", "name")
        if sort.lstrip("-") not in SORTS:
            sort = "name"
        app = args.get("app", "")
        return cls(
            q=args.get("q", "").strip()[:100],
            practice=args.get("practice", type=int),
            app=app if app in APP_FILTERS else "",
            ready="nein" if args.get("ready") == "nein" else "",
            sort=sort,
            page=max(1, args.get("page", 1, type=int) or 1),
        )

    def as_args(self, **overrides) -> dict:
        """The non-default parameters, for building links that keep the view."""
        values = {"q": self.q, "practice": self.practice, "app": self.app, "ready": self.ready, "sort": self.sort,
                  "page": self.page}
        values.update(overrides)
        defaults = {"q": "", "practice": None, "app": "", "ready": "", "sort": "name", "page": 1}
        return {k: v for k, v in values.items() if v != defaults[k]}

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
    has_schedule: bool
    email_refused: bool = False
    code: CodeStatus | None = None

    @classmethod
    def of(cls, therapist: Therapist) -> TherapistRow:
        """The row of one therapist, e.g. to swap it into the list after the dialog saved it."""
        return cls(therapist.id, therapist.first_name, therapist.last_name, therapist.email,
                   therapist.app_enabled, tuple(p.name for p in therapist.practices),
                   therapist_has_schedule(therapist.id), therapist.email_refused is not None,
                   status_for(therapist.id))


@dataclass
class TherapistPage:
    rows: list[TherapistRow]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, ceil(self.total / self.per_page))


def has_schedule_expr():
    """SQL expression: the therapist has at least one appointment or course (rule 1)."""
    return or_(
        exists().where(Appointment.therapist_id == Therapist.id),
        exists().where(Course.therapist_id == Therapist.id),
    )


def not_ready_expr(group_id: int):
    """SQL: the therapist fails an item of the readiness checklist (rules 1–2 and a refused address)."""
    from ..appdb.models import TherapistDatabase
    from ..codes.models import CodeRequest, Delivery
    from ..groups.models import PracticeGroup

    if not db.session.get(PracticeGroup, group_id).app_licences_ok():
        return true()
    ready = and_(
        Therapist.app_enabled.is_(True),
        Therapist.email.is_not(None),
        Therapist.email_refused.is_(None),
        has_schedule_expr(),
        exists().where(TherapistDatabase.therapist_id == Therapist.id, TherapistDatabase.sha256.is_not(None)),
        exists().where(CodeRequest.therapist_id == Therapist.id, CodeRequest.email == Therapist.email,
                       CodeRequest.delivery == Delivery.ACCEPTED),
    )
    return not_(ready)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filters(group_id: int, params: ListParams) -> list:
    conditions = [Therapist.group_id == group_id]
    for term in params.q.casefold().split():
        conditions.append(Therapist.search_text.like(f"%{_escape_like(term)}%", escape="\\"))
    if params.practice:
        conditions.append(
            exists().where(
                and_(
                    therapist_practice.c.therapist_id == Therapist.id,
                    therapist_practice.c.practice_id == params.practice,
                )
            )
        )
    if params.ready == "nein":
        conditions.append(not_ready_expr(group_id))
    if params.app == "aktiv":
        conditions.append(Therapist.app_enabled.is_(True))
    elif params.app == "inaktiv":
        conditions.append(Therapist.app_enabled.is_(False))
    return conditions


_SEPARATOR = "\x1f"  # joins practice names inside SQL; never part of a name typed in a form


def _page_query(conditions: list, columns: tuple, descending: bool, per_page: int, page: int):
    """The page's therapists with the total, their practice names and the rule-1 flag.

    The inner query picks the page's rows (walking the sort order, limited), the outer one adds
    the per-row values for those rows only, and the total comes from an uncorrelated subquery
    that the database evaluates once: one round trip whose cost does not grow with the group.
    """
    page_rows = (
        select(Therapist.id, Therapist.first_name, Therapist.last_name, Therapist.email, Therapist.app_enabled,
               Therapist.email_refused.is_not(None).label("email_refused"))
        .where(*conditions)
        .order_by(*(c.desc() if descending else c for c in columns))
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery()
    )
    practice_names = (
        select(func.aggregate_strings(Practice.name, _SEPARATOR))
        .join(therapist_practice, therapist_practice.c.practice_id == Practice.id)
        .where(therapist_practice.c.therapist_id == page_rows.c.id)
        .scalar_subquery()
    )
    has_schedule = or_(
        exists().where(Appointment.therapist_id == page_rows.c.id),
        exists().where(Course.therapist_id == page_rows.c.id),
    )
    total = select(func.count(Therapist.id)).where(*conditions).scalar_subquery()
    outer_order = [page_rows.c[c.key].desc() if descending else page_rows.c[c.key] for c in columns]
    return select(page_rows, practice_names.label("practices"), has_schedule.label("has_schedule"),
                  total.label("total")).order_by(*outer_order)


def list_therapists(group_id: int, params: ListParams, per_page: int) -> TherapistPage:
    """One page of the group's therapists as plain rows: one query for the rows (two past the
    last page) and one for their code statuses."""
    conditions = _filters(group_id, params)
    columns = SORTS[params.sort.lstrip("-")]
    descending = params.sort.startswith("-")
    page = params.page
    found = db.session.execute(_page_query(conditions, columns, descending, per_page, page)).all()
    if not found and page > 1:  # past the end: show the last page
        total = db.session.scalar(select(func.count(Therapist.id)).where(*conditions)) or 0
        page = max(1, ceil(total / per_page))
        found = db.session.execute(_page_query(conditions, columns, descending, per_page, page)).all()
    total = found[0].total if found else 0
    codes = statuses_for([row.id for row in found])
    rows = [
        TherapistRow(row.id, row.first_name, row.last_name, row.email, row.app_enabled,
                     tuple(sorted(row.practices.split(_SEPARATOR))) if row.practices else (),
                     bool(row.has_schedule), bool(row.email_refused), codes[row.id])
        for row in found
    ]
    return TherapistPage(rows=rows, total=total, page=page, per_page=per_page)


def therapist_has_schedule(therapist_id: int) -> bool:
    return bool(db.session.scalar(select(has_schedule_expr()).where(Therapist.id == therapist_id)))
