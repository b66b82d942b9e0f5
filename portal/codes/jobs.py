"""RQ jobs for access codes. They carry request ids only; the database is the record of truth."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import or_, select, update

from .. import jobs
from ..audit.services import record
from ..bounces.services import envelope_sender
from ..extensions import db
from ..jobs import fresh_session
from ..timeutil import utcnow
from . import hashing, mailer
from .models import CodeRequest, Delivery
from .request import SEND_JOB, job_id

JOB_ACTOR = "Versanddienst"
CLAIM_EARLY = timedelta(seconds=5)  # a retry's job may run this much before its time (clocks differ a little)


def _ceil_minute(value: datetime) -> datetime:
    rounded = value.replace(second=0, microsecond=0)
    return rounded if rounded == value else rounded + timedelta(minutes=1)


def _claim(request_id: int, now: datetime, code_hash: bytes, message_id: str) -> bool:
    """Take the request for this worker with the new code's hash; only one worker can, never once
    the server accepted it, and a retry not before its time (a stale scheduled job skips)."""
    claimed = db.session.execute(
        update(CodeRequest)
        .where(CodeRequest.id == request_id, CodeRequest.superseded_at.is_(None),
               or_(CodeRequest.delivery == Delivery.PENDING,
                   (CodeRequest.delivery == Delivery.RETRYING) & (CodeRequest.next_attempt_at <= now + CLAIM_EARLY)))
        .values(delivery=Delivery.SENDING, sending_started_at=now, attempts=CodeRequest.attempts + 1,
                code_hash=code_hash, message_id=message_id)
    ).rowcount == 1
    db.session.commit()
    return claimed


@fresh_session
def send_code(request_id: int) -> str:
    """Generate a code, store its keyed hash, mail it, and record what the SMTP server said.

    The plain code lives in this function's memory and in the mail only. The validity runs from
    the server's acceptance: the mail states the expiry rounded up to the minute, and the stored
    expiry is never earlier than that nor than acceptance plus the validity.
    """
    now = utcnow()
    code = hashing.new_code()
    if not _claim(request_id, now, hashing.code_hash(request_id, code), make_msgid(domain=mailer.message_id_domain())):
        return "skipped"
    request = db.session.get(CodeRequest, request_id)
    validity = timedelta(minutes=current_app.config["ACCESS_CODE_VALIDITY_MINUTES"])
    stated_expiry = _ceil_minute(now + validity)
    try:
        answer = mailer.send(mailer.build_message(request, code, stated_expiry), envelope_sender(request.id))
    except mailer.TemporaryFailure as exc:
        return _temporary_failure(request, str(exc))
    except mailer.PermanentFailure as exc:
        return _refused(request, str(exc))
    except Exception as exc:  # noqa: BLE001 - whatever broke, the request ends in a visible state
        current_app.logger.exception("Versand der Code-Anforderung %s abgebrochen", request_id)
        return _failed(request_id, f"Interner Fehler beim Versand ({exc.__class__.__name__}). Bitte einen neuen Code "
                                   "senden; besteht der Fehler weiter, hilft der Kundenservice.")
    finally:
        del code
    accepted = utcnow()
    request.delivery = Delivery.ACCEPTED
    request.accepted_at = accepted
    request.expires_at = max(stated_expiry, accepted + validity)
    request.smtp_response = answer
    request.next_attempt_at = None
    if request.therapist.email == request.email:
        request.therapist.email_refused = None
    record("code.sent", group_id=request.group_id, therapist_id=request.therapist_id,
           details={"code_request_id": request.id, "email": request.email, "message_id": request.message_id},
           actor_label=JOB_ACTOR)
    db.session.commit()
    return "accepted"


def _temporary_failure(request: CodeRequest, answer: str) -> str:
    delays = current_app.config["ACCESS_CODE_RETRY_DELAYS"]
    request.smtp_response = answer
    if request.attempts <= len(delays):
        delay = timedelta(seconds=delays[request.attempts - 1])
        request.delivery = Delivery.RETRYING
        request.next_attempt_at = utcnow() + delay
        db.session.commit()
        jobs.enqueue(SEND_JOB, request.id, job_id=job_id(request.id), delay=delay)  # else the sweeper, when due
        return "retrying"
    return _failed(request.id, answer)


def _failed(request_id: int, reason: str) -> str:
    """Give up for good, with the reason on the request (the status and the mail log show it)."""
    db.session.rollback()
    request = db.session.get(CodeRequest, request_id)
    request.delivery, request.smtp_response, request.next_attempt_at = Delivery.FAILED, reason, None
    record("code.failed", group_id=request.group_id, therapist_id=request.therapist_id,
           details={"code_request_id": request.id, "answer": reason}, actor_label=JOB_ACTOR)
    db.session.commit()
    return "failed"


def _refused(request: CodeRequest, answer: str) -> str:
    request.delivery = Delivery.REFUSED
    request.smtp_response = answer
    request.next_attempt_at = None
    if request.therapist.email == request.email:
        request.therapist.email_refused = answer
    record("code.refused", group_id=request.group_id, therapist_id=request.therapist_id,
           details={"code_request_id": request.id, "email": request.email, "answer": answer},
           actor_label=JOB_ACTOR)
    db.session.commit()
    return "refused"


@fresh_session
def sweep() -> int:
    """Every minute (rq cron): hand over what Redis never got or lost. Returns how many.

    Pending requests whose job Redis does not hold (it was down, or lost it), retries that are
    due, and claims of a killed worker stuck in "sending". Enqueueing twice is harmless: a
    request is claimed once, and never again after the server accepted it.
    """
    now = utcnow()
    stuck = now - timedelta(seconds=current_app.config["ACCESS_CODE_STUCK_AFTER_SECONDS"])
    dead_claim = (CodeRequest.delivery == Delivery.SENDING) & (CodeRequest.sending_started_at < stuck) & (
        CodeRequest.accepted_at.is_(None))
    waiting = or_(
        CodeRequest.delivery == Delivery.PENDING,
        (CodeRequest.delivery == Delivery.RETRYING) & (CodeRequest.next_attempt_at <= now - timedelta(seconds=60)),
        dead_claim,
    )
    candidates = db.session.execute(
        select(CodeRequest.id, CodeRequest.delivery, CodeRequest.attempts)
        .where(CodeRequest.superseded_at.is_(None), waiting)
    ).all()
    # a send interrupted again and again (a worker dying on it) is given up, not tried forever
    worn_out = [row.id for row in candidates
                if row.delivery == Delivery.SENDING and row.attempts >= current_app.config["ACCESS_CODE_MAX_SENDS"]]
    for request_id in worn_out:
        _failed(request_id, "Versand abgebrochen: er wurde mehrmals unterbrochen. Bitte einen neuen Code senden.")
    # a dead worker's job may still look "started", a retry's job "scheduled" with no scheduler running:
    # those are handed over whatever Redis says; a pending one only when Redis does not hold its job
    due = [row.id for row in candidates if row.id not in worn_out
           and (row.delivery != Delivery.PENDING or not jobs.in_flight(job_id(row.id)))]
    if not due:
        return len(worn_out)
    db.session.execute(update(CodeRequest).where(CodeRequest.id.in_(due), dead_claim)
                       .values(delivery=Delivery.PENDING))
    db.session.commit()
    for request_id in due:
        jobs.enqueue(SEND_JOB, request_id, job_id=job_id(request_id))
    return len(due) + len(worn_out)
