"""RQ jobs for access codes. They carry request ids only; the database is the record of truth."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import make_msgid

from flask import current_app

from ..audit.services import record
from ..extensions import db
from ..jobs import fresh_session
from ..outbox import delivery, smtp
from ..outbox.return_path import envelope_sender
from ..timeutil import utcnow
from . import hashing
from .mailer import build_message
from .models import CodeRequest
from .request import SEND_JOB, job_id

JOB_ACTOR = "Versanddienst"


def _ceil_minute(value: datetime) -> datetime:
    rounded = value.replace(second=0, microsecond=0)
    return rounded if rounded == value else rounded + timedelta(minutes=1)


@fresh_session
def send_code(request_id: int) -> str:
    """Generate a code, store its keyed hash, mail it, and record what the SMTP server said.

    The plain code lives in this function's memory and in the mail only. The validity runs from
    the server's acceptance: the mail states the expiry rounded up to the minute, and the stored
    expiry is never earlier than that nor than acceptance plus the validity.
    """
    now = utcnow()
    code = hashing.new_code()
    if not delivery.claim(CodeRequest, request_id, now, code_hash=hashing.code_hash(request_id, code),
                          message_id=make_msgid(domain=smtp.message_id_domain())):
        return "skipped"
    request = db.session.get(CodeRequest, request_id)
    validity = timedelta(minutes=current_app.config["ACCESS_CODE_VALIDITY_MINUTES"])
    stated_expiry = _ceil_minute(now + validity)
    try:
        answer = smtp.send(build_message(request, code, stated_expiry), envelope_sender(request.id))
    except smtp.TemporaryFailure as exc:
        return _temporary_failure(request, str(exc))
    except smtp.PermanentFailure as exc:
        return _refused(request, str(exc))
    except Exception as exc:  # noqa: BLE001 - whatever broke, the request ends in a visible state
        current_app.logger.exception("Versand der Code-Anforderung %s abgebrochen", request_id)
        return _failed(request_id, f"Interner Fehler beim Versand ({exc.__class__.__name__}). Bitte einen neuen Code "
                                   "senden; besteht der Fehler weiter, hilft der Kundenservice.")
    finally:
        del code
    current_app.logger.info("Code-Mail der Anforderung %s angenommen: %s", request_id, answer)
    delivery.mark_accepted(request, answer)
    request.expires_at = max(stated_expiry, request.accepted_at + validity)
    if request.therapist.email == request.email:
        request.therapist.email_refused = None
    record("code.sent", group_id=request.group_id, therapist_id=request.therapist_id,
           details={"code_request_id": request.id, "email": request.email, "message_id": request.message_id},
           actor_label=JOB_ACTOR)
    db.session.commit()
    return "accepted"


def _temporary_failure(request: CodeRequest, answer: str) -> str:
    if delivery.retry_later(request, answer, SEND_JOB, job_id(request.id)):
        return "retrying"
    return _failed(request.id, answer)


def _failed(request_id: int, reason: str) -> str:
    """Give up for good, with the reason on the request (the status and the mail log show it)."""
    current_app.logger.warning("Code-Mail der Anforderung %s aufgegeben: %s", request_id, reason)
    db.session.rollback()
    request = db.session.get(CodeRequest, request_id)
    delivery.mark_failed(request, reason)
    record("code.failed", group_id=request.group_id, therapist_id=request.therapist_id,
           details={"code_request_id": request.id, "answer": reason}, actor_label=JOB_ACTOR)
    db.session.commit()
    return "failed"


def _refused(request: CodeRequest, answer: str) -> str:
    current_app.logger.warning("Code-Mail der Anforderung %s abgelehnt: %s", request.id, answer)
    delivery.mark_refused(request, answer)
    if request.therapist.email == request.email:
        request.therapist.email_refused = answer
    record("code.refused", group_id=request.group_id, therapist_id=request.therapist_id,
           details={"code_request_id": request.id, "email": request.email, "answer": answer},
           actor_label=JOB_ACTOR)
    db.session.commit()
    return "refused"


@fresh_session
def sweep() -> int:
    """Every minute (rq cron): hand over code requests Redis never got or lost (see
    ``outbox.delivery.sweep``). Returns how many."""
    return delivery.sweep(CodeRequest, SEND_JOB, job_id,
                          lambda request_id, reason: _failed(request_id, f"{reason} Bitte einen neuen Code senden."))
