"""Invitations into a practice group, and the mails about accounts (an invitation, a password
reset, a changed second factor). An account mail goes the code mail's way: RQ, the SMTP
server's answer in the mail log, retries. A mail with a link carries its single-use token: only
its keyed hash is stored, the plain token exists in the worker's memory and in the mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Role, User
from ..columns import EnumText
from ..extensions import db
from ..groups.models import PracticeGroup
from ..i18n import N_, LabelledEnum
from ..outbox.delivery import DeliveryColumns
from ..timeutil import UTCDateTime, utcnow


class Invitation(db.Model):
    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(EnumText(Role))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id", ondelete="SET NULL"))
    invited_by_label: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id", ondelete="SET NULL"))

    group: Mapped[PracticeGroup] = relationship()
    mails: Mapped[list[AccountMail]] = relationship(back_populates="invitation", order_by="AccountMail.id")

    @property
    def open(self) -> bool:
        return self.accepted_at is None and self.withdrawn_at is None

    @property
    def latest_mail(self) -> AccountMail | None:
        return self.mails[-1] if self.mails else None


class MailKind(LabelledEnum):
    """What an account mail is about; the mail log shows the label."""

    INVITATION = "invitation", N_("Einladung"), "account_mails/invitation", True
    RESET = "reset", N_("Passwort zurücksetzen"), "account_mails/reset", True
    KNOWN = "known", N_("Einladung an bestehenden Zugang"), "account_mails/known", False
    SECOND_FACTOR = "second_factor", N_("Zweiter Faktor geändert"), "account_mails/second_factor", False

    def __init__(self, value: str, label: str, template: str, has_link: bool) -> None:
        self.template = template
        self.has_link = has_link


class AccountMail(DeliveryColumns, db.Model):
    __tablename__ = "account_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MailKind] = mapped_column(EnumText(MailKind))
    email: Mapped[str] = mapped_column(String(254))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    base_url: Mapped[str] = mapped_column(String(255))  # where the link points (PORTAL_URL, or the dev server)
    detail: Mapped[str | None] = mapped_column(String(200))  # e.g. what changed about the second factor
    token_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship()
    invitation: Mapped[Invitation | None] = relationship(back_populates="mails")
