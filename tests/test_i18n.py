"""The English catalogue covers every German source string."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "portal/translations/en/LC_MESSAGES/messages.po"


def _source_messages() -> set:
    method_map = [("portal/**.py", "python"), ("portal/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None, "N_": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords
    ):
        found.add(message)
    return found


def test_every_source_string_has_an_english_translation():
    catalogue = read_po(CATALOGUE.open("rb"))
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy
                  and (not isinstance(m.string, tuple) or all(m.string))}
    missing = sorted(str(m) for m in _source_messages() - translated)
    assert missing == [], "run tools/i18n.sh and translate (fuzzy entries count as missing): " + " | ".join(missing)


def test_the_compiled_catalogue_matches_the_po_file():
    catalogue = read_po(CATALOGUE.open("rb"))
    compiled = read_mo(CATALOGUE.with_suffix(".mo").open("rb"))
    def entries(messages):
        as_key = lambda v: tuple(v) if isinstance(v, (list, tuple)) else v  # noqa: E731
        return {as_key(m.id): as_key(m.string) for m in messages if m.id and m.string}

    expected, actual = entries(catalogue), entries(compiled)
    assert actual == expected, "run tools/i18n.sh to compile the catalogue"
