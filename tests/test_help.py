"""Help pages, context links, the readiness checklist with its fixes, and the onboarding panel."""

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.help.content import ORDER
from portal.models import Licence, PracticeGroup, Role, Therapist

from . import factories as f
from .conftest import HX, login, run_jobs


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
    assert 'href="/hilfe/code-kommt-nicht-an"' in html and "<mark>Positivliste</mark>" in html
    assert 'href="/hilfe/datenbank-fehlt"' in client.get("/hilfe?q=Samstag").get_data(as_text=True)
    assert "Keine Hilfeseite enthält alle Suchwörter." in client.get("/hilfe?q=Quantenphysik").get_data(as_text=True)


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


def _checks(client, therapist_id) -> dict:
    html = client.get(f"/therapeuten/{therapist_id}/checkliste").get_data(as_text=True)
    return dict(re.findall(r'data-check="(\w+)" data-ok="(ja|nein)"', html))


def test_each_readiness_item_flips_when_its_cause_is_fixed(app, world, smtp_sink):
    with app.app_context():
        group = f.group("Neu", licensed=False)
        practice = f.practice(group)
        therapist = f.therapist(group, "Nina", "Neu", email=None, practices=[practice])
        f.user(group, Role.CHEF, "chef@neu.example")
        db.session.commit()
        group_id, therapist_id, practice_id = group.id, therapist.id, practice.id
    client = app.test_client()
    login(client, "chef@neu.example")
    checks = _checks(client, therapist_id)
    assert checks == {"licence": "nein", "email": "nein", "deliverable": "ja", "app": "nein", "withdrawn": "ja",
                      "schedule": "nein", "database": "nein", "code": "nein"}
    with app.app_context():
        db.session.get(PracticeGroup, group_id).licences = [
            Licence(kind=k, valid_from=f.date(2020, 1, 1)) for k in ("sync", "app")]
        db.session.commit()
    assert _checks(client, therapist_id)["licence"] == "ja"
    client.post(f"/therapeuten/{therapist_id}", headers=HX, data={
        "first_name": "Nina", "last_name": "Neu", "email": "nina@neu.example", "practices": [str(practice_id)]})
    assert _checks(client, therapist_id)["email"] == "ja"
    client.post(f"/therapeuten/{therapist_id}/termine", headers=HX, data={
        "title": "KG", "day": "2026-12-01", "start": "09:00", "duration_minutes": "30",
        "practice_id": str(practice_id)})
    assert _checks(client, therapist_id)["schedule"] == "ja"
    client.post(f"/therapeuten/{therapist_id}", headers=HX, data={
        "first_name": "Nina", "last_name": "Neu", "email": "nina@neu.example", "practices": [str(practice_id)],
        "app_enabled": "y"})
    html = client.get(f"/therapeuten/{therapist_id}/checkliste").get_data(as_text=True)
    assert "in Arbeit" in html and 'hx-trigger="load delay:3s"' in html  # database and code on their way
    run_jobs(app)
    assert set(_checks(client, therapist_id).values()) == {"ja"}
    assert "Nina Neu kann sich in der App anmelden." in client.get(
        f"/therapeuten/{therapist_id}/checkliste").get_data(as_text=True)
    client.post(f"/therapeuten/{therapist_id}/entziehen", headers=HX, data={"reason": "Test"})
    checks = _checks(client, therapist_id)
    assert checks["withdrawn"] == "nein" and checks["app"] == "nein"
    with app.app_context():
        db.session.get(Therapist, therapist_id).email_refused = "550 weg"
        db.session.commit()
    assert _checks(client, therapist_id)["deliverable"] == "nein"


def test_the_database_fix_action_generates_it(app, as_user, world):
    with app.app_context():
        db.session.get(Therapist, world.therapist_a).app_enabled = True
        db.session.commit()
    client = as_user(world.chef_a)
    assert _checks(client, world.therapist_a)["database"] == "nein"
    html = client.post(f"/therapeuten/{world.therapist_a}/datenbank", headers=HX).get_data(as_text=True)
    assert "Die Therapeuten-Datenbank wird erzeugt." in html
    run_jobs(app)
    assert _checks(client, world.therapist_a)["database"] == "ja"


def test_the_not_ready_filter_lists_therapists_failing_any_item(app, as_user, world):
    client = as_user(world.chef_a)
    html = client.get("/therapeuten?ready=nein").get_data(as_text=True)
    assert "Schmidt, Anna" in html and "1 Therapeut" in html


def test_the_onboarding_panel_follows_the_data(app, world, smtp_sink):
    with app.app_context():
        group = f.group("Start")
        practice = f.practice(group)
        f.user(group, Role.CHEF, "chef@start.example")
        db.session.commit()
        group_id, practice_id = group.id, practice.id
    client = app.test_client()
    login(client, "chef@start.example")

    def count():
        html = client.get("/therapeuten").get_data(as_text=True)
        found = re.search(r"Einrichtung der Therapeuten-App: (\d)/4", html)
        return int(found.group(1)) if found else 4

    assert count() == 1  # the licences
    client.post("/therapeuten", headers=HX, data={"first_name": "Olga", "last_name": "Start",
                                                  "email": "olga@start.example", "practices": [str(practice_id)]})
    assert count() == 2
    with app.app_context():
        therapist_id = db.session.scalar(select(Therapist.id).where(Therapist.group_id == group_id))
    client.post(f"/therapeuten/{therapist_id}/termine", headers=HX, data={
        "title": "KG", "day": "2026-12-01", "start": "09:00", "duration_minutes": "30",
        "practice_id": str(practice_id)})
    assert count() == 3
    client.post(f"/therapeuten/{therapist_id}", headers=HX, data={
        "first_name": "Olga", "last_name": "Start", "email": "olga@start.example",
        "practices": [str(practice_id)], "app_enabled": "y"})
    assert count() == 3  # activated, but the code is not sent yet
    run_jobs(app)
    assert count() == 4 and "Einrichtung der Therapeuten-App" not in client.get("/therapeuten").get_data(as_text=True)
