"""Invitations into a practice group, and the mails about accounts (an invitation, a password
reset, a changed second factor). An account mail goes the code mail's way: RQ, the SMTP
server's answer in the mail log, retries. A mail with a link carries its single-use token: only
its keyed hash is stored, the plain token exists in the worker's memory and in the mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import ForeignKey, LargeBinary, String, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Role, User
from ..columns import EnumText
from ..extensions import db
from ..i18n import N_, LabelledEnum, clock_time, date_filter, datetime_filter, translate
from ..outbox.delivery import Delivery, DeliveryColumns
from ..tenancy import PracticeGroup
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
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    mails: Mapped[list[AccountMail]] = relationship(back_populates="invitation", order_by="AccountMail.id")

    @hybrid_property
    def open(self) -> bool:
        """Neither accepted nor withdrawn (yet)."""
        return self.accepted_at is None and self.withdrawn_at is None

    @open.inplace.expression
    @classmethod
    def _open_expression(cls):
        return and_(cls.accepted_at.is_(None), cls.withdrawn_at.is_(None))

    @property
    def latest_mail(self) -> AccountMail | None:
        return self.mails[-1] if self.mails else None

    def status(self, now: datetime) -> InvitationStatus:
        """Where the invitation stands now (see ``InvitationStatus``)."""
        if self.accepted_at is not None:
            return InvitationStatus("joined", translate(N_("angenommen am %(when)s"),
                                                        when=datetime_filter(self.accepted_at)),
                                    "ok", None, None, None, None)
        if self.withdrawn_at is not None:
            return InvitationStatus("withdrawn", translate(N_("zurückgezogen am %(when)s"),
                                                           when=datetime_filter(self.withdrawn_at)),
                                    "off", None, None, None, None)
        mail = self.latest_mail
        label = translate(N_("Einladung offen seit %(day)s"), day=date_filter(self.created_at))
        poll = current_app.config["INVITATION_POLL_SECONDS"]
        if mail is None:
            return InvitationStatus("open", label, "info", None, None, None, poll)
        words = self._mail_words(mail)
        if mail.delivery in (Delivery.PENDING, Delivery.SENDING):
            poll = min(poll, 2)
        link = None
        if mail.expires_at is not None:
            expired = mail.expires_at <= now
            link = (translate(N_("Link abgelaufen am %(when)s: bitte erneut senden"), when=datetime_filter(
                mail.expires_at)) if expired else translate(N_("Link gültig bis %(when)s"),
                                                               when=datetime_filter(mail.expires_at)))
        tone = "ok" if mail.delivery == Delivery.ACCEPTED else mail.delivery.tone
        return InvitationStatus("open", label, "info", words, tone, link, poll)

    @staticmethod
    def _mail_words(mail: AccountMail) -> str:
        if mail.delivery == Delivery.RETRYING:
            return translate(N_("Mail-Versand: neuer Versuch um %(time)s"),
                             time=clock_time(mail.next_attempt_at)) if mail.next_attempt_at else translate(
                N_("Mail-Versand: neuer Versuch geplant"))
        return translate(_MAIL_WORDS[mail.delivery], when=datetime_filter(mail.accepted_at),
                         answer=mail.smtp_response or "–")

    @property
    def inviter(self) -> str:
        """Who invited, by name: the inviter's name as it is now when they have entered one since,
        else what was known when they invited."""
        person = self.invited_by
        if person is not None and person.role != Role.SUPPORT and person.name:
            return person.name
        return self.invited_by_label


@dataclass(frozen=True)
class InvitationStatus:
    """An invitation as the users page says it, in words nobody mistakes: whether the colleague
    has joined ("angenommen am …", only then), how long it has been open, and where its mail is
    ("Mail zugestellt an Server" is the receiving server, not the colleague), with when to look again."""

    key: str  # open | joined | withdrawn
    label: str
    tone: str
    mail: str | None  # the latest mail's way, in words
    mail_tone: str | None
    link: str | None  # until when its link works, or that it expired
    poll_after: int | None  # seconds until the row may change by itself; None: final


_MAIL_WORDS = {
    Delivery.PENDING: N_("Mail wird gesendet"),
    Delivery.SENDING: N_("Mail wird gesendet"),
    Delivery.ACCEPTED: N_("Mail zugestellt an Server, %(when)s"),
    Delivery.REFUSED: N_("Mail-Server hat die Adresse abgelehnt: %(answer)s"),
    Delivery.FAILED: N_("Mail-Versand fehlgeschlagen: %(answer)s"),
    Delivery.BOUNCED: N_("Zustellung gescheitert: %(answer)s"),
    Delivery.CANCELLED: N_("Mail vor dem Versand ersetzt"),
}


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
