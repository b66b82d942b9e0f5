"""Devices signed in to the therapist app: one row per sign-in, the token stored hashed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..help.links import help_page_url
from ..i18n import N_, LabelledEnum, datetime_filter, translate
from ..tenancy import Therapist
from ..timeutil import UTCDateTime, utcnow


class DeviceState(LabelledEnum):
    """A device's state in the list, its words and the help section that explains it."""

    ACTIVE = "active", N_("aktiv"), None
    LOCKING = "locking", N_("gesperrt ab dem nächsten Kontakt"), ("deaktiviert-nutzt-weiter", "was-bleibt")
    LOCKED = "locked", N_("gesperrt seit %(when)s"), ("deaktiviert-nutzt-weiter", "was-bleibt")
    SIGNED_OUT = "signed_out", N_("abgemeldet am %(when)s"), ("abmelden", None)
    REVOKED = "revoked", N_("entzogen am %(when)s"), ("deaktiviert-nutzt-weiter", "entziehen")

    def __init__(self, value: str, label: str, help_section: tuple[str, str | None] | None) -> None:
        self.help_section = help_section

    @property
    def help_url(self) -> str | None:
        return help_page_url(*self.help_section) if self.help_section else None

    @property
    def open(self) -> bool:
        """The session can still be ended."""
        return self in (DeviceState.ACTIVE, DeviceState.LOCKING, DeviceState.LOCKED)


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
    def state(self) -> DeviceState:
        if self.revoked_at is not None:
            return DeviceState.REVOKED
        if self.signed_out_at is not None:
            return DeviceState.SIGNED_OUT
        if self.locked_at is not None:
            return DeviceState.LOCKED
        if not self.therapist.app_enabled:
            return DeviceState.LOCKING
        return DeviceState.ACTIVE

    @property
    def state_label(self) -> str:
        when = {DeviceState.REVOKED: self.revoked_at, DeviceState.SIGNED_OUT: self.signed_out_at,
                DeviceState.LOCKED: self.locked_at}.get(self.state)
        return translate(self.state._label, when=datetime_filter(when)) if when else self.state.label
