"""The tenant (Praxisgruppe), its practices and its licences."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import UTCDateTime, today_berlin, utcnow


class LicenceKind(StrEnum):
    SYNC = "sync"
    APP = "app"
    CHECKIN = "checkin"


class PracticeGroup(db.Model):
    __tablename__ = "practice_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    practices: Mapped[list[Practice]] = relationship(
        back_populates="group", order_by="Practice.name"
    )
    licences: Mapped[list[Licence]] = relationship(
        back_populates="group", order_by="Licence.kind", cascade="all, delete-orphan"
    )

    def licence(self, kind: LicenceKind) -> Licence | None:
        return next((lic for lic in self.licences if lic.kind == kind), None)

    def has_licence(self, kind: LicenceKind, on: date | None = None) -> bool:
        lic = self.licence(kind)
        return lic is not None and lic.is_active(on or today_berlin())

    def app_licences_ok(self, on: date | None = None) -> bool:
        """Rule 2a: the group holds both the sync and the app licence."""
        return self.has_licence(LicenceKind.SYNC, on) and self.has_licence(LicenceKind.APP, on)


class Licence(db.Model):
    __tablename__ = "licence"
    __table_args__ = (UniqueConstraint("group_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)

    group: Mapped[PracticeGroup] = relationship(back_populates="licences")

    def is_active(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)


class Practice(db.Model):
    __tablename__ = "practice"
    __table_args__ = (UniqueConstraint("group_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(80), default="")

    group: Mapped[PracticeGroup] = relationship(back_populates="practices")
