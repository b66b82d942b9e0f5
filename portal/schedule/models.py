"""Appointments and courses: what makes a therapist eligible for the app (rule 1)."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import ForeignKey, Integer, SmallInteger, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..columns import EnumText, GroupOwned
from ..extensions import db
from ..i18n import N_, LabelledEnum
from ..tenancy import Practice, Therapist
from ..timeutil import UTCDateTime


class CourseKind(LabelledEnum):
    REHASPORT = "rehasport", N_("Rehasport")
    FUNKTIONSTRAINING = "funktionstraining", N_("Funktionstraining")


class Appointment(GroupOwned, db.Model):
    __tablename__ = "appointment"
    # an appointment from a calendar is one occurrence of an event: its UID and recurrence id
    __table_args__ = (UniqueConstraint("calendar_id", "calendar_uid", "calendar_recurrence"),)

    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapist.id", ondelete="CASCADE"), index=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=30)
    # set for an appointment "aus Kalender" (read-only here, changed at its source); None when typed in
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendar_subscription.id", ondelete="CASCADE"))
    calendar_uid: Mapped[str | None] = mapped_column(String(255))
    calendar_recurrence: Mapped[str | None] = mapped_column(String(20))  # "" for a single event, else UTC

    therapist: Mapped[Therapist] = relationship()
    practice: Mapped[Practice] = relationship()

    @property
    def from_calendar(self) -> bool:
        return self.calendar_id is not None


class Course(GroupOwned, db.Model):
    __tablename__ = "course"

    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"))
    therapist_id: Mapped[int | None] = mapped_column(
        ForeignKey("therapist.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[CourseKind] = mapped_column(EnumText(CourseKind))
    name: Mapped[str] = mapped_column(String(120))
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday
    start_time: Mapped[time] = mapped_column(Time)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=45)
    capacity: Mapped[int] = mapped_column(Integer, default=15)

    therapist: Mapped[Therapist | None] = relationship()
    practice: Mapped[Practice] = relationship()
