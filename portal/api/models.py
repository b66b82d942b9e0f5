"""Devices signed in to the therapist app: one row per sign-in, the token stored hashed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..therapists.models import Therapist
from ..timeutil import UTCDateTime, utcnow


class Device(db.Model):
    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapist.id", ondelete="CASCADE"), index=True)
    code_request_id: Mapped[int | None] = mapped_column(ForeignKey("code_request.id", ondelete="SET NULL"),
                                                        unique=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(40))
    signed_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first refused while deactivated
    signed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # ended by the practice or support

    therapist: Mapped[Therapist] = relationship()

    @property
    def state(self) -> str:
        """aktiv, gesperrt, abgemeldet or entzogen (for the device list)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.signed_out_at is not None:
            return "signed_out"
        if self.locked_at is not None:
            return "locked"
        return "active"
