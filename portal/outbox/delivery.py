"""One delivery life for every mail row (a code request, an account mail): waiting for a worker,
claimed by exactly one, accepted or refused by the SMTP server, retried on a temporary failure
with growing delays, given up after the last one, and handed over again by a sweeper when Redis
lost the job or a worker died mid-send. The rows keep the state; jobs carry row ids only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, String, Text, or_, select, update
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from .. import jobs
from ..columns import EnumText
from ..extensions import db
from ..i18n import N_, LabelledEnum, clock_time, translate
from ..timeutil import UTCDateTime, utcnow

CLAIM_EARLY = timedelta(seconds=5)  # a retry's job may run this much before its time (clocks differ a little)


class Delivery(LabelledEnum):
    """Where the mail is on its way; the mail logs show the label in the tone's colour."""

    PENDING = "pending", N_("wartet auf den Versanddienst"), "info"  # saved; a job carries its id
    SENDING = "sending", N_("wird gesendet"), "info"  # a worker claimed it
    RETRYING = "retrying", N_("neuer Versuch geplant"), "warn"  # server down or 4xx; next_attempt_at says when
    ACCEPTED = "accepted", N_("angenommen"), "ok"  # the SMTP server took the mail
    REFUSED = "refused", N_("abgelehnt"), "warn"  # the SMTP server refused the address for good (5xx)
    FAILED = "failed", N_("fehlgeschlagen"), "warn"  # gave up after the last retry
    BOUNCED = "bounced", N_("Zustellung gescheitert"), "warn"  # accepted, then reported undeliverable (a bounce)
    CANCELLED = "cancelled", N_("vor dem Versand ersetzt"), "off"  # superseded before it was sent

    def __init__(self, value: str, label: str, tone: str) -> None:
        self.tone = tone


WAITING = (Delivery.PENDING, Delivery.RETRYING)  # not yet with a worker: still to be cancelled when superseded
IN_FLIGHT = (Delivery.PENDING, Delivery.SENDING, Delivery.RETRYING)  # on its way: not yet accepted, refused or given up


class DeliveryColumns:
    """The columns of a mail row's delivery (a mixin for the models)."""

    delivery: Mapped[Delivery] = mapped_column(EnumText(Delivery), default=Delivery.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sending_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[str | None] = mapped_column(String(255))  # the mail server that took it (host name)
    message_id: Mapped[str | None] = mapped_column(String(255))
    smtp_response: Mapped[str | None] = mapped_column(Text)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @hybrid_property
    def delivery_in_flight(self) -> bool:
        """The mail is still on its way to the SMTP server (waiting, being sent or to be retried)."""
        return self.delivery in IN_FLIGHT

    @delivery_in_flight.inplace.expression
    @classmethod
    def _delivery_in_flight_expression(cls):
        return cls.delivery.in_(IN_FLIGHT)

    @property
    def delivery_label(self) -> str:
        """The mail log's words for the delivery, with the time of a planned retry."""
        if self.delivery == Delivery.RETRYING and self.next_attempt_at:
            return translate(N_("neuer Versuch um %(time)s"), time=clock_time(self.next_attempt_at))
        return self.delivery.label


def claim(model, row_id: int, now: datetime, **values) -> bool:
    """Take the row for this worker (with ``values``, e.g. a new token's hash); only one worker can,
    never once the server accepted it or it was superseded, and a retry not before its time (a
    stale scheduled job skips). Commits."""
    claimed = db.session.execute(
        update(model)
        .where(model.id == row_id, model.superseded_at.is_(None),
               or_(model.delivery == Delivery.PENDING,
                   (model.delivery == Delivery.RETRYING) & (model.next_attempt_at <= now + CLAIM_EARLY)))
        .values(delivery=Delivery.SENDING, sending_started_at=now, attempts=model.attempts + 1, **values)
    ).rowcount == 1
    db.session.commit()
    return claimed


def mark_accepted(row, answer: str) -> None:
    row.delivery, row.accepted_at, row.smtp_response, row.next_attempt_at = Delivery.ACCEPTED, utcnow(), answer, None
    row.accepted_by = current_app.extensions["mail"].server


def mark_refused(row, answer: str) -> None:
    row.delivery, row.smtp_response, row.next_attempt_at = Delivery.REFUSED, answer, None


def mark_failed(row, reason: str) -> None:
    row.delivery, row.smtp_response, row.next_attempt_at = Delivery.FAILED, reason, None


def retry_later(row, answer: str, job: str, job_id: str) -> bool:
    """After a temporary failure: plan the next attempt (its job is enqueued, else the sweeper
    hands it over when due) and commit; False when the last delay is used up."""
    delays = current_app.config["ACCESS_CODE_RETRY_DELAYS"]
    row.smtp_response = answer
    if row.attempts > len(delays):
        return False
    delay = timedelta(seconds=delays[row.attempts - 1])
    row.delivery, row.next_attempt_at = Delivery.RETRYING, utcnow() + delay
    db.session.commit()
    # its own job id: the running job's id is deleted with it when it ends (result_ttl=0)
    jobs.enqueue(job, row.id, job_id=f"{job_id}-retry-{row.attempts}", delay=delay)
    return True


def sweep(model, job: str, job_id_for: Callable[[int], str], give_up: Callable[[int, str], object]) -> int:
    """Hand over what Redis never got or lost: pending rows whose job Redis does not hold (it was
    down, or lost it), retries that are due, and claims of a killed worker stuck in "sending".
    Enqueueing twice is harmless: a row is claimed once, and never again after the server accepted
    it. A send interrupted again and again (a worker dying on it) is given up through ``give_up``.
    Returns how many rows were handed over or given up."""
    now = utcnow()
    config = current_app.config
    stuck = now - timedelta(seconds=config["ACCESS_CODE_STUCK_AFTER_SECONDS"])
    dead_claim = (model.delivery == Delivery.SENDING) & (model.sending_started_at < stuck) & (
        model.accepted_at.is_(None))
    waiting = or_(
        model.delivery == Delivery.PENDING,
        (model.delivery == Delivery.RETRYING) & (model.next_attempt_at <= now - timedelta(seconds=60)),
        dead_claim,
    )
    candidates = db.session.execute(
        select(model.id, model.delivery, model.attempts).where(model.superseded_at.is_(None), waiting)).all()
    worn_out = [row.id for row in candidates
                if row.delivery == Delivery.SENDING and row.attempts >= config["ACCESS_CODE_MAX_SENDS"]]
    for row_id in worn_out:
        give_up(row_id, "Versand abgebrochen: er wurde mehrmals unterbrochen.")
    # a dead worker's job may still look "started", a retry's job "scheduled" with no scheduler running:
    # those are handed over whatever Redis says; a pending one only when Redis does not hold its job,
    # or holds it as started long ago (a worker that died before it could claim the row)
    stuck_seconds = config["ACCESS_CODE_STUCK_AFTER_SECONDS"]
    due = [row.id for row in candidates if row.id not in worn_out
           and (row.delivery != Delivery.PENDING or not jobs.in_flight(job_id_for(row.id), stuck_seconds))]
    if not due:
        return len(worn_out)
    db.session.execute(update(model).where(model.id.in_(due), dead_claim).values(delivery=Delivery.PENDING))
    db.session.commit()
    for row_id in due:
        jobs.enqueue(job, row_id, job_id=job_id_for(row_id))
    return len(due) + len(worn_out)
