"""One row per access-code e-mail: the request, its delivery and the code's life (hash only)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..therapists.models import Therapist
from ..timeutil import UTCDateTime, utcnow


class Delivery(StrEnum):
    PENDING = "pending"      # saved, not yet handed to Redis (Redis was down)
    QUEUED = "queued"        # an RQ job carries the request's id
    SENDING = "sending"      # a worker claimed it
    RETRYING = "retrying"    # the SMTP server was down or answered 4xx; next_attempt_at says when
    ACCEPTED = "accepted"    # the SMTP server took the mail
    REFUSED = "refused"      # the SMTP server refused the address for good (5xx)
    FAILED = "failed"        # gave up after the last retry
    CANCELLED = "cancelled"  # superseded before it was sent




class CodeRequest(db.Model):
    __tablename__ = "code_request"
    __table_args__ = (Index("ix_code_request_therapist_latest", "therapist_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapist.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email: Mapped[str] = mapped_column(String(254))

    delivery: Mapped[str] = mapped_column(String(20), default=Delivery.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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

    therapist: Mapped[Therapist] = relationship()
