"""The generated therapist database: where it is, its version, and whether it is stale."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import UTCDateTime


class TherapistDatabase(db.Model):
    __tablename__ = "therapist_database"

    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapist.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str | None] = mapped_column(String(64))  # the version the API reports
    size: Mapped[int | None] = mapped_column(Integer)
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    schema_version: Mapped[int | None] = mapped_column(Integer)  # the generator's schema it was written with
    stale: Mapped[bool] = mapped_column(Boolean, default=True)
    stale_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
