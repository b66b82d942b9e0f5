"""The tenant (Praxisgruppe), its practices, its licences and its therapists (created for the group,
assigned to practices): the records every feature builds on, so they are part of the shared core.
The Praxisgruppe page that edits them is portal/groups/."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .columns import EnumText, GroupOwned
from .extensions import db
from .i18n import N_, LabelledEnum
from .sorting import SORT_KEY_LENGTH, sort_key
from .timeutil import UTCDateTime, today_berlin, utcnow


class LicenceKind(LabelledEnum):
    SYNC = "sync", N_("Sync-Lizenz")
    APP = "app", N_("App-Lizenz")
    CHECKIN = "checkin", N_("Check-in-Lizenz")


# Rule 2a: what the therapist app needs of the group.
APP_LICENCES = (LicenceKind.SYNC, LicenceKind.APP)


class PracticeGroup(db.Model):
    __tablename__ = "practice_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the chef requires a second factor of every user of the group
    require_second_factor: Mapped[bool] = mapped_column(Boolean, default=False)

    practice_rows: Mapped[list[Practice]] = relationship(back_populates="group")
    licences: Mapped[list[Licence]] = relationship(
        back_populates="group", order_by="Licence.kind", cascade="all, delete-orphan"
    )

    @property
    def practices(self) -> list[Practice]:
        """The group's practices in German dictionary order ("Ärztehaus" with the A's)."""
        return sorted(self.practice_rows, key=lambda practice: (sort_key(practice.name), practice.id))

    @practices.setter
    def practices(self, practices: list[Practice]) -> None:
        self.practice_rows = list(practices)

    def licence(self, kind: LicenceKind) -> Licence | None:
        return next((lic for lic in self.licences if lic.kind == kind), None)

    def has_licence(self, kind: LicenceKind, on: date | None = None) -> bool:
        lic = self.licence(kind)
        return lic is not None and lic.is_active(on or today_berlin())

    def missing_app_licences(self, on: date | None = None) -> list[LicenceKind]:
        """Which of the app's licences (rule 2a) the group lacks."""
        return [kind for kind in APP_LICENCES if not self.has_licence(kind, on)]

    def app_licences_ok(self, on: date | None = None) -> bool:
        return not self.missing_app_licences(on)


class Licence(db.Model):
    __tablename__ = "licence"
    __table_args__ = (UniqueConstraint("group_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"))
    kind: Mapped[LicenceKind] = mapped_column(EnumText(LicenceKind))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)  # inclusive; None: open-ended

    group: Mapped[PracticeGroup] = relationship(back_populates="licences")

    @hybrid_method
    def is_active(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)

    @is_active.expression
    def is_active(cls, on):
        return and_(cls.valid_from <= on, or_(cls.valid_until.is_(None), cls.valid_until >= on))


def active_licence(group_id, kind: LicenceKind, on):
    """SQL: the group (a column or value) holds an active licence of this kind on that day."""
    return select(Licence.id).where(Licence.group_id == group_id, Licence.kind == kind,
                                    Licence.is_active(on)).exists()


def app_licences_active(group_id, on):
    """SQL: the group holds every licence the app needs (rule 2a) on that day."""
    return select(func.count(Licence.id)).where(
        Licence.group_id == group_id, Licence.kind.in_(APP_LICENCES), Licence.is_active(on)
    ).scalar_subquery() == len(APP_LICENCES)


class Practice(GroupOwned, db.Model):
    __tablename__ = "practice"
    __table_args__ = (UniqueConstraint("group_id", "name"),)

    name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(80), default="")
    # what a payer needs on billing proof: the address and the Institutionskennzeichen (IK)
    street: Mapped[str] = mapped_column(String(120), default="", server_default="")
    postcode: Mapped[str] = mapped_column(String(5), default="", server_default="")
    ik: Mapped[str] = mapped_column(String(9), default="", server_default="")

    group: Mapped[PracticeGroup] = relationship(back_populates="practice_rows")

    @property
    def address(self) -> str:
        """"Hauptstraße 1, 50667 Köln", as far as it is known."""
        place = " ".join(part for part in (self.postcode, self.city) if part)
        return ", ".join(part for part in (self.street, place) if part)


def ik_check_digit(first_eight: str) -> int:
    """The ninth digit of an Institutionskennzeichen: digits 3 to 8 weighted 2, 1, 2, 1, 2, 1, the
    digit sums of the products added, modulo 10."""
    total = 0
    for weight, digit in zip((2, 1, 2, 1, 2, 1), first_eight[2:8], strict=True):
        product = weight * int(digit)
        total += product // 10 + product % 10
    return total % 10


def valid_ik(value: str) -> bool:
    return len(value) == 9 and value.isascii() and value.isdigit() and ik_check_digit(value[:8]) == int(value[8])

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
