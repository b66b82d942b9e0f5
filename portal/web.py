"""Web plumbing every feature shares: one URL answering a page or an htmx fragment, the
redirect after a change, and the addresses htmx is told to push."""

from __future__ import annotations

from flask import Flask, flash, redirect, render_template, url_for
from markupsafe import Markup, escape

from .extensions import htmx

MAX_ID = 2**63 - 1  # the largest id a BIGINT column holds; ids are positive


def parse_id(value) -> int | None:
    """An object id from a URL, a form or a query string: a positive whole number a database can
    hold, else None (so "abc", "-1" or 25 digits answer 404 rather than an error)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value or "").strip()
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            return None
        number = int(text)
    return number if 0 < number <= MAX_ID else None


def page_or_fragment(page: str, fragment: str, status: int = 200, headers: dict | None = None, **context):
    """One URL, two answers: the fragment for an htmx request, the full page otherwise (also when
    htmx restores a page from history)."""
    template = fragment if htmx and not htmx.history_restore_request else page
    return render_template(template, **context), status, headers or {}


def done(message: str, category: str, url: str):
    """After a change made without htmx: the message as a flash, then back to a page (POST/redirect/GET)."""
    flash(message, category)
    return redirect(url)


def push_url(endpoint: str, **values) -> dict:
    """The ``HX-Push-Url`` header for a view's canonical address. ``url_for`` builds and encodes it,
    so names like "Łukasz" or a stray line break reach the header as plain ASCII."""
    return {"HX-Push-Url": url_for(endpoint, **values)}


def breakable_email(address: str) -> Markup:
    """An e-mail address that may wrap after its "@" (long addresses in narrow table columns)."""
    local, at, domain = address.partition("@")
    return escape(local) + (Markup("@<wbr>") if at else "") + escape(domain)


def init_app(app: Flask) -> None:
    app.add_template_filter(breakable_email)
