"""Reading a mail that came back: a delivery report (RFC 3464, read with the standard library),
an older bounce layout (flufl.bounce, Mailman's detectors), an auto-reply, or none of these."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from email.parser import HeaderParser

from flufl.bounce import all_failures

from .models import BounceKind

AUTO_REPLY_SUBJECT = re.compile(r"abwesen|out of (the )?office|automatische antwort|automatic reply|auto.?reply|"
                                r"urlaub|vacation|autoresponder|nicht im büro", re.I)
AUTO_REPLY_PRECEDENCE = {"auto_reply", "bulk", "junk", "list"}
SMTP_ANSWER = re.compile(r"\b([45]\d\d)[ -]+([45]\.\d{1,3}\.\d{1,3})?.{0,200}", re.I)
QUOTED_MESSAGE_ID = re.compile(r"^Message-ID:\s*(<[^>\s]+>)", re.I | re.M)

NOT_A_REPORT = "keine Zustellbenachrichtigung"
AUTO_REPLY = "Abwesenheitsnotiz oder andere automatische Antwort"
DELIVERED = "meldet eine erfolgreiche Zustellung"
UNREADABLE = "nicht lesbar"


@dataclass(frozen=True)
class Report:
    """What a returned mail says about one of our mails."""

    kind: BounceKind
    event_key: str  # the same report counts once
    recipient: str | None = None  # the address that failed (Final-Recipient)
    status: str | None = None  # the enhanced status code, e.g. 5.1.1
    diagnostic: str | None = None  # the receiving server's words
    original_message_id: str | None = None  # the Message-ID of our mail, as the report quotes it
    reason: str | None = None  # why it is not taken as a bounce
    addressed_to: list[str] = field(default_factory=list)  # where it was delivered (VERP tags live here)


def _event_key(message: Message | None, raw: bytes) -> str:
    message_id = (message.get("Message-ID") or "").strip() if message is not None else ""
    return f"msgid:{message_id}"[:255] if message_id else "sha256:" + hashlib.sha256(raw).hexdigest()


def _value(field_value: str | None) -> str | None:
    """A report field without its type prefix: "rfc822; a@b.de" -> "a@b.de", "smtp; 550 …" -> "550 …"."""
    if not field_value:
        return None
    text = " ".join(str(field_value).split())
    kind, semicolon, rest = text.partition(";")
    return (rest if semicolon and " " not in kind.strip() else text).strip() or None


def _addressed_to(message: Message) -> list[str]:
    found = []
    for name in ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To"):
        for value in message.get_all(name) or []:
            found += re.findall(r"[^\s<>,;\"']+@[^\s<>,;\"']+", str(value))
    return found


def _original_message_id(message: Message) -> str | None:
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if isinstance(inner, Message) and inner.get("Message-ID"):
                return str(inner["Message-ID"]).strip()
        elif content_type in ("text/rfc822-headers", "message/rfc822-headers"):
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(part.get_payload())
            headers = HeaderParser().parsestr(text)
            if headers.get("Message-ID"):
                return str(headers["Message-ID"]).strip()
    return None


def _delivery_status(message: Message) -> list[Message] | None:
    """The recipient blocks of the report's message/delivery-status part, or None."""
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            blocks = part.get_payload()
            if isinstance(blocks, list):  # the first block is about the message, the others one recipient each
                fields = [block for block in blocks if isinstance(block, Message)]
                return fields[1:] or fields
            return [HeaderParser().parsestr(str(blocks))]
    return None


def _from_delivery_status(blocks: list[Message]) -> tuple[BounceKind, dict]:
    def rank(block: Message) -> int:
        action = (block.get("Action") or "").strip().lower()
        return {"failed": 0, "delayed": 1}.get(action, 2)

    block = sorted(blocks, key=rank)[0]
    action = (block.get("Action") or "").strip().lower()
    status = (_value(block.get("Status")) or "").split()[0] if block.get("Status") else None
    details = {"recipient": _value(block.get("Final-Recipient")) or _value(block.get("Original-Recipient")),
               "status": status, "diagnostic": _value(block.get("Diagnostic-Code"))}
    if status and status.startswith("5"):
        return BounceKind.HARD, details
    if (status and status.startswith("4")) or action == "delayed":
        return BounceKind.SOFT, details
    if action == "failed":
        return BounceKind.HARD, details
    return BounceKind.IGNORED, {**details, "reason": DELIVERED}


def _is_auto_reply(message: Message) -> bool:
    submitted = (message.get("Auto-Submitted") or "").strip().lower()
    precedence = (message.get("Precedence") or "").strip().lower()
    return (submitted not in ("", "no") or precedence in AUTO_REPLY_PRECEDENCE
            or any(message.get(name) for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder"))
            or bool(AUTO_REPLY_SUBJECT.search(str(message.get("Subject") or ""))))


def _body_text(message: Message) -> str:
    texts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(texts)


def read(raw: bytes) -> Report:
    """Read a returned mail. Never raises: what cannot be read is a report of kind IGNORED."""
    try:
        message = message_from_bytes(raw, policy=policy.compat32)
    except Exception:  # noqa: BLE001 - a broken mail is ignored, not a crash
        return Report(BounceKind.IGNORED, _event_key(None, raw), reason=UNREADABLE)
    key = _event_key(message, raw)
    try:
        addressed_to = _addressed_to(message)
        blocks = _delivery_status(message)
        if blocks:
            kind, details = _from_delivery_status(blocks)
            return Report(kind, key, original_message_id=_original_message_id(message), addressed_to=addressed_to,
                          **details)
        if _is_auto_reply(message):
            return Report(BounceKind.IGNORED, key, reason=AUTO_REPLY, addressed_to=addressed_to)
        if not message.get("From"):  # no bounce comes without a sender (and some detectors assume one)
            return Report(BounceKind.IGNORED, key, reason=NOT_A_REPORT, addressed_to=addressed_to)
        temporary, permanent = all_failures(message)
        if not (temporary or permanent):
            return Report(BounceKind.IGNORED, key, reason=NOT_A_REPORT, addressed_to=addressed_to)
        failed = sorted(permanent or temporary)[0]
        text = _body_text(message)
        answer = SMTP_ANSWER.search(text)
        quoted = QUOTED_MESSAGE_ID.search(text)
        return Report(BounceKind.HARD if permanent else BounceKind.SOFT, key,
                      recipient=failed.decode(errors="replace") if isinstance(failed, bytes) else str(failed),
                      status=answer.group(2) if answer and answer.group(2) else None,
                      diagnostic=" ".join(answer.group(0).split()) if answer else None,
                      original_message_id=_original_message_id(message) or (quoted.group(1) if quoted else None),
                      addressed_to=addressed_to)
    except Exception:  # noqa: BLE001 - a detector choking on odd MIME must not stop the intake
        return Report(BounceKind.IGNORED, key, reason=UNREADABLE)
