"""RQ jobs of the accounts. "Passwort vergessen?" hands every address, known or not, to a job:
the page does the same work and takes the same time whichever address was typed."""

from __future__ import annotations

import uuid

from .. import jobs
from ..extensions import db
from ..jobs import fresh_session
from .mails import base_url
from .services import request_reset

RESET_JOB = "portal.accounts.jobs.reset_requested"


def hand_over_reset(email: str) -> None:
    """From the page: the lookup happens in the worker. With Redis down it happens here (the page
    may then take a little longer for a known address; nothing is lost)."""
    link_base = base_url()
    if not jobs.enqueue(RESET_JOB, email, link_base, job_id=f"password-reset-{uuid.uuid4().hex}"):
        request_reset(email, link_base)
        db.session.commit()


@fresh_session
def reset_requested(email: str, link_base: str) -> str:
    request_reset(email, link_base)
    db.session.commit()
    return "done"
