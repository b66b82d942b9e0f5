"""Asking for an access code: record the request, void what it replaces, hand it to the worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, select, update

from .. import jobs
from ..audit.services import record
from ..extensions import db
from ..i18n import N_, translate
from ..outbox.delivery import WAITING, Delivery
from ..tenancy import Therapist
from ..timeutil import utcnow
from .models import CodeRequest

SEND_JOB = "portal.codes.jobs.send_code"
jobs.describe(SEND_JOB, N_("Zugangscode senden"), (CodeRequest.therapist_id, Therapist))
APP_ACTOR = "App"  # the audit's actor of what the therapist did in the app


def job_id(request_id: int) -> str:
    return f"code-request-{request_id}"


@dataclass
class RequestOutcome:
    """What asking for a code did: the request (new or the recent one) and a German message."""

    request: CodeRequest | None
    created: bool
    message: str
    category: str = "success"

    def report(self) -> tuple[str, str]:
        """The message and its category once the change is committed; a request that could not
        reach the worker is a warning (the page's notice says why, the sweeper sends it later)."""
        if self.created and jobs.handover_failed():
            return self.message, "warning"
        return self.message, self.category


def latest_request(therapist_id: int) -> CodeRequest | None:
    return db.session.scalars(
        select(CodeRequest).where(CodeRequest.therapist_id == therapist_id).order_by(CodeRequest.id.desc()).limit(1)
    ).first()


def void_open_codes(therapist_id: int, now: datetime) -> int:
    """Make every unused code of the therapist invalid; one still waiting for a worker is cancelled
    (a worker that already claimed it sends a code nobody can use). Returns how many."""
    return db.session.execute(
        update(CodeRequest)
        .where(CodeRequest.therapist_id == therapist_id, CodeRequest.used_at.is_(None),
               CodeRequest.superseded_at.is_(None))
        .values(superseded_at=now, delivery=case((CodeRequest.delivery.in_(WAITING), Delivery.CANCELLED),
                                                 else_=CodeRequest.delivery))
        .execution_options(synchronize_session=False)
    ).rowcount


def request_code(therapist: Therapist, actor=None, *, by_therapist: bool = False) -> RequestOutcome:
    """Record a new code request that supersedes every earlier unused code; the mail job is
    enqueued when the caller commits.

    Refuses without an e-mail address or without "App aktivieren", and answers with the recent
    request instead of a second mail within the cool-down. ``by_therapist``: asked for in the app
    ("Code anfordern"), audited as "vom Therapeuten angefordert".
    """
    if not therapist.app_enabled:
        return RequestOutcome(None, False, translate(N_("Aktivieren Sie zuerst die App für diesen Therapeuten.")),
                              "error")
    if not therapist.email:
        return RequestOutcome(None, False, translate(N_("Für einen Zugangscode wird eine E-Mail-Adresse benötigt.")),
                              "error")
    now = utcnow()
    latest = latest_request(therapist.id)
    cooldown = timedelta(seconds=current_app.config["ACCESS_CODE_RESEND_COOLDOWN_SECONDS"])
    if latest is not None and now - latest.requested_at < cooldown and latest.superseded_at is None and (
        latest.delivery not in (Delivery.REFUSED, Delivery.FAILED, Delivery.BOUNCED)
    ):
        return RequestOutcome(latest, False, translate(N_(
            "Ein Zugangscode wurde vor weniger als 30 Sekunden angefordert. Es wird keine zweite E-Mail gesendet; "
            "bitte warten Sie einen Moment.")), "info")
    void_open_codes(therapist.id, now)
    request = CodeRequest(group_id=therapist.group_id, therapist_id=therapist.id, email=therapist.email,
                          requested_by_id=actor.id if actor is not None else None, requested_at=now,
                          by_therapist=by_therapist, delivery=Delivery.PENDING)
    db.session.add(request)
    db.session.flush()
    record("code.requested_by_therapist" if by_therapist else "code.requested", group_id=therapist.group_id,
           therapist_id=therapist.id, details={"code_request_id": request.id, "email": therapist.email}, actor=actor,
           actor_label=APP_ACTOR if by_therapist else None)
    jobs.after_commit(SEND_JOB, request.id, job_id=job_id(request.id))
    return RequestOutcome(request, True, translate(N_("Ein neuer Zugangscode wird an %(email)s gesendet."),
                                                   email=therapist.email))
