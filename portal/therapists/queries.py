"""Reading therapists for the list: search, filters, sorting and pages in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..schedule.models import Appointment, Course
from .models import Therapist, therapist_practice

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


@dataclass
class TherapistPage:
    rows: list[tuple[Therapist, bool]]
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
    for term in params.q.lower().split():
        pattern = f"%{_escape_like(term)}%"
        conditions.append(
            or_(
                func.lower(Therapist.first_name).like(pattern, escape="\\"),
                func.lower(Therapist.last_name).like(pattern, escape="\\"),
                func.lower(Therapist.email).like(pattern, escape="\\"),
            )
        )
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
    """One page of the group's therapists with their practices and rule-1 flag (three queries)."""
    conditions = _filters(group_id, params)
    total = db.session.scalar(select(func.count(Therapist.id)).where(*conditions)) or 0
    pages = max(1, ceil(total / per_page))
    page = min(params.page, pages)
    columns = SORTS[params.sort.lstrip("-")]
    order = [c.desc() for c in columns] if params.sort.startswith("-") else list(columns)
    query = (
        select(Therapist, has_schedule_expr().label("has_schedule"))
        .where(*conditions)
        .options(selectinload(Therapist.practices))
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = [(therapist, bool(flag)) for therapist, flag in db.session.execute(query)]
    return TherapistPage(rows=rows, total=total, page=page, per_page=per_page)


def therapist_has_schedule(therapist_id: int) -> bool:
    return bool(db.session.scalar(select(has_schedule_expr()).where(Therapist.id == therapist_id)))
