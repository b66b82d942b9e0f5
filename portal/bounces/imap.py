"""The IMAP intake: for deployments whose reports land in a provider mailbox (BOUNCE_IMAP_URL).
``rq cron`` polls it every minute. A message is taken first and only then flagged (or moved), so
none is lost; taking one twice is harmless, since the bounce service counts a report once."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from flask import current_app
from imap_tools import AND, MailBox, MailBoxUnencrypted

from ..jobs import fresh_session
from .models import Intake
from .parser import read
from .services import take

PROCESSED = "$PortalVerarbeitet"  # the keyword a taken report carries


@dataclass(frozen=True)
class Mailbox:
    secure: bool
    host: str
    port: int
    user: str
    password: str
    folder: str


def mailbox(url: str) -> Mailbox:
    """``imaps://user:password@host:993/INBOX`` (or ``imap://`` without TLS, for a local server)."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValueError("BOUNCE_IMAP_URL muss mit imap:// oder imaps:// beginnen und einen Server nennen.")
    secure = parts.scheme == "imaps"
    return Mailbox(secure, parts.hostname, parts.port or (993 if secure else 143), unquote(parts.username or ""),
                   unquote(parts.password or ""), unquote(parts.path.lstrip("/")) or "INBOX")


def poll_mailbox(url: str, processed_folder: str | None = None) -> int:
    """Take every report of the mailbox not taken yet; returns how many were new."""
    box = mailbox(url)
    client = MailBox(box.host, box.port) if box.secure else MailBoxUnencrypted(box.host, box.port)
    new = 0
    with client.login(box.user, box.password, initial_folder=box.folder) as imap:
        if processed_folder and not imap.folder.exists(processed_folder):
            imap.folder.create(processed_folder)
        for message in imap.fetch(AND(no_keyword=PROCESSED), mark_seen=False, bulk=50):
            if take(read(message.obj.as_bytes()), Intake.IMAP) is not None:
                new += 1
            imap.flag(message.uid, PROCESSED, True)
            if processed_folder:
                imap.move(message.uid, processed_folder)
    return new


@fresh_session
def poll() -> int:
    """rq cron, every minute: the configured mailbox (nothing to do without BOUNCE_IMAP_URL)."""
    url = current_app.config.get("BOUNCE_IMAP_URL")
    if not url:
        return 0
    return poll_mailbox(url, current_app.config.get("BOUNCE_IMAP_PROCESSED_FOLDER"))
