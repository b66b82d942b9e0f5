"""The SMTP intake: ``flask --app wsgi bounces serve --host H --port P``. It takes mail for the
bounce addresses only (others are refused at RCPT), caps the size, and hands every message to
the bounce service; garbage gets a clear answer, never a crash."""

from __future__ import annotations

import asyncio
import signal
import threading

import click
from aiosmtpd.controller import Controller
from flask import Flask, current_app

from ..monitoring.logs import quiet_smtp_server
from .models import BounceKind, Intake
from .parser import read
from .services import accepts, take


class BounceHandler:
    """aiosmtpd handler feeding the bounce service inside the app's context."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        with self.app.app_context():
            if not accepts(address):
                return "550 5.1.1 Diese Adresse nimmt nur Zustellberichte des Therapeuten-App-Portals an"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    def _take(self, raw: bytes, recipients: list[str]) -> str:
        with self.app.app_context():
            try:
                bounce = take(read(raw), Intake.SMTP, recipients)
            except Exception:  # noqa: BLE001 - the sender keeps the report and tries again later
                current_app.logger.exception("Zustellbericht nicht verarbeitet")
                return "451 4.3.0 Zustellbericht gerade nicht verarbeitbar, bitte später erneut senden"
            if bounce is None:
                return "250 2.0.0 Zustellbericht war bereits verarbeitet"
            if bounce.kind == BounceKind.IGNORED:
                return f"250 2.0.0 Angenommen, aber nicht verwendet: {bounce.reason}"
            return f"250 2.0.0 Zustellbericht verarbeitet ({bounce.kind.value})"

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "replace")
        return await asyncio.get_running_loop().run_in_executor(None, self._take, raw, list(envelope.rcpt_tos))


class BounceReceiver:
    """Start and stop the SMTP intake (the CLI command and the tests use it)."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 2525) -> None:
        self.controller = Controller(BounceHandler(app), hostname=host, port=port,
                                     data_size_limit=app.config["BOUNCE_MAX_BYTES"])

    @property
    def port(self) -> int:
        return self.controller.port

    def start(self) -> BounceReceiver:
        quiet_smtp_server()
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def init_app(app: Flask) -> None:
    group = click.Group("bounces", help="Zustellberichte (Bounces) von Code-Mails empfangen.")

    @group.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=2525, show_default=True, type=int)
    def serve(host: str, port: int) -> None:
        """Nimmt Zustellberichte per SMTP an (nur für die Bounce-Adressen)."""
        if not app.config.get("MAIL_BOUNCE_ADDRESS"):
            raise click.UsageError("MAIL_BOUNCE_ADDRESS ist nicht gesetzt; ohne sie gibt es keine Bounce-Adresse.")
        receiver = BounceReceiver(app, host, port).start()
        click.echo(f"Zustellberichte: SMTP auf {host}:{receiver.port} für {app.config['MAIL_BOUNCE_ADDRESS']}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            receiver.stop()

    app.cli.add_command(group)
