"""The chef's pages: practices, licences (read-only) and portal users."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Practice, Role, User
from portal.therapist_db.models import TherapistDatabase

from . import factories as f
from .helpers import HX, audit_actions, login


def _practices(app, group_id):
    with app.app_context():
        return sorted(db.session.scalars(select(Practice.name).where(Practice.group_id == group_id)))


def test_group_page_shows_licences_read_only(as_user, world):
    html = as_user(world.chef_a).get("/praxisgruppe").get_data(as_text=True)
    assert "Praxisgruppe Nord" in html
    assert "Sync-Lizenz" in html and "App-Lizenz" in html and "Check-in-Lizenz" in html
    assert html.count('<span class="badge ok">aktiv</span>') == 3
    assert "unbefristet" in html and "<input" not in html.split("Lizenzen")[1].split("Praxen")[0]


def test_group_without_licences_shows_them_as_missing(app, client):
    with app.app_context():
        g = f.group("Ohne", licensed=False)
        f.user(g, Role.CHEF, "chef@ohne.example")
        db.session.commit()
    login(client, "chef@ohne.example")
    assert client.get("/praxisgruppe").get_data(as_text=True).count("nicht vorhanden") == 3


def test_add_rename_and_delete_a_practice(app, as_user, world):
    client = as_user(world.chef_a)
    html = client.post("/praxisgruppe/praxen", headers=HX, data={"name": "Praxis Neu", "city": "Bonn"}).get_data(
        as_text=True)
    assert "Praxis „Praxis Neu“ angelegt." in html
    with app.app_context():
        practice_id = db.session.scalar(select(Practice.id).where(Practice.name == "Praxis Neu"))
    edit = client.get(f"/praxisgruppe/praxen/{practice_id}/bearbeiten", headers=HX).get_data(as_text=True)
    assert 'value="Praxis Neu"' in edit
    client.post(f"/praxisgruppe/praxen/{practice_id}", headers=HX, data={"name": "Praxis Umbenannt", "city": "Bonn"})
    assert "Praxis Umbenannt" in _practices(app, world.group_a)
    html = client.post(f"/praxisgruppe/praxen/{practice_id}/loeschen", headers=HX).get_data(as_text=True)
    assert "gelöscht" in html and "Praxis Umbenannt" not in _practices(app, world.group_a)
    assert audit_actions(app) == ["practice.created", "practice.updated", "practice.deleted"]


def test_a_practice_in_use_cannot_be_deleted(app, as_user, world):
    html = as_user(world.chef_a).post(f"/praxisgruppe/praxen/{world.practice_a1}/loeschen",
                                      headers=HX).get_data(as_text=True)
    assert "kann nicht gelöscht werden" in html
    assert "Praxis am Markt" in _practices(app, world.group_a) and audit_actions(app) == []


def test_practice_names_are_required_and_unique_in_the_group(app, as_user, world):
    client = as_user(world.chef_a)
    before = _practices(app, world.group_a)
    response = client.post("/praxisgruppe/praxen", headers=HX, data={"name": "  ", "city": ""})
    assert response.status_code == 422 and "Bitte geben Sie einen Namen für die Praxis ein." in response.get_data(
        as_text=True)
    response = client.post("/praxisgruppe/praxen", headers=HX, data={"name": "praxis am markt", "city": ""})
    assert response.status_code == 422 and "gibt es in Ihrer Praxisgruppe schon" in response.get_data(as_text=True)
    response = client.post(f"/praxisgruppe/praxen/{world.practice_a2}", headers=HX,
                            data={"name": "Praxis am Markt", "city": ""})
    assert response.status_code == 422
    assert _practices(app, world.group_a) == before and audit_actions(app) == []
    # another group may use the same name
    client.post("/abmelden")
    login(client, world.chef_b)
    assert client.post("/praxisgruppe/praxen", headers=HX, data={"name": "Praxis am Markt"}).status_code == 200


def test_a_practice_keeps_its_address_and_ik_for_the_billing_proof(app, as_user, world):
    client = as_user(world.chef_a)
    stale_before = _stale(app)
    html = client.post(f"/praxisgruppe/praxen/{world.practice_a1}", headers=HX, data={
        "name": "Praxis am Markt", "city": "Köln", "street": "Hohe Straße 12", "postcode": "50667",
        "ik": "59 0512 349"}).get_data(as_text=True)
    assert "gespeichert" in html and "Hohe Straße 12, 50667 Köln" in html and "590512349" in html
    with app.app_context():
        practice = db.session.get(Practice, world.practice_a1)
        assert (practice.street, practice.postcode, practice.ik) == ("Hohe Straße 12", "50667", "590512349")
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "practice.updated")).one()
        assert event.details["changes"]["ik"] == ["", "590512349"]
    log = client.get("/protokoll").get_data(as_text=True)  # the log names the fields in words
    assert "Straße und Hausnummer" in log and "PLZ" in log and "street" not in log and "postcode" not in log
    assert _stale(app) == stale_before  # the app shows name and city only: no database is written again
    client.post(f"/praxisgruppe/praxen/{world.practice_a1}", headers=HX, data={
        "name": "Praxis am Markt", "city": "Köln-Mitte", "street": "Hohe Straße 12", "postcode": "50667",
        "ik": "590512349"})
    assert len(_stale(app)) > len(stale_before)  # a new city is: the app shows it


@pytest.mark.parametrize("typed", ["59 053 101 3", "59-053-101-3", "５９０５３１０１３", "590\u00a0531\u00a0013"])
def test_an_ik_is_taken_as_people_write_it(app, as_user, world, typed):
    response = as_user(world.chef_a).post(f"/praxisgruppe/praxen/{world.practice_a1}", headers=HX, data={
        "name": "Praxis am Markt", "city": "Köln", "ik": typed, "postcode": " ５０６６７ "})
    assert response.status_code == 200
    with app.app_context():
        practice = db.session.get(Practice, world.practice_a1)
        assert (practice.ik, practice.postcode) == ("590531013", "50667")


def test_a_form_from_before_the_billing_fields_leaves_them_as_they_are(app, as_user, world):
    client = as_user(world.chef_a)
    client.post(f"/praxisgruppe/praxen/{world.practice_a1}", headers=HX, data={
        "name": "Praxis am Markt", "city": "Köln", "street": "Alter Markt 12", "postcode": "50667", "ik": "590531013"})
    client.post(f"/praxisgruppe/praxen/{world.practice_a1}", headers=HX, data={"name": "Praxis am Markt",
                                                                              "city": "Köln-Altstadt"})
    with app.app_context():
        practice = db.session.get(Practice, world.practice_a1)
        assert (practice.city, practice.street, practice.postcode, practice.ik) == (
            "Köln-Altstadt", "Alter Markt 12", "50667", "590531013")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("postcode", "5066", "Eine Postleitzahl hat fünf Ziffern."),
    ("postcode", "5066A", "Eine Postleitzahl hat fünf Ziffern."),
    ("ik", "12345678", "Ein Institutionskennzeichen hat neun Ziffern."),
    ("ik", "1234567890", "Ein Institutionskennzeichen hat neun Ziffern."),
    ("ik", "59O512349", "Ein Institutionskennzeichen besteht nur aus Ziffern"),  # a letter O
    ("ik", "590512348", "Die Prüfziffer (letzte Ziffer) passt nicht."),
])
def test_a_wrong_postcode_or_ik_is_explained_and_nothing_changes(app, as_user, world, field, value, message):
    client = as_user(world.chef_a)
    response = client.post(f"/praxisgruppe/praxen/{world.practice_a1}", headers=HX, data={
        "name": "Praxis am Markt", "city": "Köln", field: value})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        practice = db.session.get(Practice, world.practice_a1)
        assert (practice.postcode, practice.ik) == ("", "")
    assert audit_actions(app) == []


def _stale(app) -> list[int]:
    with app.app_context():
        return sorted(db.session.scalars(select(TherapistDatabase.therapist_id).where(TherapistDatabase.stale)))


def test_deactivate_and_reactivate_a_user(app, as_user, world):
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == world.therapeut_a))
    client = as_user(world.chef_a)
    html = client.post(f"/benutzer/{user_id}/deaktivieren", headers=HX).get_data(as_text=True)
    assert "wurde deaktiviert" in html
    assert app.test_client().post("/anmelden", data={"email": world.therapeut_a, "password": f.PASSWORD}
                                  ).status_code == 200
    client.post(f"/benutzer/{user_id}/aktivieren", headers=HX)
    assert app.test_client().post("/anmelden", data={"email": world.therapeut_a, "password": f.PASSWORD}
                                  ).status_code == 302
    assert audit_actions(app) == ["user.deactivated", "user.activated"]


def test_a_chef_cannot_deactivate_themselves(app, as_user, world):
    with app.app_context():
        own_id = db.session.scalar(select(User.id).where(User.email == world.chef_a))
    html = as_user(world.chef_a).post(f"/benutzer/{own_id}/deaktivieren", headers=HX).get_data(as_text=True)
    assert "nicht deaktivieren" in html
    with app.app_context():
        assert db.session.get(User, own_id).active


def test_support_sees_every_group_with_its_licences(app, as_user, world):
    with app.app_context():
        f.group("Ohne Lizenz GmbH", licensed=False)
        db.session.commit()
    html = as_user(world.support).get("/support").get_data(as_text=True)
    assert "Praxisgruppe Nord" in html and "Praxisgruppe Süd" in html and "Ohne Lizenz GmbH" in html
    assert "App-Lizenz: fehlt" in html
