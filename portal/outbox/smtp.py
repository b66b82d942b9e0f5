"""Composing and sending the portal's mails: plain text and HTML from paired templates, the same
headers on every mail, one SMTP conversation whose answers we keep (the mail logs show them),
optional DKIM."""

from __future__ import annotations

import smtplib
from email.utils import parseaddr

import dkim
from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_mail import Message


class TemporaryFailure(Exception):
    """The server could not be reached or answered 4xx: try again later."""


class PermanentFailure(Exception):
    """The server refused for good (5xx); the text is its answer."""


def deliverable_address(email: str) -> str:
    """The address as every SMTP server takes it: a domain with umlauts in its ASCII form
    ("müller.example" becomes "xn--mller-kva.example"). An address with such characters before
    the @ would need SMTPUTF8, which the portal does not send: it is refused for good."""
    try:
        return validate_email(email, check_deliverability=False, allow_smtputf8=False).ascii_email
    except EmailNotValidError as exc:
        raise PermanentFailure(f"Adresse nicht zustellbar: {email} – Sonderzeichen vor dem @ (SMTPUTF8) werden "
                               "nicht unterstützt") from exc


def message_id_domain() -> str:
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2] or "localhost"


def compose(recipient: str, subject: str, template: str, message_id: str, **context) -> Message:
    """A German mail to one recipient from ``<template>.txt`` and ``<template>.html`` saying the
    same; no remote content, no tracking, marked as automatic so no out-of-office answers it."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    message = Message(
        subject=subject,
        sender=sender,
        recipients=[deliverable_address(recipient)],
        reply_to=current_app.config.get("MAIL_REPLY_TO") or sender,
        body=render_template(f"{template}.txt", **context),
        html=render_template(f"{template}.html", **context),
        extra_headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
    )
    message.msgId = message_id
    return message


def _dkim_sign(data: bytes) -> bytes:
    config = current_app.config
    if not (config.get("DKIM_DOMAIN") and config.get("DKIM_SELECTOR") and config.get("DKIM_PRIVATE_KEY_PATH")):
        return data
    with open(config["DKIM_PRIVATE_KEY_PATH"], "rb") as key_file:
        key = key_file.read()
    signature = dkim.sign(
        data, config["DKIM_SELECTOR"].encode(), config["DKIM_DOMAIN"].encode(), key,
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id", b"reply-to"],
    )
    return signature + data


def _check(reply: tuple[int, bytes], accepted: tuple[int, ...]) -> str:
    code, text = reply
    answer = f"{code} {text.decode(errors='replace')}".strip()
    if code in accepted:
        return answer
    if 400 <= code < 500:
        raise TemporaryFailure(answer)
    raise PermanentFailure(answer)


def send(message: Message, envelope_from: str | None = None) -> str:
    """Deliver the message to the configured SMTP server and return its final answer. Reports of
    a failed delivery go to ``envelope_from`` (a VERP address), else to the sender.

    Connection problems and 4xx answers raise ``TemporaryFailure``, 5xx ``PermanentFailure``.
    """
    state = current_app.extensions["mail"]
    timeout = current_app.config["MAIL_TIMEOUT"]
    envelope_from = envelope_from or parseaddr(
        message.sender if isinstance(message.sender, str) else message.sender[1])[1]
    data = _dkim_sign(message.as_bytes())
    try:
        smtp_class = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        with smtp_class(state.server, state.port, timeout=timeout) as host:
            _check(host.ehlo(), (250,))
            if state.use_tls:
                host.starttls()
                host.ehlo()
            if state.username and state.password:
                host.login(state.username, state.password)
            _check(host.mail(envelope_from), (250,))
            for recipient in message.recipients:
                _check(host.rcpt(recipient), (250, 251))
            answer = _check(host.data(data), (250,))
            try:
                host.quit()
            except smtplib.SMTPException:
                pass  # the mail is accepted; a rude goodbye changes nothing
            return answer
    except (TemporaryFailure, PermanentFailure):
        raise
    except smtplib.SMTPResponseException as exc:
        _check((exc.smtp_code, exc.smtp_error), ())
        raise  # pragma: no cover - _check always raises for an error code
    except (OSError, smtplib.SMTPException) as exc:
        raise TemporaryFailure(f"Mailserver nicht erreichbar: {exc.__class__.__name__}: {exc}") from exc
