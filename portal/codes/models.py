"""One row per access-code e-mail: the request, its delivery and the code's life (hash only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, and_, false
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..outbox.delivery import Delivery, DeliveryColumns
from ..tenancy import Therapist
from ..timeutil import UTCDateTime, utcnow


class CodeRequest(DeliveryColumns, db.Model):
    __tablename__ = "code_request"
    __table_args__ = (Index("ix_code_request_therapist_latest", "therapist_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapist.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # asked for by the therapist in the app ("Code anfordern"), not by the practice
    by_therapist: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    email: Mapped[str] = mapped_column(String(254))
    # the delivery's columns come from DeliveryColumns

    code_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by: Mapped[str | None] = mapped_column(String(200))
    # what a delivery report said after the acceptance: undeliverable (delivery BOUNCED) or delayed
    bounce_reason: Mapped[str | None] = mapped_column(Text)
    delayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    therapist: Mapped[Therapist] = relationship()
    # the delivery reports about this mail, by name: bounces build on codes, not the other way round
    bounces = relationship("Bounce", order_by="Bounce.id", lazy="selectin", viewonly=True)

    @hybrid_method
    def usable(self, now: datetime) -> bool:
        """The code can still sign a device in: accepted by the mail server (not refused or reported
        undeliverable), not used, not replaced by a newer one, not locked and not expired."""
        return (self.delivery == Delivery.ACCEPTED and self.used_at is None and self.superseded_at is None
                and self.locked_at is None and self.expires_at is not None and now < self.expires_at)

    @usable.expression
    def usable(cls, now):
        return and_(cls.delivery == Delivery.ACCEPTED, cls.used_at.is_(None), cls.superseded_at.is_(None),
                    cls.locked_at.is_(None), cls.expires_at > now)
