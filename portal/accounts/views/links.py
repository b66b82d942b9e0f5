"""The pages a mail's link opens (the invitation, a new password): the link's token moves into the
browser's session, the page reads the mail it is for, and a refused change shows the link's error page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import render_template

from ... import limits, url_secrets
from ...extensions import db, limiter
from ..mails import valid_link
from ..models import AccountMail, MailKind
from ..services import AccountRefused
from .blueprint import bp


def _link_invalid(kind: MailKind, status: int = 404, message: str | None = None):
    return render_template("accounts/link_invalid.html", invitation=kind == MailKind.INVITATION, message=message,
                           from_mail=not url_secrets.held(kind.value)), status


def _take_link(token: str, kind: MailKind, endpoint: str):
    """A link from a mail: its token moves into this browser's session at once, and the browser on
    to the page without it (nothing in the address bar, the history or an access log)."""
    if valid_link(token, kind) is None:
        return render_template("accounts/link_invalid.html", invitation=kind == MailKind.INVITATION), 404
    return url_secrets.take(kind.value, token, endpoint)


def link_page(rule: str, kind: MailKind, usable: Callable[[AccountMail], bool]):
    """A page a mail's link opens. ``rule/<token>`` (endpoint ``<view>_link``) takes the token
    (``_take_link``); the page at ``rule`` gets the mail its link is for while the link works and
    ``usable(mail)`` holds, else the link's error page. Its failed POSTs count against the link limit."""
    def decorate(view):
        endpoint = view.__name__
        bp.add_url_rule(f"{rule}/<token>", f"{endpoint}_link", methods=["GET"],
                        view_func=lambda token: _take_link(token, kind, f".{endpoint}"))

        @wraps(view)
        def page():
            mail = valid_link(url_secrets.held(kind.value), kind)
            if mail is None or not usable(mail):
                return _link_invalid(kind)
            return view(mail)

        limited = limiter.limit(limits.setting("LINK_LIMIT"), methods=["POST"], deduct_when=limits.unsuccessful)
        return bp.route(rule, methods=["GET", "POST"])(limited(page))
    return decorate


def use_link(kind: MailKind, change, *args):
    """Make the change a link's page is for (joining, a new password) and commit: (its result,
    None), or (None, the link's error page) when it is refused, e.g. the link was used meanwhile."""
    try:
        result = change(*args)
    except AccountRefused as refused:
        db.session.rollback()
        return None, _link_invalid(kind, 409, str(refused))
    db.session.commit()
    return result, None
