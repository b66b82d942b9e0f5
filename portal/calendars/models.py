"""A therapist's calendar: a subscribed iCalendar address or an uploaded file, and how its last
import went. The appointments it delivered live in the ``appointment`` table, keyed by
(calendar, UID, recurrence id)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..columns import EnumText
from ..extensions import db
from ..i18n import N_, LabelledEnum
from ..tenancy import Practice, Therapist
from ..timeutil import UTCDateTime, utcnow

FAILING_WARNING_AFTER = timedelta(days=1)  # a feed failing longer than this warns on the list and in the dialog
FETCH_STUCK_AFTER = timedelta(minutes=5)  # "Jetzt abrufen" not taken up by a worker within this: say so


class CalendarKind(LabelledEnum):
    FEED = "feed", N_("Kalender-Abo")
    UPLOAD = "upload", N_("Hochgeladene Datei")


class CalendarSubscription(db.Model):
    __tablename__ = "calendar_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("practice_group.id", ondelete="CASCADE"), index=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("therapist.id", ondelete="CASCADE"), index=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"))
    kind: Mapped[CalendarKind] = mapped_column(EnumText(CalendarKind))
    # The address is a secret (a Google "secret address" grants read access to anyone holding it):
    # stored encrypted (calendars/address.py), shown only as its host and a masked tail (``label``),
    # and recognised again by a keyed hash. An upload keeps its file instead, to expand it again as
    # the window moves.
    address_encrypted: Mapped[str | None] = mapped_column(Text)
    address_digest: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    upload: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_label: Mapped[str] = mapped_column(String(254), default="")

    # conditional GET, and what was imported last (same bytes over the same window: nothing to do)
    etag: Mapped[str | None] = mapped_column(String(255))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    window_start: Mapped[date | None] = mapped_column(Date)

    # the last fetch: asked for ("Jetzt abrufen"), tried, succeeded, or its error since when
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[dict | None] = mapped_column(JSON)  # {"code": …, params}: worded in calendars/messages.py
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    added: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[list] = mapped_column(JSON, default=list)  # [{"uid", "summary", "code"}], the first few
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)

    therapist: Mapped[Therapist] = relationship()
    practice: Mapped[Practice] = relationship()

    @property
    def is_feed(self) -> bool:
        return self.kind == CalendarKind.FEED

    def fetch_pending(self) -> bool:
        """"Jetzt abrufen" was pressed and no attempt has finished since."""
        return self.requested_at is not None and (self.attempted_at is None or self.attempted_at < self.requested_at)

    def fetch_stuck(self) -> bool:
        """Asked for long ago and still not tried: no worker took the job up."""
        return self.fetch_pending() and utcnow() - self.requested_at > FETCH_STUCK_AFTER
