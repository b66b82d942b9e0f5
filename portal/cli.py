"""Flask CLI commands: create-user and demo-data."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select
from wtforms.validators import ValidationError

from .auth import passwords
from .auth.models import Role
from .devtools.demo import GROUP_NAME, PASSWORD, USERS, load_demo_data
from .extensions import db
from .forms import normalise_email
from .groups.models import PracticeGroup
from .users.services import create_user, email_taken


def init_app(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
    @click.option("--group", "group_name", help="Praxisgruppe (wird angelegt, wenn es sie nicht gibt)")
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    def create_user_command(email: str, role: str, group_name: str | None, password: str) -> None:
        """Legt einen Portal-Benutzer an."""
        try:
            email = normalise_email(email)
        except ValidationError as exc:
            raise click.UsageError(str(exc)) from exc
        problem = passwords.problem(password, email)
        if problem:
            raise click.UsageError(problem)
        if role != Role.SUPPORT and not group_name:
            raise click.UsageError("Für die Rollen chef und therapeut ist --group nötig.")
        if email_taken(email):
            raise click.UsageError(f"Für {email} gibt es bereits einen Zugang.")
        group = None
        if role != Role.SUPPORT:
            group = db.session.scalar(select(PracticeGroup).where(PracticeGroup.name == group_name))
            if group is None:
                group = PracticeGroup(name=group_name)
                db.session.add(group)
                db.session.flush()
                click.echo(f"Praxisgruppe „{group_name}“ angelegt.")
        create_user(email, role, password, group.id if group else None)
        db.session.commit()
        click.echo(f"Benutzer {email} ({role}) angelegt.")

    @app.cli.command("demo-data")
    def demo_data_command() -> None:
        """Legt die Demo-Praxisgruppe mit Therapeuten und je einem Benutzer pro Rolle an."""
        load_demo_data()
        click.echo(f"Demo-Daten bereit: {GROUP_NAME}")
        for email, role in USERS:
            click.echo(f"  {role.value:<10} {email}  Passwort: {PASSWORD}")
        click.echo("Der support-Zugang richtet bei der ersten Anmeldung seinen zweiten Faktor ein.")
