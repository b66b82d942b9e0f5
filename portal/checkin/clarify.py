"""The "Zu klären" list: offline check-ins the rules refused when they arrived, resolved by the
practice as an attendance after all or as not counted."""

from __future__ import annotations

import base64

from sqlalchemy import select

from ..audit.services import record
from ..extensions import db
from ..i18n import N_, translate
from ..timeutil import today_berlin, utcnow
from .models import OfflineCheckIn, OfflineStatus
from .services import CheckInRefused, CheckInResult, check_in


def open_items(group_id: int) -> list[OfflineCheckIn]:
    """The "Zu klären" list: refused offline check-ins not yet resolved, oldest first."""
    return list(db.session.scalars(select(OfflineCheckIn).where(
        OfflineCheckIn.group_id == group_id, OfflineCheckIn.status == OfflineStatus.OPEN)
        .order_by(OfflineCheckIn.signed_at, OfflineCheckIn.id)))


def signature_base64(row: OfflineCheckIn) -> str:
    return base64.b64encode(row.signature_png or b"").decode()


def _resolve(row: OfflineCheckIn, status: OfflineStatus, user, note: str | None) -> None:
    row.status, row.resolved_at, row.resolved_by_id = status, utcnow(), user.id
    row.resolution_note, row.signature_png = note, None


def accept(row: OfflineCheckIn, user, *, springer_reason: str | None = None,
           extra_reason: str | None = None) -> CheckInResult:
    """Take a refused offline check-in as an attendance after all, through the check-in service
    (with a reason where the rules ask for one); a refusal changes nothing. The caller commits."""
    if row.status != OfflineStatus.OPEN:
        raise CheckInRefused(translate(N_("Dieser Check-in ist bereits geklärt.")))
    if row.day > today_berlin():
        raise CheckInRefused(translate(N_("Ein Check-in für einen Tag in der Zukunft kann nicht zählen.")))
    with db.session.begin_nested():
        result = check_in(row.participant, row.course, row.day, row.signature_png, springer_reason=springer_reason,
                          extra_reason=extra_reason, user=user, now=row.signed_at)
    row.attendance_id = result.attendance.id
    _resolve(row, OfflineStatus.ACCEPTED, user, (springer_reason or extra_reason or "").strip() or None)
    record("checkin.offline_accepted", group_id=row.group_id, actor=user,
           details={"offline_id": row.id, "attendance_id": result.attendance.id, "participant_id": row.participant_id})
    return result


def discard(row: OfflineCheckIn, user, note: str) -> None:
    """Resolve a refused offline check-in as no attendance, with a note; its signature goes."""
    note = (note or "").strip()
    if row.status != OfflineStatus.OPEN:
        raise CheckInRefused(translate(N_("Dieser Check-in ist bereits geklärt.")))
    if not note:
        raise CheckInRefused(translate(N_("Bitte geben Sie an, warum der Check-in nicht gezählt wird.")))
    _resolve(row, OfflineStatus.DISCARDED, user, note)
    record("checkin.offline_discarded", group_id=row.group_id, actor=user,
           details={"offline_id": row.id, "participant_id": row.participant_id, "note": note})


def resolve(row: OfflineCheckIn, accepted: bool, user, *, springer_reason: str | None = None,
            extra_reason: str | None = None, note: str | None = None) -> None:
    """Resolve a "Zu klären" item: taken as an attendance (``accept``) or not counted (``discard``).
    A refusal rolls back and is raised again; an item taken that the rules now ask another reason
    for (a third check-in in the week …) keeps that reason, committed. Else the caller commits."""
    try:
        if accepted:
            accept(row, user, springer_reason=springer_reason, extra_reason=extra_reason)
        else:
            discard(row, user, note)
    except CheckInRefused as refused:
        db.session.rollback()
        if accepted and refused.need and row.need != refused.need:
            row.need = refused.need
            db.session.commit()
        raise
