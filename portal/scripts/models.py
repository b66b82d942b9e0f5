"""Runs of the "Bereitgestellte Scripts": who started what, progress and result."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..columns import EnumText
from ..extensions import db
from ..i18n import N_, LabelledEnum
from ..timeutil import UTCDateTime, utcnow


class RunStatus(LabelledEnum):
    """Where a run is; the scripts page shows the label."""

    QUEUED = "queued", N_("wartet auf den Hintergrunddienst")
    RUNNING = "running", N_("läuft")
    DONE = "done", N_("fertig")
    FAILED = "failed", N_("fehlgeschlagen")


class ScriptRun(db.Model):
    """One run of a script: who started it and when, its progress (``done`` of ``total``, which the
    page polls) and its result; the job carries the run's id only."""

    __tablename__ = "script_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True)
    script: Mapped[str] = mapped_column(String(50))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("portal_user.id", ondelete="SET NULL"))
    started_by_label: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[RunStatus] = mapped_column(EnumText(RunStatus), default=RunStatus.QUEUED)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str | None] = mapped_column(Text)

    started_by: Mapped[User | None] = relationship()

    @property
    def finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)
