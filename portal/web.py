"""Web plumbing every feature shares: bounded ids, page numbers and dates from URLs, a list's
page, one URL answering a page or an htmx fragment, the redirect after a change, the addresses
htmx is told to push, CSV downloads that spreadsheets cannot turn into formulas, and PDF and
JSON files."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps

from flask import Flask, Response, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from sqlalchemy import Select, func, select
from werkzeug.routing import IntegerConverter

from .extensions import db, htmx
from .i18n import N_, translate
from .timeutil import EARLIEST_DAY, LATEST_DAY

MAX_ID = 2**63 - 1  # the largest id a BIGINT column holds; ids are positive
MAX_PAGE = 100_000


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: a number larger than a BIGINT matches no route, so 25 digits
    answer 404 instead of reaching the database."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


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


def _ignored(label: str) -> None:
    """Note a query argument that was not understood; the page's message area names it."""
    if "bad_args" not in g:
        g.bad_args = []
    if label not in g.bad_args:
        g.bad_args.append(label)


def ignored_arguments() -> list[str]:
    """The query arguments of this request that were not understood and therefore ignored."""
    return list(g.get("bad_args", []))


def _arg(name: str, label: str, parse: Callable[[str], object]):
    """A query argument through ``parse``; None when absent, and when ``parse`` finds nothing in it (noted)."""
    value = request.args.get(name, "")
    if value == "":
        return None
    parsed = parse(value)
    if parsed is None:
        _ignored(label)
    return parsed


def arg_id(name: str, label: str) -> int | None:
    """An id filter from the query string; None when absent, and when not a valid id (noted)."""
    return _arg(name, label, parse_id)


def arg_page(name: str = "page") -> int:
    """The page number of a list: 1 when absent or not understood (noted)."""
    value = request.args.get(name, "")
    if value == "":
        return 1
    if value.isascii() and value.isdigit() and 0 < len(value) <= 6 and 1 <= int(value) <= MAX_PAGE:
        return int(value)
    _ignored(translate(N_("Seite")))
    return 1


def page_within(page: int, total: int, per_page: int) -> tuple[int, int]:
    """(page, pages): a page past the end of a list shows its last page, as the therapist list does."""
    pages = max(1, -(-total // per_page))
    return min(page, pages), pages


@dataclass(frozen=True)
class Paged:
    """One page of a list: its rows, the page shown, how many pages and rows there are."""

    items: list
    page: int
    pages: int
    total: int


def paginate(query: Select, page: int, per_page: int) -> Paged:
    """The page of an ordered query's rows (a page past the end shows the last, as ``page_within``)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page, pages = page_within(page, total, per_page)
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Paged(list(items), page, pages, total)


def parse_day(value: str) -> date | None:
    """A date (YYYY-MM-DD) within the years the portal handles, else None."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


def arg_day(name: str, label: str) -> date | None:
    """A date (YYYY-MM-DD) from the query string within the years the portal handles; None when
    absent, and when not understood (noted)."""
    return _arg(name, label, parse_day)


MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_month(value: str) -> date | None:
    """A month as a URL writes it (YYYY-MM, ASCII digits) as its first day, within the years the
    portal handles; None for anything else (year 0, month 13, other digits …)."""
    match = MONTH.fullmatch(value or "")
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and EARLIEST_DAY.year <= year <= LATEST_DAY.year):
        return None
    return date(year, month, 1)


def arg_month(name: str, label: str) -> date | None:
    """A month (YYYY-MM) from the query string as its first day; None when absent, and when not
    understood (noted). Every month of a URL comes through here."""
    return _arg(name, label, parse_month)


def page_or_fragment(page: str, fragment: str, status: int = 200, headers: dict | None = None, **context):
    """One URL, two answers: the fragment for an htmx request, the full page otherwise (also when
    htmx restores a page from history)."""
    template = fragment if htmx and not htmx.history_restore_request else page
    return render_template(template, **context), status, headers or {}


def done(message: str, category: str, url: str):
    """After a change made without htmx: the message as a flash, then back to a page (POST/redirect/GET)."""
    flash(message, category)
    return redirect(url)


def redirect_unless_htmx(back: str | Callable[..., str]):
    """Decorator for the function that renders a page or its htmx section after a change: called
    with ``message=`` (status 200) outside htmx, by a plain form post, it flashes the message (with
    ``category=``, "success" by default) and redirects instead (POST/redirect/GET) to the endpoint
    ``back``, or to the URL ``back(*args, **kwargs)`` builds. A refusal (another status) renders."""

    def decorate(render):
        @wraps(render)
        def wrapped(*args, **kwargs):
            if kwargs.get("message") and not htmx and kwargs.get("status", 200) == 200:
                url = back(*args, **kwargs) if callable(back) else url_for(back)
                return done(kwargs["message"], kwargs.get("category", "success"), url)
            return render(*args, **kwargs)

        return wrapped

    return decorate


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
    app.jinja_env.globals["ignored_arguments"] = ignored_arguments


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+([.,]\d+)?")


def spreadsheet_safe(value) -> str:
    """A CSV cell that Excel or LibreOffice will not run as a formula (OWASP): text starting with
    = + - @, a tab or a carriage return gets a leading apostrophe; a plain negative number stays."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_download(filename: str, header: list[str], rows) -> Response:
    """A CSV download as German Excel opens it (semicolons, UTF-8 with BOM), every cell made safe,
    and never kept in a cache (the lists hold personal and health data)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={filename}", "Cache-Control": "no-store"})


def pdf_download(content: bytes, filename: str) -> Response:
    """A PDF shown in the browser, never kept in a cache."""
    return Response(content, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"})


def json_download(data, filename: str) -> Response:
    """JSON as a file to save (German text kept readable), never kept in a cache."""
    return Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
