"""Flask CLI commands: create-user (demo-data is the developer tools' own, ``devtools/cli.py``)."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select
from wtforms.validators import ValidationError

from .auth import passwords
from .auth.models import Role
from .extensions import db
from .forms import normalise_email
from .tenancy import PracticeGroup
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
