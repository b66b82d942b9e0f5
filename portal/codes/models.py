"""One row per access-code e-mail: the request, its delivery and the code's life (hash only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..bounces.models import Bounce
from ..columns import EnumText
from ..extensions import db
from ..i18n import N_, LabelledEnum, clock_time, translate
from ..therapists.models import Therapist
from ..timeutil import UTCDateTime, utcnow


class Delivery(LabelledEnum):
    """Where the mail is on its way; the mail log shows the label in the tone's colour."""

    PENDING = "pending", N_("wartet auf den Versanddienst"), "info"  # saved; a job carries its id
    SENDING = "sending", N_("wird gesendet"), "info"  # a worker claimed it
    RETRYING = "retrying", N_("neuer Versuch geplant"), "warn"  # server down or 4xx; next_attempt_at says when
    ACCEPTED = "accepted", N_("angenommen"), "ok"  # the SMTP server took the mail
    REFUSED = "refused", N_("abgelehnt"), "warn"  # the SMTP server refused the address for good (5xx)
    FAILED = "failed", N_("fehlgeschlagen"), "warn"  # gave up after the last retry
    BOUNCED = "bounced", N_("Zustellung gescheitert"), "warn"  # accepted, then reported undeliverable (a bounce)
    CANCELLED = "cancelled", N_("vor dem Versand ersetzt"), "off"  # superseded before it was sent

    def __init__(self, value: str, label: str, tone: str) -> None:
        self.tone = tone


WAITING = (Delivery.PENDING, Delivery.RETRYING)  # not yet with a worker: still to be cancelled when superseded


class CodeRequest(db.Model):
    __tablename__ = "code_request"
    __table_args__ = (Index("ix_code_request_therapist_latest", "therapist_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapist.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email: Mapped[str] = mapped_column(String(254))

    delivery: Mapped[Delivery] = mapped_column(EnumText(Delivery), default=Delivery.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sending_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[str | None] = mapped_column(String(255))
    smtp_response: Mapped[str | None] = mapped_column(Text)

    code_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by: Mapped[str | None] = mapped_column(String(200))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # what a delivery report said after the acceptance: undeliverable (delivery BOUNCED) or delayed
    bounce_reason: Mapped[str | None] = mapped_column(Text)
    delayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    therapist: Mapped[Therapist] = relationship()
    bounces: Mapped[list[Bounce]] = relationship(order_by="Bounce.id", lazy="selectin", viewonly=True)

    @property
    def delivery_label(self) -> str:
        """The mail log's words for the delivery, with the time of a planned retry."""
        if self.delivery == Delivery.RETRYING and self.next_attempt_at:
            return translate(N_("neuer Versuch um %(time)s"), time=clock_time(self.next_attempt_at))
        return self.delivery.label
