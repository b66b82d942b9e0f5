"""Reading therapists for the list: search, filters, sorting and pages in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

from sqlalchemy import and_, exists, func, or_, select, union

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
            sort=sort,
            page=max(1, args.get("page", 1, type=int) or 1),
        )

    def as_args(self, **overrides) -> dict:
        """The non-default parameters, for building links that keep the view."""
        values = {"q": self.q, "practice": self.practice, "app": self.app, "sort": self.sort, "page": self.page}
        values.update(overrides)
        defaults = {"q": "", "practice": None, "app": "", "sort": "name", "page": 1}
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

    @classmethod
    def of(cls, therapist: Therapist) -> TherapistRow:
        """The row of one therapist, e.g. to swap it into the list after the dialog saved it."""
        return cls(therapist.id, therapist.first_name, therapist.last_name, therapist.email,
                   therapist.app_enabled, tuple(p.name for p in therapist.practices),
                   therapist_has_schedule(therapist.id))


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
    if params.app == "aktiv":
        conditions.append(Therapist.app_enabled.is_(True))
    elif params.app == "inaktiv":
        conditions.append(Therapist.app_enabled.is_(False))
    return conditions


def list_therapists(group_id: int, params: ListParams, per_page: int) -> TherapistPage:
    """One page of the group's therapists as plain rows, in four light queries.

    Count, the page's columns, the page's practice names, and the rule-1 flag for the page's
    ids only, so no cost grows with the group. A page past the end shows the last page.
    """
    conditions = _filters(group_id, params)
    total = db.session.scalar(select(func.count(Therapist.id)).where(*conditions)) or 0
    page = min(params.page, max(1, ceil(total / per_page)))
    columns = SORTS[params.sort.lstrip("-")]
    order = [c.desc() for c in columns] if params.sort.startswith("-") else list(columns)
    found = db.session.execute(
        select(Therapist.id, Therapist.first_name, Therapist.last_name, Therapist.email, Therapist.app_enabled)
        .where(*conditions)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    ids = [row.id for row in found]
    practices = _practice_names(ids)
    with_schedule = _ids_with_schedule(ids)
    rows = [
        TherapistRow(row.id, row.first_name, row.last_name, row.email, row.app_enabled,
                     tuple(practices.get(row.id, ())), row.id in with_schedule)
        for row in found
    ]
    return TherapistPage(rows=rows, total=total, page=page, per_page=per_page)


def _practice_names(ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    if ids:
        query = (
            select(therapist_practice.c.therapist_id, Practice.name)
            .join(Practice, Practice.id == therapist_practice.c.practice_id)
            .where(therapist_practice.c.therapist_id.in_(ids))
            .order_by(Practice.name)
        )
        for therapist_id, name in db.session.execute(query):
            names.setdefault(therapist_id, []).append(name)
    return names


def _ids_with_schedule(ids: list[int]) -> set[int]:
    if not ids:
        return set()
    query = union(
        select(Appointment.therapist_id).where(Appointment.therapist_id.in_(ids)),
        select(Course.therapist_id).where(Course.therapist_id.in_(ids)),
    )
    return set(db.session.scalars(query))


def therapist_has_schedule(therapist_id: int) -> bool:
    return bool(db.session.scalar(select(has_schedule_expr()).where(Therapist.id == therapist_id)))
