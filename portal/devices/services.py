"""Device sessions of the therapist app: sign-in with a code, token checks, sign-out, and ending
sessions from the portal."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Date, bindparam, func, select, update

from ..audit.services import record
from ..codes import verify
from ..extensions import db
from ..readiness import sign_in_refusal
from ..signals import database_requested
from ..tenancy import Therapist, app_licences_active
from ..therapist_db.models import TherapistDatabase
from ..therapist_db.services import database_file, lost, ready_database
from ..timeutil import today_berlin, utcnow
from .models import Device


class Refused(Exception):
    """The app's request is refused; ``code`` is the API's error code."""

    def __init__(self, code: str, **extra) -> None:
        super().__init__(code)
        self.code, self.extra = code, extra


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def devices_of(therapist_id: int) -> list[Device]:
    return list(db.session.scalars(select(Device).where(Device.therapist_id == therapist_id)
                                   .order_by(Device.signed_in_at.desc())))


def sign_in(email: str, code: str, device_name: str, platform: str) -> tuple[Device, str, TherapistDatabase]:
    """Sign a device in with e-mail and code; returns the device, its token (shown once) and the
    database it downloads.

    Matching the code, the refusal by the readiness rules, consuming the code and creating the
    device happen in one transaction; a refused sign-in leaves the code valid. Wrong codes are
    counted on their own (``verify.match_code``), whatever happens here.
    """
    now = utcnow()
    match = verify.match_code(email, code, now)
    if match is None:
        raise Refused("invalid_code")
    therapist = db.session.get(Therapist, match.therapist_id)
    refusal = sign_in_refusal(therapist.id)
    database = ready_database(therapist) if refusal is None else None
    if refusal is None and database is None:
        refusal = "database_not_ready"
    if refusal is not None:
        if refusal == "database_not_ready":
            # generate it now; the code stays valid for the next try
            database_requested.send(therapist_ids=[therapist.id])
            db.session.commit()
        else:
            db.session.rollback()
        raise Refused(refusal)
    used_by = f"{device_name} ({platform})"
    if not verify.consume(match, now, used_by):
        db.session.rollback()
        raise Refused("invalid_code")
    token = secrets.token_urlsafe(32)  # 256 random bits
    device = Device(group_id=therapist.group_id, therapist_id=therapist.id, code_request_id=match.request_id,
                    token_hash=token_hash(token), name=device_name, platform=platform, signed_in_at=now)
    db.session.add(device)
    db.session.flush()
    record("code.used", group_id=therapist.group_id, therapist_id=therapist.id,
           details={"code_request_id": match.request_id, "device": used_by}, actor_label="App")
    record("device.signed_in", group_id=therapist.group_id, therapist_id=therapist.id,
           details={"device_id": device.id, "name": device_name, "platform": platform}, actor_label="App")
    db.session.commit()
    return device, token, database


@dataclass(frozen=True)
class DeviceSession:
    """What one authenticated request needs to know, read in a single query."""

    device_id: int
    therapist_id: int
    group_id: int
    name: str
    last_sync_at: datetime | None
    locked_at: datetime | None
    database_sha256: str | None


@lru_cache(maxsize=1)
def _device_query():
    """One statement for every authenticated request, built once (token and day are parameters)."""
    today = bindparam("today", type_=Date)
    return (
        select(Device.id, Device.therapist_id, Device.group_id, Device.name, Device.last_sync_at, Device.locked_at,
               Device.revoked_at, Device.signed_out_at, Therapist.app_enabled, TherapistDatabase.sha256,
               app_licences_active(Device.group_id, today).label("licences_ok"))
        .join(Therapist, Therapist.id == Device.therapist_id)
        .outerjoin(TherapistDatabase, TherapistDatabase.therapist_id == Device.therapist_id)
        .where(Device.token_hash == bindparam("token_hash"))
    )


def authenticate(token: str | None, *, allow_locked: bool = False) -> DeviceSession:
    """The device behind a bearer token, checked the way the spec's table says. Writes once: the
    first request of a device whose therapist's app was deactivated locks it (and commits)."""
    if not token:
        raise Refused("invalid_token")
    row = db.session.execute(_device_query(), {"token_hash": token_hash(token), "today": today_berlin()}).first()
    if row is None or row.signed_out_at is not None:
        raise Refused("invalid_token")
    if row.revoked_at is not None:
        raise Refused("revoked", wipe=True)
    session = DeviceSession(row.id, row.therapist_id, row.group_id, row.name, row.last_sync_at, row.locked_at,
                            row.sha256)
    if allow_locked:
        return session
    if not row.app_enabled:
        if row.locked_at is None:
            db.session.execute(update(Device).where(Device.id == row.id, Device.locked_at.is_(None))
                               .values(locked_at=utcnow()))
            db.session.commit()
        raise Refused("deactivated")
    if not row.licences_ok:
        raise Refused("no_license")
    return session  # a locked device that got here was reactivated: note_contact unlocks it


def sync(session: DeviceSession) -> Path:
    """A sync or download of the app: the device's database file, once it is generated and on disk,
    and the device's contact recorded (``note_contact``). Writes and commits: a file gone missing
    is generated again (``lost``) and refused as not ready meanwhile."""
    if session.database_sha256 is None:
        raise Refused("database_not_ready")
    path = database_file(session.group_id, session.therapist_id)
    if not path.exists():
        lost(session.therapist_id)
        db.session.commit()
        raise Refused("database_not_ready")
    note_contact(session)
    return path


def note_contact(session: DeviceSession) -> None:
    """Record the device's last sync, at most once a minute (the list shows minutes), so a
    busy device does not turn every sync into a database write."""
    now = utcnow()
    last = session.last_sync_at
    if last is None or now - last >= timedelta(minutes=1) or session.locked_at is not None:
        db.session.execute(update(Device).where(Device.id == session.device_id)
                           .values(last_sync_at=now, locked_at=None))
        db.session.commit()


def sign_out(session: DeviceSession) -> None:
    db.session.execute(update(Device).where(Device.id == session.device_id).values(signed_out_at=utcnow()))
    record("device.signed_out", group_id=session.group_id, therapist_id=session.therapist_id,
           details={"device_id": session.device_id, "name": session.name}, actor_label="App")
    db.session.commit()


def end_session(device: Device, actor) -> None:
    """A chef ends one device's session: its next contact is told to wipe its data. The caller commits."""
    device.revoked_at = utcnow()
    record("device.session_ended", group_id=device.group_id, therapist_id=device.therapist_id,
           details={"device_id": device.id, "name": device.name}, actor=actor)


def signed_in_count(therapist_id: int) -> int:
    """How many devices of the therapist are signed in (neither signed out nor ended)."""
    return db.session.scalar(select(func.count(Device.id)).where(
        Device.therapist_id == therapist_id, Device.revoked_at.is_(None), Device.signed_out_at.is_(None))) or 0


def revoke_all(therapist_id: int, now: datetime) -> int:
    """End every open session of the therapist (withdrawal). Returns how many. The caller commits."""
    return db.session.execute(
        update(Device)
        .where(Device.therapist_id == therapist_id, Device.revoked_at.is_(None), Device.signed_out_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
