"""Links into the help section. Each status, readiness rule, device state and API error names its
section (page slug and anchor) where it is defined; this builds the address."""

from __future__ import annotations

from flask import url_for


def help_page_url(slug: str, anchor: str | None = None, external: bool = False) -> str:
    """The help page ``slug``, at the section ``anchor`` when given."""
    return url_for("help.page", slug=slug, _anchor=anchor, _external=external)
