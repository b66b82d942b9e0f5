"""Checking a typed access code: find the matching open code, count wrong attempts, consume it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import case, func, select, update

from ..extensions import db
from ..tenancy import Therapist
from . import hashing
from .models import CodeRequest


@dataclass(frozen=True)
class CodeMatch:
    request_id: int
    therapist_id: int


def match_code(email: str, code: str, now: datetime) -> CodeMatch | None:
    """The open code of this address that the typed code matches, or None.

    Wrong, unknown, expired, used, superseded and locked codes all answer None after the same
    hashing work. A wrong code counts against every open code of that address and the fifth
    wrong attempt locks it; that count is committed on its own, whatever the caller does next.
    """
    email = (email or "").strip().lower()
    code = (code or "").strip()
    candidates = db.session.execute(
        select(CodeRequest.id, CodeRequest.code_hash, CodeRequest.therapist_id)
        .join(Therapist, Therapist.id == CodeRequest.therapist_id)
        .where(func.lower(Therapist.email) == email, CodeRequest.email == Therapist.email, CodeRequest.usable(now))
    ).all() if email else []
    hashing.code_hash(0, code)  # the same work when there is no candidate at all
    match = next((c for c in candidates if hashing.matches(c.code_hash, c.id, code)), None)
    if match is None:
        _count_wrong_attempt([c.id for c in candidates], now)
        return None
    return CodeMatch(match.id, match.therapist_id)


def consume(match: CodeMatch, now: datetime, used_by: str | None) -> bool:
    """Mark the code used with one conditional UPDATE, so of two racing sign-ins exactly one wins.
    The caller commits (with whatever the sign-in creates)."""
    return db.session.execute(
        update(CodeRequest).where(CodeRequest.id == match.request_id, CodeRequest.usable(now))
        .values(used_at=now, used_by=used_by)
    ).rowcount == 1


def _count_wrong_attempt(request_ids: list[int], now: datetime) -> None:
    if request_ids:
        limit = current_app.config["ACCESS_CODE_MAX_ATTEMPTS"]
        db.session.execute(
            update(CodeRequest)
            .where(CodeRequest.id.in_(request_ids), CodeRequest.locked_at.is_(None))
            .values(
                failed_attempts=CodeRequest.failed_attempts + 1,
                locked_at=case((CodeRequest.failed_attempts + 1 >= limit, now), else_=None),
            )
        )
    db.session.commit()
