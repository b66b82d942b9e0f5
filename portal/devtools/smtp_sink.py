"""An SMTP server on loopback that keeps every message it accepts as an .eml file."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from .embedded_redis import free_port


class MaildirHandler:
    """aiosmtpd handler: accept the message and write it to ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(path)
        return "250 Message accepted for delivery"


class SmtpSink:
    """Start and stop the sink; ``messages()`` reads back what arrived, oldest first."""

    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.directory = Path(directory)
        self.handler = MaildirHandler(self.directory)
        self.controller = Controller(self.handler, hostname=host, port=port or free_port())
        self.host = host

    @property
    def port(self) -> int:
        return self.controller.port

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in sorted(self.directory.glob("*.eml"))
        ]
