"""Device sessions of the therapist app: sign-in, token checks, sign-out."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from flask import request
from sqlalchemy import Date, bindparam, func, or_, select, update

from ..appdb.generator import path_for
from ..appdb.models import TherapistDatabase
from ..appdb.services import mark_stale, ready_database
from ..audit.services import record
from ..codes.services import consume_code
from ..extensions import db
from ..groups.models import Licence, LicenceKind, PracticeGroup
from ..therapists.models import Therapist
from ..timeutil import today_berlin, utcnow
from .errors import ApiError
from .models import Device


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _sign_in_refusal(therapist: Therapist) -> str | None:
    """Why a therapist with a valid code may not sign in yet (the code then stays valid)."""
    if not therapist.app_enabled:
        return "app_disabled"
    if not db.session.get(PracticeGroup, therapist.group_id).app_licences_ok():
        return "no_license"
    if ready_database(therapist) is None:
        return "database_not_ready"
    return None


STATUS_OF = {"invalid_code": 401, "app_disabled": 403, "no_license": 403, "database_not_ready": 409}


def sign_in(email: str, code: str, device_name: str, platform: str) -> tuple[Device, str]:
    """Consume the code and open a device session; returns the device and its token (shown once)."""
    check = consume_code(email, code, used_by=f"{device_name} ({platform})", precondition=_sign_in_refusal)
    if not check.ok:
        if check.error == "database_not_ready":
            mark_stale([check.therapist.id])
            db.session.commit()
        raise ApiError(STATUS_OF[check.error], check.error)
    token = secrets.token_urlsafe(32)  # 256 random bits
    therapist = check.therapist
    device = Device(group_id=therapist.group_id, therapist_id=therapist.id, code_request_id=check.request_id,
                    token_hash=token_hash(token), name=device_name, platform=platform, signed_in_at=utcnow())
    db.session.add(device)
    db.session.flush()
    record("device.signed_in", group_id=therapist.group_id, therapist_id=therapist.id,
           details={"device_id": device.id, "name": device_name, "platform": platform}, actor_label="App")
    db.session.commit()
    return device, token


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

    @property
    def database_ready(self) -> bool:
        return self.database_sha256 is not None and path_for(self.group_id, self.therapist_id).exists()


@lru_cache(maxsize=1)
def _device_query():
    """One statement for every authenticated request, built once (token and day are parameters)."""
    today = bindparam("today", type_=Date)
    licences_ok = (select(func.count(Licence.id))
                   .where(Licence.group_id == Device.group_id, Licence.kind.in_([LicenceKind.SYNC, LicenceKind.APP]),
                          Licence.valid_from <= today, or_(Licence.valid_until.is_(None), Licence.valid_until >= today))
                   .scalar_subquery()) == 2
    return (
        select(Device.id, Device.therapist_id, Device.group_id, Device.name, Device.last_sync_at, Device.locked_at,
               Device.revoked_at, Device.signed_out_at, Therapist.app_enabled, TherapistDatabase.sha256,
               licences_ok.label("licences_ok"))
        .join(Therapist, Therapist.id == Device.therapist_id)
        .outerjoin(TherapistDatabase, TherapistDatabase.therapist_id == Device.therapist_id)
        .where(Device.token_hash == bindparam("token_hash"))
    )


def authenticated_device(*, allow_locked: bool = False) -> DeviceSession:
    """The device behind the request's bearer token, checked the way the spec's table says."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "invalid_token")
    row = db.session.execute(_device_query(),
                             {"token_hash": token_hash(token.strip()), "today": today_berlin()}).first()
    if row is None or row.signed_out_at is not None:
        raise ApiError(401, "invalid_token")
    if row.revoked_at is not None:
        raise ApiError(401, "revoked", wipe=True)
    session = DeviceSession(row.id, row.therapist_id, row.group_id, row.name, row.last_sync_at, row.locked_at,
                            row.sha256)
    if allow_locked:
        return session
    if not row.app_enabled:
        if row.locked_at is None:
            db.session.execute(update(Device).where(Device.id == row.id, Device.locked_at.is_(None))
                               .values(locked_at=utcnow()))
            db.session.commit()
        raise ApiError(403, "deactivated")
    if not row.licences_ok:
        raise ApiError(403, "no_license")
    return session  # a locked device that got here was reactivated: note_contact unlocks it


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


def end_session(device: Device) -> None:
    """A chef ends one device's session: its next contact is told to wipe its data."""
    device.revoked_at = utcnow()
    record("device.session_ended", group_id=device.group_id, therapist_id=device.therapist_id,
           details={"device_id": device.id, "name": device.name})
