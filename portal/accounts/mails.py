"""Account mails on the code mail's path: a row per mail, an RQ job that sends it (generating a
link's token only then, so the plain token lives in the worker's memory and in the mail), the
SMTP server's answer kept for the mail log, retries, and a sweeper for what Redis lost."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import make_msgid

from flask import current_app, has_request_context, request
from sqlalchemy import select, update

from .. import jobs
from ..auth.models import User
from ..auth.tokens import keyed_hash, new_token
from ..extensions import db
from ..i18n import N_, datetime_filter
from ..jobs import fresh_session
from ..outbox import delivery, smtp
from ..outbox.delivery import WAITING, Delivery
from ..tenancy import PracticeGroup
from ..timeutil import utcnow
from .models import AccountMail, Invitation, MailKind

SEND_JOB = "portal.accounts.mails.send_account_mail"
jobs.describe(SEND_JOB, N_("E-Mail zum Benutzerkonto senden"), (AccountMail.group_id, PracticeGroup))
VALIDITY = {MailKind.INVITATION: timedelta(hours=72), MailKind.RESET: timedelta(minutes=60)}
PATHS = {MailKind.INVITATION: "/einladung/", MailKind.RESET: "/passwort/neu/"}
SUBJECTS = {
    MailKind.INVITATION: "Einladung in das Therapeuten-App-Portal",
    MailKind.RESET: "Neues Passwort für das Therapeuten-App-Portal",
    MailKind.KNOWN: "Ihr Zugang zum Therapeuten-App-Portal",
    MailKind.SECOND_FACTOR: "Zweiter Faktor Ihres Zugangs geändert",
}


def job_id(mail_id: int) -> str:
    return f"account-mail-{mail_id}"


def token_hash(token: str) -> bytes:
    return keyed_hash("account-mail", token)


def base_url() -> str:
    """Where links in mails point: PORTAL_URL; without it (development, tests) the address this
    request came to. Production refuses to start without PORTAL_URL, so a forged Host header can
    never put another site into a reset link."""
    configured = current_app.config.get("PORTAL_URL")
    if configured or not has_request_context():
        return (configured or "http://localhost:5000").rstrip("/")
    return request.host_url.rstrip("/")


def request_mail(kind: MailKind, email: str, *, group_id: int | None, user: User | None = None,
                 invitation: Invitation | None = None, detail: str | None = None) -> AccountMail:
    """Record a mail to send once the caller commits. A new link mail voids the earlier unused
    ones of its user or invitation (only the newest link works)."""
    now = utcnow()
    if kind.has_link:
        owner = (AccountMail.invitation_id == invitation.id) if invitation else (AccountMail.user_id == user.id)
        _void_links(owner, kind, now)
    mail = AccountMail(kind=kind, email=email, group_id=group_id, user_id=user.id if user else None,
                       invitation_id=invitation.id if invitation else None, requested_at=now,
                       base_url=base_url(), detail=detail, delivery=Delivery.PENDING)
    db.session.add(mail)
    db.session.flush()
    jobs.after_commit(SEND_JOB, mail.id, job_id=job_id(mail.id))
    return mail


def _void_links(owner, kind: MailKind, now: datetime) -> None:
    """Every unused link of this kind and owner stops working; one still waiting is never sent."""
    db.session.execute(update(AccountMail).where(owner, AccountMail.kind == kind, AccountMail.used_at.is_(None),
                                                 AccountMail.superseded_at.is_(None))
                       .values(superseded_at=now))
    db.session.execute(update(AccountMail).where(owner, AccountMail.kind == kind, AccountMail.delivery.in_(WAITING))
                       .values(delivery=Delivery.CANCELLED))


def void_reset_links(user: User) -> None:
    """A new password (changed or reset): every open reset link of the account stops working, and a
    reset mail still waiting is never sent. The caller commits."""
    _void_links(AccountMail.user_id == user.id, MailKind.RESET, utcnow())


def _context(mail: AccountMail, link: str, expires: datetime | None) -> dict:
    invitation = mail.invitation
    return {
        "email": mail.email, "link": link, "detail": mail.detail,
        "expires": datetime_filter(expires) if expires else None,
        "group_name": invitation.group.name if invitation else "",
        "inviter": invitation.inviter if invitation else "",
        "role": invitation.role.label if invitation else "",
    }


@fresh_session
def send_account_mail(mail_id: int) -> str:
    """Send one account mail; a link's token is made here and stored hashed before the mail goes."""
    now = utcnow()
    kind = db.session.scalar(select(AccountMail.kind).where(AccountMail.id == mail_id))
    if kind is None:
        return "skipped"
    token = new_token() if kind.has_link else None
    if not delivery.claim(AccountMail, mail_id, now, token_hash=token_hash(token) if token else None,
                          message_id=make_msgid(domain=smtp.message_id_domain())):
        return "skipped"
    mail = db.session.get(AccountMail, mail_id)
    validity = VALIDITY.get(kind)
    expires = now + validity if validity else None
    link = f"{mail.base_url}{PATHS[kind]}{token}" if token else f"{mail.base_url}/anmelden"
    try:
        message = smtp.compose(mail.email, SUBJECTS[kind], kind.template, mail.message_id,
                               **_context(mail, link, expires))
        answer = smtp.send(message)
    except smtp.TemporaryFailure as exc:
        if delivery.retry_later(mail, str(exc), SEND_JOB, job_id(mail.id)):
            return "retrying"
        return _failed(mail.id, str(exc))
    except smtp.PermanentFailure as exc:
        delivery.mark_refused(mail, str(exc))
        db.session.commit()
        return "refused"
    except Exception as exc:  # noqa: BLE001 - whatever broke, the mail ends in a visible state
        current_app.logger.exception("Versand der Konto-Mail %s abgebrochen", mail_id)
        return _failed(mail_id, f"Interner Fehler beim Versand ({exc.__class__.__name__}).")
    finally:
        del token
    delivery.mark_accepted(mail, answer)
    if validity:
        mail.expires_at = max(expires, mail.accepted_at + validity)
    db.session.commit()
    return "accepted"


def _failed(mail_id: int, reason: str) -> str:
    db.session.rollback()
    mail = db.session.get(AccountMail, mail_id)
    delivery.mark_failed(mail, reason)
    db.session.commit()
    return "failed"


@fresh_session
def sweep() -> int:
    """Every minute (rq cron): hand over account mails Redis never got or lost."""
    return delivery.sweep(AccountMail, SEND_JOB, job_id, _failed)


def valid_link(token: str, kind: MailKind) -> AccountMail | None:
    """The mail whose link this is, while it works: sent, not used, not replaced, not expired."""
    if not token or len(token) > 100:
        return None
    mail = db.session.scalar(select(AccountMail).where(AccountMail.token_hash == token_hash(token),
                                                       AccountMail.kind == kind))
    if (mail is None or mail.used_at is not None or mail.superseded_at is not None or mail.expires_at is None
            or mail.expires_at <= utcnow()):
        return None
    return mail


def use_link(mail: AccountMail) -> bool:
    """Spend the link, once: two racing uses, exactly one wins. The caller commits."""
    return db.session.execute(update(AccountMail).where(AccountMail.id == mail.id, AccountMail.used_at.is_(None))
                              .values(used_at=utcnow())).rowcount == 1
