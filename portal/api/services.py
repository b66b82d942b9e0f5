"""Device sessions of the therapist app: sign-in, token checks, sign-out."""

from __future__ import annotations

import hashlib
import secrets

from flask import request

from ..appdb.services import mark_stale, ready_database
from ..audit.services import record
from ..codes.services import consume_code
from ..extensions import db
from ..groups.models import PracticeGroup
from ..therapists.models import Therapist
from ..timeutil import utcnow
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


def authenticated_device(*, allow_locked: bool = False) -> Device:
    """The device behind the request's bearer token, checked the way the spec's table says."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "invalid_token")
    device = db.session.scalar(db.select(Device).where(Device.token_hash == token_hash(token.strip())))
    if device is None or device.signed_out_at is not None:
        raise ApiError(401, "invalid_token")
    if device.revoked_at is not None:
        raise ApiError(401, "revoked", wipe=True)
    if allow_locked:
        return device
    therapist = device.therapist
    if not therapist.app_enabled:
        if device.locked_at is None:
            device.locked_at = utcnow()
            db.session.commit()
        raise ApiError(403, "deactivated")
    if not therapist.group.app_licences_ok():
        raise ApiError(403, "no_license")
    if device.locked_at is not None:
        device.locked_at = None  # reactivated: the same device syncs again without a new code
    return device


def sign_out(device: Device) -> None:
    device.signed_out_at = utcnow()
    record("device.signed_out", group_id=device.group_id, therapist_id=device.therapist_id,
           details={"device_id": device.id, "name": device.name}, actor_label="App")
    db.session.commit()


def end_session(device: Device) -> None:
    """A chef ends one device's session: its next contact is told to wipe its data."""
    device.revoked_at = utcnow()
    record("device.session_ended", group_id=device.group_id, therapist_id=device.therapist_id,
           details={"device_id": device.id, "name": device.name})
