"""Access codes: requesting one, its status for the portal, and checking a code at sign-in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import case, func, select, type_coerce, update

from ..audit.services import record
from ..extensions import db
from ..i18n import N_, translate
from ..therapists.models import Therapist
from ..timeutil import UTCDateTime, utcnow
from . import hashing
from .models import CodeRequest, Delivery

SEND_JOB = "portal.codes.jobs.send_code"


@dataclass
class RequestOutcome:
    """What asking for a code did: the request (new or the recent one) and a German message."""

    request: CodeRequest | None
    created: bool
    message: str
    category: str = "success"


def latest_request(therapist_id: int) -> CodeRequest | None:
    return db.session.scalars(
        select(CodeRequest).where(CodeRequest.therapist_id == therapist_id).order_by(CodeRequest.id.desc()).limit(1)
    ).first()


def request_code(therapist: Therapist, actor=None) -> RequestOutcome:
    """Record a new code request (pending) and supersede every earlier unused code.

    Refuses without an e-mail address or without "App aktivieren", and answers with the recent
    request instead of a second mail within the cool-down. The caller commits, then calls
    ``dispatch``.
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
    if latest is not None and now - latest.requested_at < cooldown and latest.delivery not in (
        Delivery.REFUSED, Delivery.FAILED
    ):
        return RequestOutcome(latest, False, translate(N_(
            "Ein Zugangscode wurde vor weniger als 30 Sekunden angefordert. Es wird keine zweite E-Mail gesendet; "
            "bitte warten Sie einen Moment.")), "info")
    db.session.execute(
        update(CodeRequest)
        .where(CodeRequest.therapist_id == therapist.id, CodeRequest.used_at.is_(None),
               CodeRequest.superseded_at.is_(None))
        .values(
            superseded_at=now,
            delivery=case(
                (CodeRequest.delivery.in_([Delivery.PENDING, Delivery.QUEUED, Delivery.RETRYING]),
                 Delivery.CANCELLED),
                else_=CodeRequest.delivery,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    request = CodeRequest(group_id=therapist.group_id, therapist_id=therapist.id, email=therapist.email,
                          requested_by_id=actor.id if actor is not None else None, requested_at=now,
                          delivery=Delivery.PENDING)
    db.session.add(request)
    db.session.flush()
    record("code.requested", group_id=therapist.group_id, therapist_id=therapist.id,
           details={"code_request_id": request.id, "email": therapist.email}, actor=actor)
    return RequestOutcome(request, True, translate(N_("Ein neuer Zugangscode wird an %(email)s gesendet."),
                                                   email=therapist.email))


def dispatch(request: CodeRequest) -> bool:
    """Hand a committed request to Redis. False when Redis is down: it stays pending for the sweeper."""
    try:
        current_app.task_queue.enqueue(SEND_JOB, request.id, job_id=f"code-request-{request.id}", result_ttl=0)
    except RedisError:
        current_app.logger.warning("Redis nicht erreichbar; Code-Anforderung %s bleibt ausstehend", request.id)
        return False
    db.session.execute(
        update(CodeRequest)
        .where(CodeRequest.id == request.id, CodeRequest.delivery == Delivery.PENDING)
        .values(delivery=Delivery.QUEUED, enqueued_at=utcnow())
    )
    db.session.commit()
    return True


REDIS_DOWN_MESSAGE = N_("Die Änderung ist gespeichert. Der Versanddienst ist gerade nicht erreichbar; "
                        "die E-Mail mit dem Zugangscode geht in Kürze automatisch hinaus.")


def send_and_report(outcome: RequestOutcome) -> RequestOutcome:
    """Dispatch a newly created request and adjust the message when Redis is down."""
    if outcome.created and outcome.request is not None and not dispatch(outcome.request):
        return RequestOutcome(outcome.request, True, translate(REDIS_DOWN_MESSAGE), "warning")
    return outcome


# --- status --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CodeStatus:
    """The spec's code status as the portal shows it, with when to look again."""

    key: str  # none, sending, retrying, valid, expired, used, superseded, locked, refused, failed
    request: CodeRequest | None
    last_sent_at: datetime | None
    poll_after: int | None  # seconds until the shown status may change by itself; None: final

    @property
    def final(self) -> bool:
        return self.poll_after is None


def status_of(request: CodeRequest | None, last_sent_at: datetime | None, now: datetime | None = None) -> CodeStatus:
    """Derive the displayed status of a therapist's latest request."""
    now = now or utcnow()
    if request is None:
        return CodeStatus("none", None, last_sent_at, None)
    if request.used_at is not None:
        key, poll = "used", None
    elif request.superseded_at is not None:
        key, poll = "superseded", None
    elif request.locked_at is not None:
        key, poll = "locked", None
    elif request.delivery in (Delivery.PENDING, Delivery.QUEUED, Delivery.SENDING):
        key, poll = "sending", 1
    elif request.delivery == Delivery.RETRYING:
        key, poll = "retrying", 10
    elif request.delivery == Delivery.REFUSED:
        key, poll = "refused", None
    elif request.delivery in (Delivery.FAILED, Delivery.CANCELLED):
        key, poll = "failed", None
    elif request.expires_at is not None and now < request.expires_at:
        key, poll = "valid", max(1, int((request.expires_at - now).total_seconds()) + 1)
    else:
        key, poll = "expired", None
    return CodeStatus(key, request, last_sent_at, poll)


def statuses_for(therapist_ids: list[int]) -> dict[int, CodeStatus]:
    """Latest request and last accepted send of each therapist, in one query."""
    if not therapist_ids:
        return {}
    latest = (
        select(CodeRequest.therapist_id, func.max(CodeRequest.id).label("latest_id"),
               type_coerce(func.max(CodeRequest.accepted_at), UTCDateTime).label("last_sent_at"))
        .where(CodeRequest.therapist_id.in_(therapist_ids))
        .group_by(CodeRequest.therapist_id)
        .subquery()
    )
    rows = db.session.execute(
        select(CodeRequest, latest.c.last_sent_at).join(latest, CodeRequest.id == latest.c.latest_id)
    ).all()
    now = utcnow()
    found = {request.therapist_id: status_of(request, last_sent, now) for request, last_sent in rows}
    return {tid: found.get(tid) or CodeStatus("none", None, None, None) for tid in therapist_ids}


def status_for(therapist_id: int) -> CodeStatus:
    return statuses_for([therapist_id])[therapist_id]



# --- checking a code at sign-in --------------------------------------------------------------------

@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    therapist: Therapist | None = None
    request_id: int | None = None
    error: str | None = None  # "invalid_code", or what the precondition answered


def consume_code(email: str, code: str, *, used_by: str | None = None,
                 precondition: Callable[[Therapist], str | None] | None = None) -> CodeCheck:
    """Check an e-mail and code and consume the code: the one function the app API signs in with.

    Wrong, unknown, expired, used, superseded and locked codes all answer ``invalid_code`` after
    the same hashing work. A wrong code counts against every open code of that address; the
    fifth wrong attempt locks it. A matching code is consumed with one conditional UPDATE, so of
    two racing sign-ins exactly one wins. ``precondition(therapist)`` runs after the code
    matched and before it is consumed: an error it returns is answered instead, and the code
    stays valid (a database that is not ready must not eat the code). Commits.
    """
    now = utcnow()
    email = (email or "").strip().lower()
    code = (code or "").strip()
    candidates = db.session.execute(
        select(CodeRequest.id, CodeRequest.code_hash, CodeRequest.therapist_id)
        .join(Therapist, Therapist.id == CodeRequest.therapist_id)
        .where(func.lower(Therapist.email) == email, CodeRequest.email == Therapist.email, *_usable(now))
    ).all() if email else []
    hashing.code_hash(0, code)  # the same work when there is no candidate at all
    match = next((c for c in candidates if hashing.matches(c.code_hash, c.id, code)), None)
    if match is None:
        _count_wrong_attempt([c.id for c in candidates], now)
        return CodeCheck(False, error="invalid_code")
    therapist = db.session.get(Therapist, match.therapist_id)
    if precondition is not None:
        refusal = precondition(therapist)
        if refusal:
            db.session.rollback()
            return CodeCheck(False, therapist, match.id, refusal)
    won = db.session.execute(
        update(CodeRequest).where(CodeRequest.id == match.id, *_usable(now)).values(used_at=now, used_by=used_by)
    ).rowcount == 1
    if not won:
        db.session.rollback()
        return CodeCheck(False, error="invalid_code")
    record("code.used", group_id=therapist.group_id, therapist_id=therapist.id,
           details={"code_request_id": match.id, "device": used_by}, actor_label="App")
    db.session.commit()
    return CodeCheck(True, therapist, match.id)


def _usable(now: datetime) -> list:
    return [
        CodeRequest.delivery == Delivery.ACCEPTED,
        CodeRequest.used_at.is_(None),
        CodeRequest.superseded_at.is_(None),
        CodeRequest.locked_at.is_(None),
        CodeRequest.expires_at > now,
    ]


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

