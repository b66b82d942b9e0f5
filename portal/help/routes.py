from flask import Blueprint, abort, current_app, render_template, request

from ..i18n import current_language
from .content import pages
from .search import search

bp = Blueprint("help", __name__, url_prefix="/hilfe")


def _sender() -> str:
    return current_app.config["MAIL_DEFAULT_SENDER"]


@bp.get("")
def index():
    """All help pages and a search over their text; open to everyone, signed in or not."""
    query = request.args.get("q", "").strip()[:100]
    language = current_language()
    return render_template("help/index.html", pages=pages(language).values(), query=query,
                           hits=search(language, query, _sender()) if query else [])


@bp.get("/<slug>")
def page(slug: str):
    found = pages(current_language()).get(slug)
    if found is None:
        abort(404)
    return render_template("help/page.html", page=found, body=found.html(_sender()),
                           others=[p for p in pages(current_language()).values() if p.slug != slug])
