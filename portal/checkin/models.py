"""Rehasport and Funktionstraining check-in: participants, prescriptions, members, sessions,
attendances with signatures, and the registered terminals."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..columns import EnumText, GroupOwned
from ..extensions import db
from ..schedule.models import Course, CourseKind
from ..timeutil import UTCDateTime, add_months, utcnow


class Participant(GroupOwned, db.Model):
    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("group_id", "chip_id"),)

    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date] = mapped_column(Date)
    chip_id: Mapped[str | None] = mapped_column(String(64))
    # Erasure asked for while the billing proof must still be kept: processing restricted (Art. 18
    # DSGVO, § 35 BDSG) until the retention job removes the person.
    restricted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    prescriptions: Mapped[list[Prescription]] = relationship(back_populates="participant",
                                                             order_by="Prescription.id")

    @hybrid_property
    def restricted(self) -> bool:
        """Processing restricted (Art. 18 DSGVO): no new check-in, signature, prescription, group or
        chip. The one definition; in SQL too (``~Participant.restricted`` for those who are not)."""
        return self.restricted_at is not None

    @restricted.inplace.expression
    @classmethod
    def _restricted_expression(cls):
        return cls.restricted_at.is_not(None)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def short_name(self) -> str:
        """What the terminal at the counter shows: the first name and the last name's initial."""
        return f"{self.first_name} {self.last_name[:1]}." if self.last_name else self.first_name


# What a new prescription of each kind usually says (framework agreement): Rehasport 50 units in
# 18 months; Funktionstraining 12 months with one or two units a week, so up to 104 units.
PRESCRIPTION_DEFAULTS = {CourseKind.REHASPORT: (50, 18), CourseKind.FUNKTIONSTRAINING: (104, 12)}


class Prescription(GroupOwned, db.Model):
    """A Verordnung: approved units of one course type, valid for some months from the first session."""

    __tablename__ = "prescription"

    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CourseKind] = mapped_column(EnumText(CourseKind))
    units_approved: Mapped[int] = mapped_column(Integer, default=50)
    valid_months: Mapped[int] = mapped_column(Integer, default=18)
    payer: Mapped[str] = mapped_column(String(120), default="")
    # what the payer's proof asks for, when the practice has it: all optional
    prescribed_on: Mapped[date | None] = mapped_column(Date)  # Verordnungsdatum
    approved_on: Mapped[date | None] = mapped_column(Date)  # Genehmigungsdatum
    approval_number: Mapped[str] = mapped_column(String(40), default="", server_default="")
    insurance_number: Mapped[str] = mapped_column(String(30), default="", server_default="")  # Versichertennummer
    first_session_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    participant: Mapped[Participant] = relationship(back_populates="prescriptions")

    def expires_on(self, valid_months: int | None = None) -> date | None:
        """The last valid day: the first session's date plus the validity, or plus ``valid_months``
        when a correction asks what it would be (None before the first session)."""
        if self.first_session_on is None:
            return None
        return add_months(self.first_session_on, self.valid_months if valid_months is None else valid_months)


class CourseMember(db.Model):
    """A regular member of a course group."""

    __tablename__ = "course_member"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True)


class CourseSession(GroupOwned, db.Model):
    __tablename__ = "course_session"
    __table_args__ = (UniqueConstraint("course_id", "day"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)

    course: Mapped[Course] = relationship()


class Attendance(GroupOwned, db.Model):
    """A check-in with its signature. A mistaken one is cancelled, never deleted: it stays, struck
    through, with its reason, and no longer counts (a person is in a session once, cancelled rows aside)."""

    __tablename__ = "attendance"
    __table_args__ = (Index("uq_attendance_session_participant_active", "session_id", "participant_id", unique=True,
                            postgresql_where=text("cancelled_at IS NULL"), sqlite_where=text("cancelled_at IS NULL")),)

    session_id: Mapped[int] = mapped_column(ForeignKey("course_session.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescription.id", ondelete="CASCADE"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signature_png: Mapped[bytes] = mapped_column(LargeBinary)
    springer: Mapped[bool] = mapped_column(Boolean, default=False)
    springer_reason: Mapped[str | None] = mapped_column(Text)
    extra_reason: Mapped[str | None] = mapped_column(Text)  # a third session in one week
    late_reason: Mapped[str | None] = mapped_column(Text)  # entered after the session's day: why
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminal.id", ondelete="SET NULL"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id", ondelete="SET NULL"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id", ondelete="SET NULL"))

    session: Mapped[CourseSession] = relationship()
    participant: Mapped[Participant] = relationship()
    prescription: Mapped[Prescription] = relationship()
    cancelled_by = relationship("User", foreign_keys=[cancelled_by_id])

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class Terminal(GroupOwned, db.Model):
    __tablename__ = "terminal"
    __table_args__ = (UniqueConstraint("group_id", "terminal_key"),)

    name: Mapped[str] = mapped_column(String(80))
    terminal_key: Mapped[str] = mapped_column(String(40))
    pairing_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    pairing_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    paired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the locked terminal still tried to hand over (refused: it takes nothing after a lock), and when last.
    refused_after_lock: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def locked(self) -> bool:
        """Locked by the practice ("Sperren"): the terminal is let in nowhere and hands over nothing
        (the one definition; a new pairing lifts it)."""
        return self.revoked_at is not None


class OfflineStatus(enum.StrEnum):
    APPLIED = "applied"  # the rules allowed it: an attendance exists
    OPEN = "open"  # refused afterwards: "Zu klären"
    ACCEPTED = "accepted"  # resolved by the practice as an attendance
    DISCARDED = "discarded"  # resolved by the practice: not an attendance


class OfflineCheckIn(GroupOwned, db.Model):
    """A check-in the tablet made without a connection and sent later, once per tablet and id: a
    replay finds this row and changes nothing. One the rules refused waits here, with its signature,
    until the practice resolves it; an applied one keeps no signature of its own (the attendance has it)."""

    __tablename__ = "offline_checkin"
    __table_args__ = (UniqueConstraint("terminal_id", "client_id"),)

    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminal.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(36))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[OfflineStatus] = mapped_column(EnumText(OfflineStatus))
    message: Mapped[str | None] = mapped_column(Text)  # the rules' refusal, in German
    need: Mapped[str | None] = mapped_column(String(20))  # the reason that would let it count, if any
    attendance_id: Mapped[int | None] = mapped_column(ForeignKey("attendance.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id", ondelete="SET NULL"))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    course: Mapped[Course] = relationship()
    participant: Mapped[Participant] = relationship()
    terminal: Mapped[Terminal] = relationship()
