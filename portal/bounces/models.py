"""Delivery reports that came back for code mails: one row per report, whichever way it came in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..columns import EnumText
from ..extensions import db
from ..i18n import N_, LabelledEnum
from ..timeutil import UTCDateTime, utcnow


class Intake(LabelledEnum):
    """Which way the report came in: our SMTP intake, the IMAP mailbox, or a provider's webhook."""

    SMTP = "smtp", N_("SMTP-Empfang")
    IMAP = "imap", N_("IMAP-Postfach")
    POSTMARK = "postmark", N_("Postmark")
    SES = "ses", N_("Amazon SES")


class BounceKind(LabelledEnum):
    """What a report does to its code mail: void it (hard), delay it (soft), or nothing (ignored)."""

    HARD = "hard", N_("Zustellung gescheitert")
    SOFT = "soft", N_("Zustellung verzögert")
    IGNORED = "ignored", N_("nicht berücksichtigt")


class Bounce(db.Model):
    """A delivery report (RFC 3464) or what was taken for one; ``event_key`` makes it count once."""

    __tablename__ = "bounce"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(255), unique=True)  # the report's Message-ID, or the provider's id
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    intake: Mapped[Intake] = mapped_column(EnumText(Intake))
    kind: Mapped[BounceKind] = mapped_column(EnumText(BounceKind))
    code_request_id: Mapped[int | None] = mapped_column(ForeignKey("code_request.id", ondelete="SET NULL"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("practice_group.id", ondelete="SET NULL"), index=True)
    recipient: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str | None] = mapped_column(String(20))  # the enhanced status code, e.g. 5.1.1
    diagnostic: Mapped[str | None] = mapped_column(Text)  # the receiving server's words
    reason: Mapped[str | None] = mapped_column(Text)  # why an ignored report was ignored
