"""The one bounce service every intake feeds: find the code mail a report is about, record the
report once, and apply it (a hard bounce voids the code and marks the address, a soft one says
the delivery is delayed)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit.services import record
from ..codes.models import CodeRequest
from ..extensions import db
from ..outbox.delivery import Delivery
from ..outbox.return_path import TAG, bounce_address, genuine, tagged_id
from ..timeutil import utcnow
from .models import Bounce, BounceKind, Intake
from .parser import Report

FORGED = "Markierung der Rücksendeadresse ungültig (gefälscht oder beschädigt)"
UNTAGGED = "an die Rücksendeadresse ohne Markierung geschickt: keiner Code-Mail zuzuordnen"
OTHER_RECIPIENT = "nennt einen anderen Empfänger als die Code-Mail, die er zitiert"
UNMATCHED = "keiner Code-Mail zuzuordnen"
ACTOR = "Zustellberichte"


def request_for_tag(tag: str) -> CodeRequest | None:
    """The code request a genuine tag names; None for no tag or a forged one."""
    request_id = tagged_id(tag)
    return db.session.get(CodeRequest, request_id) if request_id is not None else None


def accepts(address: str) -> bool:
    """Whether the SMTP intake takes mail for this address: the bounce address, with or without tag."""
    configured = bounce_address()
    if not configured:
        return False
    local, _, domain = configured.lower().partition("@")
    own_local, _, own_domain = address.strip("<>").lower().partition("@")
    return own_domain == domain and (own_local == local or own_local.startswith(local + "+"))


def _tagged_request(addresses: Iterable[str]) -> tuple[int | None, bool]:
    """The code request named by a VERP tag among the addresses, and whether a tag was forged."""
    configured = bounce_address()
    if not configured:
        return None, False
    local, _, domain = configured.lower().partition("@")
    pattern = re.compile(rf"^{re.escape(local)}\+{TAG}@{re.escape(domain)}$")
    forged = False
    for address in addresses:
        match = pattern.match(address.strip("<>").lower())
        if match is None:
            forged = forged or address.lower().startswith(local + "+")
            continue
        request_id = int(match.group(1))
        if genuine(request_id, match.group(2)):
            return request_id, False
        forged = True
    return None, forged


def _same_address(one: str | None, other: str | None) -> bool:
    return bool(one and other) and one.strip().strip("<>").strip().lower() == other.strip().lower()


def _request_for(report: Report, envelope_to: Iterable[str]) -> tuple[CodeRequest | None, str | None]:
    """The code mail a report is about, or why none is taken: with VERP only a genuine tag names it
    (anyone can write to the bounce address and quote a Message-ID); without VERP the quoted
    Message-ID does, when the report's Final-Recipient is the address that mail went to."""
    if bounce_address():
        request_id, forged = _tagged_request([*envelope_to, *report.addressed_to])
        if request_id is not None:
            return db.session.get(CodeRequest, request_id), None
        return None, FORGED if forged else UNTAGGED
    if report.original_message_id:
        request = db.session.scalar(select(CodeRequest).where(CodeRequest.message_id == report.original_message_id))
        if request is not None and not _same_address(report.recipient, request.email):
            return None, OTHER_RECIPIENT
        return request, None
    return None, None


def take(report: Report, intake: Intake, envelope_to: Iterable[str] = (),
         request: CodeRequest | None = None) -> Bounce | None:
    """Record a report once and apply it; None when this report was taken before. Commits.

    The report's code mail is found by the VERP tag it was delivered to (a forged tag makes it
    ignored, and with VERP on a report without a tag names no mail), else by the Message-ID it
    quotes together with the recipient it names, or is given (a webhook that names it)."""
    report = _without_nul(report)
    refused = None
    if request is None:
        request, refused = _request_for(report, envelope_to)
    if refused == FORGED:
        report = replace(report, kind=BounceKind.IGNORED, reason=FORGED)
    elif request is None and report.kind != BounceKind.IGNORED:
        report = replace(report, kind=BounceKind.IGNORED, reason=refused or UNMATCHED)
    bounce = Bounce(event_key=report.event_key[:255], intake=intake, kind=report.kind, received_at=utcnow(),
                    code_request_id=request.id if request else None, group_id=request.group_id if request else None,
                    recipient=(report.recipient or "")[:254] or None, status=(report.status or "")[:20] or None,
                    diagnostic=report.diagnostic, reason=report.reason)
    try:
        with db.session.begin_nested():
            db.session.add(bounce)
    except IntegrityError:  # the same report again: it counted once already
        return None
    if report.kind == BounceKind.HARD:
        _undeliverable(request, bounce)
    elif report.kind == BounceKind.SOFT:
        _delayed(request, bounce)
    db.session.commit()
    return bounce


def _without_nul(report: Report) -> Report:
    """The report's texts as the database keeps text: without NUL characters (a mail may carry any byte)."""
    texts = ("event_key", "recipient", "status", "diagnostic", "original_message_id", "reason")
    return replace(report, **{name: getattr(report, name).replace("\x00", "") for name in texts
                              if getattr(report, name)},
                   addressed_to=[address.replace("\x00", "") for address in report.addressed_to])


def _words(bounce: Bounce) -> str:
    return bounce.diagnostic or f"{bounce.status or ''} {bounce.kind.label}".strip()


def _undeliverable(request: CodeRequest, bounce: Bounce) -> None:
    """A hard bounce: the code is void, and the address counts as not receiving until it is edited."""
    reason = _words(bounce)
    if request.delivery == Delivery.ACCEPTED:
        request.delivery = Delivery.BOUNCED
    request.bounce_reason = reason
    therapist = request.therapist
    if therapist.email == request.email and request.used_at is None:
        therapist.email_refused = reason
    record("code.bounced", group_id=request.group_id, therapist_id=request.therapist_id, actor_label=ACTOR,
           details={"code_request_id": request.id, "email": request.email, "status": bounce.status,
                    "diagnostic": bounce.diagnostic, "intake": str(bounce.intake)})


def _delayed(request: CodeRequest, bounce: Bounce) -> None:
    """A soft bounce: the mail is on its way still; the code stays valid."""
    if request.delivery == Delivery.ACCEPTED:
        request.delayed_at, request.bounce_reason = utcnow(), _words(bounce)
    record("code.delivery_delayed", group_id=request.group_id, therapist_id=request.therapist_id, actor_label=ACTOR,
           details={"code_request_id": request.id, "email": request.email, "status": bounce.status,
                    "diagnostic": bounce.diagnostic, "intake": str(bounce.intake)})
