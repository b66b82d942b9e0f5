"""The therapist list (search, filters, sorting, pages) and the details dialog."""

import re
from datetime import date

import pytest
from flask import url_for
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, Practice, PracticeGroup, Role, Therapist, TherapistDatabase

from . import factories as f
from .helpers import HX, audit_actions, login


def _therapist(app, therapist_id):
    with app.app_context():
        t = db.session.get(Therapist, therapist_id)
        return {"first_name": t.first_name, "last_name": t.last_name, "email": t.email,
                "app_enabled": t.app_enabled, "practices": sorted(p.id for p in t.practices)}


def _counts(app):
    with app.app_context():
        return (db.session.scalar(select(func.count(Therapist.id))),
                db.session.scalar(select(func.count(AuditEvent.id))))


def _form(therapist, **changes):
    data = {"first_name": therapist["first_name"], "last_name": therapist["last_name"],
            "email": therapist["email"] or "", "practices": [str(p) for p in therapist["practices"]]}
    if therapist["app_enabled"]:
        data["app_enabled"] = "y"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _row_html(html: str, therapist_id: int) -> str:
    return re.search(rf'<tr id="therapist-{therapist_id}">(.*?)</tr>', html, re.S).group(1)


# --- the list -----------------------------------------------------------------------------------

def _many(app, world, n=30):
    with app.app_context():
        g = db.session.get(PracticeGroup, world.group_a)
        p1, p2 = db.session.get(Practice, world.practice_a1), db.session.get(Practice, world.practice_a2)
        for i in range(n):
            f.therapist(g, f"Vorname{i:02d}", f"Nachname{i:02d}", f"person{i:02d}@liste.example",
                        practices=[p1 if i % 2 else p2], app_enabled=i % 3 == 0)
        db.session.commit()


def test_list_shows_name_email_practices_and_app_status(as_user, world):
    html = as_user(world.chef_a).get("/therapeuten").get_data(as_text=True)
    row = _row_html(html, world.therapist_a)
    assert "Schmidt, Anna" in row and "anna.schmidt@<wbr>praxis.example" in row  # may wrap after the @
    assert "Praxis am Markt" in row and "nicht aktiviert" in row
    assert "Bernd" not in html  # the other group's therapist


def test_row_links_lead_to_the_dialog_and_the_schedule_page(app, as_user, world):
    client = as_user(world.chef_a)
    html = client.get("/therapeuten").get_data(as_text=True)
    with app.test_request_context():
        schedule_url = url_for("schedule.page", therapist_id=world.therapist_a)
    assert f'href="{schedule_url}"' in html
    assert client.get(schedule_url).status_code == 200


def test_search_finds_by_name_and_by_email_fragment(app, as_user, world):
    _many(app, world)
    client = as_user(world.chef_a)
    html = client.get("/therapeuten?q=nachname07").get_data(as_text=True)
    assert "Nachname07" in html and "Nachname08" not in html and "1 Therapeut" in html
    html = client.get("/therapeuten?q=person1").get_data(as_text=True)
    assert "10 Therapeuten" in html  # person10 … person19
    html = client.get("/therapeuten?q=anna schmidt").get_data(as_text=True)
    assert "Schmidt, Anna" in html and "1 Therapeut" in html


def test_search_ignores_case_also_for_umlauts(app, as_user, world):
    with app.app_context():
        f.therapist(db.session.get(PracticeGroup, world.group_a), "Jürgen", "Müller", "j.mueller@praxis.example")
        db.session.commit()
    client = as_user(world.chef_a)
    for query in ("müller", "MÜLLER", "jürgen mü", "MUELLER"):
        assert "Müller, Jürgen" in client.get(f"/therapeuten?q={query}").get_data(as_text=True), query


def test_search_follows_a_renamed_therapist(app, as_user, world):
    with app.app_context():
        therapist = db.session.get(Therapist, world.therapist_a)
        therapist.last_name, therapist.email = "Schmitt", "anna.s@praxis.example"
        db.session.commit()
    client = as_user(world.chef_a)
    assert "Schmitt, Anna" in client.get("/therapeuten?q=schmitt").get_data(as_text=True)
    assert "Keine Therapeuten passen" in client.get("/therapeuten?q=schmidt").get_data(as_text=True)


def test_search_treats_like_wildcards_literally(app, as_user, world):
    _many(app, world, 3)
    html = as_user(world.chef_a).get("/therapeuten?q=%25").get_data(as_text=True)
    assert "Keine Therapeuten passen zu Ihrer Suche." in html


def test_filters_by_practice_and_app_status(app, as_user, world):
    _many(app, world)
    client = as_user(world.chef_a)
    html = client.get(f"/therapeuten?practice={world.practice_a2}").get_data(as_text=True)
    assert "15 Therapeuten" in html and "Schmidt, Anna" not in html
    html = client.get("/therapeuten?app=aktiv").get_data(as_text=True)
    assert "10 Therapeuten" in html
    html = client.get(f"/therapeuten?app=inaktiv&practice={world.practice_a1}").get_data(as_text=True)
    assert "11 Therapeuten" in html  # 15 odd ones, 5 of them active, plus Anna Schmidt


def test_sorting_and_pagination_keep_the_other_parameters(app, as_user, world):
    _many(app, world)
    client = as_user(world.chef_a)
    html = client.get("/therapeuten?sort=-name").get_data(as_text=True)
    names = re.findall(r'class="row-name">([^<]+)<', html)
    assert names[0] == "Schmidt, Anna" and names[1] == "Nachname29, Vorname29" and len(names) == 25
    assert "Seite 1 von 2" in html
    assert 'href="/therapeuten?page=2&amp;sort=-name"' in html
    html = client.get("/therapeuten?sort=-name&page=2").get_data(as_text=True)
    assert re.findall(r'class="row-name">([^<]+)<', html)[-1] == "Nachname00, Vorname00"
    html = client.get("/therapeuten?sort=email&q=person").get_data(as_text=True)
    assert re.findall(r'class="row-name">([^<]+)<', html)[0] == "Nachname00, Vorname00"


def test_malformed_list_parameters_fall_back_to_defaults(as_user, world):
    response = as_user(world.chef_a).get("/therapeuten?page=abc&sort=drop&app=x&practice=y")
    assert response.status_code == 200 and "Schmidt, Anna" in response.get_data(as_text=True)
    response = as_user(world.chef_a).get("/therapeuten?page=999")
    assert "Schmidt, Anna" in response.get_data(as_text=True)


def test_htmx_gets_only_the_table_and_history_restore_gets_the_page(as_user, world):
    client = as_user(world.chef_a)
    fragment = client.get("/therapeuten?q=anna", headers={**HX, "HX-Target": "therapist-table"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="therapist-table"') and "<html" not in fragment
    page = client.get("/therapeuten?q=anna", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"]


def test_filtering_pushes_the_canonical_url_but_a_refresh_does_not(as_user, world):
    client = as_user(world.chef_a)
    headers = {**HX, "HX-Target": "therapist-table", "HX-Trigger": "filter-form"}
    response = client.get("/therapeuten?q=anna&practice=&app=&sort=name", headers=headers)
    assert response.headers["HX-Push-Url"] == "/therapeuten?q=anna"
    refresh = client.get("/therapeuten?q=anna", headers={**headers, "HX-Trigger": "therapist-table"})
    assert "HX-Push-Url" not in refresh.headers


def test_empty_group_shows_a_helpful_empty_state(app, client, world):
    with app.app_context():
        g = f.group("Leer")
        f.user(g, Role.CHEF, "chef@leer.example")
        db.session.commit()
    login(client, "chef@leer.example")
    assert "Noch keine Therapeuten angelegt." in client.get("/therapeuten").get_data(as_text=True)


def test_readiness_mark_lists_what_is_missing(app, as_user, world):
    client = as_user(world.chef_a)
    html = client.get("/therapeuten").get_data(as_text=True)
    row = _row_html(html, world.therapist_a)
    assert "4 Punkte offen" in row
    assert "„App aktivieren“ ist nicht gesetzt" in row and "Kein Termin und kein Kurs zugeordnet" in row
    with app.app_context():
        t = db.session.get(Therapist, world.therapist_a)
        t.app_enabled = True
        f.appointment(t, db.session.get(Practice, world.practice_a1))
        db.session.commit()
    row = _row_html(client.get("/therapeuten").get_data(as_text=True), world.therapist_a)
    assert "2 Punkte offen" in row  # the database and the code are still missing (the seed's bug said "bereit")
    with app.app_context():
        t = db.session.get(Therapist, world.therapist_a)
        db.session.add(TherapistDatabase(therapist_id=t.id, group_id=t.group_id, sha256="0" * 64, stale=False))
        f.code_request(t)
        db.session.commit()
    row = _row_html(client.get("/therapeuten").get_data(as_text=True), world.therapist_a)
    assert "bereit" in row and "offen" not in row


def test_missing_licence_shows_in_readiness_and_as_a_warning(app, client):
    with app.app_context():
        g = f.group("Ohne Lizenz", licensed=False)
        f.therapist(g, app_enabled=True)
        f.user(g, Role.CHEF, "chef@ohne.example")
        db.session.commit()
    login(client, "chef@ohne.example")
    html = client.get("/therapeuten").get_data(as_text=True)
    assert "keine gültige Sync- und App-Lizenz" in html
    assert "Sync- oder App-Lizenz der Praxisgruppe fehlt" in html


# --- the dialog ---------------------------------------------------------------------------------

def test_dialog_carries_the_seed_labels_and_buttons(as_user, world):
    html = as_user(world.chef_a).get(f"/therapeuten/{world.therapist_a}", headers=HX).get_data(as_text=True)
    assert html.lstrip().startswith("<dialog")
    for label in ("Vorname", "Nachname", "E-Mail", "Praxen", "App aktivieren", ">OK<", ">Abbrechen<"):
        assert label in html
    assert 'value="Anna"' in html and 'value="anna.schmidt@praxis.example"' in html
    assert re.search(rf'<input checked id="practices-\d" name="practices" type="checkbox" value="{world.practice_a1}"',
                     html)
    assert not re.search(rf'<input checked[^>]*value="{world.practice_a2}"', html)
    assert not re.search(r'<input checked[^>]*name="app_enabled"', html)


def test_dialog_shows_app_aktivieren_ticked_for_an_activated_therapist(app, as_user, world):
    with app.app_context():
        db.session.get(Therapist, world.therapist_a).app_enabled = True
        db.session.commit()
    html = as_user(world.chef_a).get(f"/therapeuten/{world.therapist_a}", headers=HX).get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="app_enabled"', html)


def test_without_htmx_the_dialog_is_a_page_of_its_own(as_user, world):
    html = as_user(world.chef_a).get(f"/therapeuten/{world.therapist_a}").get_data(as_text=True)
    assert "<html" in html and 'id="therapist-form"' in html


def test_ok_saves_and_returns_the_updated_row_out_of_band(app, as_user, world):
    client = as_user(world.therapeut_a)
    before = _therapist(app, world.therapist_a)
    response = client.post(f"/therapeuten/{world.therapist_a}", headers=HX,
                           data=_form(before, first_name="Annika", practices=[str(world.practice_a2)]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<tr id="therapist-{world.therapist_a}" hx-swap-oob="true">' in html
    assert "Schmidt, Annika" in html and "Praxis am Dom" in html
    assert "<dialog" not in html  # the dialog closes
    after = _therapist(app, world.therapist_a)
    assert after["first_name"] == "Annika" and after["practices"] == [world.practice_a2]
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "therapist.updated")).one()
        assert event.actor_label == world.therapeut_a and event.group_id == world.group_a
        assert event.details["changes"]["first_name"] == ["Anna", "Annika"]


def test_ticking_only_app_aktivieren_on_an_existing_therapist_saves(app, as_user, world):
    """Regression for the seed's release 2023.0.5.0: the checkbox alone did not save."""
    client = as_user(world.chef_a)
    before = _therapist(app, world.therapist_a)
    assert before["app_enabled"] is False
    response = client.post(f"/therapeuten/{world.therapist_a}", headers=HX, data=_form(before, app_enabled="y"))
    assert response.status_code == 200
    after = _therapist(app, world.therapist_a)
    assert after == {**before, "app_enabled": True}
    assert audit_actions(app, world.therapist_a) == ["therapist.updated", "therapist.app_activated",
                                                      "code.requested"]


def test_unticking_app_aktivieren_saves_and_is_audited(app, as_user, world):
    with app.app_context():
        db.session.get(Therapist, world.therapist_a).app_enabled = True
        db.session.commit()
    before = _therapist(app, world.therapist_a)
    as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}", headers=HX, data=_form(before, app_enabled=None))
    assert _therapist(app, world.therapist_a)["app_enabled"] is False
    assert audit_actions(app, world.therapist_a)[-1] == "therapist.app_deactivated"


def test_ok_without_changes_saves_nothing_and_writes_no_audit(app, as_user, world):
    before = _therapist(app, world.therapist_a)
    html = as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}", headers=HX,
                                      data=_form(before)).get_data(as_text=True)
    assert "Keine Änderungen" in html and audit_actions(app) == []


def test_create_in_the_dialog_adds_the_therapist_and_refreshes_the_list(app, as_user, world):
    client = as_user(world.chef_a)
    response = client.post("/therapeuten", headers=HX, data={
        "first_name": " Clara ", "last_name": "Neu", "email": "Clara.Neu@Praxis.EXAMPLE",
        "practices": [str(world.practice_a1), str(world.practice_a2)], "app_enabled": "y"})
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "therapists-changed"
    assert "Clara Neu wurde angelegt." in response.get_data(as_text=True)
    with app.app_context():
        t = db.session.scalars(select(Therapist).where(Therapist.last_name == "Neu")).one()
        assert (t.first_name, t.email, t.app_enabled, t.group_id) == ("Clara", "clara.neu@praxis.example", True,
                                                                       world.group_a)
        assert len(t.practices) == 2
        actions = audit_actions(app, t.id)
    assert actions == ["therapist.created", "therapist.app_activated", "code.requested"]
    assert "Neu, Clara" in client.get("/therapeuten").get_data(as_text=True)


def test_create_without_htmx_redirects_to_the_list(app, as_user, world):
    response = as_user(world.chef_a).post("/therapeuten", data={"first_name": "Ohne", "last_name": "Skript"})
    assert response.status_code == 302 and response.headers["Location"] == "/therapeuten"
    with app.app_context():
        assert db.session.scalars(select(Therapist).where(Therapist.last_name == "Skript")).one().email is None


INVALID = [
    ({"first_name": ""}, "Bitte geben Sie einen Vornamen ein."),
    ({"first_name": "   "}, "Bitte geben Sie einen Vornamen ein."),
    ({"last_name": ""}, "Bitte geben Sie einen Nachnamen ein."),
    ({"first_name": "x" * 81}, "Der Vorname darf höchstens 80 Zeichen lang sein."),
    ({"last_name": "x" * 81}, "Der Nachname darf höchstens 80 Zeichen lang sein."),
    ({"email": "kein-at-zeichen"}, "Bitte geben Sie eine gültige E-Mail-Adresse ein"),
    ({"email": "a@b"}, "Bitte geben Sie eine gültige E-Mail-Adresse ein"),
    ({"email": "x" * 250 + "@a.de"}, "höchstens 254 Zeichen"),
    ({"email": "", "app_enabled": "y"}, "Für die App wird eine E-Mail-Adresse benötigt."),
    ({"practices": ["999999"]}, "Bitte wählen Sie nur Praxen Ihrer Praxisgruppe."),
    ({"practices": ["abc"]}, "Bitte wählen Sie nur Praxen Ihrer Praxisgruppe."),
]


@pytest.mark.parametrize("changes,message", INVALID)
def test_invalid_edit_is_refused_with_a_german_message_and_changes_nothing(app, as_user, world, changes, message):
    before = _therapist(app, world.therapist_a)
    counts = _counts(app)
    response = as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}", headers=HX,
                                          data=_form(before, **changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "<dialog" in html and 'aria-invalid="true"' in html
    assert _therapist(app, world.therapist_a) == before
    assert _counts(app) == counts


@pytest.mark.parametrize("changes,message", INVALID)
def test_invalid_create_is_refused_and_creates_nothing(app, as_user, world, changes, message):
    counts = _counts(app)
    data = {"first_name": "Neue", "last_name": "Person", "email": "neu@praxis.example", **changes}
    response = as_user(world.chef_a).post("/therapeuten", headers=HX, data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _counts(app) == counts


def test_duplicate_email_within_the_group_is_refused(app, as_user, world):
    counts = _counts(app)
    response = as_user(world.chef_a).post("/therapeuten", headers=HX, data={
        "first_name": "Zweite", "last_name": "Anna", "email": "ANNA.SCHMIDT@praxis.example"})
    assert response.status_code == 422
    assert "bereits einem anderen Therapeuten zugeordnet" in response.get_data(as_text=True)
    assert _counts(app) == counts


def test_the_same_email_in_another_group_is_allowed(app, as_user, world):
    response = as_user(world.chef_b).post("/therapeuten", headers=HX, data={
        "first_name": "Anna", "last_name": "Schmidt", "email": "anna.schmidt@praxis.example"})
    assert response.status_code == 200
    with app.app_context():
        groups = db.session.scalars(select(Therapist.group_id).where(Therapist.email == "anna.schmidt@praxis.example")
                                    .order_by(Therapist.id)).all()
    assert groups == [world.group_a, world.group_b]


def test_a_practice_of_another_group_cannot_be_assigned(app, as_user, world):
    before = _therapist(app, world.therapist_a)
    response = as_user(world.chef_a).post(f"/therapeuten/{world.therapist_a}", headers=HX,
                                          data=_form(before, practices=[str(world.practice_b)]))
    assert response.status_code == 422
    assert _therapist(app, world.therapist_a) == before


def test_lists_sort_in_german_dictionary_order(app, as_user, world):
    """Umlauts with their base letter, accents and case do not count: not the code-point order."""
    names = ["Zimmermann", "Żółkiewski", "Şahin", "Özdemir", "Abel", "Ärztin", "Łęcki", "Müller", "Otto"]
    with app.app_context():
        group = db.session.get(PracticeGroup, world.group_a)
        for practice_name in ("Zentrum", "Ärztehaus Süd", "Bad Praxis"):
            f.practice(group, practice_name)
        for last in names:
            f.therapist(group, "Test", last, f"{len(last)}-{last.encode('punycode').decode()}@sort.example")
            f.participant(group, "Test", last, birth_date=date(1970, 1, 1), units=None)
        db.session.commit()
    client = as_user(world.chef_a)
    expected = ["Abel", "Ärztin", "Łęcki", "Müller", "Otto", "Özdemir", "Şahin", "Schmidt", "Zimmermann", "Żółkiewski"]
    page = client.get("/therapeuten").get_data(as_text=True)
    assert re.findall(r'class="row-name">([^,<]+),', page) == expected
    backwards = client.get("/therapeuten?sort=-name").get_data(as_text=True)
    assert re.findall(r'class="row-name">([^,<]+),', backwards) == expected[::-1]
    people = client.get("/kurse/teilnehmer").get_data(as_text=True)
    assert [n for n in re.findall(r">([^<>,]+), Test<", people)] == [n for n in expected if n != "Schmidt"]
    practices = client.get("/praxisgruppe").get_data(as_text=True)
    order = [practices.index(name) for name in ("Ärztehaus Süd", "Bad Praxis", "Praxis am Dom", "Zentrum")]
    assert order == sorted(order)
