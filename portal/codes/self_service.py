""""Code anfordern" in the app: a therapist asks for a new access code by e-mail address alone.

The caller answers the same whatever happens here, so nothing tells whether an address is known.
A code goes out only when the address belongs to exactly one therapist for whom a code could be
used (the readiness rules "licence", "deliverable", "app" and "withdrawn"), and only within the
per-address limits; the request then takes the portal arrow's path (``request_code``: the 30 s
guard, the mail log, the audit entry, the arrow's hover).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from limits import parse_many
from sqlalchemy import func, select

from ..extensions import db
from ..readiness import BY_KEY
from ..tenancy import Therapist
from ..timeutil import today_param, utcnow
from .models import CodeRequest
from .request import request_code

ELIGIBLE = ("licence", "deliverable", "app", "withdrawn")


def _eligible(address: str) -> Therapist | None:
    """The one therapist with this address a code could serve, locked against a racing request;
    None when there is none or more than one."""
    conditions = [BY_KEY[key].met(Therapist, today_param()) for key in ELIGIBLE]
    ids = db.session.scalars(select(Therapist.id).where(func.lower(Therapist.email) == address, *conditions)
                             .limit(2)).all()
    if len(ids) != 1:
        return None
    return db.session.scalars(select(Therapist).where(Therapist.id == ids[0]).with_for_update()).first()


def _within_limits(address: str) -> bool:
    """The address's earlier requests from the app stay under every limit of APP_CODE_LIMIT."""
    now = utcnow()
    for limit in parse_many(current_app.config["APP_CODE_LIMIT"]):
        since = now - timedelta(seconds=limit.get_expiry())
        made = db.session.scalar(select(func.count(CodeRequest.id)).where(
            CodeRequest.by_therapist.is_(True), func.lower(CodeRequest.email) == address,
            CodeRequest.requested_at > since))
        if made >= limit.amount:
            return False
    return True


def request_by_therapist(email: str) -> None:
    """Send a new code to this address if the rules allow it; commits. Says nothing either way."""
    address = email.strip().lower()
    therapist = _eligible(address)
    if therapist is None or not _within_limits(address):
        db.session.rollback()
        return
    request_code(therapist, by_therapist=True)
    db.session.commit()
