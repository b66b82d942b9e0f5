"""The developer tools' Flask CLI command: demo-data (registered by the app factory, so the
production commands in ``portal/cli.py`` need nothing of devtools)."""

from __future__ import annotations

import click
from flask import Flask

from .demo import GROUP_NAME, PASSWORD, USERS, load_demo_data


def init_app(app: Flask) -> None:
    @app.cli.command("demo-data")
    def demo_data_command() -> None:
        """Legt die Demo-Praxisgruppe mit Therapeuten und je einem Benutzer pro Rolle an."""
        load_demo_data()
        click.echo(f"Demo-Daten bereit: {GROUP_NAME}")
        for email, role in USERS:
            click.echo(f"  {role.value:<10} {email}  Passwort: {PASSWORD}")
        click.echo("Der support-Zugang richtet bei der ersten Anmeldung seinen zweiten Faktor ein.")
