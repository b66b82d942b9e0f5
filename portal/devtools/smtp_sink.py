"""An SMTP server on loopback that keeps every message it accepts as an .eml file. Given where
the portal's bounce intake listens, it also plays a relay: mail for any address on
``unzustellbar.example`` is accepted, and a moment later a real delivery report (Postfix's
layout) goes back to the envelope sender, so the demo shows the whole bounce loop."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import threading
import time
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from ..monitoring.logs import quiet_smtp_server
from . import bounce_samples
from .embedded_redis import free_port

UNDELIVERABLE_DOMAIN = "unzustellbar.example"


class MaildirHandler:
    """aiosmtpd handler: accept the message and write it to ``directory``; with ``bounce_to``
    (host, port), return a delivery report for recipients on UNDELIVERABLE_DOMAIN, ``bounce_after``
    seconds later and not before ``release`` is set (a test holds the reports with ``release.clear()``)."""

    def __init__(self, directory: Path, bounce_to: tuple[str, int] | None = None, bounce_after: float = 2.0,
                 rcpt_delay: float = 0.0) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.bounce_to, self.bounce_after = bounce_to, bounce_after
        self.release = threading.Event()
        self.release.set()
        self.rcpt_delay = rcpt_delay  # a slow relay: a sender killed meanwhile has handed over nothing
        self.in_rcpt: dict[str, float] = {}  # address -> monotonic time its RCPT began, while the relay delays it

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.rcpt_delay:
            self.in_rcpt[address] = time.monotonic()
            try:
                await asyncio.sleep(self.rcpt_delay)
            finally:
                self.in_rcpt.pop(address, None)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(raw)
        tmp.rename(path)
        if self.bounce_to and envelope.mail_from:
            for recipient in envelope.rcpt_tos:
                if recipient.lower().endswith("@" + UNDELIVERABLE_DOMAIN):
                    threading.Timer(self.bounce_after, self._bounce, (raw, envelope.mail_from, recipient)).start()
        return "250 Message accepted for delivery"

    def _bounce(self, original: bytes, envelope_from: str, recipient: str) -> None:
        self.release.wait(timeout=60)
        try:
            with smtplib.SMTP(*self.bounce_to, timeout=10) as relay:
                relay.sendmail("", [envelope_from], bounce_samples.postfix(original, envelope_from, recipient))
        except (OSError, smtplib.SMTPException) as exc:
            logging.getLogger(__name__).warning("Zustellbericht an %s nicht zustellbar: %s", envelope_from, exc)


class SmtpSink:
    """Start and stop the sink; ``messages()`` reads back what arrived, oldest first."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int | None = None,
                 bounce_to: tuple[str, int] | None = None, bounce_after: float = 2.0, rcpt_delay: float = 0.0) -> None:
        self.directory = Path(directory)
        self.handler = MaildirHandler(self.directory, bounce_to, bounce_after, rcpt_delay)
        self.controller = Controller(self.handler, hostname=host, port=port or free_port())
        self.host = host

    @property
    def port(self) -> int:
        return self.controller.port

    def start(self) -> SmtpSink:
        quiet_smtp_server()
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(self.directory.glob("*.eml"))
        ]
