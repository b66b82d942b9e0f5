"""Help pages, their search, and the context links from statuses, rules and API errors into them."""

import re
from html.parser import HTMLParser

import pytest

from portal.api.errors import ERRORS
from portal.codes.status import StatusKey
from portal.devices.models import DeviceState
from portal.extensions import db
from portal.help.content import ORDER
from portal.models import Therapist
from portal.readiness import HELP_PAGE, RULES

from .helpers import HX


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if attrs.get("id"):
            self.ids.add(attrs["id"])


def parse(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_help_page_renders_with_the_configured_sender(client, lang):
    headers = {"Accept-Language": lang}
    for slug in ORDER:
        response = client.get(f"/hilfe/{slug}", headers=headers)
        assert response.status_code == 200, slug
        assert "<h1>" in response.get_data(as_text=True)
    page = client.get("/hilfe/code-kommt-nicht-an", headers=headers).get_data(as_text=True)
    assert "zugang@praxisportal.example" in page and 'id="spam"' in page
    for provider in ("Outlook", "Gmail", "Apple Mail", "GMX", "WEB.DE", "T-Online"):
        assert provider in page
    assert client.get("/hilfe/gibt-es-nicht").status_code == 404


def test_a_crawl_of_every_help_link_finds_no_dead_link(as_user, world):
    client = as_user(world.chef_a)
    seen, queue, checked = set(), ["/hilfe"], 0
    while queue:
        url = queue.pop()
        path, _, anchor = url.partition("#")
        if path in seen and not anchor:
            continue
        response = client.get(path or "/hilfe", follow_redirects=True)
        assert response.status_code == 200, url
        page = parse(response.get_data(as_text=True))
        if anchor:
            assert anchor in page.ids, f"{url}: no #{anchor}"
            checked += 1
        if path in seen:
            continue
        seen.add(path)
        if path.startswith("/hilfe"):
            queue += [h for h in page.hrefs if h.startswith("/") and not h.startswith("/static")]
            for local in (h[1:] for h in page.hrefs if h.startswith("#")):
                assert local in page.ids, f"{path}: no #{local}"
                checked += 1
    assert {f"/hilfe/{slug}" for slug in ORDER} <= seen and checked >= 3  # links into sections too


def test_help_search_finds_a_page_by_a_word_from_its_body(client):
    html = client.get("/hilfe?q=Positivliste").get_data(as_text=True)
    assert 'href="/hilfe/code-kommt-nicht-an#absender"' in html and "<mark>Positivliste</mark>" in html
    assert 'href="/hilfe/datenbank-fehlt#wann"' in client.get("/hilfe?q=Samstag").get_data(as_text=True)
    assert "Keine Hilfeseite passt zu Ihrer Suche." in client.get("/hilfe?q=Quantenphysik").get_data(as_text=True)


HIT = re.compile(r'<li data-hit="([a-z-]+)"><a href="([^"]+)"')

# What a practice types, and the help that answers it first (page, and section where one fits).
PHRASINGS = [
    ("Code nicht erhalten", "/hilfe/code-kommt-nicht-an"),
    ("keine Mail bekommen", "/hilfe/code-kommt-nicht-an"),
    ("Zugangscode angekommen", "/hilfe/code-kommt-nicht-an"),
    ("Zugangscode kommt nicht", "/hilfe/code-kommt-nicht-an"),
    ("E-Mail mit Code ist nicht da", "/hilfe/code-kommt-nicht-an"),
    ("Email landet im Spam", "/hilfe/code-kommt-nicht-an#spam"),
    ("Junk Ordner", "/hilfe/code-kommt-nicht-an#spam"),
    ("Absender ins Adressbuch", "/hilfe/code-kommt-nicht-an#absender"),
    ("neues Handy", "/hilfe/neues-geraet"),
    ("zweites Gerät einrichten", "/hilfe/neues-geraet"),
    ("Therapeut kann sich nicht einloggen", "/hilfe/kann-sich-nicht-anmelden"),
    ("Datenbank fehlt", "/hilfe/datenbank-fehlt"),
    ("Passwort vergessen", "/hilfe/portal-anmeldung#passwort"),
    ("Einladung abgelaufen", "/hilfe/portal-anmeldung#einladung"),
    ("Handy verloren Daten löschen", "/hilfe/deaktiviert-nutzt-weiter#entziehen"),
    ("deaktiviert aber nutzt App weiter", "/hilfe/deaktiviert-nutzt-weiter"),
    ("WLAN weg beim Check-in", "/hilfe/check-in-ohne-verbindung"),
    ("Tablet offline", "/hilfe/check-in-ohne-verbindung#was-das-tablet-speichert"),
]


@pytest.mark.parametrize(("query", "expected"), PHRASINGS)
def test_help_search_answers_what_a_practice_types_best_match_first(client, query, expected):
    """Stemming, synonyms and any-word ranking: the help that answers the question comes first."""
    html = client.get("/hilfe", query_string={"q": query}).get_data(as_text=True)
    hits = HIT.findall(html)
    assert hits, query
    first = hits[0][1]
    assert first == expected or first.startswith(expected + "#"), (query, hits)


def test_help_search_matches_word_forms_and_marks_them(client):
    html = client.get("/hilfe", query_string={"q": "Geräte abmelden"}).get_data(as_text=True)
    assert HIT.findall(html)[0][0] == "abmelden"
    assert "<mark>" in html and "Keine Hilfeseite" not in html
    assert "Keine Hilfeseite passt" in client.get("/hilfe", query_string={"q": "nicht"}).get_data(as_text=True)


def test_api_errors_and_statuses_link_to_their_help(app, client, as_user, world):
    answer = client.post("/api/app/v1/session", json={"email": "a@b.de", "code": "1", "device_name": "x",
                                                      "platform": "ios"}).get_json()
    assert answer["error"] == "invalid_code" and answer["help"].endswith("/hilfe/code-kommt-nicht-an")
    with app.app_context():
        t = db.session.get(Therapist, world.therapist_a)
        t.app_enabled, t.email_refused = True, "550 unbekannt"
        db.session.commit()
    html = as_user(world.chef_a).get(f"/therapeuten/{world.therapist_a}", headers=HX).get_data(as_text=True)
    assert 'href="/hilfe/kann-sich-nicht-anmelden#zustellbar"' in html




def test_every_section_a_status_rule_or_error_points_to_exists(client):
    sections = {key.help_section for key in StatusKey} | {state.help_section for state in DeviceState}
    sections |= {(HELP_PAGE, rule.help_anchor) for rule in RULES}
    sections |= {section for _status, _message, section in ERRORS.values()}
    for slug, anchor in sorted((s for s in sections if s), key=str):
        page = parse(client.get(f"/hilfe/{slug}").get_data(as_text=True))
        assert anchor is None or anchor in page.ids, f"/hilfe/{slug}#{anchor}"
