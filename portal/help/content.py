"""The help pages: Markdown files in the repository, rendered and searchable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from markupsafe import Markup

PAGES = Path(__file__).parent / "pages"
ORDER = ["code-kommt-nicht-an", "kann-sich-nicht-anmelden", "datenbank-fehlt", "deaktiviert-nutzt-weiter",
         "neues-geraet", "abmelden", "app-im-browser", "portal-anmeldung", "check-in-ohne-verbindung",
         "kalender-verbinden"]
_HEADING_ANCHOR = re.compile(r"<(h[1-6])>(.*?) \{#([a-z0-9-]+)\}</\1>")
_markdown = MarkdownIt("commonmark", {"html": False})


@dataclass(frozen=True)
class HelpPage:
    slug: str
    title: str
    source: str

    def html(self, sender: str) -> Markup:
        """The page as HTML, the configured sender filled in and headings given their anchors."""
        rendered = _markdown.render(self.source.replace("{sender}", sender))
        return Markup(_HEADING_ANCHOR.sub(r'<\1 id="\3">\2</\1>', rendered))


@lru_cache(maxsize=4)
def pages(language: str) -> dict[str, HelpPage]:
    """Every help page of a language, in reading order (German where a translation is missing)."""
    found = {}
    for slug in ORDER:
        path = PAGES / language / f"{slug}.md"
        if not path.exists():
            path = PAGES / "de" / f"{slug}.md"
        source = path.read_text(encoding="utf-8")
        title = source.splitlines()[0].lstrip("# ").strip()
        found[slug] = HelpPage(slug, title, source)
    return found
