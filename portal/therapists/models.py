"""The therapist record: created for the group, assigned to practices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..groups.models import Practice, PracticeGroup
from ..sorting import SORT_KEY_LENGTH, sort_key
from ..timeutil import UTCDateTime, utcnow

SEARCH_TEXT_LENGTH = 420

therapist_practice = Table(
    "therapist_practice",
    db.metadata,
    Column("therapist_id", ForeignKey("therapist.id", ondelete="CASCADE"), primary_key=True),
    Column("practice_id", ForeignKey("practice.id", ondelete="CASCADE"), primary_key=True),
)


class PersonName:
    """Name formats shared by the therapist model and the list's plain rows."""

    __slots__ = ()
    first_name: str
    last_name: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def sort_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


class Therapist(PersonName, db.Model):
    __tablename__ = "therapist"
    __table_args__ = (
        UniqueConstraint("group_id", "email"),
        # the list's default order (German dictionary order), walked without a sort
        Index("ix_therapist_group_sort", "group_id", "sort_last", "sort_first", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254))
    app_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # the mail server's answer when it refused the address for good; cleared when the address changes
    email_refused: Mapped[str | None] = mapped_column(Text)
    # when the practice or support withdrew the authorisation; cleared when the app is activated again
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "vorname nachname e-mail", case-folded in Python (SQLite's lower() leaves umlauts alone)
    search_text: Mapped[str] = mapped_column(String(SEARCH_TEXT_LENGTH), default="")
    # the names' keys in German dictionary order (portal/sorting.py): the list sorts by these
    sort_last: Mapped[str] = mapped_column(String(SORT_KEY_LENGTH), default="")
    sort_first: Mapped[str] = mapped_column(String(SORT_KEY_LENGTH), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    group: Mapped[PracticeGroup] = relationship()
    practices: Mapped[list[Practice]] = relationship(
        secondary=therapist_practice, order_by=Practice.name
    )


def search_text_for(first_name: str, last_name: str, email: str | None) -> str:
    """Case-folded "vorname nachname e-mail", cut to the column: folding can lengthen a name
    (one "ﬃ" becomes "ffi"), and the extreme tail is not worth an error."""
    return " ".join(part for part in (first_name, last_name, email or "") if part).casefold()[:SEARCH_TEXT_LENGTH]


@event.listens_for(Therapist, "before_insert")
@event.listens_for(Therapist, "before_update")
def _keep_derived_columns(mapper, connection, therapist: Therapist) -> None:
    therapist.search_text = search_text_for(therapist.first_name, therapist.last_name, therapist.email)
    therapist.sort_last, therapist.sort_first = sort_key(therapist.last_name), sort_key(therapist.first_name)
