"""Signed-in browsers, checked on the server on every request. The cookie holds a random token;
the database holds its hash, when it was last seen, and whether it was ended. Ending a session
(from "Mein Konto", by a reset, a deactivation or "Abmelden") takes effect on that browser's next
request, whatever its cookie says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, g, request, session
from flask_login import current_user, login_user
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..i18n import N_, translate
from ..tenancy import PracticeGroup
from ..timeutil import utcnow
from .models import User, UserSession
from .tokens import keyed_hash, new_token

KEY = "sid"  # the Flask session's key for the token
SEEN_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often


def _hash(token: str) -> bytes:
    return keyed_hash("session", token)


def start(user: User) -> UserSession:
    """Sign the browser in as ``user``: a fresh Flask session holding a new token. Commits."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    token = new_token()
    agent = request.user_agent.string.replace("\x00", "")  # PostgreSQL keeps no NUL in text
    row = UserSession(user_id=user.id, token_hash=_hash(token), user_agent=agent[:300],
                      client=(request.remote_addr or "")[:64])
    db.session.add(row)
    user.last_login_at = utcnow()
    session[KEY] = token
    session.permanent = True
    login_user(user)
    db.session.commit()
    g.user_session = row
    return row


@cache
def _session_with_user():
    """One query for the session, its user and the user's group with practices and licences, which
    nearly every page needs (built once: it runs on every request)."""
    return select(UserSession).where(UserSession.token_hash == bindparam("token_hash")).options(
        joinedload(UserSession.user).joinedload(User.group).options(
            joinedload(PracticeGroup.practice_rows), joinedload(PracticeGroup.licences)))


def load(user_id: str) -> User | None:
    """Flask-Login's user loader: the user of this browser's live session, or None (signed out)."""
    token = session.get(KEY)
    if not token:
        return None
    row = db.session.scalars(_session_with_user(), {"token_hash": _hash(token)}).unique().one_or_none()
    now = utcnow()
    idle = timedelta(seconds=current_app.config["PERMANENT_SESSION_LIFETIME"])
    if row is None or row.ended_at is not None or str(row.user_id) != str(user_id):
        return None
    if now - row.last_seen_at > idle:
        end(row, "inaktiv")
        db.session.commit()
        return None
    user = row.user
    if not user.active:
        return None
    if now - row.last_seen_at > SEEN_EVERY:
        db.session.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
        db.session.commit()
    g.user_session = row
    return user


def current() -> UserSession | None:
    """This browser's session (loading the signed-in user first, if nothing asked for them yet)."""
    if "user_session" not in g:
        _ = current_user.is_authenticated
    return g.get("user_session")


def end(row: UserSession, reason: str) -> None:
    if row.ended_at is None:
        row.ended_at, row.end_reason = utcnow(), reason


def end_all(user_id: int, reason: str, keep: UserSession | None = None) -> int:
    """End every live session of the user (but ``keep``); returns how many. The caller commits."""
    conditions = [UserSession.user_id == user_id, UserSession.ended_at.is_(None)]
    if keep is not None:
        conditions.append(UserSession.id != keep.id)
    return db.session.execute(update(UserSession).where(*conditions)
                              .values(ended_at=utcnow(), end_reason=reason)).rowcount


def live(user_id: int) -> list[UserSession]:
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user_id,
                                                             UserSession.ended_at.is_(None))
                                   .order_by(UserSession.last_seen_at.desc())))


@dataclass(frozen=True)
class SessionView:
    id: int
    device: str
    client: str
    created_at: datetime
    last_seen_at: datetime
    this_browser: bool


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe(row: UserSession, this: UserSession | None) -> SessionView:
    """A session as "Firefox auf Windows", for the list on "Mein Konto"."""
    agent = row.user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser and system:
        device = translate(N_("%(browser)s auf %(system)s"), browser=browser, system=system)
    else:
        device = browser or system or translate(N_("Unbekannter Browser"))
    return SessionView(row.id, device, row.client, row.created_at, row.last_seen_at,
                       this is not None and row.id == this.id)
